"""The SENCO's decision in chat (approve, decline, ask for more), the card's refresh, and the teacher's
answer to a question. Every decision is a guarded UPDATE on the referral's version."""

from __future__ import annotations

from typing import Any

from bot.flows.referrals.common import card_for_viewer, names, read_text, refresh_user_ids, refuse
from bot.flows.referrals.request import send_for_approval
from bot.rules.policy import may_decide_referral, may_view_referral
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from cards import texts
from cards.referrals import (
    approval_card,
    question_card,
    status_card,
)
from cards.verbs import Verb
from storage.models import ReferralStatus
from storage.queries import referrals
from storage.queries.outbox import enqueue, message_payload

DECISIONS = {
    Verb.REFERRAL_APPROVE.value: ReferralStatus.APPROVED.value,
    Verb.REFERRAL_DECLINE.value: ReferralStatus.DECLINED.value,
    Verb.REFERRAL_ASK.value: ReferralStatus.MORE_INFO.value,
}


async def refresh(turn: TurnContext) -> Outbound:
    referral_id = forms.number(turn.inbound.data.get("referral"))
    view = await referrals.view(turn.session, referral_id) if referral_id is not None else None
    if view is None or not may_view_referral(turn.actor, view.school_id, view.requested_by):
        return refuse(
            turn,
            "referral_view_refused",
            texts.REFERRAL_NOT_FOUND.format(id=referral_id or "?"),
            view=None,
            entity_id=referral_id,
        )
    turn.audit("referral_viewed", entity="referral", entity_id=view.id, pupil_id=view.pupil_id)
    return Outbound.replacing(await card_for_viewer(turn, view))


async def decide(turn: TurnContext) -> Outbound:
    if turn.inbound.is_refresh:
        return await refresh(turn)
    data = turn.inbound.data
    referral_id, version = forms.number(data.get("referral")), forms.number(data.get("version"))
    view = await referrals.view(turn.session, referral_id) if referral_id is not None else None
    if view is None or version is None or not may_decide_referral(turn.actor, view.school_id):
        return refuse(
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
                view, user_ids=await refresh_user_ids(turn, view, sencos), values=data, errors=errors
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
        return Outbound.replacing(await card_for_viewer(turn, current, texts.STALE_CARD))

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
    user_ids = await refresh_user_ids(turn, decided, sencos)
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
        return refuse(turn, "referral_answer_refused", texts.ANSWER_REFUSED, view=view, entity_id=referral_id)
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
        return Outbound.replacing(await card_for_viewer(turn, current, texts.STALE_CARD))
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
    user_ids = await refresh_user_ids(turn, answered, sencos)
    await send_for_approval(turn, answered, sencos, user_ids)
    return Outbound.replacing(
        status_card(answered, user_ids=user_ids, message=texts.ANSWER_SENT.format(sencos=names(sencos))),
    )
