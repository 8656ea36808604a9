"""Reading the values of a submitted card: everything in a card's data is untrusted text.

Why one module: every form flow needs the same checks (missing, wrong type, oversized, bad date), with
the error kept per field so the form can come back with the message beside the field and the person's
input kept. Pure functions; no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.turn.core import UserError
from cards import texts
from cards.common import SUBMISSION

Errors = dict[str, str]


def text(
    data: Mapping[str, Any], name: str, errors: Errors, *, limit: int, required: str | None = None
) -> str:
    """A trimmed text value ('' when absent); a wrong type or an oversized value is a field error."""
    raw = data.get(name)
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        errors[name] = texts.BAD_CARD
        return ""
    value = raw.strip()
    if len(value) > limit:
        errors[name] = texts.TOO_LONG.format(limit=limit)
    elif not value and required:
        errors[name] = required
    return value


def date(data: Mapping[str, Any], name: str, errors: Errors, *, required: str) -> dt.date | None:
    raw = data.get(name)
    if raw is None or raw == "":
        errors[name] = required
        return None
    if not isinstance(raw, str) or len(raw) > 10:
        errors[name] = texts.DATE_BAD
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = texts.DATE_BAD
        return None


def choices(data: Mapping[str, Any], name: str, errors: Errors) -> list[str]:
    """A multi-select ChoiceSet arrives as one comma-separated string."""
    raw = data.get(name)
    if raw is None or raw == "":
        return []
    if not isinstance(raw, str) or len(raw) > 2000:
        errors[name] = texts.BAD_CARD
        return []
    return [v.strip() for v in raw.split(",") if v.strip()]


def card_int(data: Mapping[str, Any], name: str, *, optional: bool = False) -> int | None:
    """An id or version the card itself carries (not typed by a person): anything odd is a bad card."""
    raw = data.get(name)
    if raw is None and optional:
        return None
    if isinstance(raw, bool):
        raise UserError(texts.BAD_CARD)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isdigit() and len(raw) <= 12:
        value = int(raw)
    else:
        raise UserError(texts.BAD_CARD)
    if value < 0 or value > 2**31:
        raise UserError(texts.BAD_CARD)
    return value


def card_key(data: Mapping[str, Any], name: str = SUBMISSION) -> str:
    """The idempotency key a form card carries (a uuid4 hex made when the card was built)."""
    raw = data.get(name)
    if not isinstance(raw, str) or not 8 <= len(raw) <= 64 or not raw.replace("-", "").isalnum():
        raise UserError(texts.BAD_CARD)
    return raw
