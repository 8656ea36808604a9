"""Roster import from CSV: the example set, every bad-row case, --partial, --dry-run, re-import, leavers."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.cli import main as cli_main
from bot.roster import csv_import as directory
from bot.settings import Settings
from storage.models import (
    AuditEvent,
    ClassPupil,
    ClassStaff,
    Pupil,
    School,
    SchoolClass,
    Staff,
    StaffRole,
    utcnow,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "roster"
TODAY = dt.date(2026, 11, 28)
URN = "123456"


@pytest.fixture
async def school(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        school = School(tenant_id="tenant-b", name="Brookside Primary", urn=URN)
        session.add(school)
        await session.flush()
        return school.id


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for f in EXAMPLES.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


async def run(
    sessions: async_sessionmaker[AsyncSession],
    folder: Path,
    names: tuple[str, ...] = ("pupils.csv", "staff.csv", "classes.csv", "enrolments.csv"),
    *,
    dry_run: bool = False,
    partial: bool = False,
    settings: Settings | None = None,
    today: dt.date = TODAY,
) -> directory.ImportReport:
    parsed, problems = directory.read_files([(None, folder / n) for n in names], today=today)
    assert problems == []
    return await directory.import_roster(
        sessions,
        settings or Settings(),
        parsed,
        school_urn=URN,
        dry_run=dry_run,
        partial=partial,
        now=utcnow(),
        today=today,
    )


async def counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        out = {}
        for name, model in (
            ("pupils", Pupil),
            ("staff", Staff),
            ("classes", SchoolClass),
            ("class_pupil", ClassPupil),
            ("class_staff", ClassStaff),
            ("roles", StaffRole),
        ):
            out[name] = await session.scalar(select(func.count()).select_from(model)) or 0
        out["left"] = (
            await session.scalar(select(func.count()).select_from(Pupil).where(Pupil.left_on.is_not(None)))
            or 0
        )
        return out


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)


async def test_the_example_set_imports_cleanly_into_a_new_school(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    report = await run(sessions, files)
    assert report.errors == [] and report.written
    assert report.changes is not None
    assert report.changes.counts["pupils"]["created"] == 12
    assert await counts(sessions) == {
        "pupils": 12,
        "staff": 5,
        "classes": 3,
        "class_pupil": 12,
        "class_staff": 5,
        "roles": 6,
        "left": 0,
    }
    async with sessions() as session:
        hannah = (await session.execute(select(Staff).where(Staff.mis_id == "S001"))).scalar_one()
        assert {r.role for r in hannah.roles} == {"senco", "teacher"}
        pupil = (await session.execute(select(Pupil).where(Pupil.mis_id == "P1012"))).scalar_one()
        assert (pupil.family_name, pupil.year_group, pupil.date_of_birth) == (
            "Price-Jones",
            2,
            dt.date(2018, 9, 30),
        )
        event = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "roster_csv"))
        ).scalar_one()
        assert event.entity_id == str(school) and event.pupil_id is None


async def test_reimport_of_the_same_files_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    await run(sessions, files)
    before = await counts(sessions)
    again = await run(sessions, files)
    assert again.changes is not None and again.changes.total == 0 and not again.written
    assert await counts(sessions) == before
    assert "0 changes" in directory.format_report(again, dry_run=False)


async def test_dry_run_shows_the_changes_and_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    report = await run(sessions, files, dry_run=True)
    assert not report.written and report.changes is not None
    assert report.changes.counts["pupils"]["created"] == 12
    assert report.changes.counts["pupil enrolments"]["created"] == 12
    assert report.changes.samples["pupils created"] == ["P1001", "P1002", "P1003", "P1004", "P1005"]
    shown = directory.format_report(report, dry_run=True)
    assert "dry run" in shown and "P1001" in shown
    assert (await counts(sessions))["pupils"] == 0


async def test_pupils_missing_from_a_full_file_are_marked_left_and_can_return(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    await run(sessions, files)
    full = (files / "pupils.csv").read_text()
    lines = full.splitlines()
    write(files, "pupils.csv", "\n".join(line for line in lines if not line.startswith("P1003")) + "\n")
    write(
        files,
        "enrolments.csv",
        "\n".join(
            line for line in (EXAMPLES / "enrolments.csv").read_text().splitlines() if "P1003" not in line
        )
        + "\n",
    )
    report = await run(sessions, files)
    assert report.changes is not None and report.changes.counts["pupils"]["left"] == 1
    async with sessions() as session:
        gone = (await session.execute(select(Pupil).where(Pupil.mis_id == "P1003"))).scalar_one()
        assert gone.left_on == TODAY  # kept, never deleted
    write(files, "pupils.csv", full)
    back = await run(sessions, files, ("pupils.csv",))
    assert back.changes is not None and back.changes.counts["pupils"]["returned"] == 1
    assert (await counts(sessions))["left"] == 0


async def test_updates_are_applied_by_mis_id(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    await run(sessions, files)
    text = (files / "pupils.csv").read_text().replace("P1001,Amira,Hassan,0", "P1001,Amira,Hassan-Li,1")
    write(files, "pupils.csv", text)
    report = await run(sessions, files, ("pupils.csv",))
    assert report.changes is not None and report.changes.counts["pupils"]["updated"] == 1
    assert report.changes.total == 1
    async with sessions() as session:
        p = (await session.execute(select(Pupil).where(Pupil.mis_id == "P1001"))).scalar_one()
    assert (p.family_name, p.year_group) == ("Hassan-Li", 1)


PUPIL_HEADER = "mis_id,given_name,family_name,year_group,date_of_birth\n"
GOOD = "P1,Ann,Lee,3,2018-05-01\n"
BAD_PUPIL_ROWS = {
    "date_not_iso": ("P2,Bo,Lee,3,01/05/2018\n", "date_of_birth"),
    "date_impossible": ("P2,Bo,Lee,3,2018-02-30\n", "date_of_birth"),
    "date_not_school_age": ("P2,Bo,Lee,3,1950-01-01\n", "date_of_birth"),
    "year_out_of_range": ("P2,Bo,Lee,15,2018-05-01\n", "year_group"),
    "year_not_a_number": ("P2,Bo,Lee,Y3,2018-05-01\n", "year_group"),
    "empty_name": ("P2,,Lee,3,2018-05-01\n", "given_name"),
    "oversized_name": ("P2," + "x" * 101 + ",Lee,3,2018-05-01\n", "given_name"),
    "bad_id": ("P 2,Bo,Lee,3,2018-05-01\n", "mis_id"),
    "duplicate_id": ("P1,Bo,Lee,3,2018-05-01\n", "repeats line 2"),
    "too_few_fields": ("P2,Bo,Lee,3\n", "fields where the header has 5"),
}


@pytest.mark.parametrize("case", sorted(BAD_PUPIL_ROWS))
async def test_every_bad_pupil_row_is_reported_and_nothing_is_written(
    sessions: async_sessionmaker[AsyncSession], school: int, tmp_path: Path, case: str
) -> None:
    row, expected = BAD_PUPIL_ROWS[case]
    write(tmp_path, "pupils.csv", PUPIL_HEADER + GOOD + row)
    report = await run(sessions, tmp_path, ("pupils.csv",))
    assert not report.written
    [error] = report.errors
    assert error.startswith("pupils.csv:3: ") and expected in error
    assert (await counts(sessions))["pupils"] == 0


BAD_OTHER_ROWS = {
    "staff_bad_email": ("staff.csv", "mis_id,display_name,email\nS1,Al Bo,not-an-email\n", "email"),
    "staff_duplicate_email": (
        "staff.csv",
        "mis_id,display_name,email\nS1,Al Bo,a@x.example\nS2,Cy Do,A@x.example\n",
        "email: 'a@x.example' repeats line 2",
    ),
    "staff_unknown_role": (
        "staff.csv",
        "mis_id,display_name,email,roles\nS1,Al,a@x.example,wizard\n",
        "roles",
    ),
    "staff_admin_by_import": (
        "staff.csv",
        "mis_id,display_name,email,roles\nS1,Al,a@x.example,admin\n",
        "roles grant",
    ),
    "class_duplicate_name": ("classes.csv", "class_id,name\nC1,Owls\nC2,owls\n", "name"),
    "class_bad_year": ("classes.csv", "class_id,name,year_group\nC1,Owls,twelve\n", "year_group"),
    "enrolment_bad_member_type": (
        "enrolments.csv",
        "class_id,member_type,mis_id\nC-R,parent,P1001\n",
        "member_type",
    ),
    "enrolment_unknown_class": (
        "enrolments.csv",
        "class_id,member_type,mis_id\nC-9,pupil,P1001\n",
        "unknown class",
    ),
    "enrolment_unknown_pupil": (
        "enrolments.csv",
        "class_id,member_type,mis_id\nC-R,pupil,P9999\n",
        "unknown or departed pupil",
    ),
    "enrolment_unknown_staff": (
        "enrolments.csv",
        "class_id,member_type,mis_id\nC-R,staff,S999\n",
        "member of staff",
    ),
    "enrolment_duplicate": (
        "enrolments.csv",
        "class_id,member_type,mis_id\nC-R,pupil,P1001\nC-R,pupil,P1001\n",
        "repeats line 2",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_OTHER_ROWS))
async def test_every_bad_row_of_the_other_files_is_reported_with_its_line(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path, case: str
) -> None:
    await run(sessions, files)  # the example set is there: enrolments can refer to it
    before = await counts(sessions)
    name, text, expected = BAD_OTHER_ROWS[case]
    write(files, name, text)
    report = await run(sessions, files, (name,))
    assert not report.written
    assert any(e.startswith(f"{name}:") and expected in e for e in report.errors), report.errors
    assert await counts(sessions) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"name,age\nx,1\n", "is not one of"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"mis_id,mis_id,given_name,family_name,year_group,date_of_birth\n", "named twice"),
    ],
)
def test_unusable_files_are_refused_whole(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "x.csv").write_bytes(content)
    parsed, problems = directory.read_files([(None, tmp_path / "x.csv")], today=TODAY)
    assert parsed == [] and len(problems) == 1 and expected in problems[0]


def test_a_kind_given_must_match_the_header(tmp_path: Path) -> None:
    write(tmp_path, "p.csv", PUPIL_HEADER + GOOD)
    _, problems = directory.read_files([("staff", tmp_path / "p.csv")], today=TODAY)
    assert problems and "is not one of" in problems[0]
    parsed, problems = directory.read_files([("pupils", tmp_path / "p.csv")], today=TODAY)
    assert problems == [] and parsed[0].kind == "pupils"


async def test_partial_skips_bad_rows_imports_the_rest_and_keeps_them_from_leaving(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    await run(sessions, files)
    text = (
        (files / "pupils.csv")
        .read_text()
        .replace("P1002,Jacob,Wilson,0,2020-10-02", "P1002,Jacob,Wilson,0,02/10/2020")
    )
    text += "P2000,New,Pupil,2,2019-01-01\n"
    write(files, "pupils.csv", text)
    strict = await run(sessions, files, ("pupils.csv",))
    assert not strict.written and len(strict.errors) == 1
    assert (await counts(sessions))["pupils"] == 12
    report = await run(sessions, files, ("pupils.csv",), partial=True)
    assert report.written and report.errors == [strict.errors[0]]
    assert report.changes is not None
    assert report.changes.counts["pupils"]["created"] == 1
    assert report.changes.counts["pupils"]["left"] == 0  # P1002's bad row does not make them a leaver
    async with sessions() as session:
        event = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.action == "roster_csv").order_by(AuditEvent.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert event is not None and event.outcome == "partial"


async def test_configured_admins_get_the_admin_role_at_import(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    await run(sessions, files, settings=Settings(admins="Rob.Ellis@brookside.example"))
    async with sessions() as session:
        rob = (await session.execute(select(Staff).where(Staff.mis_id == "S005"))).scalar_one()
        assert {r.role for r in rob.roles} == {"head", "admin"}
    assert (
        await directory.apply_configured_admins(
            sessions, Settings(admins="rob.ellis@brookside.example"), now=utcnow()
        )
        == 0
    )


async def test_a_start_up_grant_racing_another_process_is_skipped_not_an_error(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    """Every serving process grants SENBOT_ADMINS as it starts. Here another process has inserted the
    grant but not committed when this one looks: this one does not see it, waits on its insert, and
    must then skip the row (not fail the start) and audit nothing."""
    await run(sessions, files)
    settings = Settings(admins="rob.ellis@brookside.example")
    async with sessions() as other:
        rob = (await other.execute(select(Staff.id).where(Staff.mis_id == "S005"))).scalar_one()
        other.add(StaffRole(staff_id=rob, role="admin", granted_at=utcnow()))
        await other.flush()  # the other process's insert, uncommitted
        racing = asyncio.ensure_future(directory.apply_configured_admins(sessions, settings, now=utcnow()))
        await asyncio.sleep(0.5)
        assert not racing.done()  # waiting on the other process's row
        await other.commit()
    assert await racing == 0
    async with sessions() as session:
        roles = (await session.execute(select(StaffRole.role).where(StaffRole.staff_id == rob))).scalars()
        assert sorted(roles) == ["admin", "head"]
        audited = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.correlation_id == "SENBOT_ADMINS")
        )
    assert audited == 0


async def test_staff_missing_from_a_full_staff_file_leave(
    sessions: async_sessionmaker[AsyncSession], school: int, files: Path
) -> None:
    await run(sessions, files)
    write(files, "staff.csv", "\n".join((EXAMPLES / "staff.csv").read_text().splitlines()[:-1]) + "\n")
    report = await run(sessions, files, ("staff.csv",))
    assert report.changes is not None and report.changes.counts["staff"]["left"] == 1
    async with sessions() as session:
        rob = (await session.execute(select(Staff).where(Staff.mis_id == "S005"))).scalar_one()
    assert rob.left_on == TODAY


def test_cli_import_dry_run_and_exit_codes(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI runs its own event loop, so it gets its own SQLite copy (both backends are covered above).
    import asyncio

    shutil.copy(sqlite_template, tmp_path / "cli.db")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    from storage import db

    async def make_school() -> None:
        engine = db.create_engine(database_url)
        async with db.session_factory(engine).begin() as session:
            session.add(School(tenant_id="t", name="Brookside", urn=URN))
        await engine.dispose()

    asyncio.run(make_school())
    monkeypatch.setenv("DATABASE_URL", database_url)
    paths = [str(EXAMPLES / n) for n in ("pupils.csv", "staff.csv", "classes.csv", "enrolments.csv")]
    assert cli_main(["import", *paths, "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out
    assert cli_main(["import", *paths, "--school-urn", URN]) == 0
    assert cli_main(["import", *paths]) == 0
    assert "0 changes" in capsys.readouterr().out
    write(tmp_path, "pupils.csv", PUPIL_HEADER + "P1,Ann,Lee,99,2018-05-01\n")
    assert cli_main(["import", f"pupils={tmp_path / 'pupils.csv'}"]) == 1
    assert "pupils.csv:2: year_group" in capsys.readouterr().out
    assert cli_main(["import", *paths, "--school-urn", "000000"]) == 1
