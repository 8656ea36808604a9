"""EHC needs assessment requests through real HTTP: recording a request and each step, deadlines at 6, 16
and 20 weeks, the morning reminders of deadlines and threshold crossings exactly once (time injected),
issuing the plan moving the register to E, and every refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.jobs.outbox import DispatchConfig, OutboxDispatcher
from bot.jobs.reminders import ReminderPlanner
from bot.server.http import SEAM_KEY
from cards import texts
from cards.common import day
from cards.verbs import Verb
from storage.models import (
    Attendance,
    ConversationRef,
    EhcnaRequest,
    EhcPlan,
    InterventionSession,
    ProvisionType,
    RegisterEntry,
    ReminderSent,
    Review,
    School,
    Staff,
)
from storage.queries.ehcna import annual_review_due
from tests.conftest import BotUnderTest, Clock
from tests.support import activities as act
from tests.support.clock import FakeClock
from tests.support.reminders import at, card_text
from tests.support.sen import actions, audited, card_texts, inputs, pupil_with_status, refusals

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
SENT = dt.date(2026, 11, 2)


async def say(bot: BotUnderTest, text: str, user: act.User = act.SENCO) -> dict[str, Any]:
    status, _ = await bot.post(act.message(text, bot.service_url, user=user))
    assert status == 201
    return [r for r in bot.connector.sent if r.cards][-1].cards[0]


async def press(bot: BotUnderTest, data: dict[str, Any], user: act.User = act.SENCO) -> dict[str, Any]:
    status, _ = await bot.post(act.submit(data, bot.service_url, user=user))
    assert status == 201
    return [r for r in bot.connector.sent if r.cards][-1].cards[0]


async def open_card(bot: BotUnderTest, pupil_id: int, user: act.User = act.SENCO) -> dict[str, Any]:
    return await press(bot, {"verb": Verb.EHCNA_SHOW.value, "pupil_id": pupil_id}, user=user)


async def form(bot: BotUnderTest, pupil_id: int, verb: Verb) -> dict[str, Any]:
    card = await open_card(bot, pupil_id)
    [data] = actions(card, verb.value)
    return {**inputs(card), **data}


async def request_for(bot: BotUnderTest, pupil_id: int, **values: Any) -> dict[str, Any]:
    data = await form(bot, pupil_id, Verb.EHCNA_RECORD)
    return await press(bot, {**data, "requested_on": SENT.isoformat(), "la": "Kent County Council", **values})


async def step(bot: BotUnderTest, pupil_id: int, name: str, on: dt.date, reason: str = "") -> dict[str, Any]:
    data = await form(bot, pupil_id, Verb.EHCNA_STEP)
    return await press(bot, {**data, "step": name, "on": on.isoformat(), "step_reason": reason})


async def requests(bot: BotUnderTest) -> list[EhcnaRequest]:
    async with bot.sessions() as s:
        return list((await s.execute(select(EhcnaRequest).order_by(EhcnaRequest.id))).scalars())


async def test_a_request_and_each_step_to_the_final_plan(bot: BotUnderTest, clock: Clock) -> None:
    clock.at = NOW
    pupil = await pupil_with_status(bot, "K")
    card = await say(bot, "ehcna")
    assert texts.EHCNA_LIST_EMPTY in card_texts(card)
    card = await request_for(bot, pupil.id, requested_by="parent", evidence="true")
    body = card_texts(card)
    assert texts.EHCNA_RECORDED in body
    # The three deadlines from the date sent: 6, 16 and 20 weeks.
    for weeks in (6, 16, 20):
        assert day(SENT + dt.timedelta(weeks=weeks)) in body
    [row] = await requests(bot)
    assert (row.status, row.requested_by, row.evidence_attached, row.local_authority) == (
        "requested",
        "parent",
        True,
        "Kent County Council",
    )
    # A second request while one is open shows the open one; a replayed submit records once.
    card = await say(bot, "ehcna")
    assert pupil.given_name in card_texts(card)
    assert texts.EHCNA_DEADLINE_WORDS["decide"] in card_texts(card)

    card = await step(bot, pupil.id, "assess", dt.date(2026, 11, 9))
    assert texts.EHCNA_STEP_SAVED in card_texts(card)
    await step(bot, pupil.id, "assessed", dt.date(2026, 11, 16))
    await step(bot, pupil.id, "draft", dt.date(2026, 11, 20))
    card = await open_card(bot, pupil.id)
    assert day(dt.date(2026, 12, 5)) in card_texts(card)  # parents' 15 days to comment
    issued = dt.date(2026, 11, 24)
    card = await step(bot, pupil.id, "issued", issued)
    review_due = annual_review_due(issued, pupil.date_of_birth)
    assert texts.EHCNA_ISSUED_SAVED.format(date=day(issued), review=day(review_due)) in card_texts(card)
    [row] = await requests(bot)
    assert (row.status, row.decided_on, row.final_on, row.version) == (
        "issued",
        dt.date(2026, 11, 9),
        issued,
        5,
    )
    async with bot.sessions() as s:
        [plan] = (await s.execute(select(EhcPlan).where(EhcPlan.pupil_id == pupil.id))).scalars()
        entries = list(
            (
                await s.execute(
                    select(RegisterEntry).where(RegisterEntry.pupil_id == pupil.id).order_by(RegisterEntry.id)
                )
            ).scalars()
        )
        reviews = list((await s.execute(select(Review).where(Review.pupil_id == pupil.id))).scalars())
    assert plan.issued_on == issued and plan.request_id == row.id
    assert [(e.status, e.started_on, e.ended_on) for e in entries][-1] == ("E", issued, None)
    assert entries[-2].ended_on == issued and entries[-1].need_rank1 == entries[-2].need_rank1
    assert [(r.due_on, r.held_on) for r in reviews] == [(review_due, None)]
    born = pupil.date_of_birth
    under_five = (issued.year - born.year - ((issued.month, issued.day) < (born.month, born.day))) < 5
    assert review_due == (dt.date(2027, 5, 24) if under_five else dt.date(2027, 11, 24))
    # Closed: no step form any more.
    assert not actions(await open_card(bot, pupil.id), Verb.EHCNA_STEP.value)
    kinds = [e.action for e in await audited(bot, "ehcna_issued")]
    assert kinds == ["ehcna_issued"] and len(await audited(bot, "ehc_plan_recorded")) == 1


async def test_refusal_withdrawal_and_bad_input_change_nothing(bot: BotUnderTest, clock: Clock) -> None:
    clock.at = NOW
    pupil = await pupil_with_status(bot, "K")
    data = await form(bot, pupil.id, Verb.EHCNA_RECORD)
    card = await press(bot, {**data, "la": "", "requested_on": "2027-01-01"})
    assert texts.EHCNA_LA_REQUIRED in card_texts(card) and texts.EHCNA_DATE_FUTURE in card_texts(card)
    assert await requests(bot) == []
    await press(bot, {**data, "la": "Kent", "requested_on": SENT.isoformat()})
    card = await press(bot, {**data, "la": "Kent", "requested_on": SENT.isoformat()})
    assert texts.EHCNA_ALREADY in card_texts(card)
    assert len(await requests(bot)) == 1

    stale = await form(bot, pupil.id, Verb.EHCNA_STEP)
    card = await press(bot, {**stale, "step": "not_assess", "on": "2026-11-10", "step_reason": ""})
    assert texts.EHCNA_REASON_REQUIRED in card_texts(card)
    card = await press(bot, {**stale, "step": "issued", "on": "2026-11-10"})
    assert texts.EHCNA_STEP_UNKNOWN in card_texts(card)
    card = await press(bot, {**stale, "step": "assess", "on": "2026-10-01"})
    assert texts.EHCNA_DATE_BEFORE.format(date=day(SENT)) in card_texts(card)
    assert (await requests(bot))[0].version == 1
    card = await press(
        bot, {**stale, "step": "not_assess", "on": "2026-11-10", "step_reason": "Needs can be met"}
    )
    assert texts.EHCNA_APPEAL in card_texts(card) and "Needs can be met" in card_texts(card)
    # The same card again is stale: nothing changes.
    card = await press(bot, {**stale, "step": "not_assess", "on": "2026-11-11", "step_reason": "again"})
    assert texts.EHCNA_CLOSED in card_texts(card)
    [row] = await requests(bot)
    assert (row.status, row.decided_on, row.version) == ("not_assessing", dt.date(2026, 11, 10), 2)

    # A new request after a refusal; withdrawn with a reason.
    await request_for(bot, pupil.id)
    card = await step(bot, pupil.id, "withdraw", dt.date(2026, 11, 20), "Family moved away")
    rows = await requests(bot)
    assert [r.status for r in rows] == ["not_assessing", "withdrawn"]
    assert rows[1].withdrawn_reason == "Family moved away"


async def test_teachers_are_refused_and_other_schools_out_of_scope(bot: BotUnderTest, clock: Clock) -> None:
    clock.at = NOW
    pupil = await pupil_with_status(bot, "K", teacher=act.TEACHER)
    card = await say(bot, f"ehcna {pupil.given_name}", user=act.TEACHER)
    assert texts.NOT_ALLOWED in card_texts(card)
    forged = {"verb": Verb.EHCNA_RECORD.value, "pupil_id": pupil.id, "submission": "a" * 32, "la": "Kent"}
    card = await press(bot, forged, user=act.TEACHER)
    assert texts.NOT_ALLOWED in card_texts(card)
    card = await press(bot, forged, user=act.HEAD)
    assert texts.NOT_ALLOWED in card_texts(card)
    assert len(await refusals(bot, "route_refused")) == 3
    assert await requests(bot) == []


async def test_the_register_refuses_e_without_an_ehc_plan(bot: BotUnderTest, clock: Clock) -> None:
    clock.at = NOW
    pupil = await pupil_with_status(bot, "K")
    card = await press(bot, {"verb": Verb.REGISTER_PUPIL.value, "pupil_id": pupil.id})
    [save] = actions(card, Verb.REGISTER_SAVE.value)[:1]
    card = await press(bot, {**inputs(card), **save, "status": "E", "need1": "ASD", "reason": "EHCP"})
    assert texts.E_NEEDS_PLAN in card_texts(card)
    async with bot.sessions() as s:
        current = await s.scalar(
            select(RegisterEntry.status).where(
                RegisterEntry.pupil_id == pupil.id, RegisterEntry.ended_on.is_(None)
            )
        )
    assert current == "K"


async def deliver(bot: BotUnderTest, when: dt.datetime) -> dict[int, str]:
    clock = FakeClock(when)
    before = len(bot.connector.messages())
    await OutboxDispatcher(
        bot.sessions, bot.app[SEAM_KEY], clock, DispatchConfig(), sleep=clock.sleep
    ).drain()
    async with bot.sessions() as session:
        owner = dict(
            (await session.execute(select(ConversationRef.conversation_id, ConversationRef.staff_id))).all()
        )
    return {owner[m.path.split("/")[3]]: card_text(m.cards[0]) for m in bot.connector.messages()[before:]}


async def morning(bot: BotUnderTest, day_: dt.date) -> str:
    """Plan and deliver one morning; the SENCO's card text ('' when nothing new)."""
    await ReminderPlanner(bot.sessions, FakeClock(at(day_, 7, 45))).run()
    got = await deliver(bot, at(day_, 7, 50))
    async with bot.sessions() as s:
        senco = await s.scalar(select(Staff.id).where(Staff.aad_object_id == act.SENCO.aad_object_id))
    return got.get(senco or 0, "")


