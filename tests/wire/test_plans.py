"""Support plans through real HTTP: draft, edit (optimistic), the open review kept in step, scope, replay."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from cards import texts
from cards.verbs import Verb
from storage.models import PlanOutcome, PlanProvision, ProvisionType, SupportPlan
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
    plan_form,
    plan_rows,
    plan_values,
    press,
    pupil_not_taught_by,
    pupil_with_status,
    refusals,
    say,
    sen_bot_fixture,
)


async def provision_ids(bot: BotUnderTest) -> list[int]:
    async with bot.sessions() as s:
        return list((await s.execute(select(ProvisionType.id).order_by(ProvisionType.name))).scalars())


async def test_draft_a_plan_then_edit_it_and_the_open_review_follows(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    card = await press(sen_bot, {"verb": Verb.PLAN_SHOW.value, "pupil_id": pupil.id})
    assert texts.PLAN_NONE in card_texts(card)
    form = await plan_form(sen_bot, pupil.id)
    # The default review date is the school's interval (13 weeks) from today.
    assert form["review_on"] == (TODAY + dt.timedelta(weeks=13)).isoformat()
    assert (form["plan_id"], form["version"]) == (0, 0)
    provs = await provision_ids(sen_bot)
    card = await press(sen_bot, {**form, **plan_values(provisions=f"{provs[0]},{provs[1]}")})
    assert texts.PLAN_SAVED in card_texts(card)
    assert "Reads 40 high-frequency words by sight" in card_texts(card)
    [plan] = await plan_rows(sen_bot, pupil.id)
    assert (plan.status, plan.cycle, plan.version) == ("active", 1, 1)
    assert plan.review_on == TODAY + dt.timedelta(weeks=10)
    [review] = await open_reviews(sen_bot, pupil.id)
    assert (review.plan_id, review.due_on) == (plan.id, plan.review_on)
    async with sen_bot.sessions() as s:
        assert await s.scalar(select(func.count()).where(PlanOutcome.plan_id == plan.id)) == 2
        assert await s.scalar(select(func.count()).where(PlanProvision.plan_id == plan.id)) == 2

    edit = await plan_form(sen_bot, pupil.id)
    assert (edit["plan_id"], edit["version"]) == (plan.id, 1)
    assert edit["outcome1"] == "Reads 40 high-frequency words by sight"
    new_date = (TODAY + dt.timedelta(weeks=6)).isoformat()
    card = await press(sen_bot, {**edit, "review_on": new_date, "outcome2": "", "provisions": ""})
    assert texts.PLAN_SAVED in card_texts(card)
    [plan] = await plan_rows(sen_bot, pupil.id)
    assert (plan.version, plan.review_on.isoformat()) == (2, new_date)
    [review2] = await open_reviews(sen_bot, pupil.id)
    assert (review2.id, review2.due_on.isoformat()) == (review.id, new_date)
    async with sen_bot.sessions() as s:
        assert await s.scalar(select(func.count()).where(PlanOutcome.plan_id == plan.id)) == 1
        assert await s.scalar(select(func.count()).where(PlanProvision.plan_id == plan.id)) == 0

    # The edit card again (version 1): stale; the current plan comes back, nothing changes.
    card = await press(sen_bot, {**edit, "review_on": (TODAY + dt.timedelta(weeks=3)).isoformat()})
    assert texts.PLAN_STALE in card_texts(card)
    assert texts.PLAN_TITLE.format(name=f"{pupil.given_name} {pupil.family_name}") in card_texts(card)
    [plan] = await plan_rows(sen_bot, pupil.id)
    assert (plan.version, plan.review_on.isoformat()) == (2, new_date)
    assert {e.action for e in await audited(sen_bot, "plan_created")} == {"plan_created"}
    assert len(await audited(sen_bot, "plan_updated")) == 1


async def test_a_replayed_new_plan_card_saves_once(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    form = {**await plan_form(sen_bot, pupil.id), **plan_values()}
    assert texts.PLAN_SAVED in card_texts(await press(sen_bot, form))
    assert texts.PLAN_ALREADY in card_texts(await press(sen_bot, form))
    # A second, different new-plan card for the same pupil: there is already an active plan.
    other = {**form, "submission": "c" * 32}
    assert texts.PLAN_STALE in card_texts(await press(sen_bot, other))
    assert len(await plan_rows(sen_bot, pupil.id)) == 1
    assert len(await open_reviews(sen_bot, pupil.id)) == 1


async def test_concurrent_double_post_of_a_plan_saves_once(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "E")
    form = {**await plan_form(sen_bot, pupil.id), **plan_values()}
    results = await asyncio.gather(*(sen_bot.post(act.submit(form, sen_bot.service_url)) for _ in range(4)))
    assert all(code == 201 for code, _ in results)
    assert len(await plan_rows(sen_bot, pupil.id)) == 1
    assert len(await open_reviews(sen_bot, pupil.id)) == 1
    # Two edits of the same version at once: one wins, the plan moves one version.
    edit = await plan_form(sen_bot, pupil.id)
    dates = [(TODAY + dt.timedelta(weeks=w)).isoformat() for w in (5, 7)]
    await asyncio.gather(
        *(sen_bot.post(act.submit({**edit, "review_on": d}, sen_bot.service_url)) for d in dates)
    )
    [plan] = await plan_rows(sen_bot, pupil.id)
    assert plan.version == 2 and plan.review_on.isoformat() in dates
    [review] = await open_reviews(sen_bot, pupil.id)
    assert review.due_on == plan.review_on


def _long(n: int) -> str:
    return "x" * n


BAD_PLANS = [
    ({"outcome1": "", "outcome2": ""}, "outcome1", texts.OUTCOMES_REQUIRED),
    ({"outcome2": _long(501)}, "outcome2", texts.OUTCOME_TOO_LONG),
    ({"outcome1": 7}, "outcome1", texts.BAD_CARD),
    ({"strategies": _long(2001)}, "strategies", texts.TOO_LONG.format(limit=2000)),
    ({"parent_views": _long(2001)}, "parent_views", texts.TOO_LONG.format(limit=2000)),
    ({"review_on": ""}, "review_on", texts.REVIEW_DATE_REQUIRED),
    ({"review_on": None}, "review_on", texts.REVIEW_DATE_REQUIRED),
    ({"review_on": TODAY.isoformat()}, "review_on", texts.REVIEW_DATE_PAST),
    ({"review_on": (TODAY - dt.timedelta(days=1)).isoformat()}, "review_on", texts.REVIEW_DATE_PAST),
    ({"review_on": (TODAY + dt.timedelta(days=366)).isoformat()}, "review_on", texts.REVIEW_DATE_FAR),
    ({"review_on": "25/12/2026"}, "review_on", texts.DATE_BAD),
    ({"review_on": ["2027-01-01"]}, "review_on", texts.DATE_BAD),
    ({"provisions": "999999"}, "provisions", texts.PROVISION_UNKNOWN),
    ({"provisions": "abc"}, "provisions", texts.PROVISION_UNKNOWN),
    ({"provisions": ["1"]}, "provisions", texts.BAD_CARD),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_PLANS)
async def test_bad_plans_are_refused_on_the_field(
    sen_bot: BotUnderTest, fields: dict, field: str, message: str
) -> None:
    pupil = await pupil_with_status(sen_bot, "K")
    form = await plan_form(sen_bot, pupil.id)
    card = await press(sen_bot, {**form, **plan_values(**fields)})
    ids = [b.get("id") for b in card["body"]]
    assert card["body"][ids.index(field) + 1]["text"] == message
    assert inputs(card)["pupil_views"] == "I like reading with Mr Lee"  # the person's input is kept
    assert await plan_rows(sen_bot, pupil.id) == []
    assert await open_reviews(sen_bot, pupil.id) == []


async def test_retired_provision_is_neither_offered_nor_accepted(sen_bot: BotUnderTest) -> None:
    [first, *_] = await provision_ids(sen_bot)
    async with sen_bot.sessions.begin() as s:
        prov = await s.get(ProvisionType, first)
        assert prov is not None
        prov.retired_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    pupil = await pupil_with_status(sen_bot, "K")
    card = await press(sen_bot, {"verb": Verb.PLAN_EDIT.value, "pupil_id": pupil.id})
    [choices] = [b for b in card["body"] if b.get("id") == "provisions"]
    assert str(first) not in [c["value"] for c in choices["choices"]]
    form = await plan_form(sen_bot, pupil.id)
    card = await press(sen_bot, {**form, **plan_values(provisions=str(first))})
    assert texts.PROVISION_UNKNOWN in card_texts(card)


async def test_class_teacher_drafts_for_own_pupil_only(sen_bot: BotUnderTest) -> None:
    mine = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    card = await draft_plan(sen_bot, mine.id, user=act.TEACHER)
    assert texts.PLAN_SAVED in card_texts(card)
    other = await pupil_not_taught_by(sen_bot, act.TEACHER)
    form = await plan_form(sen_bot, mine.id, user=act.TEACHER)
    card = await press(sen_bot, {**form, **plan_values(), "pupil_id": other.id}, user=act.TEACHER)
    assert texts.OUT_OF_SCOPE in card_texts(card)
    assert await plan_rows(sen_bot, other.id) == []
    [event] = await refusals(sen_bot, "plan_save")
    assert event.entity_id == str(other.id) and event.outcome == "refused"
    card = await say(sen_bot, f"plan {other.given_name} {other.family_name}", user=act.TEACHER)
    assert texts.PUPIL_NOT_FOUND.format(text=f"{other.given_name} {other.family_name}") in card_texts(card)


async def test_ta_reads_plans_only_and_head_is_refused(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TA)
    await draft_plan(sen_bot, pupil.id)
    card = await press(sen_bot, {"verb": Verb.PLAN_SHOW.value, "pupil_id": pupil.id}, user=act.TA)
    assert texts.PLAN_READ_ONLY in card_texts(card)
    assert not actions(card, Verb.PLAN_EDIT.value)
    card = await press(sen_bot, {"verb": Verb.PLAN_EDIT.value, "pupil_id": pupil.id}, user=act.TA)
    assert texts.NOT_ALLOWED in card_texts(card)
    card = await say(sen_bot, "plan someone", user=act.HEAD)
    assert texts.NOT_ALLOWED in card_texts(card)
    reads = await audited(sen_bot, "plan_read")
    assert pupil.id in {e.pupil_id for e in reads}


async def test_out_of_scope_and_malformed_pupil_ids(sen_bot: BotUnderTest) -> None:
    foreign = await foreign_pupil(sen_bot)
    card = await press(sen_bot, {"verb": Verb.PLAN_SHOW.value, "pupil_id": foreign})
    assert texts.OUT_OF_SCOPE in card_texts(card)
    assert len(await refusals(sen_bot, "plan_read")) == 1
    for bad in ("x", None, -1, [1], {"a": 1}):
        card = await press(sen_bot, {"verb": Verb.PLAN_SHOW.value, "pupil_id": bad})
        assert texts.BAD_CARD in card_texts(card)
    pupil = await pupil_with_status(sen_bot, "K")
    form = await plan_form(sen_bot, pupil.id)
    for bad in ({"version": "v"}, {"plan_id": None}, {"submission": "!" * 20}):
        card = await press(sen_bot, {**form, **plan_values(), **bad})
        assert texts.BAD_CARD in card_texts(card)
    async with sen_bot.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(SupportPlan)) == 0


async def test_plan_needs_a_name(sen_bot: BotUnderTest) -> None:
    card = await say(sen_bot, "plan")
    assert texts.PUPIL_NEEDED.format(usage="plan [pupil]") in card_texts(card)
