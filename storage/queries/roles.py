"""Staff roles: who holds what, granting and revoking (the rules are in bot.rules.policy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Role, Staff, StaffRole, TrustSchool


@dataclass(frozen=True)
class StaffRoles:
    staff_id: int
    display_name: str
    email: str
    roles: tuple[str, ...]


async def staff_with_roles(
    session: AsyncSession, school_id: int, *, limit: int = 200
) -> Sequence[StaffRoles]:
    """Current staff of the school who hold at least one role, by name (one query)."""
    rows = (
        await session.execute(
            select(Staff.id, Staff.display_name, Staff.email, StaffRole.role)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.school_id == school_id, Staff.left_on.is_(None))
            .order_by(Staff.display_name, Staff.id, StaffRole.role)
        )
    ).all()
    out: dict[int, StaffRoles] = {}
    for sid, name, email, role in rows:
        prev = out.get(sid)
        out[sid] = StaffRoles(sid, name, email, (*prev.roles, role) if prev else (role,))
    return list(out.values())[:limit]


async def count_with_roles(session: AsyncSession, school_id: int) -> int:
    return (
        await session.scalar(
            select(func.count(func.distinct(Staff.id)))
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.school_id == school_id, Staff.left_on.is_(None))
        )
        or 0
    )


async def staff_by_email(session: AsyncSession, school_id: int, email: str) -> StaffRoles | None:
    """A current member of staff of this school by email (case-insensitive), with their roles."""
    staff = (
        await session.execute(
            select(Staff).where(
                Staff.school_id == school_id,
                func.lower(Staff.email) == email.lower(),
                Staff.left_on.is_(None),
            )
        )
    ).scalar_one_or_none()
    if staff is None:
        return None
    return StaffRoles(staff.id, staff.display_name, staff.email, tuple(sorted(r.role for r in staff.roles)))


async def admins_in_school(session: AsyncSession, school_id: int) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(StaffRole)
            .join(Staff, Staff.id == StaffRole.staff_id)
            .where(Staff.school_id == school_id, Staff.left_on.is_(None), StaffRole.role == Role.ADMIN.value)
        )
        or 0
    )


async def grant(
    session: AsyncSession, *, staff_id: int, school_id: int, role: Role, by: int, now: dt.datetime
) -> None:
    session.add(StaffRole(staff_id=staff_id, role=role.value, granted_at=now, granted_by=by))
    if role is Role.TRUST_LEAD:
        # A trust lead sees the totals of the school they were made lead in; more via trust_school.
        exists = await session.get(TrustSchool, (staff_id, school_id))
        if exists is None:
            session.add(TrustSchool(staff_id=staff_id, school_id=school_id))
    await session.flush()


async def revoke(session: AsyncSession, *, staff_id: int, role: Role) -> None:
    await session.execute(
        delete(StaffRole).where(StaffRole.staff_id == staff_id, StaffRole.role == role.value)
    )
    if role is Role.TRUST_LEAD:
        await session.execute(delete(TrustSchool).where(TrustSchool.staff_id == staff_id))
