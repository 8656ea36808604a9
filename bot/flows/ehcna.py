"""`ehcna`, `ehcna all`, `ehcna <pupil>`: requests to the local authority for an EHC needs assessment,
each step it takes, and the deadlines the SEND Code of Practice gives it (6, 16 and 20 weeks).

Why this shape (docs/ehcna.md): the SENCO records what happened, with its date, as it happens; the
deadlines are computed from the request date, shown here and chased by the morning reminders
(bot/jobs/reminders.py). A step carries the request's version, so a stale or doubled card changes
nothing. Issuing the final plan records the EHC plan, moves the register to E from the plan's date and
puts the plan's annual review in the reviews the reminders chase, all in the turn's one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping
from typing import Any

from bot.rules.policy import EHCNA_KEEPERS, evidence_scope_of
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.guard import pupil_from_card, pupil_from_text
from bot.turn.router import Router
from cards import ehcna as cards
from cards import texts
from cards.common import Card, day
from cards.forms import values_of
from cards.verbs import Verb
from storage.models import EhcnaStatus
from storage.queries import ehcna as queries
from storage.queries import parents
from storage.queries import register as reg

NEW_FIELDS = ("requested_on", "la", "requested_by", "evidence")
STEP_FIELDS = ("step", "on", "step_reason")
# What each step sets on the request.
STEP_STATUS = {
    "assess": EhcnaStatus.ASSESSING,
    "not_assess": EhcnaStatus.NOT_ASSESSING,
    "assessed": EhcnaStatus.ASSESSED,
    "draft": EhcnaStatus.DRAFT,
    "issued": EhcnaStatus.ISSUED,
    "not_issued": EhcnaStatus.NOT_ISSUED,
    "withdraw": EhcnaStatus.WITHDRAWN,
}
STEP_DATE = {
    "assess": "decided_on",
    "not_assess": "decided_on",
    "assessed": "assessed_on",
    "draft": "draft_on",
    "issued": "final_on",
    "not_issued": "final_on",
    "withdraw": "withdrawn_on",
}
STEP_REASON = {"not_assess": "decision_reason", "not_issued": "final_reason", "withdraw": "withdrawn_reason"}


def add_routes(router: Router) -> None:
    router.command(
        "ehcna", summary=texts.EHCNA_SUMMARY, usage=texts.EHCNA_USAGE, roles=EHCNA_KEEPERS, menu=False
    )(ehcna_command)
    router.verb(Verb.EHCNA_SHOW, roles=EHCNA_KEEPERS)(show)
    router.verb(Verb.EHCNA_PAGE, roles=EHCNA_KEEPERS)(show_page)
    router.verb(Verb.EHCNA_RECORD, roles=EHCNA_KEEPERS)(record)
    router.verb(Verb.EHCNA_STEP, roles=EHCNA_KEEPERS)(step)


async def ehcna_command(turn: TurnContext) -> Outbound:
    args = turn.inbound.args
    if not args or args.lower() == "all":
        return await _list(turn, 1, open_only=not args)
    pupil_id = await pupil_from_text(
        turn, evidence_scope_of(turn.actor), args, usage=texts.EHCNA_USAGE, verb=Verb.EHCNA_SHOW
    )
    return Outbound.card(await _pupil_card(turn, pupil_id))


async def show(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, evidence_scope_of(turn.actor), turn.inbound.data, "ehcna_read")
    return Outbound.card(await _pupil_card(turn, pupil_id))


async def show_page(turn: TurnContext) -> Outbound:
    page = forms.card_int(turn.inbound.data, "page")
    assert page is not None
    return await _list(turn, max(page, 1), open_only=turn.inbound.data.get("all") is not True)


async def _list(turn: TurnContext, page: int, *, open_only: bool) -> Outbound:
    school_id = turn.actor.school_id
    total = await queries.count(turn.session, school_id, open_only=open_only)
    pages = max(1, math.ceil(total / cards.PAGE_SIZE))
    page = min(page, pages)
    rows = await queries.page(
        turn.session,
        school_id,
        open_only=open_only,
        offset=(page - 1) * cards.PAGE_SIZE,
        limit=cards.PAGE_SIZE,
    )
    turn.audit("ehcna_listed", entity="ehcna", entity_id=page)
    return Outbound.card(cards.list_card(rows, today=turn.today, page=page, pages=pages, open_only=open_only))


async def _pupil_card(
    turn: TurnContext,
    pupil_id: int,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    good: bool = False,
    audit: bool = True,
) -> Card:
    if audit:
        turn.audit("ehcna_read", entity="pupil", entity_id=pupil_id, pupil_id=pupil_id)
    return cards.pupil_card(
        pupil_id=pupil_id,
        pupil_name=await reg.pupil_name(turn.session, pupil_id),
        rows=await queries.for_pupil(turn.session, pupil_id),
        today=turn.today,
        key=uuid.uuid4().hex,
        values=values,
        errors=errors,
        message=message,
        good=good,
    )


async def _refuse(turn: TurnContext, pupil_id: int, message: str) -> UserError:
    return UserError(message, card=await _pupil_card(turn, pupil_id, message=message, audit=False))


def _past_date(data: Mapping[str, Any], name: str, errors: forms.Errors, today: dt.date) -> dt.date | None:
    value = forms.date(data, name, errors, required=texts.EHCNA_DATE_REQUIRED)
    if value is not None and value > today:
        errors[name] = texts.EHCNA_DATE_FUTURE
    return value


async def record(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, evidence_scope_of(turn.actor), data, "ehcna_record")
    key = forms.card_key(data)
    if await queries.key_used(turn.session, key):
        raise await _refuse(turn, pupil_id, texts.EHCNA_ALREADY)
    errors: forms.Errors = {}
    requested_on = _past_date(data, "requested_on", errors, turn.today)
    la = forms.text(data, "la", errors, limit=cards.LA_LIMIT, required=texts.EHCNA_LA_REQUIRED)
    by = forms.text(data, "requested_by", errors, limit=8, required=texts.EHCNA_REQUESTER_REQUIRED)
    if "requested_by" not in errors and by not in texts.EHCNA_REQUESTER_WORDS:
        errors["requested_by"] = texts.EHCNA_REQUESTER_REQUIRED
    evidence = forms.text(data, "evidence", errors, limit=5) == "true"
    if errors or requested_on is None:
        first = next(iter(errors.values()))
        card = await _pupil_card(
            turn, pupil_id, values=values_of(data, NEW_FIELDS), errors=errors, message=first, audit=False
        )
        raise UserError(first, card=card, in_place=True)
    new_id = await queries.create(
        turn.session,
        school_id=turn.actor.school_id,
        pupil_id=pupil_id,
        requested_on=requested_on,
        local_authority=la,
        requested_by=by,
        evidence_attached=evidence,
        by=turn.actor.staff_id,
        key=key,
        now=turn.now,
    )
    if new_id is None:
        # The key was used by a concurrent submit, or the pupil has an open request already.
        message = (
            texts.EHCNA_ALREADY if await queries.key_used(turn.session, key) else texts.EHCNA_ALREADY_OPEN
        )
        raise await _refuse(turn, pupil_id, message)
    turn.audit("ehcna_requested", entity="ehcna_request", entity_id=new_id, pupil_id=pupil_id)
    return Outbound.card(
        await _pupil_card(turn, pupil_id, message=texts.EHCNA_RECORDED, good=True, audit=False)
    )


async def step(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, evidence_scope_of(turn.actor), data, "ehcna_step")
    request_id = forms.card_int(data, "request_id")
    version = forms.card_int(data, "version")
    assert request_id is not None and version is not None
    row = await queries.one(turn.session, request_id)
    if row is None or row.pupil_id != pupil_id:
        await turn.audit_refused(
            "ehcna_step", entity="ehcna_request", entity_id=request_id, pupil_id=pupil_id
        )
        raise UserError(texts.OUT_OF_SCOPE)
    if not row.is_open:
        raise await _refuse(turn, pupil_id, texts.EHCNA_CLOSED)
    if row.version != version:
        raise await _refuse(turn, pupil_id, texts.EHCNA_STALE)

    errors: forms.Errors = {}
    name = forms.text(data, "step", errors, limit=16, required=texts.EHCNA_STEP_UNKNOWN)
    if "step" not in errors and name not in cards.NEXT_STEPS[row.status]:
        errors["step"] = texts.EHCNA_STEP_UNKNOWN
    on = _past_date(data, "on", errors, turn.today)
    last = max(d for d in (row.requested_on, row.decided_on, row.assessed_on, row.draft_on) if d is not None)
    if on is not None and "on" not in errors and on < last:
        errors["on"] = texts.EHCNA_DATE_BEFORE.format(date=day(last))
    reason = forms.text(
        data,
        "step_reason",
        errors,
        limit=cards.REASON_LIMIT,
        required=texts.EHCNA_REASON_REQUIRED if name in cards.NEEDS_REASON else None,
    )
    current = await reg.current(turn.session, pupil_id)
    if name == "issued" and not errors and (current is None or current.need1 is None):
        errors["step"] = texts.EHCNA_ISSUE_NEEDS_NEED
    if errors or on is None:
        first = next(iter(errors.values()))
        card = await _pupil_card(
            turn, pupil_id, values=values_of(data, STEP_FIELDS), errors=errors, message=first, audit=False
        )
        raise UserError(first, card=card, in_place=True)

    changes: dict[str, Any] = {"status": STEP_STATUS[name].value, STEP_DATE[name]: on}
    if name in STEP_REASON:
        changes[STEP_REASON[name]] = reason
    if not await queries.apply_step(turn.session, request_id, version=version, now=turn.now, **changes):
        raise await _refuse(turn, pupil_id, texts.EHCNA_STALE)
    turn.audit(f"ehcna_{name}", entity="ehcna_request", entity_id=request_id, pupil_id=pupil_id)
    message = texts.EHCNA_STEP_SAVED
    if name == "issued":
        assert current is not None
        review_on = await _issue_plan(turn, row, current, on)
        message = texts.EHCNA_ISSUED_SAVED.format(date=day(on), review=day(review_on))
    return Outbound.card(await _pupil_card(turn, pupil_id, message=message, good=True, audit=False))


async def _issue_plan(
    turn: TurnContext, row: queries.RequestRow, current: reg.CurrentEntry, issued_on: dt.date
) -> dt.date:
    """Record the plan, move the register to E from the plan's date (history kept), and add the plan's
    annual review; returns when that review is due."""
    plan_id = await queries.add_plan(
        turn.session,
        pupil_id=row.pupil_id,
        request_id=row.id,
        issued_on=issued_on,
        by=turn.actor.staff_id,
        now=turn.now,
    )
    turn.audit("ehc_plan_recorded", entity="ehc_plan", entity_id=plan_id, pupil_id=row.pupil_id)
    if current.status != "E":
        if not await reg.end_current(turn.session, current.id, issued_on):
            raise await _refuse(turn, row.pupil_id, texts.EHCNA_STALE)
        entry_id = await reg.append(
            turn.session,
            pupil_id=row.pupil_id,
            status="E",
            need1=current.need1,
            need2=current.need2,
            today=issued_on,
            by=turn.actor.staff_id,
            reason=texts.EHCNA_ISSUED_REASON.format(la=row.local_authority),
            key=f"ehcna:{row.id}",
            now=turn.now,
        )
        turn.audit("register_changed", entity="register_entry", entity_id=entry_id, pupil_id=row.pupil_id)
        kind = parents.register_task_kind(current.status, "E")
        if kind is not None:
            await parents.add_task(
                turn.session,
                pupil_id=row.pupil_id,
                kind=kind,
                source_entity="register_entry",
                source_id=entry_id,
                today=turn.today,
                now=turn.now,
            )
    due = queries.annual_review_due(issued_on, await queries.date_of_birth(turn.session, row.pupil_id))
    await queries.add_annual_review(turn.session, pupil_id=row.pupil_id, due_on=due, now=turn.now)
    return due
