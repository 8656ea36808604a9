"""The provision map: what support was delivered and what it cost, per pupil, per provision, per class.

Why one query per view: the map is read for a whole school (a secondary has ~1,000 pupils and ~30,000
sessions a year); each view is a single aggregate over attendance ⋈ session filtered by the school and the
dates (ix_session_school_date), never a query per pupil. Undone sessions are left out. Cost is the
cost_pence stored on each attendance row when the session was logged, so past figures never move.
Attended hours are the minutes of the sessions each pupil was present at, ÷ 60.

Financial year to date: the UK financial year starts on 1 April; each pupil's figure runs from the
1 April on or before the end of the range to the end of the range, against the school's notional threshold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    ClassPupil,
    InterventionSession,
    ProvisionType,
    Pupil,
    School,
    SchoolClass,
)


def financial_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


@dataclass(frozen=True)
class PupilLine:
    pupil_id: int
    given_name: str
    family_name: str
    year_group: int
    sessions: int
    attended_minutes: int
    cost_pence: int
    year_to_date_pence: int
    threshold_pence: int

    @property
    def attended_hours(self) -> float:
        return self.attended_minutes / 60

    @property
    def over_threshold(self) -> bool:
        return self.year_to_date_pence >= self.threshold_pence


@dataclass(frozen=True)
class ProvisionLine:
    provision_id: int
    name: str
    sessions: int
    pupils: int
    attended_minutes: int
    cost_pence: int

    @property
    def attended_hours(self) -> float:
        return self.attended_minutes / 60


@dataclass(frozen=True)
class ClassLine:
    class_id: int
    name: str
    pupils: int
    sessions: int
    attended_minutes: int
    cost_pence: int

    @property
    def attended_hours(self) -> float:
        return self.attended_minutes / 60


def _present_minutes() -> ColumnElement[int]:
    return func.coalesce(func.sum(case((Attendance.present, InterventionSession.minutes), else_=0)), 0).cast(
        Integer
    )


def _live(school_id: int, start: dt.date, end: dt.date) -> list[ColumnElement[bool]]:
    return [
        InterventionSession.school_id == school_id,
        InterventionSession.held_on >= start,
        InterventionSession.held_on <= end,
        InterventionSession.undone_at.is_(None),
    ]


async def per_pupil(session: AsyncSession, school_id: int, start: dt.date, end: dt.date) -> list[PupilLine]:
    """Every pupil with provision in the range or the financial year to date; one query."""
    rows = (await session.execute(per_pupil_statement(school_id, start, end))).all()
    return [PupilLine(*r) for r in rows]


def per_pupil_statement(school_id: int, start: dt.date, end: dt.date) -> Select[*tuple[Any, ...]]:
    fy_start = financial_year_start(end)
    in_range = and_(InterventionSession.held_on >= start, InterventionSession.held_on <= end)
    present_in_range = and_(in_range, Attendance.present)
    stmt = (
        select(
            Pupil.id,
            Pupil.given_name,
            Pupil.family_name,
            Pupil.year_group,
            func.coalesce(func.sum(case((present_in_range, 1), else_=0)), 0).cast(Integer),
            func.coalesce(func.sum(case((present_in_range, InterventionSession.minutes), else_=0)), 0).cast(
                Integer
            ),
            func.coalesce(func.sum(case((in_range, Attendance.cost_pence), else_=0)), 0).cast(Integer),
            func.coalesce(
                func.sum(case((InterventionSession.held_on >= fy_start, Attendance.cost_pence), else_=0)), 0
            ).cast(Integer),
            School.notional_threshold_pence,
        )
        .select_from(Attendance)
        .join(InterventionSession, InterventionSession.id == Attendance.session_id)
        .join(Pupil, Pupil.id == Attendance.pupil_id)
        .join(School, School.id == InterventionSession.school_id)
        .where(*_live(school_id, min(start, fy_start), end))
        .group_by(
            Pupil.id, Pupil.given_name, Pupil.family_name, Pupil.year_group, School.notional_threshold_pence
        )
        .order_by(Pupil.year_group, Pupil.family_name, Pupil.given_name, Pupil.id)
    )
    return stmt


async def per_provision(
    session: AsyncSession, school_id: int, start: dt.date, end: dt.date
) -> list[ProvisionLine]:
    stmt = per_provision_statement(school_id, start, end)
    return [ProvisionLine(*r) for r in (await session.execute(stmt)).all()]


def per_provision_statement(school_id: int, start: dt.date, end: dt.date) -> Select[*tuple[Any, ...]]:
    present_pupil = case((Attendance.present, Attendance.pupil_id), else_=None)
    stmt = (
        select(
            ProvisionType.id,
            ProvisionType.name,
            func.count(func.distinct(InterventionSession.id)),
            func.count(func.distinct(present_pupil)),
            _present_minutes(),
            func.coalesce(func.sum(Attendance.cost_pence), 0).cast(Integer),
        )
        .select_from(Attendance)
        .join(InterventionSession, InterventionSession.id == Attendance.session_id)
        .join(ProvisionType, ProvisionType.id == InterventionSession.provision_type_id)
        .where(*_live(school_id, start, end))
        .group_by(ProvisionType.id, ProvisionType.name)
        .order_by(ProvisionType.name, ProvisionType.id)
    )
    return stmt


async def per_class(session: AsyncSession, school_id: int, start: dt.date, end: dt.date) -> list[ClassLine]:
    """A pupil in two classes (e.g. a form and a set) counts in both."""
    stmt = per_class_statement(school_id, start, end)
    return [ClassLine(*r) for r in (await session.execute(stmt)).all()]


def per_class_statement(school_id: int, start: dt.date, end: dt.date) -> Select[*tuple[Any, ...]]:
    present_pupil = case((Attendance.present, Attendance.pupil_id), else_=None)
    stmt = (
        select(
            SchoolClass.id,
            SchoolClass.name,
            func.count(func.distinct(present_pupil)),
            func.count(func.distinct(InterventionSession.id)),
            _present_minutes(),
            func.coalesce(func.sum(Attendance.cost_pence), 0).cast(Integer),
        )
        .select_from(Attendance)
        .join(InterventionSession, InterventionSession.id == Attendance.session_id)
        .join(ClassPupil, ClassPupil.pupil_id == Attendance.pupil_id)
        .join(SchoolClass, SchoolClass.id == ClassPupil.class_id)
        .where(*_live(school_id, start, end))
        .group_by(SchoolClass.id, SchoolClass.name)
        .order_by(SchoolClass.name, SchoolClass.id)
    )
    return stmt


async def school_by_urn(session: AsyncSession, urn: str | None) -> tuple[int, str] | None:
    """The school with this URN, or the only school when none is given (None when ambiguous or absent)."""
    stmt = select(School.id, School.name)
    if urn is not None:
        stmt = stmt.where(School.urn == urn)
    rows = (await session.execute(stmt.limit(2))).all()
    if len(rows) != 1:
        return None
    return rows[0][0], rows[0][1]
