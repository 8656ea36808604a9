"""Support plans: `plan <pupil>` shows the current plan; the SENCO or the class teacher drafts and edits it.

Why this shape: a plan cannot exist without a review date (the reminders chase the open review that
saving keeps in step with it); edits are optimistic (the card carries the plan's version, a stale card
gets the current plan back); a new plan carries an idempotency key so a double submit saves one. The
previous plan is closed only when the next cycle starts (bot/flows/reviews.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.records.plans import current_plan_card
from bot.rules.policy import PLAN_READERS, PLAN_WRITERS, plan_scope
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.guard import pupil_from_card, pupil_from_text
from bot.turn.router import Router
from cards import texts
from cards.common import Card
from cards.forms import values_of
from cards.plans import FIELDS, LONG_TEXT_LIMIT, MAX_OUTCOMES, OUTCOME_LIMIT, plan_form_card
from cards.verbs import Verb
from storage.models import ParentTaskKind
from storage.queries import parents, plans, schools
from storage.queries.register import pupil_name

USAGE = "plan [pupil]"


def add_routes(router: Router) -> None:
    router.command(
        "plan", summary="A pupil's support plan: read, draft, edit", usage=USAGE, roles=PLAN_READERS
    )(plan_command)
    router.verb(Verb.PLAN_SHOW, roles=PLAN_READERS)(show_plan)
    router.verb(Verb.PLAN_EDIT, roles=PLAN_WRITERS)(edit_plan)
    router.verb(Verb.PLAN_SAVE, roles=PLAN_WRITERS)(save_plan)


async def plan_command(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_text(
        turn, plan_scope(turn.actor), turn.inbound.args, usage=USAGE, verb=Verb.PLAN_SHOW
    )
    return Outbound.card(await current_plan_card(turn, pupil_id))


async def show_plan(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), turn.inbound.data, "plan_read")
    return Outbound.card(await current_plan_card(turn, pupil_id))


async def edit_plan(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), turn.inbound.data, "plan_edit")
    turn.audit("plan_read", entity="pupil", entity_id=pupil_id, pupil_id=pupil_id)
    return Outbound.card(await _form(turn, pupil_id))


async def _form(
    turn: TurnContext,
    pupil_id: int,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    today = turn.today
    weeks = await schools.review_interval_weeks(turn.session, turn.actor.school_id)
    return plan_form_card(
        pupil_id=pupil_id,
        name=await pupil_name(turn.session, pupil_id),
        plan=await plans.current_plan(turn.session, pupil_id),
        provision_options=await plans.provision_options(turn.session, turn.actor.school_id),
        default_review_on=(today + dt.timedelta(weeks=weeks)).isoformat(),
        key=uuid.uuid4().hex,
        values=values,
        errors=errors,
        message=message,
    )


async def save_plan(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), data, "plan_save")
    key = forms.card_key(data)
    plan_id = forms.card_int(data, "plan_id", low=0)
    version = forms.card_int(data, "version", low=0)
    assert plan_id is not None and version is not None
    today = turn.today
    catalogue = {i for i, _ in await plans.provision_options(turn.session, turn.actor.school_id)}
    errors: forms.Errors = {}
    fields = validate_plan(data, errors, today=today, catalogue=catalogue)
    if fields is None:
        first = next(iter(errors.values()))
        raise UserError(
            first,
            card=await _form(turn, pupil_id, values=values_of(data, FIELDS), errors=errors, message=first),
        )

    current = await plans.current_plan(turn.session, pupil_id)
    if plan_id == 0:
        if await plans.key_used(turn.session, key):
            raise UserError(
                texts.PLAN_ALREADY,
                card=await current_plan_card(turn, pupil_id, message=texts.PLAN_ALREADY, audit=False),
            )
        if current is not None and current.status == "active":
            raise UserError(
                texts.PLAN_STALE,
                card=await current_plan_card(turn, pupil_id, message=texts.PLAN_STALE, audit=False),
            )
        try:
            saved_id = await plans.create_plan(
                turn.session,
                pupil_id=pupil_id,
                cycle=current.cycle + 1 if current else 1,
                fields=fields,
                by=turn.actor.staff_id,
                key=key,
                now=turn.now,
            )
        except IntegrityError:
            # A concurrent submit of the same card (same key) or another new plan won the race.
            raise UserError(texts.PLAN_ALREADY) from None
        turn.audit("plan_created", entity="support_plan", entity_id=saved_id, pupil_id=pupil_id)
        await _parents_told(turn, pupil_id, saved_id, 1, today)
    else:
        if (
            current is None
            or current.id != plan_id
            or not await plans.update_plan(
                turn.session, plan_id=plan_id, version=version, fields=fields, now=turn.now
            )
        ):
            raise UserError(
                texts.PLAN_STALE,
                card=await current_plan_card(turn, pupil_id, message=texts.PLAN_STALE, audit=False),
            )
        turn.audit("plan_updated", entity="support_plan", entity_id=plan_id, pupil_id=pupil_id)
        await _parents_told(turn, pupil_id, plan_id, version + 1, today)
    return Outbound.card(
        await current_plan_card(turn, pupil_id, message=texts.PLAN_SAVED, good=True, audit=False)
    )


async def _parents_told(turn: TurnContext, pupil_id: int, plan_id: int, version: int, today: dt.date) -> None:
    """A saved plan is a duty to tell the parents (storage/queries/parents.py), in this transaction."""
    await parents.add_task(
        turn.session,
        pupil_id=pupil_id,
        kind=ParentTaskKind.INFORM_PLAN_CHANGE,
        source_entity="support_plan",
        source_id=plan_id,
        revision=version,
        today=today,
        now=turn.now,
    )


def validate_plan(
    data: Mapping[str, Any], errors: forms.Errors, *, today: dt.date, catalogue: set[int]
) -> plans.PlanFields | None:
    outcomes: list[str] = []
    for i in range(1, MAX_OUTCOMES + 1):
        text = forms.text(data, f"outcome{i}", errors, limit=OUTCOME_LIMIT)
        if f"outcome{i}" in errors and errors[f"outcome{i}"] != texts.BAD_CARD:
            errors[f"outcome{i}"] = texts.OUTCOME_TOO_LONG
        if text:
            outcomes.append(text)
    if not outcomes and not any(k.startswith("outcome") for k in errors):
        errors["outcome1"] = texts.OUTCOMES_REQUIRED
    strategies = forms.text(data, "strategies", errors, limit=LONG_TEXT_LIMIT)
    pupil_views = forms.text(data, "pupil_views", errors, limit=LONG_TEXT_LIMIT)
    parent_views = forms.text(data, "parent_views", errors, limit=LONG_TEXT_LIMIT)
    provision_ids: list[int] = []
    for raw in forms.choices(data, "provisions", errors):
        provision_id = forms.number(raw)
        if provision_id is None or provision_id not in catalogue:
            errors["provisions"] = texts.PROVISION_UNKNOWN
            break
        if provision_id not in provision_ids:
            provision_ids.append(provision_id)
    review_on = forms.date(data, "review_on", errors, required=texts.REVIEW_DATE_REQUIRED)
    if review_on is not None:
        if review_on <= today:
            errors["review_on"] = texts.REVIEW_DATE_PAST
        elif review_on > today + dt.timedelta(days=365):
            errors["review_on"] = texts.REVIEW_DATE_FAR
    if errors or review_on is None:
        return None
    return plans.PlanFields(outcomes, strategies, provision_ids, review_on, pupil_views, parent_views)
