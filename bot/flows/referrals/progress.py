"""After approval: one referral's state and next step, the steps to the report, and the open list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.flows.referrals.common import PAGE_SIZE, read_date, read_text, refuse
from bot.rules.policy import may_decide_referral, may_view_referral
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import InboundKind, Outbound, UserError
from cards import texts
from cards.common import notice
from cards.referrals import (
    NEXT_STEP,
    day,
    progress_card,
    referrals_card,
)
from storage.models import ReferralStatus, Role
from storage.queries import referrals
from storage.queries.referrals import ReferralView

MAX_WAITING_WEEKS = 104


# Where each later step's date lives, so a step cannot be dated before the one it follows.
STEP_DATE = {
    ReferralStatus.SENT.value: "sent_on",
    ReferralStatus.ACCEPTED.value: "accepted_on",
    ReferralStatus.ASSESSED.value: "assessed_on",
    ReferralStatus.REPORT_RECEIVED.value: "report_on",
}


async def show_referral(turn: TurnContext) -> Outbound:
    referral_id = forms.number(turn.inbound.args.lstrip("#"))
    if referral_id is None:
        return Outbound.card(notice(texts.REFERRAL_USAGE))
    view = await referrals.view(turn.session, referral_id)
    if view is None or not may_view_referral(turn.actor, view.school_id, view.requested_by):
        return refuse(
            turn,
            "referral_view_refused",
            texts.REFERRAL_NOT_FOUND.format(id=referral_id),
            view=None,
            entity_id=referral_id,
        )
    turn.audit("referral_viewed", entity="referral", entity_id=view.id, pupil_id=view.pupil_id)
    events = await referrals.history(turn.session, view.id)
    return Outbound.card(
        progress_card(view, events, can_move=may_decide_referral(turn.actor, view.school_id))
    )


def _step_values(
    to_status: str, data: Mapping[str, Any], errors: dict[str, str], today: dt.date, view: ReferralView
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if to_status in STEP_DATE:
        on = read_date(data, "on", errors, today=today)
        previous = [getattr(view, f) for f in STEP_DATE.values() if getattr(view, f) is not None]
        floor = max(previous, default=view.created_at.date())
        if on is not None and on < floor:
            errors["on"] = texts.FIELD_BEFORE.format(date=day(floor))
        values[STEP_DATE[to_status]] = on
    if to_status == ReferralStatus.ACCEPTED.value:
        raw = data.get("waiting_weeks")
        if raw not in (None, ""):
            weeks = forms.number(raw, low=0, high=MAX_WAITING_WEEKS)
            if weeks is None:
                errors["waiting_weeks"] = texts.FIELD_BAD_NUMBER.format(low=0, high=MAX_WAITING_WEEKS)
            values["waiting_weeks"] = weeks
    if to_status == ReferralStatus.REPORT_RECEIVED.value:
        values["report_summary"] = read_text(data, "summary", errors, required=True)
        values["report_recommendations"] = read_text(data, "recommendations", errors, required=True)
    return values


async def progress(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    referral_id, version = forms.number(data.get("referral")), forms.number(data.get("version"))
    to_status = data.get("to")
    view = await referrals.view(turn.session, referral_id) if referral_id is not None else None
    if view is None or version is None or not may_decide_referral(turn.actor, view.school_id):
        return refuse(
            turn, "referral_progress_refused", texts.DECISION_REFUSED, view=view, entity_id=referral_id
        )
    events = await referrals.history(turn.session, view.id)
    if view.version != version or NEXT_STEP.get(view.status) != to_status:
        # A stale card, a double click, or a step that skips ahead or goes back: nothing changes.
        turn.audit("referral_progress_stale", entity="referral", entity_id=view.id, pupil_id=view.pupil_id)
        return Outbound.replacing(progress_card(view, events, message=texts.STALE_CARD))
    assert isinstance(to_status, str)
    errors: dict[str, str] = {}
    values = _step_values(to_status, data, errors, turn.today, view)
    note = read_text(data, "note", errors, required=False)
    if errors:
        raise UserError(
            texts.FIELD_REQUIRED, card=progress_card(view, events, values=data, errors=errors), in_place=True
        )
    applied = await referrals.transition(
        turn.session,
        referral_id=view.id,
        school_id=view.school_id,
        version=version,
        from_statuses=[view.status],
        to_status=to_status,
        now=turn.now,
        values=values,
    )
    if not applied:
        current = await referrals.view(turn.session, view.id)
        assert current is not None
        return Outbound.replacing(
            progress_card(current, await referrals.history(turn.session, view.id), message=texts.STALE_CARD),
        )
    referrals.add_event(
        turn.session,
        referral_id=view.id,
        status=to_status,
        actor_id=turn.actor.staff_id,
        at=turn.now,
        note=note,
    )
    turn.audit(f"referral_{to_status}", entity="referral", entity_id=view.id, pupil_id=view.pupil_id)
    moved = await referrals.view(turn.session, view.id)
    assert moved is not None
    message = texts.PROGRESS_DONE.format(status=texts.REFERRAL_STATUS_WORDS[to_status])
    return Outbound.replacing(
        progress_card(moved, await referrals.history(turn.session, view.id), message=message)
    )


async def list_referrals(turn: TurnContext) -> Outbound:
    page = 0
    if turn.inbound.kind is not InboundKind.MESSAGE:
        page = forms.number(turn.inbound.data.get("page"), low=0, high=10_000) or 0
    whole_school = Role.SENCO in turn.actor.roles
    rows, has_next = await referrals.open_referrals(
        turn.session,
        school_id=turn.actor.school_id,
        requested_by=None if whole_school else turn.actor.staff_id,
        page=page,
        size=PAGE_SIZE,
    )
    for r in rows:
        turn.audit("referral_listed", entity="referral", entity_id=r.id, pupil_id=r.pupil_id)
    return Outbound.replacing(referrals_card(rows, page=page, has_next=has_next, now=turn.now))
