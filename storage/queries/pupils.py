"""Pupils a person may see (their caseload), in one query whatever the number of pupils.

The rule itself is a storage.scope.PupilScope (filled in by bot/rules/policy.py); this module only
turns it into SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Row, ScalarSelect, Select, and_, case, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ClassPupil, ClassStaff, Pupil, RegisterEntry, SchoolClass, TrustSchool
from storage.scope import PupilScope, TotalsScope


@dataclass(frozen=True)
class PupilRow:
    id: int
    given_name: str
    family_name: str
    year_group: int
    sen_status: str
    # What tells two pupils of the same name and year apart in a picker (cards.forms.pupil_labels).
    class_name: str = ""
    date_of_birth: dt.date | None = None

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def visible(scope: PupilScope) -> Select[int]:
    """SELECT pupil.id for every current pupil in scope (usable as a subquery)."""
    stmt = select(Pupil.id).where(Pupil.school_id == scope.school_id, Pupil.left_on.is_(None))
    if not scope.whole_school and not scope.by_class:
        return stmt.where(false())
    if not scope.whole_school:
        taught = (
            select(ClassPupil.pupil_id)
            .join(ClassStaff, ClassStaff.class_id == ClassPupil.class_id)
            .where(ClassStaff.staff_id == scope.staff_id, ClassPupil.pupil_id == Pupil.id)
        )
        stmt = stmt.where(exists(taught))
    return stmt


async def allowed_ids(session: AsyncSession, scope: PupilScope, pupil_ids: Collection[int]) -> set[int]:
    """The subset of `pupil_ids` the person may see; every id from a card is checked with this."""
    if not pupil_ids:
        return set()
    rows = await session.execute(visible(scope).where(Pupil.id.in_(list(pupil_ids))))
    return set(rows.scalars())


async def allowed_names(
    session: AsyncSession, scope: PupilScope, pupil_ids: Collection[int]
) -> dict[int, str]:
    """`allowed_ids` with each allowed pupil's name, in one query (a logged group needs both)."""
    if not pupil_ids:
        return {}
    stmt = (
        visible(scope).add_columns(Pupil.given_name, Pupil.family_name).where(Pupil.id.in_(list(pupil_ids)))
    )
    return {row[0]: f"{row[1]} {row[2]}" for row in (await session.execute(stmt)).all()}


def _class_name() -> ScalarSelect[str]:
    # A pupil in several classes (sets, groups) is named by the first class alphabetically.
    return (
        select(func.min(SchoolClass.name))
        .join(ClassPupil, ClassPupil.class_id == SchoolClass.id)
        .where(ClassPupil.pupil_id == Pupil.id)
        .scalar_subquery()
    )


_Rows = Select[int, str, str, int, str, str, dt.date]


def _rows_in(scope: PupilScope) -> _Rows:
    """Every column a PupilRow needs, for the pupils in scope, in one statement."""
    return select(
        Pupil.id,
        Pupil.given_name,
        Pupil.family_name,
        Pupil.year_group,
        func.coalesce(_current_status(), "N").label("sen_status"),
        func.coalesce(_class_name(), "").label("class_name"),
        Pupil.date_of_birth,
    ).where(Pupil.id.in_(visible(scope)))


def _current_status() -> ScalarSelect[str]:
    return (
        select(RegisterEntry.status)
        .where(RegisterEntry.pupil_id == Pupil.id, RegisterEntry.ended_on.is_(None))
        .order_by(RegisterEntry.started_on.desc(), RegisterEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def search(
    session: AsyncSession, scope: PupilScope, text: str, *, limit: int = 25
) -> Sequence[PupilRow]:
    """Pupils in scope whose name matches every word of `text` (case-insensitive), best first."""
    stmt = _matching(_rows_in(scope), text)
    stmt = stmt.order_by(Pupil.family_name, Pupil.given_name, Pupil.id).limit(limit)
    return [_row(r) for r in (await session.execute(stmt)).all()]


async def type_ahead(
    session: AsyncSession, scope: PupilScope, text: str, *, limit: int, skip: int = 0
) -> Sequence[PupilRow]:
    """Teams' type-ahead picker: pupils in scope matching every word of `text`, those whose name (given
    or family) starts with it first, then by name; one page of `limit` after `skip`."""
    prefix = f"{_escape_like(text.strip().lower())}%"
    starts = or_(
        func.lower(Pupil.given_name + " " + Pupil.family_name).like(prefix, escape="\\"),
        func.lower(Pupil.family_name).like(prefix, escape="\\"),
    )
    stmt = (
        _matching(_rows_in(scope), text)
        .order_by(case((starts, 0), else_=1), Pupil.family_name, Pupil.given_name, Pupil.id)
        .offset(skip)
        .limit(limit)
    )
    return [_row(r) for r in (await session.execute(stmt)).all()]


def _matching(stmt: _Rows, text: str) -> _Rows:
    """Only pupils whose given or family name contains each of the first four words (case-insensitive)."""
    for word in [w.lower() for w in text.split() if w][:4]:
        pattern = f"%{_escape_like(word)}%"
        stmt = stmt.where(
            or_(
                func.lower(Pupil.given_name).like(pattern, escape="\\"),
                func.lower(Pupil.family_name).like(pattern, escape="\\"),
            )
        )
    return stmt


async def caseload(session: AsyncSession, scope: PupilScope, *, sen_only: bool = False) -> Sequence[PupilRow]:
    """Every pupil in scope (for pickers), SEN pupils first when `sen_only` is False."""
    stmt = _rows_in(scope)
    if sen_only:
        stmt = stmt.where(
            exists(
                select(RegisterEntry.id).where(
                    and_(
                        RegisterEntry.pupil_id == Pupil.id,
                        RegisterEntry.ended_on.is_(None),
                        RegisterEntry.status.in_(["K", "E"]),
                    )
                )
            )
        )
    stmt = stmt.order_by(Pupil.year_group, Pupil.family_name, Pupil.given_name, Pupil.id)
    return [_row(r) for r in (await session.execute(stmt)).all()]


def _row(row: Row[int, str, str, int, str, str, dt.date]) -> PupilRow:
    return PupilRow(*row)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class SchoolTotals:
    school_id: int
    pupils: int
    sen_support: int
    ehc_plan: int


async def school_totals(session: AsyncSession, scope: TotalsScope | None) -> Sequence[SchoolTotals]:
    """Pupil and register totals per school the person may see (no pupil rows), in one query."""
    if scope is None:
        return []
    schools = select(TrustSchool.school_id).where(TrustSchool.staff_id == scope.staff_id)
    if not scope.via_trust:
        schools = schools.where(false())
    status = _current_status()
    stmt = (
        select(
            Pupil.school_id,
            func.count(Pupil.id),
            func.count(Pupil.id).filter(status == "K"),
            func.count(Pupil.id).filter(status == "E"),
        )
        .where(
            Pupil.left_on.is_(None),
            or_(Pupil.school_id == (scope.own_school_id or -1), Pupil.school_id.in_(schools)),
        )
        .group_by(Pupil.school_id)
        .order_by(Pupil.school_id)
    )
    return [SchoolTotals(s, n, k, e) for s, n, k, e in (await session.execute(stmt)).all()]
