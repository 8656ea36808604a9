"""Duties to parents: `tasks` lists the open ones in the caller's scope; a card marks one done.

Why: the tasks are created by the register, plan and review write paths (storage/queries/parents.py);
this flow only shows and closes them. Closing applies with UPDATE ... WHERE done_at IS NULL, so a
replayed card changes nothing and says who closed it and how.
"""

from __future__ import annotations

from bot.rules.policy import PARENT_TASK_USERS, pupil_scope
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.guard import pupil_from_card
from bot.turn.router import Router
from cards import parents as cards
from cards import texts
from cards.common import notice
from cards.forms import values_of
from cards.log import day
from cards.verbs import Verb
from storage.queries import parents
from storage.queries.register import pupil_name

LIST_LIMIT = 25


def add_routes(router: Router) -> None:
    router.command("tasks", summary=texts.TASKS_SUMMARY, roles=PARENT_TASK_USERS, menu=False)(list_tasks)
    router.verb(Verb.TASK_DONE_FORM, roles=PARENT_TASK_USERS)(done_form)
    router.verb(Verb.TASK_DONE, roles=PARENT_TASK_USERS)(mark_done)


async def list_tasks(turn: TurnContext) -> Outbound:
    rows = await parents.open_tasks(turn.session, pupil_scope(turn.actor), limit=LIST_LIMIT + 1)
    shown = rows[:LIST_LIMIT]
    for t in shown:
        turn.audit("parent_task_listed", entity="parent_task", entity_id=t.id, pupil_id=t.pupil_id)
    return Outbound.card(cards.tasks_card(shown, turn.today, more=len(rows) > LIST_LIMIT))


async def _task_of(turn: TurnContext, action: str) -> tuple[int, parents.TaskState]:
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), turn.inbound.data, action)
    task_id = forms.card_int(turn.inbound.data, "task_id", high=forms.MAX_BIG_ID)
    assert task_id is not None
    found = await parents.task(turn.session, task_id)
    if found is None or found.pupil_id != pupil_id:
        raise UserError(texts.TASK_UNKNOWN)
    return pupil_id, found


def _already(found: parents.TaskState) -> UserError:
    assert found.done_at is not None
    return UserError(
        texts.TASK_ALREADY_DONE.format(
            date=day(found.done_at),
            how=texts.PARENT_HOW_WORDS.get(found.done_how or "", ""),
            by=found.done_by or "",
        )
    )


async def done_form(turn: TurnContext) -> Outbound:
    pupil_id, found = await _task_of(turn, "parent_task_read")
    if found.done_at is not None:
        raise _already(found)
    turn.audit("parent_task_read", entity="parent_task", entity_id=found.id, pupil_id=pupil_id)
    return Outbound.card(
        cards.task_done_card(
            task_id=found.id,
            pupil_id=pupil_id,
            pupil_name=await pupil_name(turn.session, pupil_id),
            kind=found.kind,
            today=turn.today,
        )
    )


async def mark_done(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id, found = await _task_of(turn, "parent_task_done")
    if found.done_at is not None:
        raise _already(found)
    today = turn.today
    errors: forms.Errors = {}
    done_at = forms.date(data, "done_at", errors, required=texts.TASK_DATE_REQUIRED)
    if done_at is not None and done_at > today:
        errors["done_at"] = texts.TASK_DATE_FUTURE
    how = forms.text(data, "how", errors, limit=16, required=texts.TASK_HOW_REQUIRED)
    if how and how not in texts.PARENT_HOW_WORDS and "how" not in errors:
        errors["how"] = texts.TASK_HOW_REQUIRED
    if errors or done_at is None:
        first = next(iter(errors.values()))
        raise UserError(
            first,
            card=cards.task_done_card(
                task_id=found.id,
                pupil_id=pupil_id,
                pupil_name=await pupil_name(turn.session, pupil_id),
                kind=found.kind,
                today=today,
                values=values_of(data, ("done_at", "how")),
                errors=errors,
                message=first,
            ),
        )
    if not await parents.mark_done(
        turn.session, task_id=found.id, done_at=done_at, how=how, by=turn.actor.staff_id, now=turn.now
    ):
        # A concurrent press closed it first.
        again = await parents.task(turn.session, found.id)
        assert again is not None
        raise _already(again)
    turn.audit("parent_task_done", entity="parent_task", entity_id=found.id, pupil_id=pupil_id)
    return Outbound.card(
        notice(
            texts.TASK_DONE_SAVED.format(
                what=texts.PARENT_TASK_WORDS[found.kind],
                date=day(done_at),
                how=texts.PARENT_HOW_WORDS[how],
                by=turn.actor.display_name,
            ),
            color="Good",
        )
    )
