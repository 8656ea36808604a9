"""The provision map on a small fixture whose figures were worked out by hand, and its export files."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import cli
from storage.demo import DEMO_URN
from storage.models import (
    Attendance,
    AuditEvent,
    ClassPupil,
    InterventionSession,
    ProvisionType,
    School,
    SchoolClass,
    Staff,
)
from storage.queries import provision_map as pm

START, END = dt.date(2026, 9, 1), dt.date(2026, 11, 30)


async def _pupils_of(session: AsyncSession, class_name: str, n: int) -> list[int]:
    rows = await session.execute(
        select(ClassPupil.pupil_id)
        .join(SchoolClass, SchoolClass.id == ClassPupil.class_id)
        .where(SchoolClass.name == class_name)
        .order_by(ClassPupil.pupil_id)
        .limit(n)
    )
    return list(rows.scalars())


@pytest.fixture
async def fixture(sessions: async_sessionmaker[AsyncSession], demo: None) -> dict[str, int]:
    """A, B in Year 3 Kestrels, C in Year 4 Falcons; five sessions, one of them undone."""
    async with sessions.begin() as session:
        school_id = await session.scalar(select(School.id))
        await session.execute(update(School).values(notional_threshold_pence=680))
        staff_id = await session.scalar(select(Staff.id).limit(1))
        p1 = await session.scalar(select(ProvisionType.id).where(ProvisionType.name == "Phonics catch-up"))
        p2 = await session.scalar(select(ProvisionType.id).where(ProvisionType.name == "Lego therapy"))
        a, b = await _pupils_of(session, "Year 3 Kestrels", 2)
        [c] = await _pupils_of(session, "Year 4 Falcons", 1)
        plan = [
            # (key, provision, date, minutes, undone, [(pupil, present, cost)])
            ("s1", p1, dt.date(2026, 3, 20), 20, False, [(a, True, 500)]),  # last financial year
            ("s2", p1, dt.date(2026, 10, 5), 30, False, [(a, True, 300), (b, False, 0)]),
            ("s3", p2, dt.date(2026, 10, 12), 45, False, [(a, True, 400), (b, True, 400), (c, True, 450)]),
            ("s4", p2, dt.date(2026, 11, 2), 60, True, [(c, True, 1000)]),  # undone: never counts
            ("s5", p1, dt.date(2026, 5, 10), 20, False, [(b, True, 250)]),  # this FY, before the range
        ]
        for key, provision, held_on, minutes, undone, rows in plan:
            row = InterventionSession(
                school_id=school_id,
                provision_type_id=provision,
                held_on=held_on,
                minutes=minutes,
                staff_id=staff_id,
                idempotency_key=f"fixture-{key}",
                staff_hourly_cost_pence=1500,
                per_pupil_cost_pence=0,
                undone_at=dt.datetime(2026, 11, 2, 16, tzinfo=dt.UTC) if undone else None,
            )
            session.add(row)
            await session.flush()
            session.add_all(
                Attendance(session_id=row.id, pupil_id=p, present=present, cost_pence=cost)
                for p, present, cost in rows
            )
    assert school_id and p1 and p2
    return {"school": school_id, "a": a, "b": b, "c": c, "p1": p1, "p2": p2}


async def test_per_pupil_figures_and_year_to_date(
    sessions: async_sessionmaker[AsyncSession], fixture: dict[str, int]
) -> None:
    async with sessions() as session:
        lines = {p.pupil_id: p for p in await pm.per_pupil(session, fixture["school"], START, END)}
    got = {k: (lines[fixture[k]].sessions, lines[fixture[k]].attended_minutes, lines[fixture[k]].cost_pence,
               lines[fixture[k]].year_to_date_pence) for k in "abc"}  # fmt: skip
    assert got == {"a": (2, 75, 700, 700), "b": (1, 45, 400, 650), "c": (1, 45, 450, 450)}
    assert set(lines) == {fixture["a"], fixture["b"], fixture["c"]}
    assert lines[fixture["a"]].attended_hours == 1.25
    assert [lines[fixture[k]].over_threshold for k in "abc"] == [True, False, False]


async def test_per_provision_and_per_class(
    sessions: async_sessionmaker[AsyncSession], fixture: dict[str, int]
) -> None:
    async with sessions() as session:
        provisions = await pm.per_provision(session, fixture["school"], START, END)
        classes = await pm.per_class(session, fixture["school"], START, END)
    assert [(p.name, p.sessions, p.pupils, p.attended_minutes, p.cost_pence) for p in provisions] == [
        ("Lego therapy", 1, 3, 135, 1250),
        ("Phonics catch-up", 1, 1, 30, 300),
    ]
    assert [(c.name, c.pupils, c.sessions, c.attended_minutes, c.cost_pence) for c in classes] == [
        ("Year 3 Kestrels", 2, 2, 120, 1100),
        ("Year 4 Falcons", 1, 1, 45, 450),
    ]


async def test_a_range_in_spring_takes_the_previous_financial_year(
    sessions: async_sessionmaker[AsyncSession], fixture: dict[str, int]
) -> None:
    assert pm.financial_year_start(dt.date(2026, 3, 31)) == dt.date(2025, 4, 1)
    assert pm.financial_year_start(dt.date(2026, 4, 1)) == dt.date(2026, 4, 1)
    async with sessions() as session:
        lines = await pm.per_pupil(session, fixture["school"], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert [(p.pupil_id, p.cost_pence, p.year_to_date_pence) for p in lines] == [(fixture["a"], 500, 500)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_export_files_carry_the_same_figures_and_are_audited(
    sessions: async_sessionmaker[AsyncSession],
    fixture: dict[str, int],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / f"map.{fmt}"
    args = ["export", "provision-map", "--from", "2026-09-01", "--to", "2026-11-30", "--format", fmt]
    code = await asyncio.to_thread(cli.main, [*args, "--out", str(out), "--school-urn", DEMO_URN])
    assert code == 0
    if fmt == "csv":
        with out.open(encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    else:
        book = openpyxl.load_workbook(out)
        assert book.sheetnames == ["Per pupil", "Per provision", "Per class"]
        rows = [[str(v) for v in r] for r in book["Per pupil"].iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Pupil id")
    by_id = {int(r[0]): r for r in rows[header_at + 1 : header_at + 4]}
    async with sessions() as session:
        expected = await pm.per_pupil(session, fixture["school"], START, END)
    for line in expected:
        row = by_id[line.pupil_id]
        assert int(row[4]) == line.sessions
        assert float(row[5]) == pytest.approx(line.attended_minutes / 60, abs=0.005)
        assert float(row[6]) == line.cost_pence / 100
        assert float(row[7]) == line.year_to_date_pence / 100
        assert row[9] == ("yes" if line.over_threshold else "no")
    async with sessions() as session:
        [event] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "provision_map_exported"))
        ).scalars()
    assert event.entity_id == str(fixture["school"]) and event.pupil_id is None


def test_export_refuses_bad_dates(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    base = ["export", "provision-map", "--to", "2026-11-30", "--format", "csv", "--out", str(out)]
    with pytest.raises(SystemExit):
        cli.main([*base, "--from", "01/09/2026"])
    assert cli.main([*base, "--from", "2026-12-01"]) == 2
    assert not out.exists()
