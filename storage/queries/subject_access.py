"""Everything held on one pupil, for a subject access request: every table of the pupil's record.

The tables are walked from the models, as retention walks them (storage/queries/retention.py), so a
table added later with a pupil column is exported without anyone remembering to add it. One query per
table (never per row); rows come back as plain dicts of their columns, and every column naming a member
of staff, a class, a service or a provision has its name beside it (`<column>_name`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    Attendance,
    AuditEvent,
    Base,
    InterventionSession,
    ParentTask,
    ProvisionType,
    Pupil,
    Referral,
    ReferralService,
    ReminderSent,
    Review,
    SchoolClass,
    Staff,
)
from storage.queries.retention import record_selections, record_tables

# Columns that point at these tables get the referenced row's name beside the id.
NAMED: dict[str, tuple[InstrumentedAttribute[int], InstrumentedAttribute[str]]] = {
    "staff": (Staff.id, Staff.display_name),
    "school_class": (SchoolClass.id, SchoolClass.name),
    "referral_service": (ReferralService.id, ReferralService.name),
    "provision_type": (ProvisionType.id, ProvisionType.name),
}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def as_dict(row: Base) -> dict[str, Any]:
    return {c.key: _plain(getattr(row, c.key)) for c in row.__mapper__.column_attrs}


async def _rows(session: AsyncSession, table: Table, where: Any) -> list[dict[str, Any]]:
    stmt = select(table).where(where).order_by(*table.primary_key.columns)
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in await session.execute(stmt)]


async def _add_names(session: AsyncSession, tables: dict[str, tuple[Table, list[dict[str, Any]]]]) -> None:
    """One query per referenced table for every id the export mentions, then `<column>_name` beside each."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    columns: list[tuple[list[dict[str, Any]], str, str]] = []
    for table, rows in tables.values():
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target in NAMED:
                columns.append((rows, fk.parent.name, target))
                wanted[target].update(r[fk.parent.name] for r in rows if r[fk.parent.name] is not None)
    names: dict[str, dict[Any, str]] = {}
    for target, ids in wanted.items():
        key, name = NAMED[target]
        names[target] = {k: n for k, n in await session.execute(select(key, name).where(key.in_(ids)))}
    for rows, column, target in columns:
        for r in rows:
            r[f"{column}_name"] = names[target].get(r[column]) if r[column] is not None else None


async def everything_on(session: AsyncSession, pupil_id: int) -> dict[str, Any] | None:
    pupil = await session.get(Pupil, pupil_id)
    if pupil is None:
        return None
    selections = record_selections([pupil_id])
    tables: dict[str, tuple[Table, list[dict[str, Any]]]] = {}
    for table in reversed(record_tables()):  # parents first, as a reader expects
        tables[table.name] = (table, await _rows(session, table, selections[table]))
    session_table: Table = InterventionSession.__table__  # type: ignore[assignment]
    attended = select(Attendance.session_id).where(Attendance.pupil_id == pupil_id)
    tables["intervention_session"] = (
        session_table,
        await _rows(session, session_table, session_table.c.id.in_(attended)),
    )
    reminder_table: Table = ReminderSent.__table__  # type: ignore[assignment]
    subjects = (
        ("review", select(Review.id).where(Review.pupil_id == pupil_id)),
        ("referral", select(Referral.id).where(Referral.pupil_id == pupil_id)),
        ("parent_task", select(ParentTask.id).where(ParentTask.pupil_id == pupil_id)),
    )
    tables["reminder_sent"] = (
        reminder_table,
        await _rows(
            session,
            reminder_table,
            or_(
                *(
                    and_(reminder_table.c.subject_kind == k, reminder_table.c.subject_id.in_(ids))
                    for k, ids in subjects
                )
            ),
        ),
    )
    await _add_names(session, tables)
    audit_rows = [
        as_dict(e)
        for e in (
            await session.execute(
                select(AuditEvent).where(AuditEvent.pupil_id == pupil_id).order_by(AuditEvent.id)
            )
        ).scalars()
    ]
    return {
        "pupil": as_dict(pupil),
        "tables": {name: rows for name, (_, rows) in tables.items()},
        "audit_events": audit_rows,
        "refused_attempts": [e for e in audit_rows if e["outcome"] != "ok"],
    }


async def find_pupils(
    session: AsyncSession, *, name: str | None = None, born: dt.date | None = None, mis_id: str | None = None
) -> list[Pupil]:
    """Pupils of any school matching every criterion given (name: given, family or both, any case)."""
    stmt = select(Pupil).order_by(Pupil.school_id, Pupil.family_name, Pupil.given_name, Pupil.id).limit(50)
    if mis_id:
        stmt = stmt.where(Pupil.mis_id == mis_id)
    if born:
        stmt = stmt.where(Pupil.date_of_birth == born)
    if name:
        full = func.lower(Pupil.given_name + " " + Pupil.family_name)
        words = name.lower().split()
        stmt = stmt.where(*(full.contains(w, autoescape=True) for w in words))
    return list((await session.execute(stmt)).scalars())