async def test_deadlines_are_reminded_near_and_passed_exactly_once(bot: BotUnderTest, clock: Clock) -> None:
    clock.at = NOW
    pupil = await pupil_with_status(bot, "K")
    await request_for(bot, pupil.id)
    await say(bot, "help")  # the SENCO's conversation, where the morning card goes
    decide = SENT + dt.timedelta(weeks=6)  # Monday 14 December 2026
    line = texts.EHCNA_DEADLINE_WORDS["decide"]
    assert line not in await morning(bot, dt.date(2026, 11, 27))  # 11 school days ahead: not yet
    soon = await morning(bot, dt.date(2026, 11, 30))
    assert texts.REMINDER_EHCNA.format(count=1) in soon and f"{line}: {day(decide)}" in soon
    assert texts.REMINDER_EHCNA_PASSED not in soon
    for again in (dt.date(2026, 12, 1), dt.date(2026, 12, 14)):
        assert line not in await morning(bot, again)
    passed = await morning(bot, dt.date(2026, 12, 15))
    assert f"{line}: {day(decide)}{texts.REMINDER_EHCNA_PASSED}" in passed
    assert line not in await morning(bot, dt.date(2026, 12, 16))
    # A second planner run on the same morning (another replica) plans nothing more.
    assert (await ReminderPlanner(bot.sessions, FakeClock(at(dt.date(2026, 12, 16), 9))).run()).cards == 0
    async with bot.sessions() as s:
        told = (
            await s.execute(
                select(ReminderSent.stage, ReminderSent.as_of).where(ReminderSent.subject_kind == "ehcna")
            )
        ).all()
    assert sorted(told) == [("due_soon", decide), ("overdue", decide)]


