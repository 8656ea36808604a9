"""The audit trail: append only, ids only (no names, no free text about pupils)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent


def record(
    session: AsyncSession,
    *,
    action: str,
    at: dt.datetime,
    tenant_id: str | None = None,
    school_id: int | None = None,
    actor_id: int | None = None,
    actor_aad: str | None = None,
    entity: str | None = None,
    entity_id: str | int | None = None,
    pupil_id: int | None = None,
    outcome: str = "ok",
    correlation_id: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=at,
            tenant_id=tenant_id,
            school_id=school_id,
            actor_id=actor_id,
            actor_aad=actor_aad,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            pupil_id=pupil_id,
            outcome=outcome,
            correlation_id=correlation_id,
        )
    )


async def events(
    session: AsyncSession, *, action: str | None = None, limit: int = 1000
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id).limit(limit)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list((await session.execute(stmt)).scalars())
