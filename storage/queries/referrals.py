"""Referrals to specialist services: the school's service list, the request, its decisions and its life.

Why the decisions are a guarded UPDATE and not read-modify-write: two SENCOs clicking at once, a stale
card, a double click or a Teams retry must record exactly one decision. `transition` applies a change only
`WHERE id = :id AND version = :v AND status IN (...)` and reports whether it did; the caller answers the
loser with the current card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Attendance,
    ConversationRef,
    InterventionSession,
    NeedType,
    ProvisionType,
    Pupil,
    Referral,
    ReferralEvent,
    ReferralService,
    ReferralStatus,
    RegisterEntry,
    Role,
    School,
    Staff,
    StaffRole,
)
from storage.queries.decisions import guarded_transition

# Statuses after which nothing more happens to a referral.
FINISHED = (ReferralStatus.DECLINED.value, ReferralStatus.CLOSED.value)


@dataclass(frozen=True)
class ServiceRow:
    id: int
    name: str
    school_id: int | None
    retired: bool


@dataclass(frozen=True)
class TriedRow:
    provision: str
    sessions: int
    minutes: int


@dataclass(frozen=True)
class Recipient:
    staff_id: int
    display_name: str
    teams_user_id: str | None


@dataclass(frozen=True)
class ReferralView:
    """Everything a referral card shows, from one query."""

    id: int
    school_id: int
    pupil_id: int
    pupil_name: str
    need: str | None
    service: str
    requested_by: int
    requester_name: str
    concern: str
    tried_so_far: str | None
    consent_on: dt.date
    consent_by: str
    urgency: str
    note: str | None
    status: str
    version: int
    decided_by_name: str | None
    decided_at: dt.datetime | None
    decision_note: str | None
    info_question: str | None
    info_answer: str | None
    sent_on: dt.date | None
    accepted_on: dt.date | None
    waiting_weeks: int | None
    assessed_on: dt.date | None
    report_on: dt.date | None
    report_summary: str | None
    report_recommendations: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class EventRow:
    status: str
    actor_name: str | None
    at: dt.datetime
    note: str | None


@dataclass(frozen=True)
class ListRow:
    id: int
    pupil_id: int
    pupil_name: str
    service: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    stall_weeks: int


@dataclass(frozen=True)
class StalledRow:
    referral_id: int
    school_id: int
    status: str
    updated_at: dt.datetime


# -- services ----------------------------------------------------------------------------------


def _services_of(school_id: int) -> Select[Any]:
    return select(ReferralService).where(
        or_(ReferralService.school_id == school_id, ReferralService.school_id.is_(None))
    )


async def services(
    session: AsyncSession, school_id: int, *, include_retired: bool = False
) -> list[ServiceRow]:
    """The school's services and the defaults offered to every school (school_id NULL), by name."""
    stmt = _services_of(school_id).order_by(ReferralService.name, ReferralService.id)
    if not include_retired:
        stmt = stmt.where(ReferralService.retired_at.is_(None))
    return [
        ServiceRow(s.id, s.name, s.school_id, s.retired_at is not None)
        for s in (await session.execute(stmt)).scalars()
    ]


async def service_name_taken(session: AsyncSession, school_id: int, name: str) -> bool:
    stmt = _services_of(school_id).where(func.lower(ReferralService.name) == name.lower())
    return (await session.execute(stmt)).first() is not None


async def add_service(session: AsyncSession, school_id: int, name: str) -> int:
    service = ReferralService(school_id=school_id, name=name)
    session.add(service)
    await session.flush()
    return service.id


