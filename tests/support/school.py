"""Look-ups into the demo school for tests: who teaches whom, provision ids, pupils' names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ClassPupil, ClassStaff, ProvisionType, Pupil, Staff
from tests.support.activities import User


async def staff_id(sessions: async_sessionmaker[AsyncSession], user: User) -> int:
    async with sessions() as session:
        found = await session.scalar(select(Staff.id).where(Staff.aad_object_id == user.aad_object_id))
    assert found is not None
    return found


async def caseload(sessions: async_sessionmaker[AsyncSession], user: User) -> list[int]:
    """The ids of the pupils in this person's classes, in id order."""
    async with sessions() as session:
        rows = await session.execute(
            select(ClassPupil.pupil_id)
            .join(ClassStaff, ClassStaff.class_id == ClassPupil.class_id)
            .join(Staff, Staff.id == ClassStaff.staff_id)
            .where(Staff.aad_object_id == user.aad_object_id)
            .distinct()
            .order_by(ClassPupil.pupil_id)
        )
        return list(rows.scalars())


async def not_in_caseload(sessions: async_sessionmaker[AsyncSession], user: User) -> list[int]:
    mine = set(await caseload(sessions, user))
    async with sessions() as session:
        every = list((await session.execute(select(Pupil.id).order_by(Pupil.id))).scalars())
    return [p for p in every if p not in mine]


async def provision_id(sessions: async_sessionmaker[AsyncSession], name: str) -> int:
    async with sessions() as session:
        found = await session.scalar(select(ProvisionType.id).where(ProvisionType.name == name))
    assert found is not None
    return found


async def names(sessions: async_sessionmaker[AsyncSession], ids: list[int]) -> dict[int, str]:
    async with sessions() as session:
        rows = await session.execute(
            select(Pupil.id, Pupil.given_name, Pupil.family_name).where(Pupil.id.in_(ids))
        )
        return {r[0]: f"{r[1]} {r[2]}" for r in rows}
