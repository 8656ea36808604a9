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
from typing import Any

from sqlalchemy.exc import IntegrityError

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
    NO_NEED,
    PAGE_SIZE,
    REASON_LIMIT,
    register_history_card,
    register_list_card,
    register_pupil_card,
)
from cards.verbs import Verb
from storage.queries import ehcna, parents
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


async def check_change(
    turn: TurnContext,
    data: Mapping[str, Any],
    current: reg.CurrentEntry | None,
    errors: forms.Errors,
    *,
    pupil_id: int,
) -> tuple[str, str | None, str | None, str]:
    """Every census rule for a change from `current` (errors per field): the one check of the register's
    write path, used by the register card and by an accepted concern alike."""
    today = turn.today
    status, need1, need2, reason = _validate(
        data, errors, {o.code: o for o in await reg.need_options(turn.session, today)}
    )
    if not errors:
        if status == "N" and (current is None or current.status == "N"):
            errors["status"] = texts.NOT_ON_REGISTER
        elif current is not None and (current.status, current.need1, current.need2) == (status, need1, need2):
            errors["status"] = texts.NO_CHANGE
        elif status == "E" and not await ehcna.has_plan(turn.session, pupil_id):
            # E is the local authority's plan, not the school's judgement (docs/ehcna.md).
            errors["status"] = texts.E_NEEDS_PLAN
    return status, need1, need2, reason


async def write_change(
    turn: TurnContext,
    pupil_id: int,
    current: reg.CurrentEntry | None,
    *,
    status: str,
    need1: str | None,
    need2: str | None,
    reason: str,
    key: str,
) -> int | None:
    """End the current entry and append the new one (history kept); the new entry's id, or None when a
    concurrent change got there first (the caller rolls back and shows the entry as it is)."""
    today = turn.today
    if current is not None and not await reg.end_current(turn.session, current.id, today):
        return None
    try:
        async with turn.session.begin_nested():
            new_id = await reg.append(
                turn.session,
                pupil_id=pupil_id,
                status=status,
                need1=need1,
                need2=need2,
                today=today,
                by=turn.actor.staff_id,
                reason=reason,
                key=key,
                now=turn.now,
            )
    except IntegrityError:
        # The same key, or a second current entry, written by a concurrent request: it won.
        return None
    turn.audit("register_changed", entity="register_entry", entity_id=new_id, pupil_id=pupil_id)
    kind = parents.register_task_kind(current.status if current else None, status)
    if kind is not None:
        await parents.add_task(
            turn.session,
            pupil_id=pupil_id,
            kind=kind,
            source_entity="register_entry",
            source_id=new_id,
            today=today,
            now=turn.now,
        )
    return new_id


async def _already_or_stale(turn: TurnContext, key: str) -> str:
    return texts.REGISTER_ALREADY if await reg.key_used(turn.session, key) else texts.REGISTER_STALE


def _validate(
    data: Mapping[str, Any], errors: forms.Errors, options: Mapping[str, reg.NeedOption]
) -> tuple[str, str | None, str | None, str]:
    """The census rules (docs/design.md), each with its message on the field it concerns."""
    reason = forms.text(data, "reason", errors, limit=REASON_LIMIT, required=texts.REASON_REQUIRED)
    if data.get("end") is True:
        status = "N"
    else:
        status = forms.text(data, "status", errors, limit=8, required=texts.STATUS_UNKNOWN).upper()
    if status == "S":
        errors["status"] = texts.STATUS_S
    elif status not in ("N", "K", "E") and "status" not in errors:
        errors["status"] = texts.STATUS_UNKNOWN
    if status == "N" or "status" in errors:
        return status, None, None, reason
    need1 = forms.text(data, "need1", errors, limit=64, required=texts.NEED_REQUIRED).upper()
    need2 = forms.text(data, "need2", errors, limit=64).upper()
    if need2 == NO_NEED.upper():
        need2 = ""
    if "," in need1 or "," in need2 or data.get("need3"):
        errors["need2"] = texts.TOO_MANY_NEEDS
        return status, None, None, reason
    for field, code in (("need1", need1), ("need2", need2)):
        if not code or field in errors:
            continue
        if code not in options:
            errors[field] = texts.NEED_UNKNOWN
        elif options[code].only_with_sen_support and status != "K":
            errors[field] = texts.NSA_ONLY_K
    if need1 and need2 and need1 == need2 and "need2" not in errors:
        errors["need2"] = texts.NEED_SAME
    return status, need1 or None, need2 or None, reason