async def retire_service(session: AsyncSession, school_id: int, service_id: int, now: dt.datetime) -> bool:
    """Retire one of the school's own services (defaults belong to every school); True if it was retired."""
    result = await session.execute(
        update(ReferralService)
        .where(
            ReferralService.id == service_id,
            ReferralService.school_id == school_id,
            ReferralService.retired_at.is_(None),
        )
        .values(retired_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- people ------------------------------------------------------------------------------------


async def sencos(session: AsyncSession, school_id: int) -> list[Recipient]:
    """The school's SENCOs still in post, with their Teams user id when we have one."""
    rows = await session.execute(
        select(Staff.id, Staff.display_name, ConversationRef.user_id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .outerjoin(ConversationRef, ConversationRef.staff_id == Staff.id)
        .where(Staff.school_id == school_id, StaffRole.role == Role.SENCO.value, Staff.left_on.is_(None))
        .order_by(Staff.display_name, Staff.id)
    )
    return [Recipient(r[0], r[1], r[2]) for r in rows.all()]


async def teams_user_ids(session: AsyncSession, staff_ids: Collection[int]) -> dict[int, str]:
    if not staff_ids:
        return {}
    rows = await session.execute(
        select(ConversationRef.staff_id, ConversationRef.user_id).where(
            ConversationRef.staff_id.in_(list(staff_ids))
        )
    )
    return {r[0]: r[1] for r in rows.all()}


# -- the evidence: what has been tried ---------------------------------------------------------


async def tried_so_far(session: AsyncSession, pupil_id: int, since: dt.date) -> list[TriedRow]:
    """Sessions the pupil attended since `since`, per provision: one aggregate query."""
    rows = await session.execute(
        select(
            ProvisionType.name,
            func.count(InterventionSession.id),
            func.coalesce(func.sum(InterventionSession.minutes), 0),
        )
        .join(Attendance, Attendance.session_id == InterventionSession.id)
        .join(ProvisionType, ProvisionType.id == InterventionSession.provision_type_id)
        .where(
            Attendance.pupil_id == pupil_id,
            Attendance.present.is_(True),
            InterventionSession.held_on >= since,
            InterventionSession.undone_at.is_(None),
        )
        .group_by(ProvisionType.name)
        .order_by(func.count(InterventionSession.id).desc(), ProvisionType.name)
    )
    return [TriedRow(r[0], int(r[1]), int(r[2])) for r in rows.all()]


# -- the referral ------------------------------------------------------------------------------


async def insert(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert a referral unless its idempotency key exists; its id, or None for a replay."""
    insert_ = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert_(Referral)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Referral.idempotency_key])
        .returning(Referral.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def id_by_key(session: AsyncSession, key: str) -> tuple[int, int] | None:
    """(referral id, requester id) for an idempotency key."""
    row = (
        await session.execute(
            select(Referral.id, Referral.requested_by).where(Referral.idempotency_key == key)
        )
    ).first()
    return None if row is None else (row[0], row[1])


def add_event(
    session: AsyncSession, *, referral_id: int, status: str, actor_id: int, at: dt.datetime, note: str | None
) -> None:
    session.add(ReferralEvent(referral_id=referral_id, status=status, actor_id=actor_id, at=at, note=note))


async def transition(
    session: AsyncSession,
    *,
    referral_id: int,
    school_id: int,
    version: int,
    from_statuses: Collection[str],
    to_status: str,
    now: dt.datetime,
    values: dict[str, Any] | None = None,
) -> bool:
    """Apply one change if the referral is still at `version` and in `from_statuses`; True if applied."""
    return await guarded_transition(
        session,
        Referral,
        row_id=referral_id,
        school_id=school_id,
        version=version,
        from_statuses=from_statuses,
        to_status=to_status,
        now=now,
        values=values,
    )


def _need_words() -> Any:
    """The pupil's current register need (rank 1 and 2) in words, as a scalar subquery."""
    need1 = aliased(NeedType)
    need2 = aliased(NeedType)
    words = need1.name + func.coalesce(" and " + func.lower(need2.name), "")
    return (
        select(words)
        .select_from(RegisterEntry)
        .join(need1, need1.code == RegisterEntry.need_rank1)
        .outerjoin(need2, need2.code == RegisterEntry.need_rank2)
        .where(RegisterEntry.pupil_id == Referral.pupil_id, RegisterEntry.ended_on.is_(None))
        .order_by(RegisterEntry.started_on.desc(), RegisterEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def view(session: AsyncSession, referral_id: int) -> ReferralView | None:
    requester = aliased(Staff)
    decider = aliased(Staff)
    row = (
        await session.execute(
            select(
                Referral,
                Pupil.given_name,
                Pupil.family_name,
                _need_words(),
                ReferralService.name,
                requester.display_name,
                decider.display_name,
            )
            .join(Pupil, Pupil.id == Referral.pupil_id)
            .join(ReferralService, ReferralService.id == Referral.service_id)
            .join(requester, requester.id == Referral.requested_by)
            .outerjoin(decider, decider.id == Referral.decided_by)
            .where(Referral.id == referral_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return None
    r: Referral = row[0]
    return ReferralView(
        id=r.id,
        school_id=r.school_id,
        pupil_id=r.pupil_id,
        pupil_name=f"{row[1]} {row[2]}",
        need=row[3],
        service=row[4],
        requested_by=r.requested_by,
        requester_name=row[5],
        concern=r.concern,
        tried_so_far=r.tried_so_far,
        consent_on=r.consent_on,
        consent_by=r.consent_by,
        urgency=r.urgency,
        note=r.note,
        status=r.status,
        version=r.version,
        decided_by_name=row[6],
        decided_at=r.decided_at,
        decision_note=r.decision_note,
        info_question=r.info_question,
        info_answer=r.info_answer,
        sent_on=r.sent_on,
        accepted_on=r.accepted_on,
        waiting_weeks=r.waiting_weeks,
        assessed_on=r.assessed_on,
        report_on=r.report_on,
        report_summary=r.report_summary,
        report_recommendations=r.report_recommendations,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


async def history(session: AsyncSession, referral_id: int) -> list[EventRow]:
    rows = await session.execute(
        select(ReferralEvent.status, Staff.display_name, ReferralEvent.at, ReferralEvent.note)
        .outerjoin(Staff, Staff.id == ReferralEvent.actor_id)
        .where(ReferralEvent.referral_id == referral_id)
        .order_by(ReferralEvent.at, ReferralEvent.id)
    )
    return [EventRow(r[0], r[1], r[2], r[3]) for r in rows.all()]


async def open_referrals(
    session: AsyncSession, *, school_id: int, requested_by: int | None, page: int, size: int
) -> tuple[list[ListRow], bool]:
    """Open referrals, oldest first; only `requested_by`'s when given. Returns (rows, has a next page)."""
    stmt = (
        select(
            Referral.id,
            Referral.pupil_id,
            Pupil.given_name,
            Pupil.family_name,
            ReferralService.name,
            Referral.status,
            Referral.created_at,
            Referral.updated_at,
            School.referral_stall_weeks,
        )
        .join(Pupil, Pupil.id == Referral.pupil_id)
        .join(ReferralService, ReferralService.id == Referral.service_id)
        .join(School, School.id == Referral.school_id)
        .where(Referral.school_id == school_id, Referral.status.not_in(FINISHED))
        .order_by(Referral.created_at, Referral.id)
        .offset(page * size)
        .limit(size + 1)
    )
    if requested_by is not None:
        stmt = stmt.where(Referral.requested_by == requested_by)
    rows = [
        ListRow(r[0], r[1], f"{r[2]} {r[3]}", r[4], r[5], r[6], r[7], r[8])
        for r in (await session.execute(stmt)).all()
    ]
    return rows[:size], len(rows) > size


async def stalled(session: AsyncSession, now: dt.datetime) -> list[StalledRow]:
    """Open referrals that have not moved for their school's `referral_stall_weeks` (for the reminders).

    The age test is done in Python on a pre-filtered set so it reads the same on SQLite and PostgreSQL;
    the bound in SQL (the shortest possible stall, one week) keeps that set small.
    """
    rows = await session.execute(
        select(
            Referral.id, Referral.school_id, Referral.status, Referral.updated_at, School.referral_stall_weeks
        )
        .join(School, School.id == Referral.school_id)
        .where(and_(Referral.status.not_in(FINISHED), Referral.updated_at <= now - dt.timedelta(weeks=1)))
        .order_by(Referral.updated_at, Referral.id)
    )
    return [StalledRow(r[0], r[1], r[2], r[3]) for r in rows.all() if r[3] <= now - dt.timedelta(weeks=r[4])]
