"""Morning reminders: planned into the outbox, delivered through the seam to the fake connector over HTTP.

The demo school: Alex Wilber is the SENCO (and teaches Year 3), Ellie Brooks and Adele Vance teach
Year 4, Patti Fernandez and Grace Okafor Year 1; Chris Lee is a TA in Years 3 and 4 (no cards).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select, update

from bot.jobs.outbox import DispatchConfig, OutboxDispatcher
from bot.jobs.reminders import ReminderPlanner, period_key, school_days_ahead, stage_of
from bot.server.http import SEAM_KEY
from cards import texts
from storage.models import (
    AuditEvent,
    ConversationRef,
    Outbox,
    ReminderSent,
    ReminderStage,
    Review,
    School,
    Staff,
)
from storage.queries.reminders import close_school
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.clock import FakeClock
from tests.support.reminders import (
    MONDAY,
    add_referral,
    add_review,
    at,
    card_text,
    pupil_in,
    world,
)

TUESDAY = MONDAY + dt.timedelta(days=1)
SATURDAY = MONDAY + dt.timedelta(days=5)


async def plan(bot: BotUnderTest, when: dt.datetime) -> int:
    return (await ReminderPlanner(bot.sessions, FakeClock(when)).run()).cards


async def deliver(bot: BotUnderTest, when: dt.datetime) -> dict[int, str]:
    """Dispatch everything due and return recipient → card text of what reached the connector."""
    clock = FakeClock(when)
    before = len(bot.connector.messages())
    await OutboxDispatcher(
        bot.sessions, bot.app[SEAM_KEY], clock, DispatchConfig(), sleep=clock.sleep
    ).drain()
    async with bot.sessions() as session:
        owner = dict(
            (await session.execute(select(ConversationRef.conversation_id, ConversationRef.staff_id))).all()
        )
    got: dict[int, str] = {}
    for message in bot.connector.messages()[before:]:
        recipient = owner[message.path.split("/")[3]]
        assert recipient not in got, "two reminder cards to one person in one run"
        got[recipient] = card_text(message.cards[0])
    return got


async def test_stages_and_who_gets_what(bot: BotUnderTest) -> None:
    w = await world(bot)
    assert await plan(bot, at(MONDAY, 7, 45)) == 5
    got = await deliver(bot, at(MONDAY, 7, 46))
    s = w.staff
    assert set(got) == {
        s["Alex Wilber"],
        s["Ellie Brooks"],
        s["Adele Vance"],
        s["Patti Fernandez"],
        s["Grace Okafor"],
    }
    senco = got[s["Alex Wilber"]]
    assert texts.REMINDER_SENCO_TITLE in senco
    assert texts.REMINDER_OVERDUE.format(count=1) in senco
    assert texts.REMINDER_DUE_TODAY.format(count=1) in senco
    assert texts.REMINDER_DUE_SOON.format(days=10, count=1) in senco
    for name in (w.overdue, w.today, w.soon):
        assert name in senco
    for name in (w.later, w.held):
        assert name not in senco
    # Teachers see only their own pupils.
    for teacher in ("Ellie Brooks", "Adele Vance"):
        card = got[s[teacher]]
        assert texts.REMINDER_TEACHER_TITLE in card and w.overdue in card
        assert w.today not in card and w.soon not in card
    for teacher in ("Patti Fernandez", "Grace Okafor"):
        card = got[s[teacher]]
        assert w.soon in card and w.overdue not in card and w.today not in card
    async with bot.sessions() as session:
        rows = (await session.execute(select(Outbox))).scalars().all()
        assert {r.period_key for r in rows} == {period_key(i, MONDAY) for i in got}
        assert all(r.status == "sent" and r.kind == "reminders" for r in rows)
        # SENCO: 3 reviews; Year 4 teachers: 1 each; Year 1 teachers: 1 each.
        assert await session.scalar(select(func.count()).select_from(ReminderSent)) == 7
        audits = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "reminder_planned"))
        ).scalars()
        assert {a.entity_id for a in audits} == {period_key(i, MONDAY) for i in got}


async def test_nothing_repeats_and_only_new_stages_are_sent(bot: BotUnderTest) -> None:
    w = await world(bot)
    await plan(bot, at(MONDAY, 7, 45))
    await deliver(bot, at(MONDAY, 7, 46))
    # Later the same day: nothing new, nothing planned (ticks every few minutes are harmless).
    assert await plan(bot, at(MONDAY, 7, 50)) == 0
    assert await plan(bot, at(MONDAY, 16, 0)) == 0
    # Tuesday: the review due Monday is now overdue (a new stage) → the SENCO hears, once; the Year 3
    # teacher is the SENCO. Nobody else has anything new.
    assert await plan(bot, at(TUESDAY, 7, 31)) == 1
    got = await deliver(bot, at(TUESDAY, 7, 32))
    assert set(got) == {w.staff["Alex Wilber"]}
    assert texts.REMINDER_OVERDUE.format(count=2) in got[w.staff["Alex Wilber"]]
    assert texts.REMINDER_NEW in got[w.staff["Alex Wilber"]]
    assert await plan(bot, at(TUESDAY, 9, 0)) == 0
    assert await plan(bot, at(TUESDAY + dt.timedelta(days=1), 7, 31)) == 0
    assert await deliver(bot, at(TUESDAY + dt.timedelta(days=1), 8, 0)) == {}


async def test_nothing_before_reminder_time_on_weekends_or_closures(bot: BotUnderTest) -> None:
    await world(bot)
    assert await plan(bot, at(MONDAY, 7, 29)) == 0
    assert await plan(bot, at(SATURDAY, 9, 0)) == 0
    assert await plan(bot, at(SATURDAY + dt.timedelta(days=1), 9, 0)) == 0
    async with bot.sessions.begin() as session:
        school_id = await session.scalar(select(School.id))
        assert school_id is not None
        await close_school(session, school_id, [MONDAY, TUESDAY])
    assert await plan(bot, at(MONDAY, 9, 0)) == 0
    assert await plan(bot, at(TUESDAY, 9, 0)) == 0
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Outbox)) == 0
    assert await plan(bot, at(TUESDAY + dt.timedelta(days=1), 7, 30)) == 5


async def test_the_school_sets_its_reminder_time_in_its_own_zone(bot: BotUnderTest) -> None:
    await world(bot)
    async with bot.sessions.begin() as session:
        await session.execute(update(School).values(reminder_time=dt.time(9, 0), time_zone="Asia/Dubai"))
    # 05:30 UTC is 09:30 in Dubai (UTC+4): after the school's 09:00.
    assert await plan(bot, at(MONDAY, 4, 59)) == 0
    assert await plan(bot, at(MONDAY, 5, 30)) == 5


async def test_a_missed_morning_is_caught_up_later_and_on_the_next_day(bot: BotUnderTest) -> None:
    w = await world(bot)
    # Down all of Monday: Tuesday's first tick plans everything, at Tuesday's stages.
    assert await plan(bot, at(TUESDAY, 11, 17)) == 5
    got = await deliver(bot, at(TUESDAY, 11, 18))
    senco = got[w.staff["Alex Wilber"]]
    assert texts.REMINDER_OVERDUE.format(count=2) in senco and w.today in senco
    async with bot.sessions() as session:
        stages = Counter(
            (
                await session.execute(
                    select(ReminderSent.stage).where(ReminderSent.subject_id == w.review_today)
                )
            )
            .scalars()
            .all()
        )
    assert stages == {ReminderStage.OVERDUE.value: 1}


async def test_an_item_added_after_todays_card_waits_for_the_next_school_day(bot: BotUnderTest) -> None:
    w = await world(bot)
    await plan(bot, at(MONDAY, 7, 45))
    await deliver(bot, at(MONDAY, 7, 46))
    y6 = await pupil_in(bot.sessions, "Year 6 Eagles")
    await add_review(bot.sessions, y6.id, MONDAY + dt.timedelta(days=2))
    # The SENCO already had today's card; Nadia Rahman (Year 6) had none and gets hers now.
    assert await plan(bot, at(MONDAY, 12, 0)) == 1
    got = await deliver(bot, at(MONDAY, 12, 1))
    assert set(got) == {w.staff["Nadia Rahman"]} and y6.display_name in got[w.staff["Nadia Rahman"]]
    assert await plan(bot, at(TUESDAY, 7, 45)) == 1
    got = await deliver(bot, at(TUESDAY, 7, 46))
    assert set(got) == {w.staff["Alex Wilber"]} and y6.display_name in got[w.staff["Alex Wilber"]]


async def test_a_moved_review_is_announced_again(bot: BotUnderTest) -> None:
    w = await world(bot)
    await plan(bot, at(MONDAY, 7, 45))
    async with bot.sessions.begin() as session:
        await session.execute(
            update(Review).where(Review.id == w.review_today).values(due_on=MONDAY + dt.timedelta(days=3))
        )
    assert await plan(bot, at(TUESDAY, 7, 45)) == 1  # the SENCO (Year 3 teacher too): due soon again


async def test_stalled_referrals_reach_the_senco_only(bot: BotUnderTest) -> None:
    w = await world(bot)
    pupil = await pupil_in(bot.sessions, "Year 4 Falcons", 1)
    long_ago = at(MONDAY, 9) - dt.timedelta(weeks=7)
    stalled = await add_referral(
        bot.sessions, pupil.id, w.staff["Ellie Brooks"], status="sent", updated_at=long_ago, key="r1"
    )
    await add_referral(
        bot.sessions,
        pupil.id,
        w.staff["Ellie Brooks"],
        status="sent",
        updated_at=at(MONDAY, 9) - dt.timedelta(weeks=2),
        key="r2",
    )
    await add_referral(
        bot.sessions, pupil.id, w.staff["Ellie Brooks"], status="closed", updated_at=long_ago, key="r3"
    )
    await plan(bot, at(MONDAY, 7, 45))
    got = await deliver(bot, at(MONDAY, 7, 46))
    senco = got[w.staff["Alex Wilber"]]
    assert texts.REMINDER_STALLED.format(weeks=6, count=1) in senco and pupil.display_name in senco
    assert pupil.display_name not in got[w.staff["Ellie Brooks"]]
    async with bot.sessions() as session:
        kinds = (
            (
                await session.execute(
                    select(ReminderSent.subject_id).where(ReminderSent.subject_kind == "referral")
                )
            )
            .scalars()
            .all()
        )
    assert kinds == [stalled]
    # Not repeated the next day; announced again only once it moves and stalls again.
    assert await plan(bot, at(TUESDAY, 7, 45)) == 1  # (the Monday review's new overdue stage)
    async with bot.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(ReminderSent).where(ReminderSent.subject_kind == "referral")
            )
            == 1
        )


def test_school_days_skip_weekends_and_closures() -> None:
    assert school_days_ahead(MONDAY, 10, set()) == MONDAY + dt.timedelta(days=14)
    assert school_days_ahead(MONDAY, 1, set()) == TUESDAY
    assert school_days_ahead(MONDAY - dt.timedelta(days=3), 1, set()) == MONDAY  # Friday → Monday
    closed = {TUESDAY, TUESDAY + dt.timedelta(days=1)}
    assert school_days_ahead(MONDAY, 1, closed) == TUESDAY + dt.timedelta(days=2)
    assert school_days_ahead(MONDAY, 10, closed) == MONDAY + dt.timedelta(days=16)


def test_stages() -> None:
    assert stage_of(MONDAY - dt.timedelta(days=1), MONDAY) is ReminderStage.OVERDUE
    assert stage_of(MONDAY, MONDAY) is ReminderStage.DUE_TODAY
    assert stage_of(TUESDAY, MONDAY) is ReminderStage.DUE_SOON


async def test_an_unreachable_teacher_is_skipped_and_caught_up_when_back(bot: BotUnderTest) -> None:
    w = await world(bot)
    ellie = w.staff["Ellie Brooks"]
    async with bot.sessions.begin() as session:
        await session.execute(update(Staff).where(Staff.id == ellie).values(unreachable_since=at(MONDAY, 1)))
    await plan(bot, at(MONDAY, 7, 45))
    got = await deliver(bot, at(MONDAY, 7, 46))
    assert ellie not in got and w.staff["Adele Vance"] in got
    # Ellie opens the bot again (her message clears the mark): the next morning brings her card.
    await bot.post(act.message("help", bot.service_url, user=act.TEACHER))
    bot.connector.sent.clear()
    assert await plan(bot, at(TUESDAY, 7, 45)) == 2  # Ellie, and the SENCO's new overdue stage
    got = await deliver(bot, at(TUESDAY, 7, 46))
    assert w.overdue in got[ellie]


async def test_one_schools_failure_does_not_hold_back_the_others(
    bot: BotUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    await world(bot)
    async with bot.sessions.begin() as session:
        # A school planned first, whose planning fails.
        session.add(School(id=0, tenant_id="t2", name="Other", urn="999002", time_zone="Europe/London"))

    planner = ReminderPlanner(bot.sessions, FakeClock(at(MONDAY, 7, 45)))
    real = planner._plan_school
    calls: list[int] = []

    async def flaky(session, school, today, now, report):  # type: ignore[no-untyped-def]
        calls.append(school.id)
        if school.tenant_id == "t2":
            raise RuntimeError("Amelia Smith")
        await real(session, school, today, now, report)

    planner._plan_school = flaky  # type: ignore[method-assign]
    report = await planner.run()
    assert calls[0] == 0  # the failing school came first
    assert (report.schools_failed, report.schools_planned, report.cards) == (1, 1, 5)
    logged = capsys.readouterr()
    assert "reminders_school_failed" in logged.out + logged.err
    assert "Amelia Smith" not in logged.out + logged.err  # the error's type is logged, not its text
