"""Reviews: the teacher or SENCO records a review; "Start next cycle" clones the plan; `reviews` lists
what is due and how many parent meetings each pupil has had this academic year.

Why this shape: recording marks the plan's one open review held (the row the reminders chase) and opens
the next one, so there is never a plan without an open review; it applies only if the review is still
open and the plan is still at the card's version, so a double submit or a stale card records nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.records.plans import current_plan_card
from bot.rules.calendar import academic_year_start
from bot.rules.policy import PLAN_WRITERS, REVIEW_LIST_READERS, may_write_plans, plan_scope, pupil_scope
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.guard import pupil_from_card, pupil_from_text
from bot.turn.router import Router
from cards import texts
from cards.common import Card, day
from cards.forms import values_of
from cards.reviews import (
    NOTE_LIMIT,
    RESULTS,
    STEPS_LIMIT,
    WHO_LIMIT,
    next_cycle_card,
    note_field,
    result_field,
    review_form_card,
    review_form_fields,
    reviews_card,
)
from cards.verbs import Verb
from storage.models import ParentTaskKind
from storage.queries import parents, plans, reviews, schools
from storage.queries.plans import PlanView
from storage.queries.register import pupil_name

USAGE = "review [pupil]"


def add_routes(router: Router) -> None:
    # Out of the Teams menu (at most 10 entries): reached from `plan` and `reviews`.
    router.command("review", summary="Record a pupil's review", usage=USAGE, roles=PLAN_WRITERS, menu=False)(
        review_command
    )
    router.command(
        "reviews", summary="Reviews due and overdue; parent meetings this year", roles=REVIEW_LIST_READERS
    )(list_reviews)
    router.verb(Verb.REVIEW_START, roles=PLAN_WRITERS)(start_review)
    router.verb(Verb.REVIEW_SAVE, roles=PLAN_WRITERS)(save_review)
    router.verb(Verb.REVIEW_NEXT_CYCLE, roles=PLAN_WRITERS)(next_cycle)


async def list_reviews(turn: TurnContext) -> Outbound:
    scope = pupil_scope(turn.actor)
    today = turn.today
    since = academic_year_start(today)
    due, total = await reviews.due_and_overdue(turn.session, scope, today=today)
    parents = await reviews.parent_reviews(turn.session, scope, since=since, today=today)
    turn.audit("reviews_listed", entity="review", entity_id=len(due))
    return Outbound.card(
        reviews_card(
            today=today,
            due=due,
            total=total,
            parents=parents,
            since=since,
            can_record=may_write_plans(turn.actor),
        )
    )


async def review_command(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_text(
        turn, plan_scope(turn.actor), turn.inbound.args, usage=USAGE, verb=Verb.REVIEW_START
    )
    return Outbound.card(await _form(turn, pupil_id))


async def start_review(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), turn.inbound.data, "review_start")
    return Outbound.card(await _form(turn, pupil_id))


async def _active_plan(turn: TurnContext, pupil_id: int) -> PlanView:
    plan = await plans.current_plan(turn.session, pupil_id)
    if plan is None or plan.status != "active":
        raise UserError(texts.REVIEW_NO_PLAN)
    return plan


async def _form(
    turn: TurnContext,
    pupil_id: int,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    plan = await _active_plan(turn, pupil_id)
    today = turn.today
    open_review = await reviews.open_review(turn.session, plan.id)
    if open_review is None:
        # A plan from before this flow existed: give it its open review now (the reminders need it).
        await plans.ensure_open_review(
            turn.session, plan_id=plan.id, pupil_id=pupil_id, due_on=plan.review_on, now=turn.now
        )
        open_review = await reviews.open_review(turn.session, plan.id)
        assert open_review is not None
    weeks = await schools.review_interval_weeks(turn.session, turn.actor.school_id)
    turn.audit("review_read", entity="review", entity_id=open_review.id, pupil_id=pupil_id)
    return review_form_card(
        pupil_id=pupil_id,
        name=await pupil_name(turn.session, pupil_id),
        plan=plan,
        review_id=open_review.id,
        due_on=open_review.due_on,
        today=today,
        default_next_due=today + dt.timedelta(weeks=weeks),
        key=uuid.uuid4().hex,
        values=values,
        errors=errors,
        message=message,
    )


async def _stale(turn: TurnContext, pupil_id: int, message: str) -> UserError:
    return UserError(message, card=await current_plan_card(turn, pupil_id, message=message, audit=False))


async def save_review(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), data, "review_save")
    key = forms.card_key(data)
    plan_id = forms.card_int(data, "plan_id")
    version = forms.card_int(data, "version")
    review_id = forms.card_int(data, "review_id", high=forms.MAX_BIG_ID)
    assert plan_id is not None and version is not None and review_id is not None
    if await reviews.key_used(turn.session, key):
        raise await _stale(turn, pupil_id, texts.REVIEW_ALREADY)
    plan = await plans.current_plan(turn.session, pupil_id)
    if plan is None or plan.id != plan_id or plan.version != version or plan.status != "active":
        raise await _stale(turn, pupil_id, texts.REVIEW_STALE)

    today = turn.today
    errors: forms.Errors = {}
    parsed = _validate(data, errors, plan=plan, today=today)
    if parsed is None:
        first = next(iter(errors.values()))
        card = await _form(
            turn, pupil_id, values=values_of(data, review_form_fields(plan)), errors=errors, message=first
        )
        raise UserError(first, card=card, in_place=True)
    held_on, attended, who, steps, next_due, judgements = parsed
    try:
        recorded = await reviews.record(
            turn.session,
            review_id=review_id,
            plan_id=plan_id,
            plan_version=version,
            pupil_id=pupil_id,
            held_on=held_on,
            parent_attended=attended,
            parent_who=who,
            next_steps=steps,
            next_due_on=next_due,
            judgements=judgements,
            by=turn.actor.staff_id,
            key=key,
            now=turn.now,
        )
    except IntegrityError:
        raise UserError(texts.REVIEW_ALREADY) from None
    if not recorded:
        # Raised so that anything `record` had begun is rolled back.
        already = await reviews.key_used(turn.session, key)
        raise await _stale(turn, pupil_id, texts.REVIEW_ALREADY if already else texts.REVIEW_STALE)
    turn.audit("review_recorded", entity="review", entity_id=review_id, pupil_id=pupil_id)
    await parents.add_task(
        turn.session,
        pupil_id=pupil_id,
        kind=ParentTaskKind.SHARE_REVIEW_OUTCOME,
        source_entity="review",
        source_id=review_id,
        today=today,
        now=turn.now,
    )
    moved = await plans.plan_by_id(turn.session, plan_id)
    assert moved is not None
    return Outbound.card(
        next_cycle_card(
            pupil_id=pupil_id,
            name=await pupil_name(turn.session, pupil_id),
            plan=moved,
            results={j.outcome_id: j.result for j in judgements},
            message=texts.REVIEW_SAVED.format(next_due=day(next_due)),
        )
    )


def _validate(
    data: Mapping[str, Any], errors: forms.Errors, *, plan: PlanView, today: dt.date
) -> tuple[dt.date, bool, str, str, dt.date, list[reviews.Judgement]] | None:
    held_on = forms.date(data, "held_on", errors, required=texts.HELD_ON_REQUIRED)
    if held_on is not None and held_on > today:
        errors["held_on"] = texts.HELD_ON_FUTURE
    attended = forms.text(data, "parent_attended", errors, limit=16, required=texts.PARENT_REQUIRED)
    if "parent_attended" not in errors and attended not in ("yes", "no"):
        errors["parent_attended"] = texts.PARENT_REQUIRED
    who = forms.text(data, "parent_who", errors, limit=WHO_LIMIT)
    if attended == "yes" and not who and "parent_who" not in errors:
        errors["parent_who"] = texts.PARENT_WHO_REQUIRED
    judgements: list[reviews.Judgement] = []
    for o in plan.outcomes:
        result = forms.text(data, result_field(o.id), errors, limit=16, required=texts.RESULT_REQUIRED)
        if result and result not in RESULTS and result_field(o.id) not in errors:
            errors[result_field(o.id)] = texts.RESULT_REQUIRED
        note = forms.text(data, note_field(o.id), errors, limit=NOTE_LIMIT)
        judgements.append(reviews.Judgement(o.id, result, note))
    steps = forms.text(data, "next_steps", errors, limit=STEPS_LIMIT)
    next_due = forms.date(data, "next_due_on", errors, required=texts.NEXT_DUE_REQUIRED)
    if next_due is not None and held_on is not None:
        if next_due <= held_on:
            errors["next_due_on"] = texts.NEXT_DUE_AFTER
        elif next_due > held_on + dt.timedelta(days=365):
            errors["next_due_on"] = texts.NEXT_DUE_FAR
    if errors or held_on is None or next_due is None:
        return None
    return held_on, attended == "yes", who, steps, next_due, judgements


async def next_cycle(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, plan_scope(turn.actor), data, "plan_next_cycle")
    plan_id = forms.card_int(data, "plan_id")
    version = forms.card_int(data, "version")
    errors: forms.Errors = {}
    carry = forms.choices(data, "carry", errors)
    if errors:
        raise UserError(texts.BAD_CARD)
    plan = await plans.current_plan(turn.session, pupil_id)
    if plan is None or plan.id != plan_id or plan.version != version or plan.status != "active":
        raise await _stale(turn, pupil_id, texts.NEXT_CYCLE_STALE)
    by_id = {str(o.id): o.text for o in plan.outcomes}
    if any(c not in by_id for c in carry):
        raise UserError(texts.BAD_CARD)
    if not await reviews.close_plan(turn.session, plan_id=plan.id, version=plan.version, now=turn.now):
        raise await _stale(turn, pupil_id, texts.NEXT_CYCLE_STALE)
    fields = plans.PlanFields(
        outcomes=[o.text for o in plan.outcomes if str(o.id) in carry],
        strategies=plan.strategies,
        provision_ids=[i for i, _ in plan.provisions],
        review_on=plan.review_on,
        pupil_views=plan.pupil_views,
        parent_views=plan.parent_views,
    )
    try:
        new_id = await plans.create_plan(
            turn.session,
            pupil_id=pupil_id,
            cycle=plan.cycle + 1,
            fields=fields,
            by=turn.actor.staff_id,
            key=None,
            now=turn.now,
            review_from_plan=plan.id,
        )
    except IntegrityError:
        raise UserError(texts.NEXT_CYCLE_STALE) from None
    turn.audit("plan_cycle_started", entity="support_plan", entity_id=new_id, pupil_id=pupil_id)
    await parents.add_task(
        turn.session,
        pupil_id=pupil_id,
        kind=ParentTaskKind.INFORM_PLAN_CHANGE,
        source_entity="support_plan",
        source_id=new_id,
        revision=1,
        today=turn.today,
        now=turn.now,
    )
    return Outbound.card(
        await current_plan_card(
            turn,
            pupil_id,
            message=texts.NEXT_CYCLE_STARTED.format(cycle=plan.cycle + 1),
            good=True,
            audit=False,
        )
    )
