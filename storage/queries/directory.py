"""Who is who: staff by Entra object id, their roles and school."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Role, School, Staff, StaffRole


@dataclass(frozen=True)
class StaffIdentity:
    staff_id: int
    school_id: int
    school_name: str
    tenant_id: str
    display_name: str
    roles: frozenset[Role]


async def identity_by_aad(session: AsyncSession, aad_object_id: str, tenant_id: str) -> StaffIdentity | None:
    """The staff member with this Entra object id in a school of this tenant, if they have not left."""
    row = (
        await session.execute(
            select(Staff, School.name, School.tenant_id)
            .join(School, School.id == Staff.school_id)
            .where(
                Staff.aad_object_id == aad_object_id,
                School.tenant_id == tenant_id,
                Staff.left_on.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    staff, school_name, school_tenant = row
    return StaffIdentity(
        staff_id=staff.id,
        school_id=staff.school_id,
        school_name=school_name,
        tenant_id=school_tenant,
        display_name=staff.display_name,
        roles=frozenset(Role(r.role) for r in staff.roles),
    )


async def contacts_for_tenant(session: AsyncSession, tenant_id: str, *, limit: int = 5) -> Sequence[str]:
    """Names of the SENCOs and admins a stranger in this tenant can ask to be added."""
    rows = await session.execute(
        select(Staff.display_name)
        .join(School, School.id == Staff.school_id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(
            School.tenant_id == tenant_id,
            StaffRole.role.in_([Role.ADMIN.value, Role.SENCO.value]),
            Staff.left_on.is_(None),
        )
        .distinct()
        .order_by(Staff.display_name)
        .limit(limit)
    )
    return list(rows.scalars())
