"""A teacher's request for specialist input: the form, its checks, and the approval card for the SENCO."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from bot.flows.referrals.common import names, read_date, read_text, refresh_user_ids, refuse
from bot.rules.calendar import previous_term_start
from bot.rules.policy import pupil_scope
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from cards import texts
from cards.common import notice
from cards.forms import pupil_options
from cards.referrals import (
    MAX_NAME,
    Choice,
    approval_card,
    refer_form,
    status_card,
    tried_text,
)
from storage.models import ReferralStatus, Urgency
from storage.queries import pupils, referrals
from storage.queries.outbox import enqueue, message_payload
from storage.queries.referrals import ReferralView

MAX_PUPIL_CHOICES = 400


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


async def form_for(turn: TurnContext, pupil_id: int | None, message: str | None = None) -> Outbound:
    pupil_choices, service_choices, hint, search = await _form_choices(turn, pupil_id)
    if not pupil_choices:
        return Outbound.card(notice(texts.REFER_NO_PUPILS))
    message = message or hint
    values: dict[str, Any] = {}
    if pupil_id is not None:
        values = {
            "pupil": str(pupil_id),
            "tried": tried_text(
                await referrals.tried_so_far(turn.session, pupil_id, previous_term_start(turn.today)),
                previous_term_start(turn.today),
            ),
        }
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
        return await form_for(turn, None)
    matches = await pupils.search(turn.session, pupil_scope(turn.actor), text, limit=2)
    if len(matches) == 1:
        return await form_for(turn, matches[0].id)
    message = texts.REFER_SEVERAL_MATCH if matches else texts.REFER_NO_MATCH
    return await form_for(turn, None, message.format(text=text))


async def open_from_button(turn: TurnContext) -> Outbound:
    pupil_id = forms.number(turn.inbound.data.get("pupil"))
    scope = pupil_scope(turn.actor)
    if pupil_id is None or not await pupils.allowed_ids(turn.session, scope, [pupil_id]):
        turn.audit("referral_form_refused", entity="pupil", entity_id=pupil_id, outcome="refused")
        return Outbound.card(notice(texts.PUPIL_OUT_OF_SCOPE))
    return await form_for(turn, pupil_id)


async def send_for_approval(
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


async def sent_card(turn: TurnContext, referral_id: int) -> Outbound:
    view = await referrals.view(turn.session, referral_id)
    assert view is not None
    sencos = await referrals.sencos(turn.session, view.school_id)
    card = status_card(
        view,
        user_ids=await refresh_user_ids(turn, view, sencos),
        message=texts.REFER_SENT.format(sencos=names(sencos)),
    )
    return Outbound.replacing(card)


async def submit_referral(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    key = forms.card_key(data, error=texts.CARD_BROKEN.format(command="refer"))
    replay = await referrals.id_by_key(turn.session, key)
    if replay is not None:
        if replay[1] != turn.actor.staff_id:
            return refuse(
                turn, "referral_replay_refused", texts.UNKNOWN_ACTION, view=None, entity_id=replay[0]
            )
        return await sent_card(turn, replay[0])

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
        return await sent_card(turn, replay[0])
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
    user_ids = await refresh_user_ids(turn, view, sencos)
    await send_for_approval(turn, view, sencos, user_ids)
    return Outbound.replacing(
        status_card(view, user_ids=user_ids, message=texts.REFER_SENT.format(sencos=names(sencos)))
    )
