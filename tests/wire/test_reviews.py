"""Reviews through real HTTP: record, start the next cycle, the due list and the parent-meeting count."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, func, select

from cards import texts
from cards.common import day as day_for_people
from cards.verbs import Verb
from storage.models import PlanOutcome, Pupil, RegisterEntry, Review, ReviewOutcome, SupportPlan
from storage.queries import reviews as review_queries
from storage.scope import PupilScope
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.cards import card_texts
from tests.support.sen import (  # noqa: F401  (sen_bot_fixture is a fixture)
    TODAY,
    actions,
    audited,
    draft_plan,
    foreign_pupil,
    inputs,
    open_reviews,
    plan_rows,
    press,
    pupil_not_taught_by,
    pupil_with_status,
    refusals,
    say,
    sen_bot_fixture,
)

NEXT_DUE = (TODAY + dt.timedelta(weeks=12)).isoformat()


async def review_form(bot: BotUnderTest, pupil_id: int, user: act.User = act.SENCO) -> dict[str, Any]:
    card = await press(bot, {"verb": Verb.REVIEW_START.value, "pupil_id": pupil_id}, user=user)
    [save] = actions(card, Verb.REVIEW_SAVE.value)
    return {**inputs(card), **save}


async def outcome_ids(bot: BotUnderTest, plan_id: int) -> list[int]:
    async with bot.sessions() as s:
        rows = await s.execute(
            select(PlanOutcome.id).where(PlanOutcome.plan_id == plan_id).order_by(PlanOutcome.position)
        )
        return list(rows.scalars())


async def planned_pupil(
    bot: BotUnderTest, user: act.User = act.SENCO
) -> tuple[Pupil, SupportPlan, list[int]]:
    pupil = await pupil_with_status(bot, "K", teacher=act.TEACHER)
    await draft_plan(bot, pupil.id, user=user)
    [plan] = await plan_rows(bot, pupil.id)
    return pupil, plan, await outcome_ids(bot, plan.id)


def judged(ids: list[int], results: list[str], **more: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "held_on": TODAY.isoformat(),
        "parent_attended": "yes",
        "parent_who": "Mother",
        "next_steps": "Carry on with phonics",
        "next_due_on": NEXT_DUE,
    }
    for oid, result in zip(ids, results, strict=True):
        values[f"result_{oid}"] = result
        values[f"note_{oid}"] = f"note {oid}"
    values.update(more)
    return values


async def test_record_a_review_then_start_the_next_cycle(sen_bot: BotUnderTest) -> None:
    pupil, plan, ids = await planned_pupil(sen_bot, user=act.TEACHER)
    [first_open] = await open_reviews(sen_bot, pupil.id)
    form = await review_form(sen_bot, pupil.id, user=act.TEACHER)
    assert (form["review_id"], form["plan_id"], form["version"]) == (first_open.id, plan.id, 1)
    assert form["held_on"] == TODAY.isoformat()
    card = await press(sen_bot, {**form, **judged(ids, ["met", "not_met"])}, user=act.TEACHER)
    assert texts.REVIEW_SAVED.format(next_due=day_for_people(dt.date.fromisoformat(NEXT_DUE))) in card_texts(
        card
    )
    # Not met (and partly met) outcomes are chosen to carry on by default.
    [carry] = [b for b in card["body"] if b.get("id") == "carry"]
    assert carry["value"] == str(ids[1])

    async with sen_bot.sessions() as s:
        held = await s.get(Review, first_open.id)
        assert held is not None
        assert (held.held_on, held.parent_attended, held.parent_who) == (TODAY, True, "Mother")
        assert held.next_due_on is not None and held.next_due_on.isoformat() == NEXT_DUE
        results = dict((await s.execute(select(ReviewOutcome.outcome_id, ReviewOutcome.result))).all())
        assert results == {ids[0]: "met", ids[1]: "not_met"}
    [plan] = await plan_rows(sen_bot, pupil.id)
    assert (plan.version, plan.review_on.isoformat()) == (2, NEXT_DUE)
    [next_open] = await open_reviews(sen_bot, pupil.id)
    assert (next_open.plan_id, next_open.due_on.isoformat()) == (plan.id, NEXT_DUE)

    [start] = actions(card, Verb.REVIEW_NEXT_CYCLE.value)
    card = await press(sen_bot, {**start, "carry": carry["value"]}, user=act.TEACHER)
    assert texts.NEXT_CYCLE_STARTED.format(cycle=2) in card_texts(card)
    old, new = await plan_rows(sen_bot, pupil.id)
    assert (old.status, new.status, new.cycle) == ("closed", "active", 2)
    assert new.review_on.isoformat() == NEXT_DUE and new.strategies == old.strategies
    async with sen_bot.sessions() as s:
        texts_new = list(
            (await s.execute(select(PlanOutcome.text).where(PlanOutcome.plan_id == new.id))).scalars()
        )
    assert texts_new == ["Writes a three-sentence recount with full stops"]
    # The open review moved to the new plan (the same row the reminders may already know).
    [still_open] = await open_reviews(sen_bot, pupil.id)
    assert (still_open.id, still_open.plan_id) == (next_open.id, new.id)
    # Clicking "Start next cycle" again: the plan has moved on, nothing changes.
    card = await press(sen_bot, {**start, "carry": carry["value"]}, user=act.TEACHER)
    assert texts.NEXT_CYCLE_STALE in card_texts(card)
    assert len(await plan_rows(sen_bot, pupil.id)) == 2
    assert len(await audited(sen_bot, "review_recorded")) == 1
    assert len(await audited(sen_bot, "plan_cycle_started")) == 1


async def test_a_replayed_review_records_once(sen_bot: BotUnderTest) -> None:
    pupil, _, ids = await planned_pupil(sen_bot)
    submitted = {**await review_form(sen_bot, pupil.id), **judged(ids, ["met", "met"])}
    assert texts.REVIEW_SAVED.format(next_due=day_for_people(dt.date.fromisoformat(NEXT_DUE))) in card_texts(
        await press(sen_bot, submitted)
    )
    assert texts.REVIEW_ALREADY in card_texts(await press(sen_bot, submitted))
    # The old form with a new key: the review it was built for has been held.
    card = await press(sen_bot, {**submitted, "submission": "d" * 32})
    assert texts.REVIEW_STALE in card_texts(card)
    async with sen_bot.sessions() as s:
        held = await s.scalar(
            select(func.count()).where(Review.pupil_id == pupil.id, Review.held_on.is_not(None))
        )
    assert held == 1
    assert len(await open_reviews(sen_bot, pupil.id)) == 1


async def test_concurrent_double_post_of_a_review_records_once(sen_bot: BotUnderTest) -> None:
    pupil, _, ids = await planned_pupil(sen_bot)
    submitted = {**await review_form(sen_bot, pupil.id), **judged(ids, ["met", "partly_met"])}
    results = await asyncio.gather(
        *(sen_bot.post(act.submit(submitted, sen_bot.service_url)) for _ in range(4))
    )
    assert all(code == 201 for code, _ in results)
    async with sen_bot.sessions() as s:
        held = await s.scalar(
            select(func.count()).where(Review.pupil_id == pupil.id, Review.held_on.is_not(None))
        )
        judged_rows = await s.scalar(select(func.count()).select_from(ReviewOutcome))
    assert (held, judged_rows) == (1, 2)
    [plan] = await plan_rows(sen_bot, pupil.id)
    assert plan.version == 2
    assert len(await open_reviews(sen_bot, pupil.id)) == 1


def _bad(**kw: Any) -> dict[str, Any]:
    return kw


BAD_REVIEWS = [
    (_bad(held_on=""), "held_on", texts.HELD_ON_REQUIRED),
    (_bad(held_on=(TODAY + dt.timedelta(days=1)).isoformat()), "held_on", texts.HELD_ON_FUTURE),
    (_bad(held_on="yesterday"), "held_on", texts.DATE_BAD),
    (_bad(parent_attended=""), "parent_attended", texts.PARENT_REQUIRED),
    (_bad(parent_attended="maybe"), "parent_attended", texts.PARENT_REQUIRED),
    (_bad(parent_attended="x" * 40), "parent_attended", texts.TOO_LONG.format(limit=16)),
    (_bad(parent_attended=True), "parent_attended", texts.BAD_CARD),
    (_bad(parent_who=""), "parent_who", texts.PARENT_WHO_REQUIRED),
    (_bad(parent_who="x" * 201), "parent_who", texts.TOO_LONG.format(limit=200)),
    (_bad(next_due_on=""), "next_due_on", texts.NEXT_DUE_REQUIRED),
    (_bad(next_due_on=TODAY.isoformat()), "next_due_on", texts.NEXT_DUE_AFTER),
    (_bad(next_due_on=(TODAY + dt.timedelta(days=400)).isoformat()), "next_due_on", texts.NEXT_DUE_FAR),
    (_bad(next_steps="x" * 2001), "next_steps", texts.TOO_LONG.format(limit=2000)),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_REVIEWS)
async def test_bad_reviews_are_refused_on_the_field(
    sen_bot: BotUnderTest, fields: dict, field: str, message: str
) -> None:
    pupil, plan, ids = await planned_pupil(sen_bot)
    form = await review_form(sen_bot, pupil.id)
    card = await press(sen_bot, {**form, **judged(ids, ["met", "not_met"], **fields)})
    body_ids = [b.get("id") for b in card["body"]]
    assert card["body"][body_ids.index(field) + 1]["text"] == message
    # The input comes back as typed (cut at the longest a field may hold).
    assert inputs(card)["next_steps"] == fields.get("next_steps", "Carry on with phonics")[:2000]
    [open_review] = await open_reviews(sen_bot, pupil.id)
    assert open_review.plan_id == plan.id
    async with sen_bot.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ReviewOutcome)) == 0


@pytest.mark.parametrize(("result", "note"), [("", "ok"), ("excellent", "ok"), ("met", "n" * 501)])
async def test_each_outcome_must_be_judged(sen_bot: BotUnderTest, result: str, note: str) -> None:
    pupil, _, ids = await planned_pupil(sen_bot)
    form = await review_form(sen_bot, pupil.id)
    values = judged(ids, ["met", result])
    values[f"note_{ids[1]}"] = note
    card = await press(sen_bot, {**form, **values})
    body_ids = [b.get("id") for b in card["body"]]
    field = f"result_{ids[1]}" if result != "met" else f"note_{ids[1]}"
    expected = texts.RESULT_REQUIRED if result != "met" else texts.TOO_LONG.format(limit=500)
    assert card["body"][body_ids.index(field) + 1]["text"] == expected
    async with sen_bot.sessions() as s:
        assert await s.scalar(select(func.count()).where(Review.held_on.is_not(None))) == 0


async def test_review_scope_and_roles(sen_bot: BotUnderTest) -> None:
    pupil, _, ids = await planned_pupil(sen_bot)
    other = await pupil_not_taught_by(sen_bot, act.TEACHER)
    form = await review_form(sen_bot, pupil.id, user=act.TEACHER)
    card = await press(
        sen_bot, {**form, **judged(ids, ["met", "met"]), "pupil_id": other.id}, user=act.TEACHER
    )
    assert texts.OUT_OF_SCOPE in card_texts(card)
    [event] = await refusals(sen_bot, "review_save")
    assert event.entity_id == str(other.id)
    foreign = await foreign_pupil(sen_bot)
    card = await press(sen_bot, {"verb": Verb.REVIEW_START.value, "pupil_id": foreign})
    assert texts.OUT_OF_SCOPE in card_texts(card)
    card = await press(sen_bot, {**form, **judged(ids, ["met", "met"])}, user=act.TA)
    assert texts.NOT_ALLOWED in card_texts(card)
    async with sen_bot.sessions() as s:
        assert await s.scalar(select(func.count()).where(Review.held_on.is_not(None))) == 0
    no_plan = await pupil_with_status(sen_bot, "E")
    card = await press(sen_bot, {"verb": Verb.REVIEW_START.value, "pupil_id": no_plan.id})
    assert texts.REVIEW_NO_PLAN in card_texts(card)


async def test_next_cycle_refuses_foreign_outcomes_and_bad_data(sen_bot: BotUnderTest) -> None:
    pupil, _, ids = await planned_pupil(sen_bot)
    card = await press(sen_bot, {**await review_form(sen_bot, pupil.id), **judged(ids, ["met", "met"])})
    [start] = actions(card, Verb.REVIEW_NEXT_CYCLE.value)
    for bad in ({"carry": "999999"}, {"carry": ["1"]}, {"version": "x"}):
        card = await press(sen_bot, {**start, **bad})
        assert texts.BAD_CARD in card_texts(card)
    assert len(await plan_rows(sen_bot, pupil.id)) == 1


async def _add_reviews(
    bot: BotUnderTest, rows: list[tuple[int, dt.date | None, bool | None, dt.date]]
) -> None:
    async with bot.sessions.begin() as s:
        s.add_all(Review(pupil_id=p, held_on=h, parent_attended=a, due_on=d) for p, h, a, d in rows)


async def register_pupils(bot: BotUnderTest) -> list[int]:
    async with bot.sessions() as s:
        rows = await s.execute(
            select(RegisterEntry.pupil_id).where(
                RegisterEntry.ended_on.is_(None), RegisterEntry.status.in_(["K", "E"])
            )
        )
        return list(rows.scalars())


async def test_reviews_lists_due_and_overdue_and_parent_meetings_by_hand(sen_bot: BotUnderTest) -> None:
    a = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    b = await pupil_not_taught_by(sen_bot, act.TEACHER, "K")
    c = await pupil_not_taught_by(sen_bot, act.TEACHER, "E")
    d = await pupil_with_status(sen_bot, None)
    day = dt.date
    await _add_reviews(
        sen_bot,
        [
            # a: three held with a parent this academic year (from 1 September 2026)
            (a.id, day(2026, 9, 10), True, day(2026, 9, 10)),
            (a.id, day(2026, 10, 15), True, day(2026, 10, 15)),
            (a.id, day(2026, 11, 20), True, day(2026, 11, 20)),
            # b: one with a parent; one without; one with a parent last academic year
            (b.id, day(2026, 9, 5), True, day(2026, 9, 5)),
            (b.id, day(2026, 10, 1), False, day(2026, 10, 1)),
            (b.id, day(2026, 7, 1), True, day(2026, 7, 1)),
            # c: held, parent not recorded
            (c.id, day(2026, 11, 24), None, day(2026, 11, 24)),
            # d: not on the register, so not counted
            (d.id, day(2026, 10, 1), True, day(2026, 10, 1)),
            # open reviews: a overdue, b due in 10 days, c due in 20 days (not listed)
            (a.id, None, None, TODAY - dt.timedelta(days=3)),
            (b.id, None, None, TODAY + dt.timedelta(days=10)),
            (c.id, None, None, TODAY + dt.timedelta(days=20)),
        ],
    )
    expected = {pid: 0 for pid in await register_pupils(sen_bot)}
    expected.update({a.id: 3, b.id: 1, c.id: 0})
    assert d.id not in expected

    # One query for every pupil's count, whatever the number of pupils.
    statements: list[str] = []
    engine = sen_bot.sessions.kw["bind"]

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    async with sen_bot.sessions() as s:
        scope = PupilScope(school_id=a.school_id, staff_id=0, whole_school=True)
        counted = await review_queries.parent_reviews(s, scope, since=day(2026, 9, 1), today=TODAY)
    event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert {r.pupil_id: r.count for r in counted} == expected

    card = await say(sen_bot, "reviews")
    body = card_texts(card)
    name = {p.id: f"{p.given_name} {p.family_name}" for p in (a, b, c)}
    overdue_at = body.index(texts.REVIEWS_OVERDUE)
    due_at = body.index(texts.REVIEWS_DUE)
    assert overdue_at < body.index(name[a.id]) < due_at < body.index(name[b.id])
    assert day_for_people(TODAY + dt.timedelta(days=20)) not in body
    assert texts.REVIEWS_PARENTS.format(since="Tue 1 Sep 2026") in body
    facts = {f["title"]: f["value"] for blk in card["body"] if blk["type"] == "FactSet" for f in blk["facts"]}
    assert facts[name[a.id]] == texts.REVIEWS_PARENTS_LINE.format(count=3)
    assert facts[name[b.id]] == texts.REVIEWS_PARENTS_LINE.format(count=1)
    assert len(actions(card, Verb.REVIEW_START.value)) == 2

    # The class teacher sees only their own pupils, in both lists.
    card = await say(sen_bot, "reviews", user=act.TEACHER)
    body = card_texts(card)
    assert name[a.id] in body and name[b.id] not in body and name[c.id] not in body
    # A TA sees the list but gets no buttons to record.
    card = await say(sen_bot, "reviews", user=act.TA)
    assert not actions(card, Verb.REVIEW_START.value)
    assert len(await audited(sen_bot, "reviews_listed")) == 3


async def test_reviews_with_nothing_due(sen_bot: BotUnderTest) -> None:
    card = await say(sen_bot, "reviews")
    assert texts.REVIEWS_NONE_DUE in card_texts(card)
