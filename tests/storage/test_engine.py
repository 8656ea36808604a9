"""The engine's performance work keeps the database's behaviour: storage/sqlite_async.py, storage/db.py."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.sqlite_async import _OneHopConnection
from tests.conftest import PG_URL

pg_only = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncEngine:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    return engine


async def _crossings(engine: AsyncEngine) -> int:
    """Functions run on the connection's thread so far (every pooled connection of this engine)."""
    total = 0
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        adapted = raw.dbapi_connection
        assert isinstance(adapted, _OneHopConnection)
        total += adapted.finished
    return total


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


async def test_sqlite_read_only_unit_is_one_crossing_and_writes_commit(
    sqlite_engine: AsyncEngine,
) -> None:
    sessions = db.session_factory(sqlite_engine)
    async with sessions.begin() as session:
        await session.execute(text("SELECT 1"))
    before = await _crossings(sqlite_engine)
    async with sessions.begin() as session:
        await session.execute(text("SELECT count(*) FROM t"))
    # One statement, and no commit or reset crossings (no transaction was open). The probe in
    # _crossings itself runs no statement.
    assert await _crossings(sqlite_engine) - before == 1

    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('kept')"))
    async with sessions() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('dropped')"))
        await session.rollback()
    other = db.create_engine(str(sqlite_engine.url))
    async with other.connect() as conn:
        values = (await conn.execute(text("SELECT v FROM t"))).scalars().all()
    assert values == ["kept"]
    await other.dispose()
    await sqlite_engine.dispose()


async def test_sqlite_reset_is_skipped_only_when_nothing_is_queued(
    sqlite_engine: AsyncEngine,
) -> None:
    """A write still queued for the thread (its caller cancelled, say) has not opened its transaction
    yet: "no transaction open" must not be trusted until the thread has run everything queued."""
    gate = threading.Event()
    async with sqlite_engine.connect() as conn:
        adapted = (await conn.get_raw_connection()).dbapi_connection
        assert isinstance(adapted, _OneHopConnection)
        blocker = asyncio.ensure_future(adapted._connection._execute(gate.wait))

        def write(raw: sqlite3.Connection) -> None:
            raw.execute("INSERT INTO t (v) VALUES ('queued')")

        queued = asyncio.ensure_future(adapted.run_on_thread(write))
        await asyncio.sleep(0.05)
        assert not adapted._connection._conn.in_transaction  # the write has not started ...
        assert not adapted._idle_outside_transaction()  # ... so a reset would not be skipped
        gate.set()
        await blocker
        await queued
        assert adapted._connection._conn.in_transaction
        assert not adapted._idle_outside_transaction()
        # What the pool's reset does on return; in a greenlet, as SQLAlchemy calls it.
        await conn.run_sync(lambda _sync: adapted.rollback())
        assert adapted._idle_outside_transaction()
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
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
