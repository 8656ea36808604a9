"""The caseload rule in SQL: teachers and TAs see their classes, whole-school roles their school."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.rules.policy import Actor, pupil_scope
from storage.demo import DEMO_TENANT
from storage.models import ClassPupil, ClassStaff, Pupil, School
from storage.queries import pupils
from storage.queries.identity import identity_by_aad
from tests.support import activities as act


async def actor_for(session: AsyncSession, user: act.User) -> Actor:
    ident = await identity_by_aad(session, user.aad_object_id, DEMO_TENANT)
    assert ident is not None
    return Actor(ident.staff_id, ident.school_id, ident.tenant_id, ident.display_name, ident.roles)


async def test_teacher_sees_only_their_class(sessions: async_sessionmaker[AsyncSession], demo: None) -> None:
    async with sessions() as session:
        teacher = await actor_for(session, act.TEACHER)
        mine = await pupils.caseload(session, pupil_scope(teacher))
        expected = set(
            (
                await session.execute(
                    select(ClassPupil.pupil_id)
                    .join(ClassStaff, ClassStaff.class_id == ClassPupil.class_id)
                    .where(ClassStaff.staff_id == teacher.staff_id)
                )
            ).scalars()
        )
        everyone = set((await session.execute(select(Pupil.id))).scalars())
    assert {p.id for p in mine} == expected and len(expected) == 28
    async with sessions() as session:
        assert await pupils.allowed_ids(session, pupil_scope(teacher), everyone) == expected


async def test_senco_and_head_see_the_school(sessions: async_sessionmaker[AsyncSession], demo: None) -> None:
    async with sessions() as session:
        for user in (act.SENCO, act.HEAD):
            actor = await actor_for(session, user)
            assert len(await pupils.caseload(session, pupil_scope(actor))) == 196
        senco = await actor_for(session, act.SENCO)
        sen = await pupils.caseload(session, pupil_scope(senco), sen_only=True)
    assert len(sen) == 40 and {p.sen_status for p in sen} == {"K", "E"}


async def test_nobody_sees_another_school(sessions: async_sessionmaker[AsyncSession], demo: None) -> None:
    async with sessions.begin() as session:
        other = School(tenant_id=DEMO_TENANT, name="Elsewhere Academy")
        session.add(other)
        await session.flush()
        stranger = Pupil(
            school_id=other.id,
            mis_id="X1",
            given_name="Zed",
            family_name="Other",
            year_group=3,
            date_of_birth=dt.date(2018, 1, 1),
        )
        session.add(stranger)
        await session.flush()
        stranger_id = stranger.id
    async with sessions() as session:
        senco = await actor_for(session, act.SENCO)
        assert await pupils.allowed_ids(session, pupil_scope(senco), [stranger_id]) == set()
        assert await pupils.search(session, pupil_scope(senco), "Zed") == []


async def test_search_matches_every_word_and_escapes_wildcards(
    sessions: async_sessionmaker[AsyncSession], demo: None
) -> None:
    async with sessions() as session:
        senco = await actor_for(session, act.SENCO)
        first = (await pupils.caseload(session, pupil_scope(senco)))[0]
        found = await pupils.search(
            session, pupil_scope(senco), f"{first.given_name.upper()} {first.family_name[:3]}"
        )
        assert first.id in {p.id for p in found}
        assert await pupils.search(session, pupil_scope(senco), "%") == []
        assert await pupils.search(session, pupil_scope(senco), "_") == []
        total = await session.scalar(select(func.count()).select_from(Pupil))
    assert total == 196
