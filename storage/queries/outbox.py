"""The notification outbox: a row per notification before anything is sent (docs/design.md, "Nothing lost").

`enqueue` is how every flow and planner asks for a message to reach a person. Its `period_key` is the
exactly-once key (`review_due:<review id>:<stage>`, `weekly_digest:<staff id>:<ISO week>`,
`referral_decided:<referral id>:<version>`...): a second enqueue with the same key does nothing, whether it
comes from a retry, a second replica or a restart. The dispatcher (bot/jobs/outbox.py) delivers the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Interval, and_, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, Outbox, OutboxStatus, School, SendSlot, Staff, UTCDateTime


def message_payload(*, card: dict[str, Any] | None = None, text: str | None = None) -> dict[str, Any]:
    """The payload shape the dispatcher sends: a card, a text, or both (as bot.turn.core.Message)."""
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
    expires_at: dt.datetime | None = None,
) -> bool:
    """Insert the notification unless its key exists; True when this call created it.

    `expires_at`: when it stops being any use (a digest after its week); past it, it is never sent.
    """
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
        "expires_at": expires_at,
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(Outbox).values(**values).on_conflict_do_nothing(index_elements=[Outbox.period_key])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Notification:
    kind: str
    period_key: str
    recipient_id: int
    payload: dict[str, Any]
    subject: str | None = None
    expires_at: dt.datetime | None = None


async def enqueue_many(
    session: AsyncSession, notifications: list[Notification], *, now: dt.datetime
) -> set[str]:
    """`enqueue` for many rows in one statement (a planner's morning); returns the keys this call created.

    Rows go in key order, so concurrent planners wait on the same first key instead of deadlocking; a
    key another transaction holds makes this one wait for it, then skip it once it commits.
    """
    if not notifications:
        return set()
    values = [
        {
            "kind": n.kind,
            "subject": n.subject,
            "period_key": n.period_key,
            "recipient_id": n.recipient_id,
            "payload": n.payload,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
            "expires_at": n.expires_at,
        }
        for n in sorted(notifications, key=lambda n: n.period_key)
    ]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(Outbox)
        .on_conflict_do_nothing(index_elements=[Outbox.period_key])
        .returning(Outbox.period_key),
        values,
    )
    return set(result.scalars())


# ---------------------------------------------------------------------------------------------
# The dispatcher's side: claim under a lease, then settle each row.


@dataclass(frozen=True)
class Claimed:
    """A row this dispatcher now holds, with where to send it (None: the person never opened the bot)."""

    id: int
    kind: str
    recipient_id: int
    payload: dict[str, Any]
    attempts: int
    reference: ConversationRef | None
    # Set when it waited for the person to open the bot: the send then says it is late.
    waiting_since: dt.datetime | None = None


def _abandoned(now: dt.datetime) -> ColumnElement[bool]:
    """Claimed by a dispatcher whose lease ran out: it died (or hung) holding the row."""
    return and_(Outbox.status == OutboxStatus.SENDING.value, Outbox.lease_until <= now)


def _due(now: dt.datetime, no_blind_resend: frozenset[str]) -> ColumnElement[bool]:
    """Ready to send: waiting and due, or abandoned (unless its send had started and is not to be resent)."""
    in_doubt = and_(Outbox.send_started_at.is_not(None), Outbox.kind.in_(sorted(no_blind_resend)))
    return or_(
        and_(
            Outbox.status.in_([OutboxStatus.PENDING.value, OutboxStatus.FAILED.value]),
            Outbox.next_attempt_at <= now,
        ),
        and_(_abandoned(now), ~in_doubt) if no_blind_resend else _abandoned(now),
    )


async def mark_in_doubt(session: AsyncSession, *, now: dt.datetime, kinds: frozenset[str]) -> list[int]:
    """Abandoned rows of these kinds whose send had started become 'unknown' (they may have arrived).

    One conditional UPDATE: a live dispatcher renews its lease before each send, so an expired lease
    with a send started means its dispatcher died during or after that send.
    """
    if not kinds:
        return []
    result = await session.execute(
        update(Outbox)
        .where(_abandoned(now), Outbox.send_started_at.is_not(None), Outbox.kind.in_(sorted(kinds)))
        .values(
            status=OutboxStatus.UNKNOWN.value,
            lease_owner=None,
            lease_until=None,
            last_error="its dispatcher stopped during the send: it may or may not have arrived",
            updated_at=now,
        )
        .returning(Outbox.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


async def claim_due(
    session: AsyncSession,
    *,
    owner: str,
    now: dt.datetime,
    lease_seconds: float,
    limit: int,
    no_blind_resend: frozenset[str] = frozenset(),
) -> list[Claimed]:
    """Take up to `limit` due rows under a lease, in one short transaction (the caller commits).

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent dispatchers take disjoint rows without
    waiting. SQLite has one writer at a time: a single UPDATE … WHERE id IN (…) AND <still due> is atomic.
    Each claim counts as an attempt, so a row that crashes its dispatcher every time still ends dead.
    An abandoned row whose send had started is taken again only if its kind is not in `no_blind_resend`
    (those are left to `mark_in_doubt`).
    """
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    due = _due(now, no_blind_resend)
    pick = select(Outbox.id).where(due).order_by(Outbox.next_attempt_at, Outbox.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = list((await session.execute(pick.with_for_update(skip_locked=True))).scalars())
        if not ids:
            return []
        target: ColumnElement[bool] = Outbox.id.in_(ids)
    else:
        target = and_(Outbox.id.in_(pick.scalar_subquery()), due)
    claimed = (
        await session.execute(
            update(Outbox)
            .where(target)
            .values(
                status=OutboxStatus.SENDING.value,
                lease_owner=owner,
                lease_until=lease_until,
                send_started_at=None,
                attempts=Outbox.attempts + 1,
                updated_at=now,
            )
            .returning(
                Outbox.id,
                Outbox.kind,
                Outbox.recipient_id,
                Outbox.payload,
                Outbox.attempts,
                Outbox.waiting_since,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not claimed:
        return []
    recipients = {row.recipient_id for row in claimed}
    refs = {
        r.staff_id: r
        for r in (
            await session.execute(select(ConversationRef).where(ConversationRef.staff_id.in_(recipients)))
        ).scalars()
    }
    return sorted(
        (
            Claimed(
                row.id,
                row.kind,
                row.recipient_id,
                row.payload,
                row.attempts,
                refs.get(row.recipient_id),
                row.waiting_since,
            )
            for row in claimed
        ),
        key=lambda c: c.id,
    )


async def start_send(
    session: AsyncSession, outbox_id: int, *, owner: str, now: dt.datetime, lease_seconds: float
) -> bool:
    """Renew the lease and record that the send starts now; False when the lease is no longer ours.

    Renewing here, not only at claim time, means a row that waited behind the pacer or a slow batch is
    not taken by another dispatcher while ours is about to send it.
    """
    result = await session.execute(
        update(Outbox)
        .where(
            Outbox.id == outbox_id,
            Outbox.lease_owner == owner,
            Outbox.status == OutboxStatus.SENDING.value,
        )
        .values(lease_until=now + dt.timedelta(seconds=lease_seconds), send_started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def reserve_send_slot(
    session: AsyncSession, tenant_id: str, *, now: dt.datetime, interval: dt.timedelta
) -> dt.datetime:
    """Take the tenant's next free send slot and return when it starts (PostgreSQL only).

    One atomic upsert: the row lock orders concurrent dispatchers on every replica, so no two get the
    same slot and the tenant's pace holds however many replicas send. A tenant idle for a while starts
    again from `now`, not from a slot in the past.
    """
    stmt = (
        postgresql.insert(SendSlot)
        .values(tenant_id=tenant_id, next_at=now + interval)
        .on_conflict_do_update(
            index_elements=[SendSlot.tenant_id],
            set_={
                "next_at": func.greatest(SendSlot.next_at, now, type_=UTCDateTime())
                + literal(interval, Interval())
            },
        )
        .returning(SendSlot.next_at)
    )
    next_at = (await session.execute(stmt)).scalar_one()
    return next_at - interval


async def _settle(session: AsyncSession, outbox_id: int, owner: str, **values: Any) -> bool:
    """Apply only while we still hold the lease: a dispatcher that lost it must not overwrite the winner."""
    result = await session.execute(
        update(Outbox)
        .where(
            Outbox.id == outbox_id,
            Outbox.lease_owner == owner,
            Outbox.status == OutboxStatus.SENDING.value,
        )
        .values(lease_owner=None, lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_sent(
    session: AsyncSession, outbox_id: int, *, owner: str, activity_id: str | None, now: dt.datetime
) -> bool:
    return await _settle(
        session,
        outbox_id,
        owner,
        status=OutboxStatus.SENT.value,
        sent_activity_id=activity_id,
        last_error=None,
        updated_at=now,
    )


async def mark_retry(
    session: AsyncSession,
    outbox_id: int,
    *,
    owner: str,
    error: str,
    next_attempt_at: dt.datetime,
    now: dt.datetime,
) -> bool:
    return await _settle(
        session,
        outbox_id,
        owner,
        status=OutboxStatus.FAILED.value,
        next_attempt_at=next_attempt_at,
        last_error=error[:500],
        updated_at=now,
    )


async def mark_dead(
    session: AsyncSession, outbox_id: int, *, owner: str, error: str, now: dt.datetime
) -> bool:
    return await _settle(
        session, outbox_id, owner, status=OutboxStatus.DEAD.value, last_error=error[:500], updated_at=now
    )


async def mark_unreachable(session: AsyncSession, staff_id: int, now: dt.datetime) -> None:
    """Teams said the app is gone for this person; cleared when they next write (conversations.remember)."""
    await session.execute(
        update(Staff)
        .where(Staff.id == staff_id, Staff.unreachable_since.is_(None))
        .values(unreachable_since=now)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------------------------------------
# Reaching people who have no conversation with the bot yet (docs/outbox-and-reminders.md, "Reach").


@dataclass(frozen=True)
class InstallTarget:
    """Who to install the app for: their Entra object id in their school's tenant (None: not known yet)."""

    aad_object_id: str | None
    tenant_id: str


async def install_target(session: AsyncSession, staff_id: int) -> InstallTarget | None:
    row = (
        await session.execute(
            select(Staff.aad_object_id, School.tenant_id)
            .join(School, School.id == Staff.school_id)
            .where(Staff.id == staff_id)
        )
    ).first()
    return None if row is None else InstallTarget(row.aad_object_id, row.tenant_id)


async def mark_waiting(
    session: AsyncSession, outbox_id: int, *, owner: str, reason: str, now: dt.datetime
) -> bool:
    """Park a claimed row until the person's conversation exists (wake_waiting) or it expires."""
    return await _settle(
        session,
        outbox_id,
        owner,
        status=OutboxStatus.WAITING.value,
        waiting_since=func.coalesce(Outbox.waiting_since, now),
        last_error=reason[:500],
        updated_at=now,
    )


async def wake_waiting(session: AsyncSession, staff_id: int, now: dt.datetime) -> int:
    """The person now has a conversation: their waiting rows are due at once. Returns how many."""
    result = await session.execute(
        update(Outbox)
        .where(Outbox.recipient_id == staff_id, Outbox.status == OutboxStatus.WAITING.value)
        .values(status=OutboxStatus.PENDING.value, next_attempt_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


EXPIRED_REASON = "expired before it could be sent"


async def expire_due(session: AsyncSession, now: dt.datetime) -> list[int]:
    """Rows not yet sent whose expiry has passed become 'expired' (one UPDATE); their ids."""
    result = await session.execute(
        update(Outbox)
        .where(
            Outbox.status.in_(
                [OutboxStatus.PENDING.value, OutboxStatus.FAILED.value, OutboxStatus.WAITING.value]
            ),
            Outbox.expires_at.is_not(None),
            Outbox.expires_at <= now,
        )
        .values(
            status=OutboxStatus.EXPIRED.value,
            last_error=func.coalesce(Outbox.last_error + "; ", "") + EXPIRED_REASON,
            updated_at=now,
        )
        .returning(Outbox.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


# ---------------------------------------------------------------------------------------------
# The operator's view (`senbot outbox`): ids, kinds and errors, never payloads.


@dataclass(frozen=True)
class OperatorRow:
    id: int
    kind: str
    recipient_id: int
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    expires_at: dt.datetime | None = None


OPERATOR_STATUSES = (
    OutboxStatus.PENDING.value,
    OutboxStatus.SENDING.value,
    OutboxStatus.FAILED.value,
    OutboxStatus.WAITING.value,
    OutboxStatus.DEAD.value,
    OutboxStatus.UNKNOWN.value,
    OutboxStatus.EXPIRED.value,
)


async def status_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Outbox.status, func.count()).group_by(Outbox.status))
    counts = dict.fromkeys((*OPERATOR_STATUSES, OutboxStatus.SENT.value), 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


async def latest_unsent(session: AsyncSession, limit: int) -> list[OperatorRow]:
    rows = await session.execute(
        select(
            Outbox.id,
            Outbox.kind,
            Outbox.recipient_id,
            Outbox.status,
            Outbox.attempts,
            Outbox.next_attempt_at,
            Outbox.last_error,
            Outbox.expires_at,
        )
        .where(Outbox.status.in_(OPERATOR_STATUSES))
        .order_by(Outbox.updated_at.desc(), Outbox.id.desc())
        .limit(limit)
    )
    return [OperatorRow(*row) for row in rows]


async def requeue_dead(session: AsyncSession, outbox_id: int, now: dt.datetime) -> bool:
    """Give a dead or unknown row a fresh set of attempts; False when there is no such row.

    For an unknown row this is the operator saying it did not arrive (its recipient says so).
    """
    result = await session.execute(
        update(Outbox)
        .where(
            Outbox.id == outbox_id,
            Outbox.status.in_([OutboxStatus.DEAD.value, OutboxStatus.UNKNOWN.value]),
        )
        .values(
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            lease_owner=None,
            lease_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
