"""Retention deletes exactly the records that are due, and nothing else; never under an open legal hold;
in batches that survive a run interrupted half-way; one audit event per pupil, ids only."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.admin.cli import main as cli_main
from bot.jobs.retention import run_retention
from storage import db
from storage.demo import seed_demo
from storage.models import AuditEvent, Base, LegalHold, Pupil, School, Staff, StaffRole
from storage.queries import retention
from tests.support.records import RECORD_TABLES_FILLED, fill_record, new_pupil

NOW = dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)
TODAY = NOW.date()


async def _counts(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for table in Base.metadata.sorted_tables:
        counts[table.name] = int(await session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


async def _school(session: AsyncSession) -> int:
    school_id = await session.scalar(select(School.id))
    assert school_id
    return school_id


def test_record_tables_are_walked_from_the_models() -> None:
    """Every table with a pupil column (or a child of one) is in the record, and the test fixture fills it."""
    walked = {t.name for t in retention.record_tables()}
    with_pupil_fk = {
        t.name
        for t in Base.metadata.sorted_tables
        if any(fk.column.table.name == "pupil" for fk in t.foreign_keys)
    }
    assert with_pupil_fk - {"pupil"} <= walked
    assert {"plan_outcome", "review_outcome", "referral_event", "plan_provision"} <= walked
    # A new table of the record must be filled by tests/support/records.py, so its deletion is proven.
    assert walked | {"intervention_session", "reminder_sent"} == RECORD_TABLES_FILLED


async def test_deletes_exactly_what_is_due(sessions: async_sessionmaker[AsyncSession], demo: None) -> None:
    async with sessions.begin() as session:
        school_id = await _school(session)
        keeper = await new_pupil(session, school_id)  # on roll: shares a session with each due pupil
        by_age = await new_pupil(session, school_id, born=dt.date(1995, 3, 2), left_on=dt.date(2013, 7, 20))
        transferred = await new_pupil(session, school_id, left_on=dt.date(2025, 7, 20))
        recent = await new_pupil(session, school_id, left_on=dt.date(2026, 2, 20))
        held = await new_pupil(session, school_id, born=dt.date(1990, 1, 1), left_on=dt.date(2008, 7, 20))
        not_yet = await new_pupil(session, school_id, born=dt.date(1995, 3, 3))  # 31 tomorrow
        on_roll = await new_pupil(session, school_id)  # a transfer recorded but still on roll: kept
        await fill_record(session, keeper)
        for p in (by_age, transferred, held, not_yet, on_roll):
            await fill_record(session, p, shared_with=keeper.id)
        await fill_record(session, recent, shared_with=keeper.id, transferred_on=dt.date(2026, 2, 20))
        staff_id = (await session.execute(select(LegalHold.placed_by))).scalars().first()
        assert staff_id
        hold, placed = await retention.place_hold(
            session, school_id=school_id, pupil_id=held.id, reason="Insurance claim", by=staff_id, now=NOW
        )
        assert placed
        before = await _counts(session)
        one_record = {t: 1 for t in RECORD_TABLES_FILLED} | {"intervention_session": 1, "attendance": 2}
        one_record["reminder_sent"] = 3

    dry = await run_retention(sessions, now=NOW, dry_run=True)
    [due] = [d for d in dry.due if d.school_id == school_id]
    assert (due.by_age, due.transferred, due.held) == (1, 1, 1)
    async with sessions() as session:
        assert await _counts(session) == before

    report = await run_retention(sessions, now=NOW)
    assert report.deleted.pupils == 2 and report.deleted.by_rule == {"age": 1, "transferred": 1}
    async with sessions() as session:
        after = await _counts(session)
        left = set((await session.execute(select(Pupil.id))).scalars())
        events = list(
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "record_deleted"))).scalars()
        )
    expected = dict(before)
    for table, n in one_record.items():
        expected[table] -= 2 * n
    expected["pupil"] -= 2
    expected["audit_event"] += 2
    assert after == expected
    assert by_age.id not in left and transferred.id not in left
    assert {keeper.id, recent.id, held.id, not_yet.id, on_roll.id} <= left
    assert sorted((e.pupil_id, e.entity, e.entity_id) for e in events) == sorted(
        [
            (by_age.id, "retention:age", str(by_age.id)),
            (transferred.id, "retention:transferred", str(transferred.id)),
        ]
    )
    # The audit event holds ids only: nothing from the deleted record.
    for e in events:
        text = " ".join(str(v) for v in (e.action, e.entity, e.entity_id, e.correlation_id, e.actor_aad))
        assert "Zebedee" not in text and "Quill" not in text and "1995" not in text

    # A second run finds nothing; releasing the hold lets the next run delete that record.
    assert (await run_retention(sessions, now=NOW)).deleted.pupils == 0
    async with sessions.begin() as session:
        open_hold = await retention.open_hold(session, held.id)
        assert open_hold is not None
        await retention.release_hold(session, open_hold, reason="Claim settled", by=staff_id, now=NOW)
    assert (await run_retention(sessions, now=NOW)).deleted.by_rule == {"age": 1}


async def test_the_policy_is_the_schools(sessions: async_sessionmaker[AsyncSession], demo: None) -> None:
    async with sessions.begin() as session:
        school_id = await _school(session)
        assert await retention.policy_of(session, school_id) == retention.Policy(school_id, 31, 90)
        pupil = await new_pupil(session, school_id, left_on=dt.date(2026, 1, 1))
        await fill_record(session, pupil, transferred_on=dt.date(2026, 2, 20))
    assert (await run_retention(sessions, now=NOW)).deleted.pupils == 0
    async with sessions.begin() as session:
        await retention.set_policy(
            session, school_id, keep_until_age=None, transferred_keep_days=7, by=None, now=NOW
        )
    assert (await run_retention(sessions, now=NOW)).deleted.by_rule == {"transferred": 1}


def test_a_29_february_birthday_is_reached_on_1_march() -> None:
    policy = retention.Policy(1, keep_until_age=31)
    assert policy.born_on_or_before(dt.date(2031, 2, 28)) == dt.date(2000, 2, 28)
    assert policy.born_on_or_before(dt.date(2031, 3, 1)) == dt.date(2000, 3, 1)
    assert retention.Policy(1, keep_until_age=30).born_on_or_before(dt.date(2028, 2, 29)) == dt.date(
        1998, 2, 28
    )


class Crash(Exception):
    pass


async def test_a_run_interrupted_half_way_is_finished_by_the_next(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], demo: None
) -> None:
    async with sessions.begin() as session:
        school_id = await _school(session)
        keeper = await new_pupil(session, school_id)
        due = [
            await new_pupil(session, school_id, born=dt.date(1990, 1, 1), left_on=dt.date(2008, 7, 1))
            for _ in range(25)
        ]
        for p in due:
            await fill_record(session, p, shared_with=keeper.id)
        before = await _counts(session)

    deletes_of_pupils = 0

    def crash_in_the_second_batch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal deletes_of_pupils
        if statement.lstrip().upper().startswith("DELETE FROM PUPIL "):
            deletes_of_pupils += 1
            if deletes_of_pupils == 2:
                raise Crash

    event.listen(engine.sync_engine, "before_cursor_execute", crash_in_the_second_batch)
    try:
        with pytest.raises(Crash):
            await run_retention(sessions, now=NOW, batch_size=10)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", crash_in_the_second_batch)

    async with sessions() as session:
        halfway = await _counts(session)
    # The first batch is gone whole; the second rolled back whole (its rows, its audit events).
    assert before["pupil"] - halfway["pupil"] == 10
    assert halfway["audit_event"] - before["audit_event"] == 10
    assert before["attendance"] - halfway["attendance"] == 20
    assert before["register_entry"] - halfway["register_entry"] == 10

    report = await run_retention(sessions, now=NOW, batch_size=10)
    assert report.deleted.pupils == 15 and report.deleted.batches == 2
    async with sessions() as session:
        after = await _counts(session)
        deleted_ids = list(
            (
                await session.execute(
                    select(AuditEvent.pupil_id).where(AuditEvent.action == "record_deleted")
                )
            ).scalars()
        )
        remaining = set((await session.execute(select(Pupil.id))).scalars())
    assert sorted(deleted_ids) == sorted(p.id for p in due)  # each once
    assert not remaining & {p.id for p in due} and keeper.id in remaining
    for table in RECORD_TABLES_FILLED - {"intervention_session", "attendance"}:
        assert after[table] == before[table] - 25 * (3 if table == "reminder_sent" else 1), table
    # The shared sessions stay (the keeper attended them); the due pupils' own sessions are gone.
    assert after["intervention_session"] == before["intervention_session"] - 25
    assert after["attendance"] == before["attendance"] - 50


async def test_max_batches_bounds_a_run(sessions: async_sessionmaker[AsyncSession], demo: None) -> None:
    async with sessions.begin() as session:
        school_id = await _school(session)
        for _ in range(5):
            await new_pupil(session, school_id, born=dt.date(1990, 1, 1), left_on=dt.date(2008, 7, 1))
    first = await run_retention(sessions, now=NOW, batch_size=2, max_batches=2)
    assert (first.deleted.pupils, first.deleted.batches) == (4, 2)
    assert (await run_retention(sessions, now=NOW, batch_size=2)).deleted.pupils == 1


def test_cli_hold_policy_and_retention(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI runs its own event loop, so it gets its own SQLite copy (both backends are covered above).
    shutil.copy(sqlite_template, tmp_path / "cli.db")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def prepare() -> tuple[int, int, str, str]:
        engine = db.create_engine(database_url)
        async with db.session_factory(engine).begin() as session:
            await seed_demo(session)
            school_id = await _school(session)
            old = await new_pupil(session, school_id, born=dt.date(1980, 1, 1), left_on=dt.date(1998, 7, 1))
            other = await new_pupil(session, school_id, born=dt.date(1980, 1, 1), left_on=dt.date(1998, 7, 1))
            senco = await session.scalar(
                select(Staff.email)
                .join(StaffRole, StaffRole.staff_id == Staff.id)
                .where(StaffRole.role == "senco")
            )
            teacher = await session.scalar(
                select(Staff.email)
                .where(~Staff.roles.any(StaffRole.role.in_(("senco", "dpo"))))
                .order_by(Staff.id)
            )
            assert senco and teacher
        await engine.dispose()
        return old.id, other.id, senco, teacher

    async def pupils_left() -> set[int]:
        engine = db.create_engine(database_url)
        async with db.session_factory(engine)() as session:
            ids = set((await session.execute(select(Pupil.id))).scalars())
        await engine.dispose()
        return ids

    old_id, other_id, senco, teacher = asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli_main(["hold", "--pupil", str(old_id), "--by", teacher, "--reason", "Claim"]) == 2
    assert "not a SENCO or DPO" in capsys.readouterr().err
    assert cli_main(["hold", "--pupil", "999999", "--by", senco, "--reason", "Claim"]) == 1
    assert cli_main(["hold", "--pupil", str(old_id), "--by", senco, "--reason", "  "]) == 2
    assert (
        cli_main(["hold", "--pupil", str(old_id), "--by", senco.upper(), "--reason", "Insurance claim"]) == 0
    )
    assert cli_main(["hold", "--pupil", str(old_id), "--by", senco, "--reason", "Again"]) == 0
    assert "already on hold" in capsys.readouterr().out

    assert cli_main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "due: 1 records" in out and "1 more kept by a legal hold" in out and "nothing deleted" in out
    assert {old_id, other_id} <= asyncio.run(pupils_left())
    assert cli_main(["retention"]) == 0
    assert "deleted: 1 records" in capsys.readouterr().out
    remaining = asyncio.run(pupils_left())
    assert old_id in remaining and other_id not in remaining

    assert cli_main(["retention", "policy"]) == 0
    assert "kept until the pupil is 31; a transferred file's copy 90 days" in capsys.readouterr().out
    assert cli_main(["retention", "policy", "--keep-until-age", "12"]) == 2
    assert cli_main(["retention", "policy", "--transferred-keep-days", "30"]) == 0
    assert "90 days" not in capsys.readouterr().out

    assert cli_main(["hold", "--pupil", str(old_id), "--by", senco, "--reason", "Settled", "--release"]) == 0
    assert cli_main(["hold", "--pupil", str(old_id), "--by", senco, "--reason", "Settled", "--release"]) == 1
    assert cli_main(["retention"]) == 0
    assert old_id not in asyncio.run(pupils_left())
