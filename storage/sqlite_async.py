"""SQLite under asyncio with one thread hop per statement.

Why: aiosqlite runs each SQLite connection in its own thread, and SQLAlchemy's adapter crosses to that
thread four times per statement (open a cursor, execute, fetch, close) and once more for each commit and
each reset of a pooled connection, even when no transaction is open. Each crossing costs ~100 µs of CPU
here (a queue, a futex wake-up, a self-pipe write and an event-loop wake-up), so the identity lookup
that runs on every turn took ~1 ms for a 14 µs query (docs/benchmarks.md).

Here a statement runs on the connection's thread in one crossing (execute, fetch every row, close), and
commit or rollback is skipped when SQLite says no transaction is open and nothing is queued for the
thread. Everything else (connecting, pragmas, server-side cursors, errors) is SQLAlchemy's own aiosqlite
adapter: this module only replaces its cursor and the two transaction calls. It leans on the same
aiosqlite internals as that adapter (`_execute`, `_conn`); SQLAlchemy and aiosqlite are pinned to minor
versions in pyproject.toml for that reason, and the whole suite runs on it.
"""

from __future__ import annotations

import collections
import sqlite3
from threading import Thread
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statements each run in one crossing to the connection's thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is opened (that alone was a crossing): `close` then has nothing to await.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None

    async def _run(self, work: Any) -> None:
        adapted: _OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            description, rows, rowcount, lastrowid = await adapted.run_on_thread(work)
        self._description = description
        self._rowcount = rowcount
        self._lastrowid = lastrowid
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        def work(raw: sqlite3.Connection) -> tuple[Any, Any, int, int | None]:
            cursor = raw.cursor()
            try:
                cursor.execute(operation, () if parameters is None else parameters)
                rows = cursor.fetchall() if cursor.description else None
                return cursor.description, rows, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        await self._run(work)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        def work(raw: sqlite3.Connection) -> tuple[Any, Any, int, int | None]:
            cursor = raw.cursor()
            try:
                cursor.executemany(operation, seq_of_parameters)
                return cursor.description, None, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        await self._run(work)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with one-crossing statements and no empty commits.

    `queued` is written only by the event loop and `finished` only by the connection's thread, so
    comparing them needs no lock: equal means nothing is waiting on the thread, not even a statement
    whose caller was cancelled. Only then may "no transaction open" be trusted and the crossing skipped.
    """

    __slots__ = ("queued", "finished")
    _cursor_cls = _OneHopCursor  # type: ignore[assignment]  # a subclass; mypy reads the base as exact

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.queued = 0
        self.finished = 0

    async def run_on_thread(self, work: Any) -> Any:
        raw = self._connection._conn
        started = False

        def counted() -> Any:
            nonlocal started
            started = True
            try:
                return work(raw)
            finally:
                self.finished += 1

        self.queued += 1
        try:
            return await self._connection._execute(counted)
        except ValueError:
            if not started:
                # aiosqlite refused to queue it (connection closed): it will never run.
                self.queued -= 1
            raise

    def _idle_outside_transaction(self) -> bool:
        raw = self._connection._connection
        return raw is not None and self.queued == self.finished and not raw.in_transaction

    def rollback(self) -> None:
        if not self._idle_outside_transaction():
            super().rollback()

    def commit(self) -> None:
        if not self._idle_outside_transaction():
            super().commit()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module to give `create_async_engine(..., module=...)` for a SQLite URL."""

    def __init__(self) -> None:
        import aiosqlite

        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> _OneHopConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        # As SQLAlchemy does: a forgotten connection must not keep the process alive.
        thread = connection if isinstance(connection, Thread) else connection._thread
        thread.daemon = True
        return _OneHopConnection(self, await_(connection))
