"""Concerns about pupils not on the register: insert (idempotent), one view for the cards, the decision.

The decision goes through storage.queries.decisions.guarded_transition, as referrals do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Concern, ConcernStatus, NeedType, Pupil, Staff
from storage.queries.decisions import guarded_transition


@dataclass(frozen=True)
class ConcernView:
    """Everything a concern card shows, from one query."""

    id: int
    school_id: int
    pupil_id: int
    pupil_name: str
    raised_by: int
    raiser_name: str
    text: str
    evidence: str | None
    suggested_need: str | None
    suggested_need_name: str | None
    parents_spoken: bool | None
    parents_spoken_on: dt.date | None
    status: str
    version: int
    decided_by_name: str | None
    decided_at: dt.datetime | None
    decision_note: str | None
    created_at: dt.datetime


async def insert(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert a concern unless its idempotency key exists; its id, or None for a replay."""
    insert_ = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert_(Concern)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Concern.idempotency_key])
        .returning(Concern.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def id_by_key(session: AsyncSession, key: str) -> tuple[int, int] | None:
    """(concern id, raiser id) for an idempotency key."""
    row = (
        await session.execute(select(Concern.id, Concern.raised_by).where(Concern.idempotency_key == key))
    ).first()
    return None if row is None else (row[0], row[1])


async def view(session: AsyncSession, concern_id: int) -> ConcernView | None:
    raiser = aliased(Staff)
    decider = aliased(Staff)
    row = (
        await session.execute(
            select(
                Concern,
                Pupil.given_name,
                Pupil.family_name,
                raiser.display_name,
                decider.display_name,
                NeedType.name,
            )
            .join(Pupil, Pupil.id == Concern.pupil_id)
            .join(raiser, raiser.id == Concern.raised_by)
            .outerjoin(decider, decider.id == Concern.decided_by)
            .outerjoin(NeedType, NeedType.code == Concern.suggested_need)
            .where(Concern.id == concern_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return None
    c: Concern = row[0]
    return ConcernView(
        id=c.id,
        school_id=c.school_id,
        pupil_id=c.pupil_id,
        pupil_name=f"{row[1]} {row[2]}",
        raised_by=c.raised_by,
        raiser_name=row[3],
        text=c.text,
        evidence=c.evidence,
        suggested_need=c.suggested_need,
        suggested_need_name=row[5],
        parents_spoken=c.parents_spoken,
        parents_spoken_on=c.parents_spoken_on,
        status=c.status,
        version=c.version,
        decided_by_name=row[4],
        decided_at=c.decided_at,
        decision_note=c.decision_note,
        created_at=c.created_at,
    )


async def decide(
    session: AsyncSession,
    *,
    concern_id: int,
    school_id: int,
    version: int,
    to_status: str,
    by: int,
    now: dt.datetime,
    note: str | None,
) -> bool:
    """Record the one decision on a requested concern; False when the card was stale or someone won."""
    return await guarded_transition(
        session,
        Concern,
        row_id=concern_id,
        school_id=school_id,
        version=version,
        from_statuses=[ConcernStatus.REQUESTED.value],
        to_status=to_status,
        now=now,
        values={"decided_by": by, "decided_at": now, "decision_note": note},
    )
