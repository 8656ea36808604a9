"""The engine and the session factory.

Why: one engine per process and one short unit of work per turn or job (STYLE.md, habit 10).
SQLite gets the pragmas that make it a safe embedded default: foreign keys on, WAL so readers do
not block the writer, and a busy timeout so concurrent writers queue instead of failing; and a
driver adapter that crosses to aiosqlite's thread once per statement (storage/sqlite_async.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.sqlite_async import OneHopDBAPI


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        # A fixed pool: connections past the pool size were opened and closed per checkout (a thread
        # and four pragmas each), and turns waiting for one of 5 were served out of order, which
        # tripled p99 at 50 concurrent turns (docs/benchmarks.md). 20 covers the benchmark's
        # concurrency with SQLite's one writer at a time; more turns wait their turn.
        kwargs.update(module=OneHopDBAPI(), pool_size=20, max_overflow=0, pool_timeout=30)
    else:
        kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers; used by /readyz."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready"; the caller reports it
        return False
    return True
