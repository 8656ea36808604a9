"""The demo school is realistic, complete for every role, and seeded once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.demo import DEMO_TENANT, seed_demo
from storage.models import ClassPupil, ClassStaff, ProvisionType, Pupil, RegisterEntry, Role, Staff, StaffRole
from storage.queries.identity import identity_by_aad
from tests.support import activities as act


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_demo_school_shape(sessions: async_sessionmaker[AsyncSession], demo: None) -> None:
    async with sessions() as session:
        assert await count(session, Pupil) == 196
        assert await count(session, ClassPupil) == 196
        statuses = dict(
            (
                await session.execute(
                    select(RegisterEntry.status, func.count()).group_by(RegisterEntry.status)
                )
            ).all()
        )
        assert statuses == {"K": 33, "E": 7}
        roles = set((await session.execute(select(StaffRole.role).distinct())).scalars())
        assert roles >= {r.value for r in (Role.TEACHER, Role.TA, Role.SENCO, Role.HEAD, Role.ADMIN)}
        assert await count(session, ProvisionType) == 8
        assert await count(session, ClassStaff) > 0
        staff = await count(session, Staff)
        assert staff >= 12


async def test_seeding_twice_creates_nothing_more(
    sessions: async_sessionmaker[AsyncSession], demo: None
) -> None:
    async with sessions.begin() as session:
        assert not await seed_demo(session)
    async with sessions() as session:
        assert await count(session, Pupil) == 196


async def test_playground_default_user_is_senco(
    sessions: async_sessionmaker[AsyncSession], demo: None
) -> None:
    async with sessions() as session:
        me = await identity_by_aad(session, act.SENCO.aad_object_id, DEMO_TENANT)
        other_tenant = await identity_by_aad(session, act.SENCO.aad_object_id, "another-tenant")
    assert me is not None and Role.SENCO in me.roles and Role.TEACHER in me.roles
    assert other_tenant is None
