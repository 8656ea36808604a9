"""Referrals: a teacher asks for specialist input, the SENCO decides in chat, the referral is tracked to
the report.

Why it is shaped like this:
- every decision is a guarded UPDATE on the referral's version (storage/queries/referrals.transition), so
  two SENCOs, a stale card, a double click or a Teams retry record exactly one decision, and the loser is
  answered with the current card, never an error;
- notifications (approval cards, decisions, questions) are outbox rows written in the same transaction
  as the change, with keys that name the referral's version: nothing is lost and a retry adds nothing;
- refused attempts (another school's SENCO, a teacher forging a decision, an out-of-scope pupil) are
  answered without raising, so the turn commits its audit row and nothing else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from bot.rules.calendar import previous_term_start
from bot.rules.policy import STAFF, may_decide_referral, may_view_referral, pupil_scope
from bot.turn import decisions, forms
from bot.turn.context import TurnContext
from bot.turn.core import Card, InboundKind, Outbound, UserError
from bot.turn.router import Router
from cards import texts
from cards.common import MAX_TEXT, notice
from cards.forms import pupil_options
from cards.referrals import (
    MAX_NAME,
    MAX_SERVICE,
    NEXT_STEP,
    Choice,
    approval_card,
    day,
    progress_card,
    question_card,
    refer_form,
    referrals_card,
    services_card,
    status_card,
)
from cards.verbs import Verb
from storage.models import ReferralStatus, Role, Urgency
from storage.queries import pupils, referrals
from storage.queries.outbox import enqueue, message_payload
from storage.queries.referrals import ReferralView

SENCO_ONLY = frozenset({Role.SENCO})
PAGE_SIZE = 10
MAX_PUPIL_CHOICES = 400
MAX_WAITING_WEEKS = 104
DECISIONS = {
    Verb.REFERRAL_APPROVE.value: ReferralStatus.APPROVED.value,
    Verb.REFERRAL_DECLINE.value: ReferralStatus.DECLINED.value,
    Verb.REFERRAL_ASK.value: ReferralStatus.MORE_INFO.value,
}
# Where each later step's date lives, so a step cannot be dated before the one it follows.
STEP_DATE = {
    ReferralStatus.SENT.value: "sent_on",
    ReferralStatus.ACCEPTED.value: "accepted_on",
    ReferralStatus.ASSESSED.value: "assessed_on",
    ReferralStatus.REPORT_RECEIVED.value: "report_on",
}


def add_routes(router: Router) -> None:
    router.command(
        "refer", summary="Ask for specialist input for a pupil", usage="refer [pupil]", roles=STAFF
    )(open_form)
    router.verb(Verb.REFER_OPEN, roles=STAFF)(open_from_button)
    router.verb(Verb.REFER_SUBMIT, roles=STAFF)(submit_referral)
    # Decisions are open to every staff role at the door so that a forged one reaches the handler,
    # which refuses and audits it with the referral it aimed at.
    for verb in (Verb.REFERRAL_APPROVE, Verb.REFERRAL_DECLINE, Verb.REFERRAL_ASK):
        router.verb(verb, roles=STAFF)(decide)
    router.verb(Verb.REFERRAL_REFRESH, roles=STAFF)(refresh)
    router.verb(Verb.REFERRAL_ANSWER, roles=STAFF)(answer)
    router.command(
        "referral",
        summary="One referral: its state, history and next step",
        usage="referral [number]",
        roles=STAFF,
        menu=False,  # reached from the referrals list and the cards
    )(show_referral)
    router.verb(Verb.REFERRAL_PROGRESS, roles=STAFF)(progress)
    router.command("referrals", summary="Open referrals and how long they have waited", roles=STAFF)(
        list_referrals
    )
    router.verb(Verb.REFERRALS_PAGE, roles=STAFF)(list_referrals)
    router.command("services", summary="The services your school refers to", roles=SENCO_ONLY, menu=False)(
        show_services
    )
    router.verb(Verb.SERVICE_ADD, roles=SENCO_ONLY)(add_service)
    router.verb(Verb.SERVICE_RETIRE, roles=SENCO_ONLY)(retire_service)


# -- reading card data -------------------------------------------------------------------------


def read_text(
    data: Mapping[str, Any], field: str, errors: forms.Errors, *, required: bool, limit: int = MAX_TEXT
) -> str | None:
    """A text field; None when empty (stored as NULL) or wrong."""
    value = forms.text(data, field, errors, limit=limit, required=texts.FIELD_REQUIRED if required else None)
    return None if field in errors or not value else value


def read_date(data: Mapping[str, Any], field: str, errors: forms.Errors, *, today: dt.date) -> dt.date | None:
    return forms.date(data, field, errors, required=texts.FIELD_REQUIRED, latest=today)


def _refuse(
    turn: TurnContext, action: str, text: str, *, view: ReferralView | None, entity_id: Any
) -> Outbound:
    return decisions.refuse(
        turn, action, text, entity="referral", entity_id=entity_id, pupil_id=view.pupil_id if view else None
    )


# -- the request -------------------------------------------------------------------------------


async def tried_text(turn: TurnContext, pupil_id: int) -> str:
    since = previous_term_start(turn.today)
    rows = await referrals.tried_so_far(turn.session, pupil_id, since)
    if not rows:
        return texts.REFER_TRIED_NONE
    lines = [texts.REFER_TRIED_SINCE.format(since=day(since))]
    lines += [
        "- " + texts.REFER_TRIED_LINE.format(provision=r.provision, sessions=r.sessions, minutes=r.minutes)
        for r in rows
    ]
    return "\n".join(lines)


async def _form_choices(
    turn: TurnContext, include: int | None = None
) -> tuple[list[Choice], list[Choice], str | None, bool]:
    """The pickers' options. A whole secondary school would push the card past Teams' 80 KB, so a long
    list is narrowed to pupils on the SEN register (and the chosen pupil), with a hint to search by name."""
    scope = pupil_scope(turn.actor)
    caseload = list(await pupils.caseload(turn.session, scope))
    total = len(caseload)
    hint = None
    if len(caseload) > MAX_PUPIL_CHOICES:
        chosen = [p for p in caseload if p.id == include]
        caseload = list(await pupils.caseload(turn.session, scope, sen_only=True))[:MAX_PUPIL_CHOICES]
        caseload += [p for p in chosen if p not in caseload]
        hint = texts.REFER_LONG_LIST
    services = await referrals.services(turn.session, turn.actor.school_id)
    options = pupil_options(caseload, [include] if include else [], total=total)
    return (
        [Choice(label, value) for value, label in options.choices],
        [Choice(s.name, str(s.id)) for s in services],
        hint,
        options.search,
    )


async def _form_for(turn: TurnContext, pupil_id: int | None, message: str | None = None) -> Outbound:
    pupil_choices, service_choices, hint, search = await _form_choices(turn, pupil_id)
    if not pupil_choices:
        return Outbound.card(notice(texts.REFER_NO_PUPILS))
    message = message or hint
    values: dict[str, Any] = {}
    if pupil_id is not None:
        values = {"pupil": str(pupil_id), "tried": await tried_text(turn, pupil_id)}
        turn.audit("referral_form_opened", entity="pupil", entity_id=pupil_id, pupil_id=pupil_id)
    form = refer_form(
        pupils=pupil_choices,
        services=service_choices,
        key=uuid.uuid4().hex,
        values=values,
        message=message,
        pupil_search=search,
    )
    return Outbound.card(form)


async def open_form(turn: TurnContext) -> Outbound:
    text = turn.inbound.args[:100]
    if not text:
        return await _form_for(turn, None)
    matches = await pupils.search(turn.session, pupil_scope(turn.actor), text, limit=2)
    if len(matches) == 1:
        return await _form_for(turn, matches[0].id)
    message = texts.REFER_SEVERAL_MATCH if matches else texts.REFER_NO_MATCH
    return await _form_for(turn, None, message.format(text=text))


async def open_from_button(turn: TurnContext) -> Outbound:
    pupil_id = forms.number(turn.inbound.data.get("pupil"))
    scope = pupil_scope(turn.actor)
    if pupil_id is None or not await pupils.allowed_ids(turn.session, scope, [pupil_id]):
        turn.audit("referral_form_refused", entity="pupil", entity_id=pupil_id, outcome="refused")
        return Outbound.card(notice(texts.PUPIL_OUT_OF_SCOPE))
    return await _form_for(turn, pupil_id)


async def _user_ids(
    turn: TurnContext, view: ReferralView, sencos: Sequence[referrals.Recipient]
) -> list[str]:
    return await decisions.refresh_user_ids(turn, sencos, view.requested_by)


async def _send_for_approval(
    turn: TurnContext, view: ReferralView, sencos: Sequence[referrals.Recipient], user_ids: Sequence[str]
) -> None:
    card = approval_card(view, user_ids=user_ids)
    for senco in sencos:
        await enqueue(
            turn.session,
            kind="referral_request",
            subject=f"referral:{view.id}",
            period_key=f"referral_request:{view.id}:{senco.staff_id}:v{view.version}",
            recipient_id=senco.staff_id,
            payload=message_payload(card=card),
            now=turn.now,
        )


_names = decisions.names


async def _sent_card(turn: TurnContext, referral_id: int) -> Outbound:
    view = await referrals.view(turn.session, referral_id)
    assert view is not None
    sencos = await referrals.sencos(turn.session, view.school_id)
    card = status_card(
        view,
        user_ids=await _user_ids(turn, view, sencos),
        message=texts.REFER_SENT.format(sencos=_names(sencos)),
    )
    return Outbound.replacing(card)


async def submit_referral(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    key = forms.card_key(data, error=texts.CARD_BROKEN.format(command="refer"))
    replay = await referrals.id_by_key(turn.session, key)
    if replay is not None:
        if replay[1] != turn.actor.staff_id:
            return _refuse(
                turn, "referral_replay_refused", texts.UNKNOWN_ACTION, view=None, entity_id=replay[0]
            )
        return await _sent_card(turn, replay[0])

    pupil_choices, service_choices, _, search = await _form_choices(turn, forms.number(data.get("pupil")))
    errors: dict[str, str] = {}
    out_of_scope = False
    pupil_id = forms.number(data.get("pupil"))
    if pupil_id is None:
        errors["pupil"] = texts.FIELD_REQUIRED if data.get("pupil") in (None, "") else texts.FIELD_BAD_CHOICE
    elif not await pupils.allowed_ids(turn.session, pupil_scope(turn.actor), [pupil_id]):
        errors["pupil"] = texts.PUPIL_OUT_OF_SCOPE
        out_of_scope = True
    service_id = forms.number(data.get("service"))
    if service_id is None or str(service_id) not in {c.value for c in service_choices}:
        errors["service"] = (
            texts.FIELD_REQUIRED if data.get("service") in (None, "") else texts.SERVICE_UNKNOWN
        )
    concern = read_text(data, "concern", errors, required=True)
    tried = read_text(data, "tried", errors, required=False)
    consent_on = read_date(data, "consent_on", errors, today=turn.today)
    consent_by = read_text(data, "consent_by", errors, required=True, limit=MAX_NAME)
    urgency = data.get("urgency")
    if not isinstance(urgency, str) or urgency not in {u.value for u in Urgency}:
        errors["urgency"] = texts.FIELD_BAD_CHOICE
    note = read_text(data, "note", errors, required=False)

    if errors:
        form = refer_form(
            pupils=pupil_choices,
            services=service_choices,
            key=key,
            values=data,
            errors=errors,
            message=texts.REFER_CONSENT_WHY if {"consent_on", "consent_by"} & errors.keys() else None,
            pupil_search=search,
        )
        if out_of_scope:
            turn.audit("referral_refused", entity="pupil", entity_id=pupil_id, outcome="refused")
            return Outbound.card(form)
        raise UserError(texts.FIELD_REQUIRED, card=form, in_place=True)
    assert pupil_id is not None and service_id is not None and concern and consent_on and consent_by

    sencos = await referrals.sencos(turn.session, turn.actor.school_id)
    if not sencos:
        raise UserError(texts.REFER_NO_SENCO)
    referral_id = await referrals.insert(
        turn.session,
        {
            "school_id": turn.actor.school_id,
            "pupil_id": pupil_id,
            "service_id": service_id,
            "requested_by": turn.actor.staff_id,
            "concern": concern,
            "tried_so_far": tried,
            "consent_on": consent_on,
            "consent_by": consent_by,
            "urgency": urgency,
            "note": note,
            "status": ReferralStatus.REQUESTED.value,
            "version": 1,
            "idempotency_key": key,
            "created_at": turn.now,
            "updated_at": turn.now,
        },
    )
    if referral_id is None:
        # The same card submitted twice at once: the other turn created it.
        replay = await referrals.id_by_key(turn.session, key)
        if replay is None or replay[1] != turn.actor.staff_id:
            raise UserError(texts.UNKNOWN_ACTION)
        return await _sent_card(turn, replay[0])
    referrals.add_event(
        turn.session,
        referral_id=referral_id,
        status=ReferralStatus.REQUESTED.value,
        actor_id=turn.actor.staff_id,
        at=turn.now,
        note=None,
    )
    turn.audit("referral_requested", entity="referral", entity_id=referral_id, pupil_id=pupil_id)
    view = await referrals.view(turn.session, referral_id)
    assert view is not None
    user_ids = await _user_ids(turn, view, sencos)
    await _send_for_approval(turn, view, sencos, user_ids)
    return Outbound.replacing(
        status_card(view, user_ids=user_ids, message=texts.REFER_SENT.format(sencos=_names(sencos)))
    )


# -- decisions ---------------------------------------------------------------------------------


async def _card_for_viewer(turn: TurnContext, view: ReferralView, message: str | None = None) -> Card:
    sencos = await referrals.sencos(turn.session, view.school_id)
    user_ids = await _user_ids(turn, view, sencos)
    if may_decide_referral(turn.actor, view.school_id) and view.status == ReferralStatus.REQUESTED.value:
        return approval_card(view, user_ids=user_ids, message=message)
    return status_card(view, user_ids=user_ids, message=message)


async def refresh(turn: TurnContext) -> Outbound:
    referral_id = forms.number(turn.inbound.data.get("referral"))
    view = await referrals.view(turn.session, referral_id) if referral_id is not None else None
    if view is None or not may_view_referral(turn.actor, view.school_id, view.requested_by):
        return _refuse(
            turn,
            "referral_view_refused",
            texts.REFERRAL_NOT_FOUND.format(id=referral_id or "?"),
            view=None,
            entity_id=referral_id,
        )
    turn.audit("referral_viewed", entity="referral", entity_id=view.id, pupil_id=view.pupil_id)
    return Outbound.replacing(await _card_for_viewer(turn, view))


async def decide(turn: TurnContext) -> Outbound:
    if turn.inbound.is_refresh:
        return await refresh(turn)
    data = turn.inbound.data
    referral_id, version = forms.number(data.get("referral")), forms.number(data.get("version"))
    view = await referrals.view(turn.session, referral_id) if referral_id is not None else None
    if view is None or version is None or not may_decide_referral(turn.actor, view.school_id):
        return _refuse(
            turn, "referral_decision_refused", texts.DECISION_REFUSED, view=view, entity_id=referral_id
        )
    verb = turn.inbound.verb or ""
    to_status = DECISIONS[verb]
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"decided_by": turn.actor.staff_id, "decided_at": turn.now}
    note: str | None = None
    if verb == Verb.REFERRAL_DECLINE.value:
        note = read_text(data, "reason", errors, required=True)
        values["decision_note"] = note
    elif verb == Verb.REFERRAL_ASK.value:
        note = read_text(data, "question", errors, required=True)
        values.update(info_question=note, info_answer=None)
    else:
        values["decision_note"] = None
    if errors and view.status == ReferralStatus.REQUESTED.value and view.version == version:
        sencos = await referrals.sencos(turn.session, view.school_id)
        raise UserError(
            texts.FIELD_REQUIRED,
            card=approval_card(
                view, user_ids=await _user_ids(turn, view, sencos), values=data, errors=errors
            ),
        )
    applied = not errors and await referrals.transition(
        turn.session,
        referral_id=view.id,
        school_id=view.school_id,
        version=version,
        from_statuses=[ReferralStatus.REQUESTED.value],
        to_status=to_status,
        now=turn.now,
        values=values,
    )
    if not applied:
        # Someone else decided first, or this card was old: show where the referral stands now.
        current = await referrals.view(turn.session, view.id)
        assert current is not None
        turn.audit("referral_decision_stale", entity="referral", entity_id=view.id, pupil_id=view.pupil_id)
        return Outbound.replacing(await _card_for_viewer(turn, current, texts.STALE_CARD))

    referrals.add_event(
        turn.session,
        referral_id=view.id,
        status=to_status,
        actor_id=turn.actor.staff_id,
        at=turn.now,
        note=note,
    )
    turn.audit(f"referral_{to_status}", entity="referral", entity_id=view.id, pupil_id=view.pupil_id)
    decided = await referrals.view(turn.session, view.id)
    assert decided is not None
    sencos = await referrals.sencos(turn.session, view.school_id)
    user_ids = await _user_ids(turn, decided, sencos)
    if to_status == ReferralStatus.MORE_INFO.value:
        await enqueue(
            turn.session,
            kind="referral_question",
            subject=f"referral:{view.id}",
            period_key=f"referral_question:{view.id}:v{decided.version}",
            recipient_id=decided.requested_by,
            payload=message_payload(card=question_card(decided, asked_by=turn.actor.display_name)),
            now=turn.now,
        )
    else:
        words = (
            texts.REFERRAL_APPROVED_WORDS.format(name=turn.actor.display_name)
            if to_status == ReferralStatus.APPROVED.value
            else texts.REFERRAL_DECLINED_WORDS.format(name=turn.actor.display_name, reason=note)
        )
        message = texts.REFERRAL_DECIDED_NOTICE.format(
            pupil=decided.pupil_name, service=decided.service, decision=words
        )
        await enqueue(
            turn.session,
            kind="referral_decided",
            subject=f"referral:{view.id}",
            period_key=f"referral_decided:{view.id}:v{decided.version}",
            recipient_id=decided.requested_by,
            payload=message_payload(card=status_card(decided, user_ids=user_ids, message=message)),
            now=turn.now,
        )
    return Outbound.replacing(status_card(decided, user_ids=user_ids))


async def answer(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    referral_id, version = forms.number(data.get("referral")), forms.number(data.get("version"))
    view = await referrals.view(turn.session, referral_id) if referral_id is not None else None
    if (
        view is None
        or version is None
        or view.school_id != turn.actor.school_id
        or view.requested_by != turn.actor.staff_id
    ):
        return _refuse(
            turn, "referral_answer_refused", texts.ANSWER_REFUSED, view=view, entity_id=referral_id
        )
    errors: dict[str, str] = {}
    reply = read_text(data, "answer", errors, required=True)
    if errors and view.status == ReferralStatus.MORE_INFO.value and view.version == version:
        raise UserError(
            texts.FIELD_REQUIRED,
            card=question_card(view, asked_by=view.decided_by_name or "", values=data, errors=errors),
        )
    applied = not errors and await referrals.transition(
        turn.session,
        referral_id=view.id,
        school_id=view.school_id,
        version=version,
        from_statuses=[ReferralStatus.MORE_INFO.value],
        to_status=ReferralStatus.REQUESTED.value,
        now=turn.now,
        values={"info_answer": reply},
    )
    if not applied:
        current = await referrals.view(turn.session, view.id)
        assert current is not None
        return Outbound.replacing(await _card_for_viewer(turn, current, texts.STALE_CARD))
    referrals.add_event(
        turn.session,
        referral_id=view.id,
        status=ReferralStatus.REQUESTED.value,
        actor_id=turn.actor.staff_id,
        at=turn.now,
        note=reply,
    )
    turn.audit("referral_answered", entity="referral", entity_id=view.id, pupil_id=view.pupil_id)
    answered = await referrals.view(turn.session, view.id)
    assert answered is not None
    sencos = await referrals.sencos(turn.session, view.school_id)
    user_ids = await _user_ids(turn, answered, sencos)
    await _send_for_approval(turn, answered, sencos, user_ids)
    return Outbound.replacing(
        status_card(answered, user_ids=user_ids, message=texts.ANSWER_SENT.format(sencos=_names(sencos))),
    )


# -- after approval ----------------------------------------------------------------------------


async def show_referral(turn: TurnContext) -> Outbound:
    referral_id = forms.number(turn.inbound.args.lstrip("#"))
    if referral_id is None:
        return Outbound.card(notice(texts.REFERRAL_USAGE))
    view = await referrals.view(turn.session, referral_id)
    if view is None or not may_view_referral(turn.actor, view.school_id, view.requested_by):
        return _refuse(
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
        return _refuse(
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


# -- the school's services ---------------------------------------------------------------------


async def _services_out(turn: TurnContext, message: str | None = None) -> Card:
    rows = await referrals.services(turn.session, turn.actor.school_id)
    return services_card(rows, message=message)


async def show_services(turn: TurnContext) -> Outbound:
    return Outbound.card(await _services_out(turn))


async def add_service(turn: TurnContext) -> Outbound:
    errors: dict[str, str] = {}
    name = read_text(turn.inbound.data, "name", errors, required=True, limit=MAX_SERVICE)
    if name and await referrals.service_name_taken(turn.session, turn.actor.school_id, name):
        errors["name"] = texts.SERVICES_DUPLICATE
    if errors or not name:
        rows = await referrals.services(turn.session, turn.actor.school_id)
        raise UserError(
            texts.FIELD_REQUIRED, card=services_card(rows, values=turn.inbound.data, errors=errors)
        )
    service_id = await referrals.add_service(turn.session, turn.actor.school_id, name)
    turn.audit("service_added", entity="referral_service", entity_id=service_id)
    return Outbound.replacing(await _services_out(turn, texts.SERVICES_ADDED.format(name=name)))


async def retire_service(turn: TurnContext) -> Outbound:
    service_id = forms.number(turn.inbound.data.get("service"))
    rows = await referrals.services(turn.session, turn.actor.school_id)
    names = {s.id: s.name for s in rows if s.school_id is not None}
    if service_id is None or service_id not in names:
        raise UserError(texts.SERVICES_NOT_FOUND, card=services_card(rows, message=texts.SERVICES_NOT_FOUND))
    await referrals.retire_service(turn.session, turn.actor.school_id, service_id, turn.now)
    turn.audit("service_retired", entity="referral_service", entity_id=service_id)
    return Outbound.replacing(
        await _services_out(turn, texts.SERVICES_RETIRED.format(name=names[service_id]))
    )
