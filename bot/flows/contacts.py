"""`contacts <pupil>`: the SENCO records a pupil's parent contacts (until the roster import brings them).

Why here: letters are emailed only to these contacts (bot/flows/letters.py), so the address is checked
when it is entered (email-validator's syntax rules, no DNS lookup: the bot has no business probing the
network for it) and each contact belongs to one pupil (every change names the pupil, checked in scope).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email

from bot.rules.policy import PARENT_CONTACT_KEEPERS, pupil_scope
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.guard import pupil_from_card, pupil_from_text
from bot.turn.router import Router
from cards import texts
from cards.common import Card
from cards.contacts import (
    EMAIL_LIMIT,
    FIELDS,
    NAME_LIMIT,
    PHONE_LIMIT,
    RELATIONSHIP_LIMIT,
    contacts_card,
)
from cards.forms import values_of
from cards.verbs import Verb
from storage.queries import parents
from storage.queries.register import pupil_name

PHONE_CHARS = set("0123456789 +()-")


def add_routes(router: Router) -> None:
    router.command(
        "contacts",
        summary=texts.CONTACTS_SUMMARY,
        usage=texts.CONTACTS_USAGE,
        roles=PARENT_CONTACT_KEEPERS,
        menu=False,
    )(contacts_command)
    router.verb(Verb.CONTACTS_SHOW, roles=PARENT_CONTACT_KEEPERS)(show)
    router.verb(Verb.CONTACT_SAVE, roles=PARENT_CONTACT_KEEPERS)(save)
    router.verb(Verb.CONTACT_REMOVE, roles=PARENT_CONTACT_KEEPERS)(remove)


async def contacts_command(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_text(
        turn, pupil_scope(turn.actor), turn.inbound.args, usage=texts.CONTACTS_USAGE, verb=Verb.CONTACTS_SHOW
    )
    return Outbound.card(await _card(turn, pupil_id))


async def show(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), turn.inbound.data, "parent_contacts_read")
    contact_id = (
        forms.card_int(turn.inbound.data, "contact_id", optional=True, low=0, high=forms.MAX_BIG_ID) or 0
    )
    return Outbound.card(await _card(turn, pupil_id, editing_id=contact_id))


async def _card(
    turn: TurnContext,
    pupil_id: int,
    *,
    editing_id: int = 0,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    good: bool = False,
    audit: bool = True,
) -> Card:
    rows = await parents.contacts(turn.session, pupil_id)
    if audit:
        turn.audit("parent_contacts_read", entity="pupil", entity_id=pupil_id, pupil_id=pupil_id)
    editing = next((r for r in rows if r.id == editing_id), None)
    if editing_id and editing is None:
        raise UserError(texts.CONTACT_UNKNOWN)
    return contacts_card(
        pupil_id=pupil_id,
        pupil_name=await pupil_name(turn.session, pupil_id),
        rows=rows,
        editing=editing,
        values=values,
        errors=errors,
        message=message,
        good=good,
    )


def validate(data: Mapping[str, Any], errors: forms.Errors) -> tuple[str, str, str, str, bool]:
    name = forms.text(data, "name", errors, limit=NAME_LIMIT, required=texts.CONTACT_NAME_REQUIRED)
    relationship = forms.text(
        data, "relationship", errors, limit=RELATIONSHIP_LIMIT, required=texts.CONTACT_RELATIONSHIP_REQUIRED
    )
    email = forms.text(data, "email", errors, limit=EMAIL_LIMIT)
    if email and "email" not in errors:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            errors["email"] = texts.CONTACT_EMAIL_BAD.format(reason=str(exc)[:200])
    phone = forms.text(data, "phone", errors, limit=PHONE_LIMIT)
    if (
        phone
        and "phone" not in errors
        and (not set(phone) <= PHONE_CHARS or not any(c.isdigit() for c in phone))
    ):
        errors["phone"] = texts.CONTACT_PHONE_BAD
    preferred = forms.text(data, "preferred", errors, limit=8)
    if preferred not in ("", "true", "false"):
        errors["preferred"] = texts.BAD_CARD
    return name, relationship, email, phone, preferred == "true"


async def save(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), data, "parent_contact_save")
    contact_id = forms.card_int(data, "contact_id", low=0, high=forms.MAX_BIG_ID)
    assert contact_id is not None
    errors: forms.Errors = {}
    name, relationship, email, phone, preferred = validate(data, errors)
    if errors:
        first = next(iter(errors.values()))
        card = await _card(
            turn,
            pupil_id,
            editing_id=contact_id,
            values=values_of(data, FIELDS),
            errors=errors,
            message=first,
            audit=False,
        )
        raise UserError(first, card=card, in_place=True)
    saved = await parents.save_contact(
        turn.session,
        pupil_id=pupil_id,
        contact_id=contact_id,
        name=name,
        relationship=relationship,
        email=email,
        phone=phone,
        preferred=preferred,
        now=turn.now,
    )
    if saved is None:
        raise UserError(texts.CONTACT_UNKNOWN)
    turn.audit("parent_contact_saved", entity="parent_contact", entity_id=saved, pupil_id=pupil_id)
    return Outbound.card(await _card(turn, pupil_id, message=texts.CONTACT_SAVED, good=True, audit=False))


async def remove(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), data, "parent_contact_remove")
    contact_id = forms.card_int(data, "contact_id", high=forms.MAX_BIG_ID)
    assert contact_id is not None
    if not await parents.remove_contact(turn.session, pupil_id=pupil_id, contact_id=contact_id):
        raise UserError(texts.CONTACT_UNKNOWN)
    turn.audit("parent_contact_removed", entity="parent_contact", entity_id=contact_id, pupil_id=pupil_id)
    return Outbound.card(await _card(turn, pupil_id, message=texts.CONTACT_REMOVED, good=True, audit=False))
