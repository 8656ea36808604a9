"""Concerns: a teacher raises a concern about a pupil not on the SEN register; the SENCO accepts the pupil
onto SEN support or declines, in chat.

Why it is shaped like this:
- the decision has the referral's mechanics (bot/turn/decisions.py, storage/queries/decisions.py): a version-
  checked UPDATE, so two SENCOs, a stale card, a double click or a Teams retry record exactly one decision
  and the loser gets the current card; forged decisions are refused and audited without raising;
- Accept writes the register through its one write path (bot/records/register.py), so
  every census rule applies and history is kept; if that write fails, the whole turn rolls back and the
  concern stays open;
- notifications (the SENCOs' approval cards, the teacher's answer) are outbox rows in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from bot.records.register import check_change, write_change
from bot.rules.calendar import previous_term_start
from bot.rules.policy import (
    CONCERN_RAISERS,
    STAFF,
    may_decide_concern,
    may_view_concern,
    pupil_scope,
)
from bot.turn import decisions, forms
from bot.turn.context import TurnContext
from bot.turn.core import Card, Outbound, UserError
from bot.turn.guard import pupil_from_card, pupil_from_text
from bot.turn.router import Router
from cards import texts
from cards.common import MAX_TEXT, notice
from cards.concerns import NOT_SURE, approval_card, concern_form, status_card
from cards.forms import values_of
from cards.referrals import tried_text
from cards.verbs import Verb
from storage.models import ConcernStatus
from storage.queries import concerns, referrals
from storage.queries import referrals as referral_queries
from storage.queries import register as reg
from storage.queries.concerns import ConcernView
from storage.queries.outbox import enqueue, message_payload
from storage.queries.referrals import Recipient

FORM_FIELDS = ("concern", "evidence", "need", "parents", "parents_on")
DECISION_FIELDS = ("status", "need1", "need2", "reason", "decline_reason")
DECISIONS = {
    Verb.CONCERN_ACCEPT.value: ConcernStatus.ACCEPTED.value,
    Verb.CONCERN_DECLINE.value: ConcernStatus.DECLINED.value,
}


def add_routes(router: Router) -> None:
    router.command(
        "concern",
        summary="Raise a concern about a pupil not on the SEN register",
        usage="concern [pupil]",
        roles=CONCERN_RAISERS,
        menu=False,  # reached from the pupil card's button too; the Teams menu holds at most ten
    )(open_command)
    router.verb(Verb.CONCERN_OPEN, roles=CONCERN_RAISERS)(open_from_button)
    router.verb(Verb.CONCERN_SUBMIT, roles=CONCERN_RAISERS)(submit)
    # Open to every staff role at the door so that a forged decision reaches the handler, which refuses
    # and audits it with the concern it aimed at.
    router.verb(Verb.CONCERN_ACCEPT, roles=STAFF)(decide)
    router.verb(Verb.CONCERN_DECLINE, roles=STAFF)(decide)
    router.verb(Verb.CONCERN_REFRESH, roles=STAFF)(refresh)


def _on_register(current: reg.CurrentEntry | None) -> bool:
    return current is not None and current.status in reg.ON_REGISTER


def _already_on(name: str, current: reg.CurrentEntry) -> str:
    return texts.CONCERN_ALREADY_ON.format(pupil=name, status=texts.STATUS_LABELS[current.status])


# -- raising a concern -------------------------------------------------------------------------


async def _form(turn: TurnContext, pupil_id: int) -> Outbound:
    name = await reg.pupil_name(turn.session, pupil_id)
    current = await reg.current(turn.session, pupil_id)
    turn.audit("concern_form_opened", entity="pupil", entity_id=pupil_id, pupil_id=pupil_id)
    if _on_register(current):
        assert current is not None
        return Outbound.card(notice(_already_on(name, current)))
    form = concern_form(
        pupil_id=pupil_id,
        pupil_name=name,
        key=uuid.uuid4().hex,
        needs=await reg.need_options(turn.session, turn.today),
        values={
            "evidence": tried_text(
                await referral_queries.tried_so_far(turn.session, pupil_id, previous_term_start(turn.today)),
                previous_term_start(turn.today),
            )
        },
    )
    return Outbound.card(form)


async def open_command(turn: TurnContext) -> Outbound:
    scope = pupil_scope(turn.actor)
    pupil_id = await pupil_from_text(
        turn, scope, turn.inbound.args, usage="concern [pupil]", verb=Verb.CONCERN_OPEN
    )
    return await _form(turn, pupil_id)


async def open_from_button(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), turn.inbound.data, "concern_form_refused")
    return await _form(turn, pupil_id)


def _read_form(
    data: Mapping[str, Any], errors: forms.Errors, need_codes: set[str], today: dt.date
) -> dict[str, Any]:
    text = forms.text(data, "concern", errors, limit=MAX_TEXT, required=texts.FIELD_REQUIRED)
    evidence = forms.text(data, "evidence", errors, limit=MAX_TEXT)
    need = forms.text(data, "need", errors, limit=8).upper()
    if need in ("", NOT_SURE.upper()):
        need = ""
    elif need not in need_codes and "need" not in errors:
        errors["need"] = texts.NEED_UNKNOWN
    parents = forms.text(data, "parents", errors, limit=8).lower()
    if parents not in ("", "yes", "no") and "parents" not in errors:
        errors["parents"] = texts.BAD_CARD
    parents_on: dt.date | None = None
    if data.get("parents_on") not in (None, ""):
        parents_on = forms.date(data, "parents_on", errors, required=texts.FIELD_REQUIRED, latest=today)
    return {
        "text": text,
        "evidence": evidence or None,
        "suggested_need": need or None,
        "parents_spoken": None if not parents else parents == "yes",
        "parents_spoken_on": parents_on if parents == "yes" else None,
    }


async def _sent(turn: TurnContext, concern_id: int) -> Outbound:
    view = await concerns.view(turn.session, concern_id)
    assert view is not None
    sencos = await referrals.sencos(turn.session, view.school_id)
    user_ids = await decisions.refresh_user_ids(turn, sencos, view.raised_by)
    message = texts.CONCERN_SENT.format(sencos=decisions.names(sencos))
    return Outbound.replacing(status_card(view, user_ids=user_ids, message=message))


async def submit(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    key = forms.card_key(data)
    replay = await concerns.id_by_key(turn.session, key)
    if replay is not None:
        if replay[1] != turn.actor.staff_id:
            return decisions.refuse(
                turn,
                "concern_replay_refused",
                texts.UNKNOWN_ACTION,
                entity="concern",
                entity_id=replay[0],
                pupil_id=None,
            )
        return await _sent(turn, replay[0])
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), data, "concern_refused")
    name = await reg.pupil_name(turn.session, pupil_id)
    current = await reg.current(turn.session, pupil_id)
    if _on_register(current):
        assert current is not None
        raise UserError(_already_on(name, current))
    today = turn.today
    needs = await reg.need_options(turn.session, today)
    errors: forms.Errors = {}
    values = _read_form(data, errors, {n.code for n in needs}, today)
    if errors:
        first = next(iter(errors.values()))
        form = concern_form(
            pupil_id=pupil_id,
            pupil_name=name,
            key=key,
            needs=needs,
            values=values_of(data, FORM_FIELDS),
            errors=errors,
            message=first,
        )
        raise UserError(first, card=form, in_place=True)
    sencos = await referrals.sencos(turn.session, turn.actor.school_id)
    if not sencos:
        raise UserError(texts.CONCERN_NO_SENCO)
    concern_id = await concerns.insert(
        turn.session,
        {
            **values,
            "school_id": turn.actor.school_id,
            "pupil_id": pupil_id,
            "raised_by": turn.actor.staff_id,
            "status": ConcernStatus.REQUESTED.value,
            "version": 1,
            "idempotency_key": key,
            "created_at": turn.now,
            "updated_at": turn.now,
        },
    )
    if concern_id is None:
        # The same card submitted twice at once: the other turn created it.
        replay = await concerns.id_by_key(turn.session, key)
        if replay is None or replay[1] != turn.actor.staff_id:
            raise UserError(texts.UNKNOWN_ACTION)
        return await _sent(turn, replay[0])
    turn.audit("concern_raised", entity="concern", entity_id=concern_id, pupil_id=pupil_id)
    view = await concerns.view(turn.session, concern_id)
    assert view is not None
    await _send_for_approval(turn, view, sencos)
    return await _sent(turn, concern_id)


async def _send_for_approval(turn: TurnContext, view: ConcernView, sencos: Sequence[Recipient]) -> None:
    user_ids = await decisions.refresh_user_ids(turn, sencos, view.raised_by)
    needs = await reg.need_options(turn.session, turn.today)
    card = approval_card(view, needs=needs, user_ids=user_ids)
    for senco in sencos:
        await enqueue(
            turn.session,
            kind="concern_request",
            subject=f"concern:{view.id}",
            period_key=f"concern_request:{view.id}:{senco.staff_id}:v{view.version}",
            recipient_id=senco.staff_id,
            payload=message_payload(card=card),
            now=turn.now,
        )


# -- the decision ------------------------------------------------------------------------------


async def _card_for_viewer(
    turn: TurnContext,
    view: ConcernView,
    message: str | None = None,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Card:
    sencos = await referrals.sencos(turn.session, view.school_id)
    user_ids = await decisions.refresh_user_ids(turn, sencos, view.raised_by)
    if may_decide_concern(turn.actor, view.school_id) and view.status == ConcernStatus.REQUESTED.value:
        needs = await reg.need_options(turn.session, turn.today)
        return approval_card(
            view, needs=needs, user_ids=user_ids, message=message, values=values, errors=errors
        )
    return status_card(view, user_ids=user_ids, message=message)


async def refresh(turn: TurnContext) -> Outbound:
    concern_id = forms.number(turn.inbound.data.get("concern"))
    view = await concerns.view(turn.session, concern_id) if concern_id is not None else None
    if view is None or not may_view_concern(turn.actor, view.school_id, view.raised_by):
        return decisions.refuse(
            turn,
            "concern_view_refused",
            texts.CONCERN_NOT_FOUND.format(id=concern_id or "?"),
            entity="concern",
            entity_id=concern_id,
            pupil_id=None,
        )
    turn.audit("concern_viewed", entity="concern", entity_id=view.id, pupil_id=view.pupil_id)
    return Outbound.replacing(await _card_for_viewer(turn, view))


async def decide(turn: TurnContext) -> Outbound:
    if turn.inbound.is_refresh:
        return await refresh(turn)
    data = turn.inbound.data
    concern_id, version = forms.number(data.get("concern")), forms.number(data.get("version"))
    view = await concerns.view(turn.session, concern_id) if concern_id is not None else None
    if view is None or version is None or not may_decide_concern(turn.actor, view.school_id):
        return decisions.refuse(
            turn,
            "concern_decision_refused",
            texts.CONCERN_REFUSED,
            entity="concern",
            entity_id=concern_id,
            pupil_id=view.pupil_id if view else None,
        )
    to_status = DECISIONS[turn.inbound.verb or ""]
    open_card = view.status == ConcernStatus.REQUESTED.value and view.version == version
    errors: forms.Errors = {}
    current = await reg.current(turn.session, view.pupil_id)
    status = need1 = need2 = note = None
    if to_status == ConcernStatus.ACCEPTED.value:
        if _on_register(current) and open_card:
            assert current is not None
            errors["status"] = texts.CONCERN_NOW_ON.format(
                pupil=view.pupil_name, status=texts.STATUS_LABELS[current.status]
            )
        else:
            status, need1, need2, note = await check_change(
                turn, data, current, errors, pupil_id=view.pupil_id
            )
    else:
        note = forms.text(
            data, "decline_reason", errors, limit=MAX_TEXT, required=texts.CONCERN_REASON_REQUIRED
        )
    if errors and open_card:
        first = next(iter(errors.values()))
        card = await _card_for_viewer(turn, view, values=values_of(data, DECISION_FIELDS), errors=errors)
        raise UserError(first, card=card, in_place=True)
    applied = not errors and await concerns.decide(
        turn.session,
        concern_id=view.id,
        school_id=view.school_id,
        version=version,
        to_status=to_status,
        by=turn.actor.staff_id,
        now=turn.now,
        note=note,
    )
    if not applied:
        # Someone else decided first, or this card was old: show where the concern stands now.
        now_view = await concerns.view(turn.session, view.id)
        assert now_view is not None
        turn.audit("concern_decision_stale", entity="concern", entity_id=view.id, pupil_id=view.pupil_id)
        return Outbound.replacing(await _card_for_viewer(turn, now_view, texts.CONCERN_STALE))
    if to_status == ConcernStatus.ACCEPTED.value:
        assert status is not None and note is not None
        entry_id = await write_change(
            turn,
            view.pupil_id,
            current,
            status=status,
            need1=need1,
            need2=need2,
            reason=note,
            key=f"concern-{view.id}",
        )
        if entry_id is None:
            # The register changed under us: roll the decision back too, and show the concern as it is.
            raise UserError(texts.CONCERN_STALE, card=await _card_for_viewer(turn, view, texts.CONCERN_STALE))
    turn.audit(f"concern_{to_status}", entity="concern", entity_id=view.id, pupil_id=view.pupil_id)
    decided = await concerns.view(turn.session, view.id)
    assert decided is not None
    await _notify_raiser(turn, decided, status)
    sencos = await referrals.sencos(turn.session, view.school_id)
    user_ids = await decisions.refresh_user_ids(turn, sencos, view.raised_by)
    return Outbound.replacing(status_card(decided, user_ids=user_ids))


async def _notify_raiser(turn: TurnContext, view: ConcernView, status: str | None) -> None:
    if view.status == ConcernStatus.ACCEPTED.value:
        decision = texts.CONCERN_ACCEPTED_WORD.format(
            pupil=view.pupil_name, status=texts.STATUS_LABELS.get(status or "", status)
        )
    else:
        decision = texts.CONCERN_DECLINED_WORD.format(reason=view.decision_note)
    message = texts.CONCERN_DECIDED_NOTICE.format(
        pupil=view.pupil_name, decision=decision, name=turn.actor.display_name
    )
    await enqueue(
        turn.session,
        kind="concern_decided",
        subject=f"concern:{view.id}",
        period_key=f"concern_decided:{view.id}:v{view.version}",
        recipient_id=view.raised_by,
        payload=message_payload(card=status_card(view, message=message)),
        now=turn.now,
    )
