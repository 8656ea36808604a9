"""The register's one write path: every census rule for a change, then the entry ended and the new one
appended with its history, an audit event and the parents' task. Used by the register card and by an
accepted concern alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.turn import forms
from bot.turn.context import TurnContext
from cards import texts
from cards.register import NO_NEED, REASON_LIMIT
from storage.queries import ehcna, parents
from storage.queries import register as reg


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
