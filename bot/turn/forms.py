"""Reading the values of a submitted card: everything in a card's data is untrusted.

Why one module: a card's data comes from a client we do not control, and every flow needs the same
checks. Numbers are ASCII digits only (str.isdigit() accepts "²", which int() refuses) and bounded by the
column they will be compared with, so no query is sent a value the database rejects; text loses NUL
characters (PostgreSQL refuses them, and the failing statement would carry the text into the error log)
and is length-checked. A person's field keeps its error beside it so the form can come back with their
input; an id or version only the card itself carries makes the whole card bad. Pure functions; no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from bot.turn.core import UserError
from cards import texts
from cards.common import SUBMISSION

Errors = dict[str, str]

# The ranges of the id columns in storage/models.py: Integer, and BigId (BIGINT on PostgreSQL).
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")
_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def clean(raw: str) -> str:
    """Text without NUL characters, trimmed."""
    return raw.replace("\x00", "").strip()


def number(raw: Any, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number in low..high: an int, a whole float (Input.Number), or ASCII digits; else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        if not raw.is_integer():
            return None
        raw = int(raw)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(digits := raw.strip()):
        value = int(digits)
    else:
        return None
    return value if low <= value <= high else None


def ids(raw: Any, *, high: int = MAX_ID) -> list[int] | None:
    """The distinct ids of a multi-select (one comma-separated string), in order; None if any is not one."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, str) or len(raw) > 4000:
        return None
    out: list[int] = []
    for part in raw.split(","):
        if not part.strip():
            continue
        found = number(part, high=high)
        if found is None:
            return None
        if found not in out:
            out.append(found)
    return out


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
    value = clean(raw)
    if len(value) > limit:
        errors[name] = texts.TOO_LONG.format(limit=limit)
    elif not value and required:
        errors[name] = required
    return value


def iso_date(raw: Any) -> dt.date | None:
    """A YYYY-MM-DD date (what Input.Date sends), else None."""
    if not isinstance(raw, str) or len(raw.strip()) != 10:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def date(
    data: Mapping[str, Any], name: str, errors: Errors, *, required: str, latest: dt.date | None = None
) -> dt.date | None:
    """A date field; `latest` (usually the school's today) refuses later dates."""
    raw = data.get(name)
    if raw is None or raw == "":
        errors[name] = required
        return None
    found = iso_date(raw)
    if found is None:
        errors[name] = texts.DATE_BAD
    elif latest is not None and found > latest:
        errors[name] = texts.FIELD_FUTURE_DATE
        return None
    return found


def choices(data: Mapping[str, Any], name: str, errors: Errors) -> list[str]:
    """A multi-select ChoiceSet arrives as one comma-separated string."""
    raw = data.get(name)
    if raw is None or raw == "":
        return []
    if not isinstance(raw, str) or len(raw) > 2000:
        errors[name] = texts.BAD_CARD
        return []
    return [v for v in (clean(v) for v in raw.split(",")) if v]


def card_int(
    data: Mapping[str, Any], name: str, *, optional: bool = False, low: int = 1, high: int = MAX_ID
) -> int | None:
    """An id, version or page the card itself carries (not typed by a person): anything odd is a bad card."""
    raw = data.get(name)
    if raw is None and optional:
        return None
    found = number(raw, low=low, high=high)
    if found is None:
        raise UserError(texts.BAD_CARD)
    return found


def card_key(data: Mapping[str, Any], name: str = SUBMISSION, *, error: str = texts.BAD_CARD) -> str:
    """The idempotency key a form card carries (made when the card was built: url-safe, 8 to 64 long)."""
    raw = data.get(name)
    if not isinstance(raw, str) or not _KEY.fullmatch(raw):
        raise UserError(error)
    return raw
