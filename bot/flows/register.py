"""The SEN register: the SENCO lists, adds, changes and ends entries, always with a reason.

Why the change is written this way: every change ends the current entry (ended_on = today) and appends
a new one, so history (who, when, why) is kept. The card carries the id of the entry it was built from
(a stale card changes nothing and gets the current entry back) and an idempotency key (a double submit
records once). Census rules are checked here with a message on the field, and again by CHECK
constraints in the database. The head and admin read the register; teachers and TAs are refused by the
route (and audited by the dispatcher).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping

from bot.records.register import check_change, write_change
from bot.rules.policy import REGISTER_READERS, REGISTER_WRITERS, may_change_register, pupil_scope
from bot.turn import forms
from bot.turn.context import TurnContext
from bot.turn.core import Outbound, UserError
from bot.turn.guard import pupil_from_card, pupil_from_text
from bot.turn.router import Router
from cards import texts
from cards.common import Card
from cards.forms import values_of
from cards.register import (
    PAGE_SIZE,
    register_history_card,
    register_list_card,
    register_pupil_card,
)
from cards.verbs import Verb
from storage.queries import register as reg

USAGE = "register [pupil] \u00b7 register history [pupil]"
FIELDS = ("status", "need1", "need2", "reason")


def add_routes(router: Router) -> None:
    router.command(
        "register",
        summary="The SEN register: list, add, change, end, history",
        usage=USAGE,
        roles=REGISTER_READERS,
    )(register_command)
    router.verb(Verb.REGISTER_PAGE, roles=REGISTER_READERS)(show_page)
    router.verb(Verb.REGISTER_PUPIL, roles=REGISTER_READERS)(show_pupil)
    router.verb(Verb.REGISTER_HISTORY, roles=REGISTER_READERS)(show_history)
    router.verb(Verb.REGISTER_SAVE, roles=REGISTER_WRITERS)(save_change)


async def register_command(turn: TurnContext) -> Outbound:
    args = turn.inbound.args
    if not args:
        return await _list(turn, 1)
    word, _, rest = args.partition(" ")
    scope = pupil_scope(turn.actor)
    if word.lower() == "history":
        pupil_id = await pupil_from_text(
            turn, scope, rest, usage="register history [pupil]", verb=Verb.REGISTER_HISTORY
        )
        return await _history(turn, pupil_id)
    pupil_id = await pupil_from_text(turn, scope, args, usage="register [pupil]", verb=Verb.REGISTER_PUPIL)
    return Outbound.card(await _pupil_card(turn, pupil_id))


async def show_page(turn: TurnContext) -> Outbound:
    page = forms.card_int(turn.inbound.data, "page", low=0, high=10_000)
    assert page is not None
    return await _list(turn, max(page, 1))


async def show_pupil(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), turn.inbound.data, "register_read")
    return Outbound.card(await _pupil_card(turn, pupil_id))


async def show_history(turn: TurnContext) -> Outbound:
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), turn.inbound.data, "register_history")
    return await _history(turn, pupil_id)


async def _list(turn: TurnContext, page: int) -> Outbound:
    scope = pupil_scope(turn.actor)
    counts = await reg.counts(turn.session, scope)
    pages = max(1, math.ceil(counts.total / PAGE_SIZE))
    page = min(page, pages)
    rows = await reg.page(turn.session, scope, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    turn.audit("register_listed", entity="register", entity_id=page)
    return Outbound.card(register_list_card(rows, counts, page=page, pages=pages))


async def _history(turn: TurnContext, pupil_id: int) -> Outbound:
    rows = await reg.history(turn.session, pupil_id)
    turn.audit("register_history_read", entity="pupil", entity_id=pupil_id, pupil_id=pupil_id)
    return Outbound.card(
        register_history_card(
            pupil_id=pupil_id,
            name=await reg.pupil_name(turn.session, pupil_id),
            rows=rows,
            need_names=await reg.need_names(turn.session),
        )
    )


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
        turn.audit("register_read", entity="pupil", entity_id=pupil_id, pupil_id=pupil_id)
    return register_pupil_card(
        pupil_id=pupil_id,
        name=await reg.pupil_name(turn.session, pupil_id),
        current=await reg.current(turn.session, pupil_id),
        need_names=await reg.need_names(turn.session),
        options=await reg.need_options(turn.session, turn.today),
        can_change=may_change_register(turn.actor),
        key=uuid.uuid4().hex,
        values=values,
        errors=errors,
        message=message,
        good=good,
    )


async def _refuse_with_current(turn: TurnContext, pupil_id: int, message: str) -> UserError:
    # Raised, not returned: the turn rolls back what it started; the person gets the entry as it is.
    return UserError(message, card=await _pupil_card(turn, pupil_id, message=message, audit=False))


async def save_change(turn: TurnContext) -> Outbound:
    data = turn.inbound.data
    pupil_id = await pupil_from_card(turn, pupil_scope(turn.actor), data, "register_change")
    key = forms.card_key(data)
    entry_id = forms.card_int(data, "entry_id", low=0)
    if await reg.key_used(turn.session, key):
        raise await _refuse_with_current(turn, pupil_id, texts.REGISTER_ALREADY)
    current = await reg.current(turn.session, pupil_id)
    if (current.id if current else 0) != entry_id:
        raise await _refuse_with_current(turn, pupil_id, texts.REGISTER_STALE)

    errors: forms.Errors = {}
    status, need1, need2, reason = await check_change(turn, data, current, errors, pupil_id=pupil_id)
    if errors:
        first = next(iter(errors.values()))
        card = await _pupil_card(
            turn, pupil_id, values=values_of(data, FIELDS), errors=errors, message=first, audit=False
        )
        raise UserError(first, card=card, in_place=True)
    new_id = await write_change(
        turn, pupil_id, current, status=status, need1=need1, need2=need2, reason=reason, key=key
    )
    if new_id is None:
        # Someone else changed it between our read and our write (or this is a concurrent double submit).
        raise await _refuse_with_current(turn, pupil_id, await _already_or_stale(turn, key))
    return Outbound.card(
        await _pupil_card(turn, pupil_id, message=texts.REGISTER_SAVED, good=True, audit=False)
    )


async def _already_or_stale(turn: TurnContext, key: str) -> str:
    return texts.REGISTER_ALREADY if await reg.key_used(turn.session, key) else texts.REGISTER_STALE
