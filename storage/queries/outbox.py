"""The notification outbox: a row per notification before anything is sent (DESIGN.md, "Nothing lost").

`enqueue` is how every flow and planner asks for a message to reach a person. Its `period_key` is the
exactly-once key (`review_due:<review id>:<stage>`, `weekly_digest:<staff id>:<ISO week>`,
`referral_decided:<referral id>:<version>`...): a second enqueue with the same key does nothing, whether it
comes from a retry, a second replica or a restart. The dispatcher (bot/outbox.py) delivers the rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Outbox, OutboxStatus


def message_payload(*, card: dict[str, Any] | None = None, text: str | None = None) -> dict[str, Any]:
    """The payload shape the dispatcher sends: a card, a text, or both (as bot.core.Message)."""
    if card is None and not text:
        raise ValueError("a notification needs a card or a text")
    payload: dict[str, Any] = {}
    if card is not None:
        payload["card"] = card
    if text:
        payload["text"] = text
    return payload


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    period_key: str,
    recipient_id: int,
    payload: dict[str, Any],
    now: dt.datetime,
    subject: str | None = None,
    not_before: dt.datetime | None = None,
) -> bool:
    """Insert the notification unless its key exists; True when this call created it."""
    values = {
        "kind": kind,
        "subject": subject,
        "period_key": period_key,
        "recipient_id": recipient_id,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
        "updated_at": now,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=[Outbox.period_key])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
