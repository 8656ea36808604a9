"""The scheduled digest: due at the school's day and time, exactly once per recipient per week across
reruns, restarts and two planners at once (two engines: two processes' worth of connections)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.jobs.digest_planner import plan_weekly_digests
from cards import texts
from storage import db
from storage.models import Outbox, School
from tests.support import digest_fixture as dfx
from tests.support.cards import card_texts

UTC = dt.UTC
# Monday 19 January 2026: London is on UTC in winter.
BEFORE = dt.datetime(2026, 1, 19, 6, 59, tzinfo=UTC)
AT_SEVEN = dt.datetime(2026, 1, 19, 7, 0, tzinfo=UTC)
WEDNESDAY = dt.datetime(2026, 1, 21, 15, 0, tzinfo=UTC)


async def seeded(sessions: async_sessionmaker[AsyncSession]) -> dfx.DigestFixture:
    async with sessions.begin() as session:
        return await dfx.seed_digest_fixture(session)


async def outbox(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Outbox]:
    async with sessions() as session:
        return {o.period_key: o for o in (await session.execute(select(Outbox))).scalars()}


def key(staff_id: int, week: str = "2026-W03") -> str:
    return f"weekly_digest:{staff_id}:{week}"


async def test_due_at_seven_on_monday_then_exactly_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    fx = await seeded(sessions)
    assert await plan_weekly_digests(sessions, BEFORE) == 0
    assert await outbox(sessions) == {}
    assert await plan_weekly_digests(sessions, AT_SEVEN) == 4
    rows = await outbox(sessions)
    s = fx.staff
    # Heads of both schools, Elm's opted-in governor, and the trust lead; not the SENCO or the teacher.
    assert set(rows) == {key(s["head"]), key(s["governor"]), key(s["lead"]), key(s["birch_head"])}
    assert {r.recipient_id for r in rows.values()} == {s["head"], s["governor"], s["lead"], s["birch_head"]}
    assert all(r.kind == "weekly_digest" and r.status == "pending" for r in rows.values())
    # Later ticks the same week add nothing.
    for minutes in (1, 60, 60 * 24 * 3):
        assert await plan_weekly_digests(sessions, AT_SEVEN + dt.timedelta(minutes=minutes)) == 0
    assert set(await outbox(sessions)) == set(rows)
    # Next Monday: the next week's digest.
    assert await plan_weekly_digests(sessions, AT_SEVEN + dt.timedelta(weeks=1)) == 4
    assert key(s["head"], "2026-W04") in await outbox(sessions)


async def test_cards_follow_the_recipients_role(sessions: async_sessionmaker[AsyncSession]) -> None:
    fx = await seeded(sessions)
    await plan_weekly_digests(sessions, AT_SEVEN)
    rows = await outbox(sessions)
    head = card_texts(rows[key(fx.staff["head"])].payload["card"])
    assert texts.DIGEST_REGISTER_TOTAL.format(k=4, e=2) in head
    assert re.findall(r"Pupil\d Elm", head) == ["Pupil1 Elm", "Pupil3 Elm"]
    governor = card_texts(rows[key(fx.staff["governor"])].payload["card"])
    assert texts.DIGEST_REGISTER_TOTAL.format(k=4, e=2) in governor
    assert texts.DIGEST_MONEY not in governor and not re.findall(r"Pupil\d Elm", governor)
    lead = card_texts(rows[key(fx.staff["lead"])].payload["card"])
    assert texts.DIGEST_TRUST_TITLE in lead and "Birch Academy" in lead
    assert not re.findall(r"Pupil\d \w+", lead)
    birch = card_texts(rows[key(fx.staff["birch_head"])].payload["card"])
    assert texts.DIGEST_TITLE.format(school="Birch Academy") in birch


async def test_exactly_once_after_a_restart(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await seeded(sessions)
    assert await plan_weekly_digests(sessions, AT_SEVEN) == 4
    # A new process: a fresh engine and session factory on the same database.
    engine = db.create_engine(database_url)
    try:
        restarted = db.session_factory(engine)
        assert await plan_weekly_digests(restarted, AT_SEVEN + dt.timedelta(minutes=5)) == 0
    finally:
        await engine.dispose()
    assert len(await outbox(sessions)) == 4


async def test_two_planners_at_once_enqueue_each_digest_once(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await seeded(sessions)
    engines = [db.create_engine(database_url) for _ in range(2)]
    try:
        factories = [db.session_factory(e) for e in engines]
        for round_ in range(3):
            now = AT_SEVEN + dt.timedelta(weeks=round_)
            created = await asyncio.gather(*(plan_weekly_digests(f, now) for f in factories))
            assert sum(created) == 4, (round_, created)
    finally:
        for e in engines:
            await e.dispose()
    rows = await outbox(sessions)
    assert len(rows) == 12
    async with sessions() as session:
        per_key = await session.execute(select(Outbox.period_key, func.count()).group_by(Outbox.period_key))
        assert {n for _, n in per_key} == {1}


async def test_catch_up_when_the_replica_was_down_at_seven(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    fx = await seeded(sessions)
    assert await plan_weekly_digests(sessions, WEDNESDAY) == 4
    assert key(fx.staff["head"]) in await outbox(sessions)


async def test_each_school_has_its_own_day_time_and_zone(sessions: async_sessionmaker[AsyncSession]) -> None:
    fx = await seeded(sessions)
    async with sessions.begin() as session:
        await session.execute(
            update(School).where(School.id == fx.birch).values(digest_weekday=3, digest_time=dt.time(18, 0))
        )
        await session.execute(update(School).where(School.id == fx.elm).values(time_zone="America/New_York"))
    # Monday 07:00 UTC is 02:00 in New York, and Birch waits for Wednesday 18:00.
    assert await plan_weekly_digests(sessions, AT_SEVEN) == 0
    # Monday 12:00 UTC is 07:00 in New York: Elm's head, governor and the trust lead (on Elm's schedule).
    assert await plan_weekly_digests(sessions, dt.datetime(2026, 1, 19, 12, 0, tzinfo=UTC)) == 3
    assert await plan_weekly_digests(sessions, dt.datetime(2026, 1, 21, 17, 59, tzinfo=UTC)) == 0
    assert await plan_weekly_digests(sessions, dt.datetime(2026, 1, 21, 18, 0, tzinfo=UTC)) == 1
    assert key(fx.staff["birch_head"]) in await outbox(sessions)


async def test_no_schools_due_means_no_work(sessions: async_sessionmaker[AsyncSession]) -> None:
    assert await plan_weekly_digests(sessions, AT_SEVEN) == 0