async def add_cost(bot: BotUnderTest, pupil_id: int, pence: int, held_on: dt.date, n: int) -> None:
    async with bot.sessions.begin() as s:
        school_id = await s.scalar(select(School.id).order_by(School.id))
        provision = await s.scalar(select(ProvisionType.id).order_by(ProvisionType.id))
        staff_id = await s.scalar(select(Staff.id).order_by(Staff.id))
        session = InterventionSession(
            school_id=school_id,
            provision_type_id=provision,
            held_on=held_on,
            minutes=60,
            staff_id=staff_id,
            idempotency_key=f"cost-{pupil_id}-{n}",
            staff_hourly_cost_pence=0,
            per_pupil_cost_pence=pence,
            created_at=NOW,
        )
        s.add(session)
        await s.flush()
        s.add(Attendance(session_id=session.id, pupil_id=pupil_id, present=True, cost_pence=pence))


async def test_threshold_crossings_at_80_and_100_percent_once_each_with_buttons(bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(bot, "K")
    name = f"{pupil.given_name} {pupil.family_name}"
    await say(bot, "help")  # the SENCO's conversation, where the morning card goes
    await add_cost(bot, pupil.id, 470_000, dt.date(2026, 10, 1), 1)
    assert name not in await morning(bot, dt.date(2026, 11, 30))  # 78 %: not yet
    await add_cost(bot, pupil.id, 20_000, dt.date(2026, 11, 30), 2)
    eighty = await morning(bot, dt.date(2026, 12, 1))
    assert texts.REMINDER_THRESHOLD_STAGES["threshold_80"] in eighty and name in eighty
    assert "\u00a34,900.00" in eighty
    assert name not in await morning(bot, dt.date(2026, 12, 2))
    await add_cost(bot, pupil.id, 120_000, dt.date(2026, 12, 2), 3)
    hundred = await morning(bot, dt.date(2026, 12, 3))
    assert texts.REMINDER_THRESHOLD_STAGES["threshold_100"] in hundred
    assert name not in await morning(bot, dt.date(2026, 12, 4))
    # The card's buttons open the evidence pack and the request form for that pupil.
    [message] = [
        m
        for m in bot.connector.messages()
        if texts.REMINDER_THRESHOLD_STAGES["threshold_100"] in card_text(m.cards[0])
    ]
    [evidence] = actions(message.cards[0], Verb.EVIDENCE_MAKE.value)
    [start] = actions(message.cards[0], Verb.EHCNA_SHOW.value)
    assert evidence["pupil_id"] == start["pupil_id"] == pupil.id
    card = await press(bot, start)
    assert texts.EHCNA_NONE in card_texts(card) and actions(card, Verb.EHCNA_RECORD.value)


def test_an_ehc_plan_is_reviewed_within_12_months_or_6_under_five() -> None:
    assert annual_review_due(dt.date(2026, 11, 24), dt.date(2015, 3, 1)) == dt.date(2027, 11, 24)
    assert annual_review_due(dt.date(2026, 11, 24), dt.date(2022, 3, 1)) == dt.date(2027, 5, 24)
    assert annual_review_due(dt.date(2028, 2, 29), dt.date(2015, 3, 1)) == dt.date(2029, 2, 28)
    assert annual_review_due(dt.date(2026, 8, 31), dt.date(2023, 1, 1)) == dt.date(2027, 2, 28)
