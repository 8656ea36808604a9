"""Overdue duties to parents reach the SENCO's morning card (once each), and only the SENCO's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from cards import texts
from storage.models import ParentTaskKind, ReminderSent
from storage.queries import parents
from tests.conftest import BotUnderTest
from tests.support.reminders import MONDAY, at, pupil_in, world
from tests.wire.test_reminders import TUESDAY, deliver, plan


async def add_task(bot: BotUnderTest, pupil_id: int, created: dt.date, source_id: int) -> None:
    async with bot.sessions.begin() as s:
        assert await parents.add_task(
            s,
            pupil_id=pupil_id,
            kind=ParentTaskKind.INFORM_SEN_SUPPORT,
            source_entity="register_entry",
            source_id=source_id,
            today=created,
            now=at(created, 9),
        )


async def test_overdue_parent_tasks_reach_the_senco_once(bot: BotUnderTest) -> None:
    w = await world(bot)
    late = await pupil_in(bot.sessions, "Year 4 Falcons", 1)
    fresh = await pupil_in(bot.sessions, "Year 4 Falcons", 2)
    await add_task(bot, late.id, MONDAY - dt.timedelta(days=15), 1)  # due last Sunday: overdue
    await add_task(bot, fresh.id, MONDAY - dt.timedelta(days=3), 2)  # due in 11 days
    await plan(bot, at(MONDAY, 7, 45))
    got = await deliver(bot, at(MONDAY, 7, 46))
    senco = got[w.staff["Alex Wilber"]]
    assert texts.REMINDER_PARENTS.format(count=1) in senco
    assert late.display_name in senco and fresh.display_name not in senco
    line = texts.REMINDER_PARENT_LINE.format(
        what=texts.PARENT_TASK_WORDS["inform_sen_support"], due="Sun 29 Nov 2026", new=texts.REMINDER_NEW
    )
    assert line in senco
    for teacher in ("Ellie Brooks", "Adele Vance"):
        assert late.display_name not in got[w.staff[teacher]]
    async with bot.sessions() as s:
        told = await s.scalar(
            select(func.count()).select_from(ReminderSent).where(ReminderSent.subject_kind == "parent_task")
        )
    assert told == 1
    # Tuesday: the SENCO's card (a review turned overdue) still lists the duty, no longer as new, and
    # it is not announced again.
    await plan(bot, at(TUESDAY, 7, 45))
    senco = (await deliver(bot, at(TUESDAY, 7, 46)))[w.staff["Alex Wilber"]]
    assert late.display_name in senco and line not in senco
    assert line.replace(texts.REMINDER_NEW, "") in senco
    async with bot.sessions() as s:
        told = await s.scalar(
            select(func.count()).select_from(ReminderSent).where(ReminderSent.subject_kind == "parent_task")
        )
    assert told == 1


async def test_the_heads_digest_counts_overdue_duties_to_parents(bot: BotUnderTest) -> None:
    from cards.digest import digest_card
    from storage.models import Pupil
    from storage.queries import digest as q
    from storage.scope import PupilScope
    from tests.support.reminders import card_text

    late = await pupil_in(bot.sessions, "Year 4 Falcons", 1)
    done_late = await pupil_in(bot.sessions, "Year 4 Falcons", 2)
    fresh = await pupil_in(bot.sessions, "Year 3 Kestrels", 0)
    await add_task(bot, late.id, MONDAY - dt.timedelta(days=20), 1)
    await add_task(bot, done_late.id, MONDAY - dt.timedelta(days=20), 2)
    await add_task(bot, fresh.id, MONDAY - dt.timedelta(days=2), 3)
    async with bot.sessions.begin() as s:
        [task] = [t for t in await parents.pupil_tasks(s, done_late.id)]
        # Done after the week in question: still overdue at that week's end.
        assert await parents.mark_done(
            s, task_id=task.id, done_at=MONDAY + dt.timedelta(days=8), how="phone", by=1, now=at(MONDAY, 9)
        )
        school_id = await s.scalar(select(Pupil.school_id).where(Pupil.id == late.id))
        assert school_id is not None
        week = q.IsoWeek.containing(MONDAY)
        d = await q.school_digest(s, PupilScope(school_id, 1, True), week, as_of=MONDAY)
        later = await q.school_digest(s, PupilScope(school_id, 1, True), week.shifted(2), as_of=MONDAY)
    assert d.parent_tasks_overdue == 2
    assert later.parent_tasks_overdue == 2  # late still open; fresh now overdue; done_late done
    text = card_text(digest_card(d, as_of=MONDAY))
    assert texts.DIGEST_PARENT_TASKS_OVERDUE in text
