"""The SEN register: current entries, counts, history, and the change that ends one entry and appends
the next. History is never rewritten (storage/models.py: RegisterEntry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import ClassPupil, NeedType, Pupil, RegisterEntry, SchoolClass, Staff
from storage.queries.pupils import visible
from storage.scope import PupilScope

ON_REGISTER = ("K", "E")


@dataclass(frozen=True)
class NeedOption:
    code: str
    name: str
    only_with_sen_support: bool


@dataclass(frozen=True)
class RegisterRow:
    pupil_id: int
    name: str
    class_name: str
    status: str
    need1: str
    need2: str | None


@dataclass(frozen=True)
class RegisterCounts:
    k: int
    e: int
    by_need: Sequence[tuple[str, int]]

    @property
    def total(self) -> int:
        return self.k + self.e


@dataclass(frozen=True)
class CurrentEntry:
    id: int
    status: str
    need1: str | None
    need2: str | None
    started_on: dt.date


@dataclass(frozen=True)
class HistoryRow:
    status: str
    need1: str | None
    need2: str | None
    started_on: dt.date
    ended_on: dt.date | None
    by: str
    reason: str


def class_name_of(pupil_id: object) -> object:
    """A correlated subquery: the pupil's class (the first by name if they are in several)."""
    return (
        select(func.min(SchoolClass.name))
        .join(ClassPupil, ClassPupil.class_id == SchoolClass.id)
        .where(ClassPupil.pupil_id == pupil_id)
        .scalar_subquery()
    )


async def need_options(session: AsyncSession, today: dt.date) -> list[NeedOption]:
    """Need types valid today: the census list in force (retired codes are not offered or accepted)."""
    rows = await session.execute(
        select(NeedType.code, NeedType.name, NeedType.only_with_sen_support)
        .where(NeedType.valid_from <= today, or_(NeedType.valid_to.is_(None), NeedType.valid_to > today))
        .order_by(NeedType.name)
    )
    return [NeedOption(code, name, bool(k_only)) for code, name, k_only in rows.all()]


def _on_register(scope: PupilScope):  # type: ignore[no-untyped-def]
    return and_(
        RegisterEntry.ended_on.is_(None),
        RegisterEntry.status.in_(ON_REGISTER),
        RegisterEntry.pupil_id.in_(visible(scope)),
    )


async def counts(session: AsyncSession, scope: PupilScope) -> RegisterCounts:
    """K and E totals and pupils per primary need, in one aggregate query."""
    rows = await session.execute(
        select(RegisterEntry.status, NeedType.name, func.count())
        .join(NeedType, NeedType.code == RegisterEntry.need_rank1)
        .where(_on_register(scope))
        .group_by(RegisterEntry.status, NeedType.name)
    )
    k = e = 0
    by_need: dict[str, int] = {}
    for status, need, n in rows.all():
        if status == "K":
            k += n
        else:
            e += n
        by_need[need] = by_need.get(need, 0) + n
    return RegisterCounts(k, e, sorted(by_need.items()))


async def page(session: AsyncSession, scope: PupilScope, *, offset: int, limit: int) -> list[RegisterRow]:
    """One page of K and E pupils, grouped by primary need, then class, then name."""
    need1 = aliased(NeedType)
    need2 = aliased(NeedType)
    class_name = class_name_of(Pupil.id).label("class_name")  # type: ignore[attr-defined]
    stmt = (
        select(
            Pupil.id,
            Pupil.given_name,
            Pupil.family_name,
            class_name,
            RegisterEntry.status,
            need1.name,
            need2.name,
        )
        .join(Pupil, Pupil.id == RegisterEntry.pupil_id)
        .join(need1, need1.code == RegisterEntry.need_rank1)
        .outerjoin(need2, need2.code == RegisterEntry.need_rank2)
        .where(_on_register(scope))
        .order_by(need1.name, class_name, Pupil.family_name, Pupil.given_name, Pupil.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        RegisterRow(pid, f"{given} {family}", cls or "", status, n1, n2)
        for pid, given, family, cls, status, n1, n2 in (await session.execute(stmt)).all()
    ]


async def pupil_name(session: AsyncSession, pupil_id: int) -> str:
    row = (
        await session.execute(select(Pupil.given_name, Pupil.family_name).where(Pupil.id == pupil_id))
    ).one()
    return f"{row[0]} {row[1]}"


async def current(session: AsyncSession, pupil_id: int) -> CurrentEntry | None:
    row = (
        await session.execute(
            select(
                RegisterEntry.id,
                RegisterEntry.status,
                RegisterEntry.need_rank1,
                RegisterEntry.need_rank2,
                RegisterEntry.started_on,
            ).where(RegisterEntry.pupil_id == pupil_id, RegisterEntry.ended_on.is_(None))
        )
    ).first()
    return None if row is None else CurrentEntry(*row)


async def key_used(session: AsyncSession, key: str) -> bool:
    return (
        await session.scalar(select(RegisterEntry.id).where(RegisterEntry.idempotency_key == key))
    ) is not None


async def end_current(session: AsyncSession, entry_id: int, today: dt.date) -> bool:
    """End the current entry, only if it is still current (a concurrent change makes this a no-op)."""
    result = await session.execute(
        update(RegisterEntry)
        .where(RegisterEntry.id == entry_id, RegisterEntry.ended_on.is_(None))
        .values(ended_on=today)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def append(
    session: AsyncSession,
    *,
    pupil_id: int,
    status: str,
    need1: str | None,
    need2: str | None,
    today: dt.date,
    by: int,
    reason: str,
    key: str,
    now: dt.datetime,
) -> int:
    entry = RegisterEntry(
        pupil_id=pupil_id,
        status=status,
        need_rank1=need1,
        need_rank2=need2,
        started_on=today,
        changed_by=by,
        reason=reason,
        idempotency_key=key,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry.id


async def history(session: AsyncSession, pupil_id: int, *, limit: int = 50) -> list[HistoryRow]:
    rows = await session.execute(
        select(
            RegisterEntry.status,
            RegisterEntry.need_rank1,
            RegisterEntry.need_rank2,
            RegisterEntry.started_on,
            RegisterEntry.ended_on,
            func.coalesce(Staff.display_name, ""),
            RegisterEntry.reason,
        )
        .outerjoin(Staff, Staff.id == RegisterEntry.changed_by)
        .where(RegisterEntry.pupil_id == pupil_id)
        .order_by(RegisterEntry.started_on.desc(), RegisterEntry.id.desc())
        .limit(limit)
    )
    return [HistoryRow(*r) for r in rows.all()]


async def need_names(session: AsyncSession) -> dict[str, str]:
    """Every need code ever used (retired ones too, for history) → its name."""
    rows = await session.execute(select(NeedType.code, NeedType.name))
    return {code: name for code, name in rows.all()}
