"""The engine and the session factory.

Why: one engine per process and one short unit of work per turn or job (docs/design.md, "How the code reads").
SQLite gets the pragmas that make it a safe embedded default: foreign keys on, WAL so readers do
not block the writer, and a busy timeout so concurrent writers queue instead of failing. It runs on
SQLAlchemy's own `sqlite+aiosqlite` dialect with public options only (pool settings and a connect
event), so neither SQLAlchemy nor aiosqlite is held to a minor version; what that costs against a
hand-made adapter is measured in docs/benchmarks.md.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# A pooled PostgreSQL connection idle for longer than this is pinged before use (see below).
PING_AFTER_IDLE_SECONDS = 10.0


def create_engine(
    url: str, *, echo: bool = False, ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS
) -> AsyncEngine:
    # Statement parameters are what people typed (notes, names): never in a log line or an exception's
    # text, where a logged traceback would carry them (SQLAlchemy prints them by default).
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if is_sqlite(url):
        # A fixed pool: connections past the pool size were opened and closed per checkout (a thread
        # and four pragmas each), and turns waiting for one of 5 were served out of order, which
        # tripled p99 at 50 concurrent turns (docs/benchmarks.md). 20 covers the benchmark's
        # concurrency with SQLite's one writer at a time; more turns wait their turn.
        kwargs.update(pool_size=20, max_overflow=0, pool_timeout=30)
    else:
        # A fixed pool too: overflow connections were closed on return and opened again under the
        # next burst, each a connect plus re-preparing every statement (asyncpg prepares per
        # connection): ~2 ms of CPU more per logged session at the end-of-day peak. 20 per worker
        # process; PostgreSQL's default of 100 connections leaves room for 4 such processes.
        kwargs.update(pool_size=20, max_overflow=0, pool_timeout=30)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        _ping_when_idle(engine, ping_after_idle_seconds)
    return engine


def _ping_when_idle(engine: AsyncEngine, after_seconds: float) -> None:
    """Check a pooled connection before use only if it sat idle, instead of on every checkout.

    Why: SQLAlchemy's `pool_pre_ping` on asyncpg is three round trips (BEGIN, a ping, ROLLBACK) on
    every checkout, and a turn checks out twice: six of the sixteen round trips of a logged session
    (docs/benchmarks.md). The connections a database restart or an idle timeout breaks are the ones
    that sat unused, so those are pinged; a connection back in use within seconds is not. A failed
    ping raises DisconnectionError, on which the pool discards that connection and opens another.
    A connection that breaks while in use fails that turn, as it would have with pre-ping, and
    SQLAlchemy then drops the whole pool.
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after_seconds:
            return  # just opened, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's own error types; any failure means "not usable"
            raise DisconnectionError("pooled connection failed its ping") from exc

    event.listen(pool, "checkin", checked_in)
    event.listen(pool, "checkout", checked_out)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def autocommit_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose statements each commit on their own, for one-statement units of work.

    Why: the identity read that opens every turn was four round trips on PostgreSQL (pool ping, BEGIN,
    the query, COMMIT); without a transaction it is two. Only for work that is one statement or a
    read: nothing here can be rolled back. SQLite gets the plain factory: its driver begins a
    transaction only before a write anyway, and switching isolation levels on every checkout would
    add two statements on aiosqlite's thread.
    """
    if is_sqlite(engine.url.drivername):
        return session_factory(engine)
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers; used by /readyz."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready"; the caller reports it
        return False
    return True
