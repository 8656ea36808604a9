"""Exactly-once under concurrency and crashes, on PostgreSQL (FOR UPDATE SKIP LOCKED, leases).

Three planners and two dispatchers on separate engines at once; a dispatcher in a real subprocess killed
with SIGKILL mid-batch, whose rows another dispatcher delivers once its lease has expired; three
dispatcher processes keeping one send rate per tenant between them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks import outbox_rate
from bot.jobs.outbox import DispatchConfig, OutboxDispatcher
from bot.jobs.reminders import ReminderPlanner
from bot.server.http import SEAM_KEY
from storage import db
from storage.models import Outbox, ReminderSent, utcnow
from storage.queries.outbox import enqueue, message_payload
from tests.conftest import PG_URL, BotUnderTest
from tests.support import dispatch_worker
from tests.support.clock import FakeClock
from tests.support.reminders import (
    MONDAY,
    add_review,
    at,
    conversation_of,
    give_everyone_a_conversation,
    pupil_in,
    staff_by_name,
)

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
ROOT = Path(__file__).resolve().parents[2]
CLASSES = (
    "Reception Robins",
    "Year 1 Wrens",
    "Year 2 Owls",
    "Year 3 Kestrels",
    "Year 4 Falcons",
    "Year 5 Herons",
    "Year 6 Eagles",
)


@pytest.fixture
def database_url(pg_migrated: str) -> str:
    return pg_migrated


async def test_three_planners_and_two_dispatchers_send_every_reminder_once(bot: BotUnderTest) -> None:
    staff = await staff_by_name(bot.sessions)
    await give_everyone_a_conversation(bot.sessions, bot.service_url)
    for n, name in enumerate(CLASSES):
        for k in range(3):
            pupil = await pupil_in(bot.sessions, name, k)
            await add_review(bot.sessions, pupil.id, MONDAY + dt.timedelta(days=n + k - 3))
    bot.connector.sent.clear()

    engines = [db.create_engine(bot.settings.database_url) for _ in range(5)]
    try:
        sessions = [db.session_factory(e) for e in engines]
        clock = FakeClock(at(MONDAY, 7, 45))
        planners = [ReminderPlanner(s, clock) for s in sessions[:3]]
        dispatchers = [
            OutboxDispatcher(s, bot.app[SEAM_KEY], clock, DispatchConfig(batch_size=3), sleep=clock.sleep)
            for s in sessions[3:]
        ]
        for _ in range(3):
            await asyncio.gather(*(p.run() for p in planners), *(d.drain() for d in dispatchers))
        await asyncio.gather(*(d.drain() for d in dispatchers))
    finally:
        for e in engines:
            await e.dispose()

    # Every teacher of a class (Alex Wilber as SENCO) gets exactly one card.
    expected = {
        staff[n]
        for n in (
            "Alex Wilber",
            "Tom Hughes",
            "Patti Fernandez",
            "Grace Okafor",
            "Sam Patel",
            "Adele Vance",
            "Ellie Brooks",
            "Ben Carter",
            "Nadia Rahman",
        )
    }
    received = Counter(conversation_of(m.path) for m in bot.connector.messages())
    assert received == dict.fromkeys(expected, 1)
    async with bot.sessions() as session:
        rows = (await session.execute(select(Outbox.status, Outbox.attempts))).all()
        assert sorted(rows) == [("sent", 1)] * len(expected)
        # SENCO: 21 reviews; each of 8 other teachers: their class's 3 (Year 1 and Year 4 have two each).
        assert await session.scalar(select(func.count()).select_from(ReminderSent)) == 21 + 3 * 8


async def queue_many(sessions: async_sessionmaker[AsyncSession], recipients: list[int], n: int) -> None:
    async with sessions.begin() as session:
        for i in range(n):
            await enqueue(
                session,
                kind="test",
                period_key=f"k:{i}",
                recipient_id=recipients[i % len(recipients)],
                payload=message_payload(text=f"n={i}"),
                now=utcnow() - dt.timedelta(seconds=1),
            )


async def test_two_dispatchers_share_a_backlog_without_sending_twice(bot: BotUnderTest) -> None:
    staff = sorted((await staff_by_name(bot.sessions)).values())
    await give_everyone_a_conversation(bot.sessions, bot.service_url)
    await queue_many(bot.sessions, staff, 120)
    bot.connector.sent.clear()
    engines = [db.create_engine(bot.settings.database_url) for _ in range(2)]
    try:
        clock = FakeClock(utcnow())
        workers = [
            OutboxDispatcher(
                db.session_factory(e),
                bot.app[SEAM_KEY],
                clock,
                DispatchConfig(batch_size=10, concurrency=4, rate_per_tenant=50),
                sleep=clock.sleep,
            )
            for e in engines
        ]
        reports = await asyncio.gather(*(w.drain() for w in workers))
    finally:
        for e in engines:
            await e.dispose()
    texts = Counter(m.text for m in bot.connector.messages())
    assert texts == {f"n={i}": 1 for i in range(120)}
    assert sum(r.sent for r in reports) == 120 and all(r.sent > 0 for r in reports)


async def test_a_dispatcher_killed_mid_batch_loses_nothing(bot: BotUnderTest) -> None:
    staff = sorted((await staff_by_name(bot.sessions)).values())
    await give_everyone_a_conversation(bot.sessions, bot.service_url)
    total = 30
    await queue_many(bot.sessions, staff, total)
    bot.connector.sent.clear()
    bot.connector.delay = 0.25  # each send takes a while, so the kill lands mid-batch

    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.dispatch_worker",
        bot.settings.database_url,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        for _ in range(600):  # waiting on another process: poll, at most 30 s
            async with bot.sessions() as session:
                done = await session.scalar(
                    select(func.count()).select_from(Outbox).where(Outbox.status == "sent")
                )
            if done is not None and done >= 6:
                break
            await asyncio.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        assert await asyncio.wait_for(worker.wait(), 10) == -signal.SIGKILL
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    killed_at = utcnow()
    bot.connector.delay = 0.0

    async with bot.sessions() as session:
        rows = (await session.execute(select(Outbox.period_key, Outbox.status, Outbox.payload))).all()
    sent_before = {r.payload["text"] for r in rows if r.status == "sent"}
    held = {r.payload["text"] for r in rows if r.status == "sending"}
    assert len(sent_before) >= 6 and held, "the kill must land mid-batch"
    assert len(sent_before) + len(held) == total  # the dead worker had claimed the whole batch
    reached = Counter(m.text for m in bot.connector.messages())
    in_flight = {t for t in held if reached[t]}
    assert len(in_flight) <= dispatch_worker.CONCURRENCY

    # While the dead worker's lease lasts, nobody takes its rows...
    clock = FakeClock(killed_at)
    rescuer = OutboxDispatcher(bot.sessions, bot.app[SEAM_KEY], clock, sleep=clock.sleep)
    assert (await rescuer.run_once()).claimed == 0
    # ...and once it has expired, another dispatcher delivers the rest.
    clock.advance(dispatch_worker.LEASE_SECONDS + 1)
    report = await rescuer.drain()
    assert report.sent == len(held)

    delivered = Counter(m.text for m in bot.connector.messages())
    assert set(delivered) == {f"n={i}" for i in range(total)}  # nothing lost
    for text in sent_before:
        assert delivered[text] == 1  # nothing already sent is sent again
    twice = {t for t, count in delivered.items() if count > 1}
    assert twice <= in_flight  # only what was in flight at the kill may arrive twice
    async with bot.sessions() as session:
        statuses = Counter((await session.execute(select(Outbox.status))).scalars())
    assert statuses == {"sent": total}


async def test_three_replicas_share_one_rate_per_tenant(bot: BotUnderTest) -> None:
    # Three dispatcher processes at a cap of 5 a second: a cap per replica would send 15 in a second.
    measured = await outbox_rate.measure(bot.settings.database_url, replicas=3, rate=5, per_tenant=15)
    assert measured.sent == 30 and measured.once
    assert max(measured.busiest.values()) <= 5, measured.busiest
    # Each tenant has its own budget: both are sent in about 3 s, not the 6 of one budget for both.
    assert measured.seconds < 5
