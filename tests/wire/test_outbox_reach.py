"""Reaching people who have never opened the bot: the app is installed for them through Microsoft Graph
(a fake Graph on loopback), Teams opens the conversation (an installationUpdate over real HTTP), then the
notification is sent once; where installing is refused it waits, not dead, until they open the bot; past
its expiry it is never sent. SQLite and PostgreSQL; simulated time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.jobs.outbox import INSTALL_REFUSED, WAITING_FOR_PERSON, WAITING_FOR_TEAMS, OutboxDispatcher
from bot.jobs.scheduler import JOBS_KEY
from bot.server.assembly import create_app
from cards import texts
from storage.models import Outbox, Staff
from storage.queries.outbox import EXPIRED_REASON, enqueue, message_payload
from tests.conftest import OUTGOING_TOKEN, BotUnderTest, Clock, production_settings
from tests.support import activities as act
from tests.support.clock import FakeClock
from tests.support.fake_connector import FakeConnector
from tests.support.fake_graph_install import CATALOG_ID, FakeGraphInstall, StaticCredential
from tests.support.tokens import TokenAuthority

T0 = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
APP_ID_IN_MANIFEST = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphInstall]:
    fake = FakeGraphInstall(external_id=APP_ID_IN_MANIFEST)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def reach_bot(
    database_url: str,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    demo: None,
    connector: FakeConnector,
    authority: TokenAuthority,
    graph: FakeGraphInstall,
) -> AsyncIterator[BotUnderTest]:
    settings = production_settings(database_url, authority, graph_install=True, graph_base_url=graph.base_url)
    assert settings.manifest_app_id == APP_ID_IN_MANIFEST
    app = create_app(
        settings, outgoing_token=lambda: OUTGOING_TOKEN, clock=lambda: T0, graph_credential=StaticCredential()
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield BotUnderTest(
            str(server.make_url("")).rstrip("/"), http, connector, authority, sessions, settings, app
        )
    await server.close()


def worker(bot: BotUnderTest, clock: FakeClock) -> OutboxDispatcher:
    """The app's own dispatcher (with its Graph installer), on simulated time."""
    return dataclasses.replace(bot.app[JOBS_KEY].dispatcher, clock=clock, sleep=clock.sleep)


async def head_id(bot: BotUnderTest) -> int:
    async with bot.sessions() as s:
        found = await s.scalar(select(Staff.id).where(Staff.aad_object_id == act.HEAD.aad_object_id))
    assert found is not None
    return int(found)


async def queue_for(
    bot: BotUnderTest, recipient: int, *, text: str = "Weekly digest", expires_at: dt.datetime | None = None
) -> int:
    async with bot.sessions.begin() as s:
        assert await enqueue(
            s,
            kind="weekly_digest",
            period_key=f"weekly_digest:{recipient}:2026-W48",
            recipient_id=recipient,
            payload=message_payload(text=text),
            now=T0,
            expires_at=expires_at,
        )
        row_id = await s.scalar(select(Outbox.id).where(Outbox.recipient_id == recipient))
    assert row_id is not None
    return int(row_id)


async def stored(bot: BotUnderTest, row_id: int) -> Outbox:
    async with bot.sessions() as s:
        row = await s.get(Outbox, row_id)
    assert row is not None
    return row


def head_messages(bot: BotUnderTest) -> list[str]:
    conversation = act.base("message", bot.service_url, user=act.HEAD)["conversation"]["id"]
    return [
        m.text or ""
        for m in bot.connector.messages()
        if m.path == f"/v3/conversations/{conversation}/activities"
    ]


async def test_installed_through_graph_then_sent_once(
    reach_bot: BotUnderTest, graph: FakeGraphInstall
) -> None:
    bot = reach_bot
    head = await head_id(bot)
    row_id = await queue_for(bot, head)
    clock = FakeClock(T0)

    first = await worker(bot, clock).run_once()
    assert graph.installs == [
        (act.HEAD.aad_object_id, 201, f"{graph.base_url}/appCatalogs/teamsApps/{CATALOG_ID}")
    ]
    row = await stored(bot, row_id)
    assert (row.status, row.last_error, first.waiting) == ("waiting", WAITING_FOR_TEAMS, 1)
    assert head_messages(bot) == []

    # Teams opens the personal conversation and tells the bot, as it does after an install.
    clock.advance(5)
    status, _ = await bot.post(act.base("installationUpdate", bot.service_url, user=act.HEAD))
    assert status == 201
    assert (await stored(bot, row_id)).status == "pending"

    sent = await worker(bot, clock).run_once()
    again = await worker(bot, clock).run_once()
    assert (sent.sent, again.claimed) == (1, 0)
    # A few seconds' wait for Teams is not "late": the message is as it was planned.
    assert head_messages(bot) == ["Weekly digest"]
    assert (await stored(bot, row_id)).status == "sent"
    assert len(graph.installs) == 1


