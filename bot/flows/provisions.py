"""`provisions`: the SENCO (or admin) keeps the school's catalogue: list, add, edit, retire.

Why retire and not delete: past sessions point at their provision and keep the rates they were costed
with, so the provision map never changes when the catalogue does. A retired provision is no longer
offered on the log card.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.rules.policy import COST_VIEWERS
from bot.rules.sessions import MAX_GROUP, MAX_MINUTES
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Message, Outbound, UserError
from bot.turn.router import Router
from cards import provisions as cards
from cards import texts
from cards.log import money
from cards.provisions import ProvisionForm
from cards.verbs import Verb
from storage.queries import log as log_queries
from storage.queries import provisions as queries

MONEY = re.compile(r"^\u00a3?\s*([0-9]{1,4})(?:\.([0-9]{1,2}))?$")
MAX_PENCE = 100_000


def add_routes(router: Router) -> None:
    # A SENCO's occasional task: listed in help, not in the Teams menu (at most 10 entries).
    router.command("provisions", summary=texts.PROVISIONS_SUMMARY, roles=COST_VIEWERS, menu=False)(show)
    router.verb(Verb.PROVISION_NEW, roles=COST_VIEWERS)(new)
    router.verb(Verb.PROVISION_EDIT, roles=COST_VIEWERS)(edit)
    router.verb(Verb.PROVISION_SAVE, roles=COST_VIEWERS)(save)
    router.verb(Verb.PROVISION_RETIRE, roles=COST_VIEWERS)(retire)


def _pounds_text(pence: int) -> str:
    return money(pence).lstrip("\u00a3").replace(",", "")


def _pence(text: str) -> int | None:
    match = MONEY.match(text.strip())
    if match is None:
        return None
    pence = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    return pence if pence <= MAX_PENCE else None


def _provision_id(data: Mapping[str, Any]) -> int | None:
    return forms.number(data.get("provision"))


async def show(turn: TurnContext) -> Outbound:
    rows = await log_queries.provisions(turn.session, turn.actor.school_id, include_retired=True)
    return Outbound.card(cards.catalogue_card(rows))


async def new(turn: TurnContext) -> Outbound:
    return Outbound.card(cards.provision_form_card(ProvisionForm(None, {})))


async def edit(turn: TurnContext) -> Outbound:
    provision_id = _provision_id(turn.inbound.data)
    found = (
        None
        if provision_id is None
        else await log_queries.provision(turn.session, turn.actor.school_id, provision_id)
    )
    if found is None:
        raise UserError(texts.PROVISIONS_UNKNOWN)
    values = {
        cards.F_NAME: found.name,
        cards.F_AREA: found.broad_area or "",
        cards.F_MINUTES: str(found.default_minutes),
        cards.F_GROUP: str(found.default_group_size),
        cards.F_HOURLY: _pounds_text(found.staff_hourly_cost_pence),
        cards.F_PER_PUPIL: _pounds_text(found.per_pupil_cost_pence),
    }
    return Outbound.card(cards.provision_form_card(ProvisionForm(found.id, values)))


async def save(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    provision_id = _provision_id(data) if "provision" in data else None
    if "provision" in data and provision_id is None:
        raise UserError(texts.PROVISIONS_UNKNOWN)
    kept: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in cards.FIELDS:
        value = data.get(field, "")
        if isinstance(value, str):
            kept[field] = value.replace("\x00", "")
        else:
            kept[field] = ""
            errors[field] = texts.ERR_FIELD_WRONG_TYPE
    name = kept[cards.F_NAME].strip()
    area = kept[cards.F_AREA].strip()
    if cards.F_NAME not in errors:
        if not name:
            errors[cards.F_NAME] = texts.ERR_NAME_MISSING
        elif len(name) > cards.MAX_NAME:
            errors[cards.F_NAME] = texts.ERR_NAME_TOO_LONG.format(max=cards.MAX_NAME)
        elif await queries.name_taken(turn.session, turn.actor.school_id, name, except_id=provision_id):
            errors[cards.F_NAME] = texts.ERR_NAME_TAKEN
    if cards.F_AREA not in errors and len(area) > cards.MAX_AREA:
        errors[cards.F_AREA] = texts.ERR_AREA_TOO_LONG.format(max=cards.MAX_AREA)
    minutes = forms.number(kept[cards.F_MINUTES], low=1, high=MAX_MINUTES)
    if minutes is None and cards.F_MINUTES not in errors:
        errors[cards.F_MINUTES] = texts.ERR_MINUTES
    group = forms.number(kept[cards.F_GROUP], low=1, high=MAX_GROUP)
    if group is None and cards.F_GROUP not in errors:
        errors[cards.F_GROUP] = texts.ERR_GROUP
    hourly = _pence(kept[cards.F_HOURLY])
    if hourly is None and cards.F_HOURLY not in errors:
        errors[cards.F_HOURLY] = texts.ERR_MONEY
    per_pupil = _pence(kept[cards.F_PER_PUPIL])
    if per_pupil is None and cards.F_PER_PUPIL not in errors:
        errors[cards.F_PER_PUPIL] = texts.ERR_MONEY
    if errors or minutes is None or group is None or hourly is None or per_pupil is None:
        card = cards.provision_form_card(ProvisionForm(provision_id, kept), errors)
        raise UserError(texts.LOG_FIX_BELOW, card=card, in_place=True)
    saved = await queries.save(
        turn.session,
        school_id=turn.actor.school_id,
        provision_id=provision_id,
        name=name,
        broad_area=area or None,
        default_minutes=minutes,
        default_group_size=group,
        staff_hourly_cost_pence=hourly,
        per_pupil_cost_pence=per_pupil,
    )
    if saved is None:
        raise UserError(texts.PROVISIONS_UNKNOWN)
    turn.audit(
        "provision_saved" if provision_id else "provision_added", entity="provision_type", entity_id=saved
    )
    rows = await log_queries.provisions(turn.session, turn.actor.school_id, include_retired=True)
    return _answer(turn, texts.PROVISIONS_SAVED.format(name=name), rows)


def _answer(turn: TurnContext, message: str, rows: list[log_queries.ProvisionRow]) -> Outbound:
    return Outbound(messages=[Message(text=message), Message(card=cards.catalogue_card(rows))])


async def retire(turn: TurnContext) -> Outbound:
    provision_id = _provision_id(turn.inbound.data)
    found = (
        None
        if provision_id is None
        else await log_queries.provision(turn.session, turn.actor.school_id, provision_id)
    )
    if found is None or not await queries.retire(turn.session, turn.actor.school_id, found.id, turn.now):
        raise UserError(texts.PROVISIONS_UNKNOWN)
    turn.audit("provision_retired", entity="provision_type", entity_id=found.id)
    rows = await log_queries.provisions(turn.session, turn.actor.school_id, include_retired=True)
    return _answer(turn, texts.PROVISIONS_RETIRED_DONE.format(name=found.name), rows)
