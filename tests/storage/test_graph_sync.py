"""Graph sync against a fake Graph on loopback: paging, 429/503 survived, a failed sync changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.roster.graph_sync import sync_all
from bot.settings import Settings
from storage.models import AuditEvent, ClassPupil, ClassStaff, Pupil, School, SchoolClass, Staff
from tests.support.fake_graph_roster import TOKEN, FakeGraph, StaticCredential

NOW = dt.datetime(2026, 11, 28, 2, 30, tzinfo=dt.UTC)
TENANT = "graph-tenant"


def student(n: int, cls: str) -> dict[str, object]:
    return {
        "id": f"aad-s{n}",
        "givenName": f"Given{n}",
        "surname": f"Family{n}",
        "primaryRole": "student",
        "student": {"externalId": f"P{n:03d}", "birthDate": "2018-05-01", "grade": cls[-1]},
    }


def teacher(n: int) -> dict[str, object]:
    return {
        "id": f"aad-t{n}",
        "displayName": f"Teacher {n}",
        "mail": f"t{n}@school.example",
        "primaryRole": "teacher",
    }


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    for c in range(3):
        cid = f"class-{c}"
        fake.classes.append({"id": cid, "displayName": f"Year {c + 1}", "grade": str(c + 1)})
        fake.members[cid] = [student(c * 3 + i, cid) for i in range(3)]
        fake.teachers[cid] = [teacher(c)]
    fake.users = [
        {"id": "aad-senco", "mail": "Senco@School.example", "userPrincipalName": "senco@school.example"},
        {"id": "aad-t0", "mail": "t0@school.example"},
    ]
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def school(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        s = School(tenant_id=TENANT, name="Graph Primary", urn="555555")
        session.add(s)
        await session.flush()
        session.add(Staff(school_id=s.id, display_name="The SENCO", email="senco@school.example"))
        return s.id


def settings(graph: FakeGraph, **kw: object) -> Settings:
    return Settings(graph_base_url=graph.base_url, admins="senco@school.example", **kw)  # type: ignore[arg-type]


async def run(sessions: async_sessionmaker[AsyncSession], graph: FakeGraph) -> list:
    creds: list[StaticCredential] = []

    def factory(tenant: str) -> StaticCredential:
        assert tenant == TENANT
        creds.append(StaticCredential())
        return creds[-1]

    reports = await sync_all(sessions, settings(graph), credentials=factory, now=NOW)  # type: ignore[arg-type]
    assert creds and all(c.closed for c in creds)
    return reports


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, object]:
    async with sessions() as session:
        return {
            "pupils": sorted((await session.execute(select(Pupil.mis_id, Pupil.left_on))).all()),
            "classes": sorted(
                (await session.execute(select(SchoolClass.external_id, SchoolClass.name))).all()
            ),
            "class_pupil": await session.scalar(select(func.count()).select_from(ClassPupil)),
            "class_staff": await session.scalar(select(func.count()).select_from(ClassStaff)),
            "staff": sorted((await session.execute(select(Staff.email, Staff.aad_object_id))).all()),
        }


async def test_sync_follows_every_page_and_maps_staff_by_email(
    sessions: async_sessionmaker[AsyncSession], school: int, graph: FakeGraph
) -> None:
    [report] = await run(sessions, graph)
    assert report.ok and report.skipped == 0
    snap = await snapshot(sessions)
    assert len(snap["pupils"]) == 9 and len(snap["classes"]) == 3  # type: ignore[arg-type]
    assert snap["class_pupil"] == 9 and snap["class_staff"] == 3
    staff = dict(snap["staff"])  # type: ignore[arg-type]
    assert staff["senco@school.example"] == "aad-senco"  # filled from /users by email
    assert staff["t0@school.example"] == "aad-t0"
    # Every collection was paged: a second page was asked for classes, members and users.
    paged = {p for p, status in graph.requests if status == 200}
    assert {"/education/classes", "/education/classes/class-0/members", "/users"} <= paged
    assert sum(1 for p, _ in graph.requests if p == "/education/classes") == 2
    assert graph.authorizations == {f"Bearer {TOKEN}"}
    async with sessions() as session:
        senco = (
            await session.execute(select(Staff).where(Staff.email == "senco@school.example"))
        ).scalar_one()
        assert {r.role for r in senco.roles} == {"admin"}  # SENBOT_ADMINS applied at sync time
        [event] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "roster_graph"))
        ).scalars()
        assert event.outcome == "ok" and event.entity_id == str(school)


async def test_second_sync_changes_nothing_and_leavers_are_marked(
    sessions: async_sessionmaker[AsyncSession], school: int, graph: FakeGraph
) -> None:
    await run(sessions, graph)
    [again] = await run(sessions, graph)
    assert again.ok and again.changes == 0
    graph.members["class-0"].pop()  # P002 left the school
    [third] = await run(sessions, graph)
    assert third.counts["pupils"]["left"] == 1
    async with sessions() as session:
        assert await session.scalar(select(Pupil.left_on).where(Pupil.mis_id == "P002")) == NOW.date()


async def test_throttling_429_and_503_with_retry_after_is_survived(
    sessions: async_sessionmaker[AsyncSession], school: int, graph: FakeGraph
) -> None:
    graph.failures["/education/classes/class-1/members"] = [(429, {"Retry-After": "1"})]
    graph.failures["/users"] = [(503, {"Retry-After": "1"})]
    [report] = await run(sessions, graph)
    assert report.ok
    statuses = [s for p, s in graph.requests]
    assert 429 in statuses and 503 in statuses
    assert len((await snapshot(sessions))["pupils"]) == 9  # type: ignore[arg-type]


async def test_a_failure_mid_sync_leaves_the_previous_roster_intact(
    sessions: async_sessionmaker[AsyncSession], school: int, graph: FakeGraph
) -> None:
    await run(sessions, graph)
    before = await snapshot(sessions)
    # The next night: a new pupil, a renamed class, but the teachers of one class keep failing.
    graph.members["class-2"].append(student(99, "class-2"))
    graph.classes[0]["displayName"] = "Renamed"
    graph.broken.add("/education/classes/class-2/teachers")
    [report] = await run(sessions, graph)
    assert not report.ok and report.error
    assert await snapshot(sessions) == before
    async with sessions() as session:
        events = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert events.count("roster_graph") == 1


async def test_an_empty_answer_is_refused_rather_than_marking_everyone_left(
    sessions: async_sessionmaker[AsyncSession], school: int, graph: FakeGraph
) -> None:
    await run(sessions, graph)
    before = await snapshot(sessions)
    graph.classes.clear()
    [report] = await run(sessions, graph)
    assert not report.ok and "no classes" in (report.error or "")
    assert await snapshot(sessions) == before


async def test_records_graph_cannot_describe_are_skipped(
    sessions: async_sessionmaker[AsyncSession], school: int, graph: FakeGraph
) -> None:
    graph.members["class-0"].append({"id": "aad-x", "givenName": "No", "surname": "Birthday", "student": {}})
    [report] = await run(sessions, graph)
    assert report.ok and report.skipped == 1
    assert len((await snapshot(sessions))["pupils"]) == 9  # type: ignore[arg-type]
