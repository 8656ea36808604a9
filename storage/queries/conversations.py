"""Conversation references: where to reach each person proactively (DESIGN.md, "Nothing lost")."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, Staff


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
) -> None:
    """Insert or refresh the person's 1:1 conversation reference; clear 'unreachable' (they are back)."""
    ref = await session.get(ConversationRef, staff_id)
    if ref is None:
        session.add(
            ConversationRef(
                staff_id=staff_id,
                tenant_id=tenant_id,
                channel_id=channel_id,
                service_url=service_url,
                conversation_id=conversation_id,
                bot_id=bot_id,
                user_id=user_id,
                updated_at=now,
            )
        )
    else:
        changed = (ref.service_url, ref.conversation_id, ref.bot_id, ref.user_id, ref.tenant_id) != (
            service_url,
            conversation_id,
            bot_id,
            user_id,
            tenant_id,
        )
        # Skip the write when nothing moved: this runs on every message.
        if changed:
            ref.service_url = service_url
            ref.conversation_id = conversation_id
            ref.bot_id = bot_id
            ref.user_id = user_id
            ref.tenant_id = tenant_id
            ref.channel_id = channel_id
            ref.updated_at = now
    staff = await session.get(Staff, staff_id)
    if staff is not None and staff.unreachable_since is not None:
        staff.unreachable_since = None


async def reference_for(session: AsyncSession, staff_id: int) -> ConversationRef | None:
    return (
        await session.execute(select(ConversationRef).where(ConversationRef.staff_id == staff_id))
    ).scalar_one_or_none()
