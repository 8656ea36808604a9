"""Duties to parents through real HTTP: a task per trigger (register, plan, review), `tasks`, marking done."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from cards import texts
from cards.verbs import Verb
from storage.models import ParentTask, Pupil, Staff
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.sen import (  # noqa: F401  (sen_bot_fixture is a fixture)
    TODAY,
    actions,
    audited,
    card_texts,
    draft_plan,
    inputs,
    plan_form,
    plan_values,
    press,
    pupil_not_taught_by,
    pupil_with_status,
    refusals,
    say,
    sen_bot_fixture,
    with_ehc_plan,
)
from tests.wire.test_reviews import judged, outcome_ids, review_form


async def tasks_of(bot: BotUnderTest, pupil_id: int) -> list[ParentTask]:
    async with bot.sessions() as s:
        rows = await s.execute(
            select(ParentTask).where(ParentTask.pupil_id == pupil_id).order_by(ParentTask.id)
        )
        return list(rows.scalars())


async def register_form(bot: BotUnderTest, pupil_id: int) -> dict[str, Any]:
    card = await press(bot, {"verb": Verb.REGISTER_PUPIL.value, "pupil_id": pupil_id})
    [save] = actions(card, Verb.REGISTER_SAVE.value)[:1]
    return {**inputs(card), **save}


async def test_placing_on_sen_support_creates_one_task_even_when_replayed(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, None)
    form = {**await register_form(sen_bot, pupil.id), "status": "K", "need1": "SLCN", "reason": "Assessed"}
    card = await press(sen_bot, form)
    assert texts.REGISTER_SAVED in card_texts(card)
    await press(sen_bot, form)  # the same card again: recorded once, one task
    [task] = await tasks_of(sen_bot, pupil.id)
    assert task.kind == "inform_sen_support" and task.source_entity == "register_entry"
    assert task.due_on == TODAY + dt.timedelta(days=14) and task.done_at is None
    assert task.school_id == pupil.school_id

    # A later change of status while the first duty is open is a different duty.
    await with_ehc_plan(sen_bot, pupil.id)
    form = {**await register_form(sen_bot, pupil.id), "status": "E", "need1": "SLCN", "reason": "EHCP"}
    await press(sen_bot, form)
    assert [t.kind for t in await tasks_of(sen_bot, pupil.id)] == [
        "inform_sen_support",
        "inform_plan_change",
    ]


async def test_a_pupil_never_on_the_register_gets_no_task_for_a_rejected_change(
    sen_bot: BotUnderTest,
) -> None:
    pupil = await pupil_with_status(sen_bot, None)
    form = {**await register_form(sen_bot, pupil.id), "status": "K", "need1": "", "reason": "x"}
    card = await press(sen_bot, form)
    assert texts.NEED_REQUIRED in card_texts(card)
    assert await tasks_of(sen_bot, pupil.id) == []


async def test_a_saved_plan_creates_a_task_and_an_edit_is_covered_by_it(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    await draft_plan(sen_bot, pupil.id, user=act.TEACHER)
    [task] = await tasks_of(sen_bot, pupil.id)
    assert (task.kind, task.source_entity) == ("inform_plan_change", "support_plan")
    form = await plan_form(sen_bot, pupil.id)
    card = await press(sen_bot, {**form, **plan_values(strategies="Now with a visual timetable")})
    assert texts.PLAN_SAVED in card_texts(card)
    assert len(await tasks_of(sen_bot, pupil.id)) == 1
    # Once done, the next edit is a new duty.
    await close(sen_bot, task.id, pupil.id)
    form = await plan_form(sen_bot, pupil.id)
    await press(sen_bot, {**form, **plan_values(strategies="Again changed")})
    kinds = [(t.kind, t.done_at is None) for t in await tasks_of(sen_bot, pupil.id)]
    assert kinds == [("inform_plan_change", False), ("inform_plan_change", True)]


async def test_a_recorded_review_creates_a_share_the_outcome_task(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    await draft_plan(sen_bot, pupil.id)
    [plan_task] = await tasks_of(sen_bot, pupil.id)
    form = await review_form(sen_bot, pupil.id)
    ids = await outcome_ids(sen_bot, plan_task.source_id)
    card = await press(sen_bot, {**form, **judged(ids, ["met", "partly_met"])})
    assert texts.REVIEW_SAVED.split("{")[0] in card_texts(card)
    await press(sen_bot, {**form, **judged(ids, ["met", "partly_met"])})  # replayed
    tasks = await tasks_of(sen_bot, pupil.id)
    assert [t.kind for t in tasks] == ["inform_plan_change", "share_review_outcome"]
    assert tasks[1].source_entity == "review"


async def close(
    bot: BotUnderTest, task_id: int, pupil_id: int, user: act.User = act.SENCO, **more: Any
) -> dict:
    card = await press(
        bot, {"verb": Verb.TASK_DONE_FORM.value, "task_id": task_id, "pupil_id": pupil_id}, user=user
    )
    [save] = actions(card, Verb.TASK_DONE.value)
    return await press(bot, {**inputs(card), **save, "how": "phone", **more}, user=user)


async def test_tasks_are_listed_in_scope_and_marked_done_once(sen_bot: BotUnderTest) -> None:
    mine = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    other = await pupil_not_taught_by(sen_bot, act.TEACHER)
    for p in (mine, other):
        await draft_plan(sen_bot, p.id)
    card = await say(sen_bot, "tasks", user=act.TEACHER)
    body = card_texts(card)
    assert mine.display_name in body and other.display_name not in body
    assert texts.PARENT_TASK_WORDS["inform_plan_change"] in body
    body = card_texts(await say(sen_bot, "tasks"))
    assert mine.display_name in body and other.display_name in body

    [task] = await tasks_of(sen_bot, mine.id)
    status, _ = await sen_bot.post(
        act.submit(
            {"verb": Verb.TASK_DONE_FORM.value, "task_id": task.id, "pupil_id": mine.id},
            sen_bot.service_url,
            user=act.TEACHER,
        )
    )
    form = sen_bot.connector.messages()[-1].cards[0]
    [save] = actions(form, Verb.TASK_DONE.value)
    submitted = {**inputs(form), **save, "how": "meeting", "done_at": TODAY.isoformat()}
    done_text = card_texts(await press(sen_bot, submitted, user=act.TEACHER))
    assert act.TEACHER.name in done_text
    [task] = await tasks_of(sen_bot, mine.id)
    assert (task.done_at, task.done_how) == (TODAY, "meeting")
    async with sen_bot.sessions() as s:
        by = await s.scalar(select(Staff.aad_object_id).where(Staff.id == task.done_by))
    assert by == act.TEACHER.aad_object_id
    # Replayed: nothing changes, and the person is told who did it.
    card = await press(sen_bot, {**submitted, "how": "letter"}, user=act.TEACHER)
    assert texts.TASK_ALREADY_DONE.split("{")[0] in card_texts(card)
    [task] = await tasks_of(sen_bot, mine.id)
    assert task.done_how == "meeting"
    assert mine.display_name not in card_texts(await say(sen_bot, "tasks", user=act.TEACHER))
    assert [e.pupil_id for e in await audited(sen_bot, "parent_task_done")] == [mine.id]


async def test_marking_done_rejects_bad_input_and_out_of_scope(sen_bot: BotUnderTest) -> None:
    mine = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    other = await pupil_not_taught_by(sen_bot, act.TEACHER)
    await draft_plan(sen_bot, mine.id)
    await draft_plan(sen_bot, other.id)
    [task] = await tasks_of(sen_bot, mine.id)
    [other_task] = await tasks_of(sen_bot, other.id)
    base = {"verb": Verb.TASK_DONE.value, "task_id": task.id, "pupil_id": mine.id}
    cases = [
        ({"done_at": TODAY.isoformat(), "how": ""}, texts.TASK_HOW_REQUIRED),
        ({"done_at": TODAY.isoformat(), "how": "carrier pigeon"}, texts.TASK_HOW_REQUIRED),
        ({"done_at": (TODAY + dt.timedelta(days=1)).isoformat(), "how": "phone"}, texts.TASK_DATE_FUTURE),
        ({"done_at": "", "how": "phone"}, texts.TASK_DATE_REQUIRED),
        ({"done_at": 20261125, "how": "phone"}, texts.DATE_BAD),
        ({"done_at": TODAY.isoformat(), "how": "x" * 5000}, texts.TOO_LONG.format(limit=16)),
        ({"done_at": TODAY.isoformat(), "how": ["phone"]}, texts.BAD_CARD),
    ]
    for values, message in cases:
        card = await press(sen_bot, {**base, **values}, user=act.TEACHER)
        assert message in card_texts(card), values
        assert actions(card, Verb.TASK_DONE.value), "the form comes back"
    assert (await tasks_of(sen_bot, mine.id))[0].done_at is None
    # A forged task id: another pupil's task under my pupil's id, a missing id, a string id.
    for forged in ({"task_id": other_task.id}, {"task_id": "abc"}, {"task_id": None}):
        card = await press(
            sen_bot, {**base, "done_at": TODAY.isoformat(), "how": "phone", **forged}, user=act.TEACHER
        )
        assert texts.TASK_UNKNOWN in card_texts(card) or texts.BAD_CARD in card_texts(card)
    # Another teacher's pupil: refused, audited, nothing written.
    card = await press(
        sen_bot,
        {
            **base,
            "task_id": other_task.id,
            "pupil_id": other.id,
            "done_at": TODAY.isoformat(),
            "how": "phone",
        },
        user=act.TEACHER,
    )
    assert texts.OUT_OF_SCOPE in card_texts(card)
    assert [e.entity_id for e in await refusals(sen_bot, "parent_task_done")] == [str(other.id)]
    assert (await tasks_of(sen_bot, other.id))[0].done_at is None
    # TAs and heads are refused by the route.
    card = await say(sen_bot, "tasks", user=act.TA)
    assert texts.NOT_ALLOWED in card_texts(card)


async def test_the_pupil_summary_shows_open_tasks(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    await draft_plan(sen_bot, pupil.id)
    card = await press(sen_bot, {"verb": Verb.PUPIL_SHOW.value, "pupil": pupil.id}, user=act.TEACHER)
    body = card_texts(card)
    assert texts.PUPIL_PARENTS_HEADING in body
    assert texts.PARENT_TASK_WORDS["inform_plan_change"] in body
    assert actions(card, Verb.TASK_DONE_FORM.value)
    # A TA sees the duty but cannot close it.
    async with sen_bot.sessions() as s:
        assert await s.get(Pupil, pupil.id) is not None
    [task] = await tasks_of(sen_bot, pupil.id)
    await close(sen_bot, task.id, pupil.id)
    card = await press(sen_bot, {"verb": Verb.PUPIL_SHOW.value, "pupil": pupil.id}, user=act.TEACHER)
    assert texts.PUPIL_PARENTS_NONE in card_texts(card)


async def test_starting_the_next_cycle_is_a_plan_change_for_the_parents(sen_bot: BotUnderTest) -> None:
    pupil = await pupil_with_status(sen_bot, "K", teacher=act.TEACHER)
    await draft_plan(sen_bot, pupil.id)
    [plan_task] = await tasks_of(sen_bot, pupil.id)
    await close(sen_bot, plan_task.id, pupil.id)
    form = await review_form(sen_bot, pupil.id)
    ids = await outcome_ids(sen_bot, plan_task.source_id)
    card = await press(sen_bot, {**form, **judged(ids, ["met", "not_met"])})
    [start] = actions(card, Verb.REVIEW_NEXT_CYCLE.value)
    await press(sen_bot, {**start, "carry": str(ids[1])})
    tasks = await tasks_of(sen_bot, pupil.id)
    assert [(t.kind, t.done_at is None) for t in tasks] == [
        ("inform_plan_change", False),
        ("share_review_outcome", True),
        ("inform_plan_change", True),
    ]
    assert tasks[2].source_id != plan_task.source_id