async def test_refused_install_waits_until_the_person_opens_the_bot(
    reach_bot: BotUnderTest, graph: FakeGraphInstall
) -> None:
    bot = reach_bot
    graph.refuse = True
    head = await head_id(bot)
    row_id = await queue_for(bot, head)
    clock = FakeClock(T0)

    report = await worker(bot, clock).run_once()
    row = await stored(bot, row_id)
    assert (row.status, row.last_error, report.dead, report.waiting) == (
        "waiting",
        INSTALL_REFUSED.format(status=403),
        0,
        1,
    )
    # Waiting is not tried again and again: nothing is due until the person turns up.
    clock.advance(3600)
    assert (await worker(bot, clock).run_once()).claimed == 0
    assert len(graph.installs) == 1
    async with bot.sessions() as s:
        person = await s.get(Staff, head)
    assert person is not None and person.unreachable_since is None

    # Two days later the head opens the bot: the waiting digest goes once, saying it is late.
    clock.advance(2 * 86400)
    status, _ = await bot.post(act.message("help", bot.service_url, user=act.HEAD))
    assert status == 201
    await worker(bot, clock).run_once()
    await worker(bot, clock).run_once()
    late = texts.SENT_LATE.format(day="30 Nov 2026")
    assert head_messages(bot) == [f"{late}\n\nWeekly digest"]
    assert (await stored(bot, row_id)).status == "sent"


async def test_expired_is_never_sent(reach_bot: BotUnderTest, graph: FakeGraphInstall) -> None:
    bot = reach_bot
    graph.refuse = True
    head = await head_id(bot)
    row_id = await queue_for(bot, head, expires_at=T0 + dt.timedelta(days=7))
    clock = FakeClock(T0)
    await worker(bot, clock).run_once()
    assert (await stored(bot, row_id)).status == "waiting"

    clock.advance(8 * 86400)
    expiry = await worker(bot, clock).run_once()
    status, _ = await bot.post(act.message("help", bot.service_url, user=act.HEAD))
    assert status == 201
    after = await worker(bot, clock).run_once()
    row = await stored(bot, row_id)
    assert (expiry.expired, after.claimed) == (1, 0)
    assert row.status == "expired"
    assert row.last_error == f"{INSTALL_REFUSED.format(status=403)}; {EXPIRED_REASON}"
    assert head_messages(bot) == []


async def test_throttled_install_is_retried_then_sent(
    reach_bot: BotUnderTest, graph: FakeGraphInstall
) -> None:
    bot = reach_bot
    # The SDK retries 429 three times itself; the fourth reaches the outbox, which backs off.
    graph.failures.extend([(429, {"Retry-After": "0"})] * 4)
    head = await head_id(bot)
    row_id = await queue_for(bot, head)
    clock = FakeClock(T0)

    first = await worker(bot, clock).run_once()
    row = await stored(bot, row_id)
    assert (first.retried, row.status, row.last_error) == (1, "failed", "HTTP 429")
    assert [status for _, status, _ in graph.installs] == [429, 429, 429, 429]

    clock.now = row.next_attempt_at
    await worker(bot, clock).run_once()
    assert [status for _, status, _ in graph.installs][-1] == 201
    assert (await stored(bot, row_id)).status == "waiting"


async def test_without_graph_install_a_person_with_no_conversation_waits(
    bot: BotUnderTest, clock: Clock
) -> None:
    clock.at = T0
    head = await head_id(bot)
    row_id = await queue_for(bot, head)
    fake = FakeClock(T0)
    report = await worker(bot, fake).run_once()
    row = await stored(bot, row_id)
    assert (row.status, row.last_error, report.waiting, report.dead) == ("waiting", WAITING_FOR_PERSON, 1, 0)

    status, _ = await bot.post(act.message("help", bot.service_url, user=act.HEAD))
    assert status == 201
    await worker(bot, fake).run_once()
    assert head_messages(bot) == ["Weekly digest"]
