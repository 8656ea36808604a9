"""The engine keeps the database's behaviour under its pool and connection settings: storage/db.py."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from tests.conftest import PG_URL

pg_only = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncEngine:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    return engine


async def test_sqlite_statements_results_and_errors_are_those_of_sqlite(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"))
        assert inserted.rowcount == 3
        single = await conn.execute(text("INSERT INTO t (v) VALUES ('d')"))
        assert single.lastrowid == 4
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "e"}, {"v": "f"}])
        assert many.rowcount == 2
        returned = await conn.execute(text("INSERT INTO t (v) VALUES ('g') RETURNING id, v"))
        assert returned.all() == [(7, "g")]
        rows = await conn.execute(text("SELECT id, v FROM t WHERE id > :n ORDER BY id"), {"n": 4})
        assert list(rows.keys()) == ["id", "v"]
        assert rows.all() == [(5, "e"), (6, "f"), (7, "g")]
        empty = await conn.execute(text("SELECT id FROM t WHERE v = 'nobody'"))
        assert empty.first() is None
        updated = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id <= 2"))
        assert updated.rowcount == 2
    with pytest.raises(IntegrityError):
        async with sqlite_engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('z')"))
            await conn.execute(text("INSERT INTO t (v) VALUES ('a!')"))
    async with sqlite_engine.connect() as conn:
        # The failed transaction was rolled back as a whole: 'z' is not there.
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 7
    await sqlite_engine.dispose()


async def test_sqlite_connections_get_their_pragmas_and_sessions_commit_or_roll_back(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.connect() as conn:
        pragmas = [
            (await conn.execute(text(f"PRAGMA {name}"))).scalar()
            for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
        ]
    assert pragmas == [1, "wal", 10000, 1]  # synchronous 1 is NORMAL

    sessions = db.session_factory(sqlite_engine)
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('kept')"))
    async with sessions() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('dropped')"))
        await session.rollback()
    async with sessions() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('never committed')"))
    # A session closed without commit rolls back; another engine (another connection) sees only 'kept'.
    other = db.create_engine(str(sqlite_engine.url))
    async with other.connect() as conn:
        values = (await conn.execute(text("SELECT v FROM t"))).scalars().all()
    assert values == ["kept"]
    await other.dispose()
    await sqlite_engine.dispose()


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _kill(pid: int) -> None:
    assert PG_URL
    killer = db.create_engine(PG_URL)
    async with killer.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await killer.dispose()
    await asyncio.sleep(0.2)


@pg_only
async def test_pg_idle_connection_broken_meanwhile_is_replaced_before_use() -> None:
    assert PG_URL
    engine = db.create_engine(PG_URL, ping_after_idle_seconds=0.0)
    try:
        pid = await _backend_pid(engine)
        await _kill(pid)
        # The pooled connection is dead; its ping fails and the pool opens another, so this works.
        assert await _backend_pid(engine) != pid
    finally:
        await engine.dispose()


@pg_only
async def test_pg_connection_in_recent_use_is_not_pinged() -> None:
    assert PG_URL
    engine = db.create_engine(PG_URL, ping_after_idle_seconds=3600.0)
    try:
        pid = await _backend_pid(engine)
        await _kill(pid)
        # No ping for a connection used a moment ago: the broken one is handed out and fails (the
        # contrast that shows the test above passes because of the ping) ...
        with pytest.raises(Exception, match="connection"):
            await _backend_pid(engine)
        # ... and SQLAlchemy then drops it, so the next turn gets a working connection.
        assert await _backend_pid(engine) != pid
    finally:
        await engine.dispose()
