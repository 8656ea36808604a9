"""Staff roles: who holds what, granting and revoking (the rules are in bot.rules.policy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Role, School, Staff, StaffRole, TrustSchool


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


async def revoke(session: AsyncSession, *, staff_id: int, school_id: int, role: Role) -> bool:
    """Take the role away; False (and nothing changed) when it is the school's last current admin.

    The last-admin rule is enforced here, atomically, not by a count read earlier in the turn: two admins
    revoking each other at the same moment would both have seen two admins. On PostgreSQL the school's
    row is locked first (FOR NO KEY UPDATE), so revocations in one school queue, and the DELETE's own
    count (a fresh snapshot under READ COMMITTED) sees the revocation committed before it. On SQLite the
    DELETE is one statement under the database's single write lock.
    """
    doomed = and_(StaffRole.staff_id == staff_id, StaffRole.role == role.value)
    if role is Role.ADMIN:
        # FOR NO KEY UPDATE: queues other revocations in this school, but not the inserts elsewhere
        # that merely reference the school row (they take KEY SHARE, which this does not block).
        await session.execute(select(School.id).where(School.id == school_id).with_for_update(key_share=True))
        other_admins = (
            select(func.count())
            .select_from(StaffRole)
            .join(Staff, Staff.id == StaffRole.staff_id)
            .where(
                Staff.school_id == school_id,
                Staff.left_on.is_(None),
                StaffRole.role == Role.ADMIN.value,
                StaffRole.staff_id != staff_id,
            )
            .scalar_subquery()
        )
        doomed = and_(doomed, other_admins >= 1)
    result = await session.execute(
        delete(StaffRole).where(doomed).execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    if role is Role.TRUST_LEAD:
        await session.execute(delete(TrustSchool).where(TrustSchool.staff_id == staff_id))
    return True
