"""Intervention sessions: the catalogue the log card offers, writing a session exactly once, undo, history.

Why the insert looks like this: the idempotency key is UNIQUE and the session row is inserted with
ON CONFLICT DO NOTHING. Two deliveries of the same card (a double click, a Teams retry, two devices,
two replicas) race on that one row: PostgreSQL makes the second insert wait for the first transaction
and then do nothing, so exactly one session and one set of attendance rows exist, and the loser reads
the winner's session to show the same confirmation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attendance, InterventionSession, ProvisionType, Pupil


@dataclass(frozen=True)
class ProvisionRow:
    id: int
    name: str
    broad_area: str | None
    default_minutes: int
    default_group_size: int
    staff_hourly_cost_pence: int
    per_pupil_cost_pence: int
    retired: bool


@dataclass(frozen=True)
class NewAttendance:
    pupil_id: int
    present: bool
    note: str | None
    cost_pence: int


@dataclass(frozen=True)
class AttendanceView:
    pupil_id: int
    name: str
    present: bool
    note: str | None
    cost_pence: int


@dataclass(frozen=True)
class SessionView:
    id: int
    school_id: int
    staff_id: int
    provision_id: int
    provision_name: str
    held_on: dt.date
    minutes: int
    note: str | None
    undone: bool
    created_at: dt.datetime
    attendance: Sequence[AttendanceView]


@dataclass(frozen=True)
class HistoryRow:
    id: int
    held_on: dt.date
    provision_name: str
    minutes: int
    pupils: int
    present: int
    undone: bool


def _provision(p: ProvisionType) -> ProvisionRow:
    return ProvisionRow(
        id=p.id,
        name=p.name,
        broad_area=p.broad_area,
        default_minutes=p.default_minutes,
        default_group_size=p.default_group_size,
        staff_hourly_cost_pence=p.staff_hourly_cost_pence,
        per_pupil_cost_pence=p.per_pupil_cost_pence,
        retired=p.retired_at is not None,
    )


async def provisions(
    session: AsyncSession, school_id: int, *, include_retired: bool = False
) -> list[ProvisionRow]:
    """The school's catalogue by name; retired provisions only when asked (the log card never offers them)."""
    stmt = select(ProvisionType).where(ProvisionType.school_id == school_id)
    if not include_retired:
        stmt = stmt.where(ProvisionType.retired_at.is_(None))
    stmt = stmt.order_by(ProvisionType.retired_at.is_not(None), ProvisionType.name, ProvisionType.id)
    return [_provision(p) for p in (await session.execute(stmt)).scalars()]


async def provision(session: AsyncSession, school_id: int, provision_id: int) -> ProvisionRow | None:
    """One provision of this school (None for another school's id, whatever the id)."""
    found = (
        await session.execute(
            select(ProvisionType).where(
                ProvisionType.id == provision_id, ProvisionType.school_id == school_id
            )
        )
    ).scalar_one_or_none()
    return None if found is None else _provision(found)


async def insert_session(
    session: AsyncSession,
    *,
    idempotency_key: str,
    school_id: int,
    provision_id: int,
    held_on: dt.date,
    minutes: int,
    staff_id: int,
    note: str | None,
    staff_hourly_cost_pence: int,
    per_pupil_cost_pence: int,
    attendance: Sequence[NewAttendance],
    now: dt.datetime,
) -> int | None:
    """Write the session and its attendance; None when a session with this key already exists."""
    values = {
        "idempotency_key": idempotency_key,
        "school_id": school_id,
        "provision_type_id": provision_id,
        "held_on": held_on,
        "minutes": minutes,
        "staff_id": staff_id,
        "note": note,
        "staff_hourly_cost_pence": staff_hourly_cost_pence,
        "per_pupil_cost_pence": per_pupil_cost_pence,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        upsert(InterventionSession)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(InterventionSession.id)
    )
    session_id = (await session.execute(stmt)).scalar_one_or_none()
    if session_id is None:
        return None
    await session.execute(
        insert(Attendance),
        [
            {
                "session_id": session_id,
                "pupil_id": a.pupil_id,
                "present": a.present,
                "note": a.note,
                "cost_pence": a.cost_pence,
            }
            for a in attendance
        ],
    )
    return int(session_id)


async def session_id_by_key(session: AsyncSession, idempotency_key: str) -> int | None:
    return (
        await session.execute(
            select(InterventionSession.id).where(InterventionSession.idempotency_key == idempotency_key)
        )
    ).scalar_one_or_none()


async def session_view(session: AsyncSession, session_id: int, school_id: int) -> SessionView | None:
    """A session of this school with its attendance and names, for the confirmation card."""
    head = (
        await session.execute(
            select(InterventionSession, ProvisionType.name)
            .join(ProvisionType, ProvisionType.id == InterventionSession.provision_type_id)
            .where(InterventionSession.id == session_id, InterventionSession.school_id == school_id)
        )
    ).first()
    if head is None:
        return None
    row, provision_name = head
    rows = await session.execute(
        select(Attendance, Pupil.given_name, Pupil.family_name)
        .join(Pupil, Pupil.id == Attendance.pupil_id)
        .where(Attendance.session_id == session_id)
        .order_by(Pupil.family_name, Pupil.given_name, Pupil.id)
    )
    return SessionView(
        id=row.id,
        school_id=row.school_id,
        staff_id=row.staff_id,
        provision_id=row.provision_type_id,
        provision_name=provision_name,
        held_on=row.held_on,
        minutes=row.minutes,
        note=row.note,
        undone=row.undone_at is not None,
        created_at=row.created_at,
        attendance=[
            AttendanceView(a.pupil_id, f"{given} {family}", a.present, a.note, a.cost_pence)
            for a, given, family in rows.all()
        ],
    )


async def mark_undone(session: AsyncSession, session_id: int, now: dt.datetime) -> bool:
    """Set undone_at once; False when it was already undone (the row is kept: history is never deleted)."""
    result = await session.execute(
        update(InterventionSession)
        .where(InterventionSession.id == session_id, InterventionSession.undone_at.is_(None))
        .values(undone_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def history(
    session: AsyncSession, staff_id: int, *, offset: int, limit: int
) -> tuple[list[HistoryRow], bool]:
    """A page of the sessions this person logged, newest first, and whether an older page exists."""
    present = func.sum(case((Attendance.present, 1), else_=0)).cast(Integer)
    stmt = (
        select(
            InterventionSession.id,
            InterventionSession.held_on,
            ProvisionType.name,
            InterventionSession.minutes,
            func.count(Attendance.pupil_id),
            present,
            InterventionSession.undone_at,
        )
        .join(ProvisionType, ProvisionType.id == InterventionSession.provision_type_id)
        .outerjoin(Attendance, Attendance.session_id == InterventionSession.id)
        .where(InterventionSession.staff_id == staff_id)
        .group_by(
            InterventionSession.id,
            InterventionSession.held_on,
            ProvisionType.name,
            InterventionSession.minutes,
            InterventionSession.undone_at,
        )
        .order_by(InterventionSession.held_on.desc(), InterventionSession.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    rows = [
        HistoryRow(r[0], r[1], r[2], r[3], int(r[4]), int(r[5] or 0), r[6] is not None)
        for r in (await session.execute(stmt)).all()
    ]
    return rows[:limit], len(rows) > limit


def by_pupil(attendance: Sequence[AttendanceView]) -> Mapping[int, AttendanceView]:
    return {a.pupil_id: a for a in attendance}
