"""The school's provision catalogue: add, edit, retire (a retired provision stays on past sessions)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProvisionType


async def name_taken(session: AsyncSession, school_id: int, name: str, *, except_id: int | None) -> bool:
    stmt = select(func.count()).where(
        ProvisionType.school_id == school_id, func.lower(ProvisionType.name) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(ProvisionType.id != except_id)
    return bool(await session.scalar(stmt))


async def save(
    session: AsyncSession,
    *,
    school_id: int,
    provision_id: int | None,
    name: str,
    broad_area: str | None,
    default_minutes: int,
    default_group_size: int,
    staff_hourly_cost_pence: int,
    per_pupil_cost_pence: int,
) -> int | None:
    """Insert, or update this school's provision; None when the id is not one of the school's."""
    values = {
        "name": name,
        "broad_area": broad_area,
        "default_minutes": default_minutes,
        "default_group_size": default_group_size,
        "staff_hourly_cost_pence": staff_hourly_cost_pence,
        "per_pupil_cost_pence": per_pupil_cost_pence,
    }
    if provision_id is None:
        row = ProvisionType(school_id=school_id, **values)
        session.add(row)
        await session.flush()
        return row.id
    result = await session.execute(
        update(ProvisionType)
        .where(ProvisionType.id == provision_id, ProvisionType.school_id == school_id)
        .values(**values)
    )
    return provision_id if result.rowcount else None  # type: ignore[attr-defined]


async def retire(session: AsyncSession, school_id: int, provision_id: int, now: dt.datetime) -> bool:
    result = await session.execute(
        update(ProvisionType)
        .where(
            ProvisionType.id == provision_id,
            ProvisionType.school_id == school_id,
            ProvisionType.retired_at.is_(None),
        )
        .values(retired_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
