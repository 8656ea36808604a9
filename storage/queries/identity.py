"""Who is who: staff by Entra object id, their roles and school."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, Role, School, Staff, StaffRole
from storage.queries.conversations import KnownReference


@dataclass(frozen=True)
class SchoolInfo:
    """The school facts most turns need (its local date, the cost threshold): read with the person."""

    time_zone: str
    notional_threshold_pence: int


@dataclass(frozen=True)
class StaffIdentity:
    staff_id: int
    school_id: int
    school_name: str
    tenant_id: str
    display_name: str
    roles: frozenset[Role]
    school: SchoolInfo


# Built once: this runs on every activity, and constructing the statement cost more CPU than
# running it (~0.15 ms a turn). One row per role; the person's conversation reference and
# reachability come along, so a turn needs one read before its flow runs instead of three.
_IDENTITY = (
    select(
        Staff.id,
        Staff.school_id,
        School.name.label("school_name"),
        School.tenant_id.label("school_tenant"),
        School.time_zone,
        School.notional_threshold_pence,
        Staff.display_name,
        StaffRole.role,
        Staff.unreachable_since,
        ConversationRef.staff_id.label("ref_staff_id"),
        ConversationRef.service_url,
        ConversationRef.conversation_id,
        ConversationRef.bot_id,
        ConversationRef.user_id,
        ConversationRef.tenant_id.label("ref_tenant_id"),
    )
    .join(School, School.id == Staff.school_id)
    .outerjoin(StaffRole, StaffRole.staff_id == Staff.id)
    .outerjoin(ConversationRef, ConversationRef.staff_id == Staff.id)
    .where(
        Staff.aad_object_id == bindparam("aad_object_id"),
        School.tenant_id == bindparam("tenant_id"),
        Staff.left_on.is_(None),
    )
)


async def identity_by_aad(session: AsyncSession, aad_object_id: str, tenant_id: str) -> StaffIdentity | None:
    """The staff member with this Entra object id in a school of this tenant, if they have not left."""
    found = await identity_with_reference(session, aad_object_id, tenant_id)
    return found[0] if found else None


async def identity_with_reference(
    session: AsyncSession, aad_object_id: str, tenant_id: str
) -> tuple[StaffIdentity, KnownReference] | None:
    """The person (as `identity_by_aad`) and their stored conversation reference, in one query.

    Why one query of plain columns: it runs on every activity, and ORM objects plus a selectin load
    of the roles plus a separate read of the reference were three round trips and ~1 ms of CPU
    (with the other changes, help went from ~130 to 300+ requests/s; docs/benchmarks.md).
    """
    rows = (await session.execute(_IDENTITY, {"aad_object_id": aad_object_id, "tenant_id": tenant_id})).all()
    if not rows:
        return None
    first = rows[0]
    identity = StaffIdentity(
        staff_id=first.id,
        school_id=first.school_id,
        school_name=first.school_name,
        tenant_id=first.school_tenant,
        display_name=first.display_name,
        roles=frozenset(Role(row.role) for row in rows if row.role is not None),
        school=SchoolInfo(first.time_zone, first.notional_threshold_pence),
    )
    reference = KnownReference(
        exists=first.ref_staff_id is not None,
        service_url=first.service_url,
        conversation_id=first.conversation_id,
        bot_id=first.bot_id,
        user_id=first.user_id,
        tenant_id=first.ref_tenant_id,
        unreachable_since=first.unreachable_since,
    )
    return identity, reference


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
