"""The subject access export holds every row of the pupil's record (walked from the models), names as well
as ids, their audit events and refused attempts, and is itself audited; the pupil is found by name, date of
birth or MIS id."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.cli import main as cli_main
from bot.admin.subject_access import export
from storage import db
from storage.demo import seed_demo
from storage.models import AuditEvent, Base, School, Staff, utcnow
from storage.queries import audit
from storage.queries.retention import record_tables
from tests.support.records import RECORD_TABLES_FILLED, fill_record, new_pupil


def test_every_table_with_a_pupil_column_is_exported() -> None:
    """Walk the models: a new table naming a pupil, directly or through a parent, is in the record."""
    record = {t.name for t in record_tables()}
    for table in Base.metadata.sorted_tables:
        if table.name in ("pupil", "audit_event", "intervention_session"):
            continue
        parents = {fk.column.table.name for fk in table.foreign_keys}
        if "pupil" in parents or parents & record or "pupil_id" in table.c:
            assert table.name in record, table.name
    assert record | {"intervention_session", "reminder_sent"} == RECORD_TABLES_FILLED


async def test_export_has_everything_and_is_audited(
    sessions: async_sessionmaker[AsyncSession], demo: None, tmp_path: Path
) -> None:
    now = utcnow()
    async with sessions.begin() as session:
        school_id = await session.scalar(select(School.id))
        assert school_id
        pupil = await new_pupil(session, school_id, given="Ada", family="Quill")
        other = await new_pupil(session, school_id, given="Bea", family="Stone")
        await fill_record(session, pupil, shared_with=other.id)
        await fill_record(session, other)
        staff = (await session.execute(select(Staff).order_by(Staff.id))).scalars().first()
        assert staff
        audit.record(session, action="pupil_viewed", at=now, pupil_id=pupil.id, actor_id=staff.id)
        audit.record(session, action="plan_refused", at=now, pupil_id=pupil.id, outcome="refused")
        audit.record(session, action="pupil_viewed", at=now, pupil_id=other.id, actor_id=staff.id)
        pupil_id, other_id = pupil.id, other.id

    out = tmp_path / "sar.json"
    assert await export(sessions, pupil_id, out, now=now)
    data = json.loads(out.read_text())
    tables = data["tables"]
    assert data["pupil"]["id"] == pupil_id and data["pupil"]["given_name"] == "Ada"
    assert set(tables) == RECORD_TABLES_FILLED
    for name in RECORD_TABLES_FILLED:
        assert tables[name], f"{name} is empty in the export"
    assert [a["pupil_id"] for a in tables["attendance"]] == [pupil_id, pupil_id]  # not the other pupil's row
    assert all(c["pupil_id"] == pupil_id for c in tables["parent_contact"])
    assert tables["concern"][0]["text"] == "Struggles with phonics"
    assert tables["parent_email"][0]["requested_by_name"] == staff.display_name
    assert tables["concern"][0]["raised_by_name"] == staff.display_name
    assert tables["referral"][0]["service_id_name"]
    assert tables["intervention_session"][0]["provision_type_id_name"]
    assert tables["class_pupil"][0]["class_id_name"]
    assert len(tables["reminder_sent"]) == 3
    assert [e["action"] for e in data["audit_events"]] == ["pupil_viewed", "plan_refused"]
    assert [e["action"] for e in data["refused_attempts"]] == ["plan_refused"]
    assert other_id not in {e["pupil_id"] for e in data["audit_events"]}
    assert out.stat().st_mode & 0o077 == 0
    async with sessions() as session:
        [event] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "subject_access_export"))
        ).scalars()
    assert event.pupil_id == pupil_id and event.entity_id == str(pupil_id)


async def test_unknown_pupil_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    assert not await export(sessions, 999999, tmp_path / "x.json", now=utcnow())
    assert not (tmp_path / "x.json").exists()


def test_cli_finds_the_pupil_by_name_dob_or_mis_id(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(sqlite_template, tmp_path / "cli.db")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def prepare() -> tuple[int, str]:
        engine = db.create_engine(database_url)
        async with db.session_factory(engine).begin() as session:
            await seed_demo(session)
            school_id = await session.scalar(select(School.id))
            assert school_id
            one = await new_pupil(session, school_id, given="Ada", family="Quill", born=dt.date(2017, 5, 1))
            await new_pupil(session, school_id, given="Ada", family="Quill", born=dt.date(2018, 6, 2))
        await engine.dispose()
        return one.id, one.mis_id

    pupil_id, mis_id = asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "sar.json"
    assert cli_main(["audit", "--name", "ada quill", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "2 pupils match" in err and str(pupil_id) in err and not out.exists()
    assert cli_main(["audit", "--name", "Ada Quill", "--dob", "2017-05-01", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["pupil"]["id"] == pupil_id
    out.unlink()
    assert cli_main(["audit", "--mis-id", mis_id, "--out", str(out)]) == 0
    assert json.loads(out.read_text())["pupil"]["id"] == pupil_id
    assert cli_main(["audit", "--name", "Nobody Here", "--out", str(tmp_path / "n.json")]) == 1
    assert "no pupils match" in capsys.readouterr().err
