"""Conversation references: where to reach each person proactively (docs/design.md, "Nothing lost")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, Staff
from storage.queries import outbox


@dataclass(frozen=True)
class KnownReference:
    """What is stored for a person, read together with their identity (directory.identity_with_reference)."""

    exists: bool
    service_url: str | None = None
    conversation_id: str | None = None
    bot_id: str | None = None
    user_id: str | None = None
    tenant_id: str | None = None
    unreachable_since: dt.datetime | None = None


async def remember(
    session: AsyncSession,
    *,
    staff_id: int,
    tenant_id: str,
    channel_id: str,
    service_url: str,
    conversation_id: str,
    bot_id: str,
    user_id: str,
    now: dt.datetime,
    known: KnownReference | None = None,
) -> None:
    """Insert or refresh the person's 1:1 conversation reference; clear 'unreachable' (they are back).

    Runs on every message, so it writes nothing when nothing moved, and reads nothing when the caller
    already read what is stored (`known`, from the identity query of the same transaction): with the
    identity query, one round trip per turn instead of three (docs/benchmarks.md).
    """
    if known is None:
        known = await _known(session, staff_id)
    values = {
        "tenant_id": tenant_id,
        "channel_id": channel_id,
        "service_url": service_url,
        "conversation_id": conversation_id,
        "bot_id": bot_id,
        "user_id": user_id,
        "updated_at": now,
    }
    if not known.exists:
        # An upsert, not an insert: a person's first contact brings installationUpdate and
        # conversationUpdate at the same moment, and both turns find nothing stored.
        upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        stmt = upsert(ConversationRef).values(staff_id=staff_id, **values)
        await session.execute(
            stmt.on_conflict_do_update(index_elements=[ConversationRef.staff_id], set_=values)
        )
        # Their first conversation (they opened the bot, or Teams opened it after an install through
        # Graph): whatever waited for it is due now. Only here, so an ordinary turn costs nothing more.
        await outbox.wake_waiting(session, staff_id, now)
    elif (known.service_url, known.conversation_id, known.bot_id, known.user_id, known.tenant_id) != (
        service_url,
        conversation_id,
        bot_id,
        user_id,
        tenant_id,
    ):
        await session.execute(
            update(ConversationRef).where(ConversationRef.staff_id == staff_id).values(**values)
        )
    if known.unreachable_since is not None:
        await session.execute(update(Staff).where(Staff.id == staff_id).values(unreachable_since=None))


async def _known(session: AsyncSession, staff_id: int) -> KnownReference:
    row = (
        await session.execute(
            select(
                Staff.unreachable_since,
                ConversationRef.staff_id,
                ConversationRef.service_url,
                ConversationRef.conversation_id,
                ConversationRef.bot_id,
                ConversationRef.user_id,
                ConversationRef.tenant_id,
            )
            .outerjoin(ConversationRef, ConversationRef.staff_id == Staff.id)
            .where(Staff.id == staff_id)
        )
    ).first()
    if row is None:
        return KnownReference(exists=False)
    return KnownReference(
        exists=row.staff_id is not None,
        service_url=row.service_url,
        conversation_id=row.conversation_id,
        bot_id=row.bot_id,
        user_id=row.user_id,
        tenant_id=row.tenant_id,
        unreachable_since=row.unreachable_since,
    )


async def reference_for(session: AsyncSession, staff_id: int) -> ConversationRef | None:
    return (
        await session.execute(select(ConversationRef).where(ConversationRef.staff_id == staff_id))
    ).scalar_one_or_none()
