"""Every flow's read and write path × every role × pupils inside and outside scope (table-driven).

To add a flow: append Case rows to CASES. A case runs one path for an actor with exactly one role
and says what that role must get: the pupils it may see (as a set of names of the fixtures below),
or whether a route is allowed. The matrix is every role × every case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.flows import build_router
from bot.rules.policy import Actor, grantable_roles, may_use, pupil_scope, totals_scope
from bot.turn.core import InboundKind
from storage.models import ClassPupil, ClassStaff, Pupil, Role, School, SchoolClass, Staff, TrustSchool
from storage.queries import pupils


@dataclass
class World:
    """Two schools: a pupil in the actor's class, one in their school but not their class, one elsewhere."""

    school: int
    other_school: int
    staff: int
    mine: int
    same_school: int
    elsewhere: int

    def actor(self, role: Role) -> Actor:
        return Actor(self.staff, self.school, "t", "Pat", frozenset({role}))

    def names(self, ids: set[int]) -> set[str]:
        by_id = {self.mine: "mine", self.same_school: "same_school", self.elsewhere: "elsewhere"}
        return {by_id[i] for i in ids if i in by_id}


Probe = Callable[[AsyncSession, World, Actor], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    path: str
    probe: Probe
    expected: dict[Role, object]


async def _allowed(session: AsyncSession, w: World, a: Actor) -> object:
    ids = await pupils.allowed_ids(session, pupil_scope(a), [w.mine, w.same_school, w.elsewhere])
    return w.names(ids)


async def _search(session: AsyncSession, w: World, a: Actor) -> object:
    return w.names({p.id for p in await pupils.search(session, pupil_scope(a), "Matrix")})


async def _caseload(session: AsyncSession, w: World, a: Actor) -> object:
    return w.names({p.id for p in await pupils.caseload(session, pupil_scope(a))})


async def _totals(session: AsyncSession, w: World, a: Actor) -> object:
    schools = {t.school_id for t in await pupils.school_totals(session, totals_scope(a))}
    return {"own" if s == w.school else "trust" for s in schools}


def _route(command: str) -> Probe:
    async def probe(session: AsyncSession, w: World, a: Actor) -> object:
        route = build_router().resolve(InboundKind.MESSAGE, command=command, verb=None)
        assert route is not None
        return may_use(a, route.roles)

    return probe


async def _grant_admin(session: AsyncSession, w: World, a: Actor) -> object:
    return Role.ADMIN in grantable_roles(a)


async def _grant_ta(session: AsyncSession, w: World, a: Actor) -> object:
    return Role.TA in grantable_roles(a)


CLASS = {"mine"}
SCHOOL = {"mine", "same_school"}
NONE: set[str] = set()
R = Role
CASES = [
    Case("help (read)", _route("help"), {r: True for r in Role}),
    # Who may open each flow at all (the pupil paths inside are narrowed by the scope cases below).
    # Trust leads see totals only: no pupil-level command. Costs and pay rates: SENCO and admin only.
    *(
        Case(f"{command} (route)", _route(command), {r: r in allowed for r in Role})
        for command, allowed in (
            ("log", {R.TEACHER, R.TA, R.SENCO}),
            ("history", {R.TEACHER, R.TA, R.SENCO}),
            ("pupil", {R.TEACHER, R.TA, R.SENCO, R.HEAD, R.ADMIN}),
            ("refer", {R.TEACHER, R.TA, R.SENCO, R.HEAD, R.ADMIN}),
            ("referral", {R.TEACHER, R.TA, R.SENCO, R.HEAD, R.ADMIN}),
            ("referrals", {R.TEACHER, R.TA, R.SENCO, R.HEAD, R.ADMIN}),
            ("services", {R.SENCO}),
            ("plan", {R.TEACHER, R.TA, R.SENCO}),
            ("review", {R.TEACHER, R.SENCO}),
            ("reviews", {R.TEACHER, R.TA, R.SENCO, R.HEAD}),
            ("register", {R.SENCO, R.HEAD, R.ADMIN}),
            ("concern", {R.TEACHER, R.TA, R.SENCO}),
            ("tasks", {R.TEACHER, R.SENCO}),
            ("contacts", {R.SENCO}),
            ("letter", {R.TEACHER, R.SENCO}),
            ("provisions", {R.SENCO, R.ADMIN}),
            ("evidence", {R.SENCO, R.HEAD}),
            ("ehcna", {R.SENCO}),
            ("digest", set(Role)),
        )
    ),
    Case("roles (read and write)", _route("roles"), {r: r in (R.SENCO, R.ADMIN) for r in Role}),
    Case("roles grant admin (write)", _grant_admin, {r: r is R.ADMIN for r in Role}),
    Case("roles grant ta (write)", _grant_ta, {r: r in (R.SENCO, R.ADMIN) for r in Role}),
    Case(
        "pupils.allowed_ids (card ids)",
        _allowed,
        {
            R.TEACHER: CLASS,
            R.TA: CLASS,
            R.SENCO: SCHOOL,
            R.HEAD: SCHOOL,
            R.ADMIN: SCHOOL,
            R.TRUST_LEAD: NONE,
            R.DPO: NONE,
        },
    ),
    Case(
        "pupils.search",
        _search,
        {
            R.TEACHER: CLASS,
            R.TA: CLASS,
            R.SENCO: SCHOOL,
            R.HEAD: SCHOOL,
            R.ADMIN: SCHOOL,
            R.TRUST_LEAD: NONE,
            R.DPO: NONE,
        },
    ),
    Case(
        "pupils.caseload",
        _caseload,
        {
            R.TEACHER: CLASS,
            R.TA: CLASS,
            R.SENCO: SCHOOL,
            R.HEAD: SCHOOL,
            R.ADMIN: SCHOOL,
            R.TRUST_LEAD: NONE,
            R.DPO: NONE,
        },
    ),
    Case(
        "pupils.school_totals (no pupil rows)",
        _totals,
        {
            R.TEACHER: NONE,
            R.TA: NONE,
            R.SENCO: {"own"},
            R.HEAD: {"own"},
            R.ADMIN: {"own"},
            R.TRUST_LEAD: {"trust"},
            R.DPO: NONE,
        },
    ),
]


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    async with sessions.begin() as session:
        a, b = School(tenant_id="t", name="A"), School(tenant_id="t", name="B")
        session.add_all([a, b])
        await session.flush()
        staff = Staff(school_id=a.id, display_name="Pat", email="pat@a.example")
        mine_cls, other_cls = (
            SchoolClass(school_id=a.id, name="Mine"),
            SchoolClass(school_id=a.id, name="Other"),
        )
        session.add_all([staff, mine_cls, other_cls])
        born = dt.date(2018, 1, 1)
        made = [
            Pupil(
                school_id=sid, mis_id=m, given_name="Matrix", family_name=m, year_group=3, date_of_birth=born
            )
            for sid, m in ((a.id, "M1"), (a.id, "M2"), (b.id, "M3"))
        ]
        session.add_all(made)
        await session.flush()
        session.add_all(
            [
                ClassStaff(class_id=mine_cls.id, staff_id=staff.id),
                ClassPupil(class_id=mine_cls.id, pupil_id=made[0].id),
                ClassPupil(class_id=other_cls.id, pupil_id=made[1].id),
                # A trust lead's schools: the other school only.
                TrustSchool(staff_id=staff.id, school_id=b.id),
            ]
        )
        return World(a.id, b.id, staff.id, made[0].id, made[1].id, made[2].id)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.path)
async def test_role_by_flow(
    sessions: async_sessionmaker[AsyncSession], world: World, case: Case, role: Role
) -> None:
    async with sessions() as session:
        got = await case.probe(session, world, world.actor(role))
    assert got == case.expected[role], f"{case.path} as {role.value}"


def test_every_case_covers_every_role() -> None:
    for case in CASES:
        assert set(case.expected) == set(Role), case.path


def test_every_routed_command_is_in_the_matrix() -> None:
    covered = {c.path.split()[0] for c in CASES}
    assert {r.key for r in build_router().commands()} <= covered


async def test_nobody_sees_a_left_pupil(sessions: async_sessionmaker[AsyncSession], world: World) -> None:
    async with sessions.begin() as session:
        pupil = await session.get(Pupil, world.mine)
        assert pupil is not None
        pupil.left_on = dt.date(2026, 7, 20)
    async with sessions() as session:
        ids = await pupils.allowed_ids(session, pupil_scope(world.actor(Role.SENCO)), [world.mine])
        assert ids == set()
        assert await session.scalar(select(Pupil.id).where(Pupil.id == world.mine)) == world.mine
