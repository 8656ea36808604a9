"""`senbot outbox`: what an operator sees (ids and errors, never contents) and requeueing a dead row."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.admin.cli import main
from storage import db
from storage.demo import seed_demo
from storage.models import Outbox, Staff, utcnow
from storage.queries.outbox import enqueue, message_payload

SECRET = "Amelia Smith reading plan"


async def _prepare(url: str) -> dict[str, int]:
    engine = db.create_engine(url)
    ids: dict[str, int] = {}
    try:
        async with db.session_factory(engine).begin() as session:
            await seed_demo(session)
            staff_id = await session.scalar(select(Staff.id).order_by(Staff.id))
            assert staff_id is not None
            now = utcnow()
            for key, status, error in (
                ("k:pending", "pending", None),
                ("k:failed", "failed", "HTTP 429"),
                ("k:dead", "dead", "refused: HTTP 400"),
                (
                    "k:waiting",
                    "waiting",
                    "installation not permitted (HTTP 403): waits for them to open senbot",
                ),
                ("k:expired", "expired", "expired before it could be sent"),
                ("k:sent", "sent", None),
            ):
                await enqueue(
                    session,
                    kind="reminders",
                    period_key=key,
                    recipient_id=staff_id,
                    payload=message_payload(text=SECRET),
                    now=now,
                )
                row = (await session.execute(select(Outbox).where(Outbox.period_key == key))).scalar_one()
                row.status, row.last_error, row.attempts = status, error, 8 if status == "dead" else 1
                ids[status] = row.id
    finally:
        await engine.dispose()
    return ids


async def _row(url: str, row_id: int) -> Outbox:
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            row = await session.get(Outbox, row_id)
    finally:
        await engine.dispose()
    assert row is not None
    return row


@pytest.fixture
def url(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "cli.db"
    shutil.copy(sqlite_template, path)
    database_url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SENBOT_APP_ID", raising=False)
    return database_url


def test_outbox_lists_counts_and_unsent_rows_without_contents(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = asyncio.run(_prepare(url))
    assert main(["outbox"]) == 0
    out = capsys.readouterr().out
    assert "pending: 1  sending: 0  failed: 1  waiting: 1  dead: 1  unknown: 0  expired: 1  sent: 1" in out
    assert "HTTP 429" in out and "installation not permitted" in out and "expired before" in out
    listed = {line.split()[0] for line in out.splitlines()[2:]}
    assert listed == {str(ids[s]) for s in ("pending", "failed", "waiting", "dead", "expired")}
    assert SECRET not in out and "Amelia" not in out


def test_retry_requeues_a_dead_row_only(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = asyncio.run(_prepare(url))
    assert main(["outbox", "retry", str(ids["dead"])]) == 0
    row = asyncio.run(_row(url, ids["dead"]))
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.next_attempt_at <= utcnow() + dt.timedelta(seconds=1)
    # Not dead (any more), or no such row: refused, nothing changes.
    assert main(["outbox", "retry", str(ids["dead"])]) == 1
    assert main(["outbox", "retry", str(ids["sent"])]) == 1
    assert main(["outbox", "retry", "999999"]) == 1
    assert asyncio.run(_row(url, ids["sent"])).status == "sent"
    assert "no dead-lettered notification" in capsys.readouterr().err


def test_an_empty_outbox_says_so(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outbox", "--limit", "5"]) == 0
    assert "nothing pending, waiting, failing, dead or expired" in capsys.readouterr().out
