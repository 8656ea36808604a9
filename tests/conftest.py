"""Fixtures: a migrated database (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), the real
aiohttp app on a loopback port, a fake Bot Connector and a local token authority.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.server.assembly import create_app
from bot.settings import Settings
from storage import db, migrate
from storage.demo import DEMO_TENANT, seed_demo
from storage.models import Base
from tests.support.fake_connector import FakeConnector
from tests.support.tokens import APP_ID, TokenAuthority

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
OUTGOING_TOKEN = "outgoing-test-token"
KEEP = ("need_type", "alembic_version")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    assert PG_URL
    asyncio.run(_reset_pg(PG_URL))
    migrate.upgrade(PG_URL)
    return PG_URL


async def _reset_pg(url: str) -> None:
    engine = db.create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def _truncate_pg(engine: AsyncEngine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in KEEP)
    async with engine.begin() as conn:
        # The audit trail refuses TRUNCATE (append-only trigger): lift it for test clean-up only.
        await conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "senbot.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        # Emptied by the `engine` fixture, which runs on the test's event loop.
        yield request.getfixturevalue("pg_migrated")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = db.create_engine(database_url)
    if not db.is_sqlite(database_url):
        await _truncate_pg(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.session_factory(engine)


@pytest.fixture
async def demo(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        assert await seed_demo(session)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.close()
    assert fake.reserved == [], f"cards sent with submit data the Teams client reserves: {fake.reserved}"


@pytest.fixture
async def authority() -> AsyncIterator[TokenAuthority]:
    auth = TokenAuthority()
    await auth.start()
    yield auth
    await auth.close()


@dataclass
class Clock:
    """The time the bot under test sees; tests move it instead of sleeping."""

    at: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self.at or dt.datetime.now(dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class BotUnderTest:
    url: str
    http: aiohttp.ClientSession
    connector: FakeConnector
    authority: TokenAuthority
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    app: web.Application

    async def post(
        self,
        activity: Any,
        *,
        token: str | None = "valid",
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if token == "valid":
            token = self.authority.token(activity["serviceUrl"]) if isinstance(activity, dict) else None
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": activity}
        async with self.http.post(self.url + "/api/messages", headers=hdrs, **kwargs) as resp:
            body = await resp.json(content_type=None) if resp.content_length != 0 else None
            return resp.status, body

    @property
    def service_url(self) -> str:
        return self.connector.url


def production_settings(database_url: str, authority: TokenAuthority, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "app_password": "test-secret",
        "tenant_id": DEMO_TENANT,
        "database_url": database_url,
        "openid_metadata_url": authority.metadata_url,
        "log_format": "console",
        # Tests drive the planner and the dispatcher by hand, with simulated time (bot/jobs/scheduler.py).
        "scheduler_enabled": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def bot(
    database_url: str,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    demo: None,
    connector: FakeConnector,
    authority: TokenAuthority,
    clock: Clock,
) -> AsyncIterator[BotUnderTest]:
    settings = production_settings(database_url, authority)
    app = create_app(settings, outgoing_token=lambda: OUTGOING_TOKEN, clock=clock.now)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield BotUnderTest(
            str(server.make_url("")).rstrip("/"), http, connector, authority, sessions, settings, app
        )
    await server.close()
