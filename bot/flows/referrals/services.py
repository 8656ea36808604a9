"""The school's catalogue of services it refers to (the SENCO adds and retires them)."""

from __future__ import annotations

from bot.flows.referrals.common import read_text
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Card, Outbound, UserError
from cards import texts
from cards.referrals import (
    MAX_SERVICE,
    services_card,
)
from storage.queries import referrals


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
