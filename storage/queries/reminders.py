"""Queries of the review and referral reminder planner (bot/jobs/reminders.py).

Why this shape: the due reviews of a whole school come back from ONE query (open review → pupil →
class_pupil → class_staff → the teacher role), driven by the partial index of open reviews
(`ix_review_open_due`), so the planner's cost follows what is due, not how many reviews a school has ever
held. What was already announced is read back by subject ids in a second query, and recorded with
INSERT … ON CONFLICT DO NOTHING under a UNIQUE key: two planners can never both record a stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Select, Table, and_, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ClassPupil,
    ClassStaff,
    ParentTask,
    Pupil,
    Referral,
    ReferralService,
    ReferralStatus,
    ReminderSent,
    Review,
    Role,
    School,
    SchoolClosure,
    Staff,
    StaffRole,
)

# Statuses in which a referral waits on someone outside the SENCO's chat (docs/design.md: "referrals that
# stall need chasing"); requested/more_info are the SENCO's own queue, the rest are finished.
STALLABLE = (
    ReferralStatus.APPROVED.value,
    ReferralStatus.SENT.value,
    ReferralStatus.ACCEPTED.value,
    ReferralStatus.ASSESSED.value,
)


@dataclass(frozen=True)
class SchoolSchedule:
    id: int
    tenant_id: str
    time_zone: str
    reminder_time: dt.time
    referral_stall_weeks: int
    closures: frozenset[dt.date]


@dataclass(frozen=True)
class DueReviewRow:
    review_id: int
    pupil_id: int
    given_name: str
    family_name: str
    year_group: int
    due_on: dt.date
    # A current class teacher of the pupil (one row per teacher); None when the pupil has none.
    teacher_id: int | None


@dataclass(frozen=True)
class StalledReferralRow:
    referral_id: int
    pupil_id: int
    given_name: str
    family_name: str
    service: str
    status: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class OverdueParentTaskRow:
    task_id: int
    pupil_id: int
    given_name: str
    family_name: str
    kind: str
    due_on: dt.date


Announcement = tuple[str, int, str, dt.date, int]  # subject kind, subject id, stage, as of, recipient


async def schedules(session: AsyncSession, *, first: dt.date, last: dt.date) -> list[SchoolSchedule]:
    """Every school with its closures between `first` and `last` (two queries, whatever the count)."""
    schools = (
        await session.execute(
            select(
                School.id,
                School.tenant_id,
                School.time_zone,
                School.reminder_time,
                School.referral_stall_weeks,
            ).order_by(School.id)
        )
    ).all()
    closed: dict[int, set[dt.date]] = {}
    for school_id, day in await session.execute(
        select(SchoolClosure.school_id, SchoolClosure.closed_on).where(
            SchoolClosure.closed_on.between(first, last)
        )
    ):
        closed.setdefault(school_id, set()).add(day)
    return [
        SchoolSchedule(
            s.id,
            s.tenant_id,
            s.time_zone,
            s.reminder_time,
            s.referral_stall_weeks,
            frozenset(closed.get(s.id, ())),
        )
        for s in schools
    ]


def due_reviews_query(
    school_id: int, *, until: dt.date, today: dt.date
) -> Select[int, int, str, str, int, dt.date, int | None]:
    """Open reviews due on or before `until` for the school's current pupils, with each class teacher.

    Teachers who left, or whom Teams reported gone (staff.unreachable_since), are not recipients: nothing
    is recorded as told to them, so when they come back (their next message clears the mark) the next
    morning's card brings them everything current.
    """
    teacher = (
        select(ClassStaff.class_id, ClassStaff.staff_id)
        .join(
            StaffRole, and_(StaffRole.staff_id == ClassStaff.staff_id, StaffRole.role == Role.TEACHER.value)
        )
        .join(Staff, Staff.id == ClassStaff.staff_id)
        .where(or_(Staff.left_on.is_(None), Staff.left_on > today), Staff.unreachable_since.is_(None))
        .subquery("teacher")
    )
    return (
        select(
            Review.id,
            Pupil.id,
            Pupil.given_name,
            Pupil.family_name,
            Pupil.year_group,
            Review.due_on,
            teacher.c.staff_id,
        )
        .select_from(Review)
        .join(Pupil, Pupil.id == Review.pupil_id)
        .outerjoin(ClassPupil, ClassPupil.pupil_id == Pupil.id)
        .outerjoin(teacher, teacher.c.class_id == ClassPupil.class_id)
        .where(
            Review.held_on.is_(None),
            Review.due_on <= until,
            Pupil.school_id == school_id,
            Pupil.left_on.is_(None),
        )
        .order_by(Review.due_on, Review.id)
    )


async def due_reviews(
    session: AsyncSession, school_id: int, *, until: dt.date, today: dt.date
) -> list[DueReviewRow]:
    rows = await session.execute(due_reviews_query(school_id, until=until, today=today))
    return [DueReviewRow(*row) for row in rows]


async def stalled_referrals(
    session: AsyncSession, school_id: int, *, not_moved_since: dt.datetime
) -> list[StalledReferralRow]:
    rows = await session.execute(
        select(
            Referral.id,
            Pupil.id,
            Pupil.given_name,
            Pupil.family_name,
            ReferralService.name,
            Referral.status,
            Referral.updated_at,
        )
        .join(Pupil, Pupil.id == Referral.pupil_id)
        .join(ReferralService, ReferralService.id == Referral.service_id)
        .where(
            Referral.school_id == school_id,
            Referral.status.in_(STALLABLE),
            Referral.updated_at <= not_moved_since,
            Pupil.left_on.is_(None),
        )
        .order_by(Referral.updated_at, Referral.id)
    )
    return [StalledReferralRow(*row) for row in rows]


def _overdue_tasks(school_id: int, today: dt.date) -> Select[int]:
    return select(ParentTask.id).where(
        ParentTask.school_id == school_id, ParentTask.done_at.is_(None), ParentTask.due_on < today
    )


async def overdue_parent_tasks(
    session: AsyncSession, school_id: int, *, today: dt.date
) -> list[OverdueParentTaskRow]:
    """Open duties to parents past their due date (the SENCO's card), through ix_parent_task_open."""
    rows = await session.execute(
        select(
            ParentTask.id,
            Pupil.id,
            Pupil.given_name,
            Pupil.family_name,
            ParentTask.kind,
            ParentTask.due_on,
        )
        .join(Pupil, Pupil.id == ParentTask.pupil_id)
        .where(
            ParentTask.school_id == school_id,
            ParentTask.done_at.is_(None),
            ParentTask.due_on < today,
            Pupil.left_on.is_(None),
        )
        .order_by(ParentTask.due_on, ParentTask.id)
    )
    return [OverdueParentTaskRow(*row) for row in rows]


async def sencos(session: AsyncSession, school_id: int, *, today: dt.date) -> list[int]:
    """The school's current SENCOs who can be reached (see `due_reviews_query` on unreachable staff)."""
    rows = await session.execute(
        select(Staff.id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(
            Staff.school_id == school_id,
            StaffRole.role == Role.SENCO.value,
            or_(Staff.left_on.is_(None), Staff.left_on > today),
            Staff.unreachable_since.is_(None),
        )
        .order_by(Staff.id)
    )
    return list(rows.scalars())


async def announced(
    session: AsyncSession,
    school_id: int,
    *,
    until: dt.date,
    not_moved_since: dt.datetime,
    today: dt.date | None = None,
) -> set[Announcement]:
    """What was already announced about the school's reviews due by `until` and its stalled referrals.

    One query, through the school's own announcements (ix_reminder_sent_school) and the same partial
    index as `due_reviews_query`; no list of ids, so the statement is the same every time.
    """
    due = (
        select(Review.id)
        .join(Pupil, Pupil.id == Review.pupil_id)
        .where(Review.held_on.is_(None), Review.due_on <= until, Pupil.school_id == school_id)
    )
    stalled = select(Referral.id).where(
        Referral.school_id == school_id,
        Referral.status.in_(STALLABLE),
        Referral.updated_at <= not_moved_since,
    )
    columns = (
        ReminderSent.subject_kind,
        ReminderSent.subject_id,
        ReminderSent.stage,
        ReminderSent.as_of,
        ReminderSent.recipient_id,
    )
    reviews = select(*columns).where(
        ReminderSent.school_id == school_id,
        ReminderSent.subject_kind == "review",
        ReminderSent.subject_id.in_(due),
    )
    referrals = select(*columns).where(
        ReminderSent.school_id == school_id,
        ReminderSent.subject_kind == "referral",
        ReminderSent.subject_id.in_(stalled),
    )
    tasks = select(*columns).where(
        ReminderSent.school_id == school_id,
        ReminderSent.subject_kind == "parent_task",
        ReminderSent.subject_id.in_(_overdue_tasks(school_id, today or until)),
    )
    rows = await session.execute(union_all(reviews, referrals, tasks))
    return {(k, i, s, d, r) for k, i, s, d, r in rows}


async def record(
    session: AsyncSession,
    school_id: int,
    announcements: Iterable[tuple[Announcement, str]],
    now: dt.datetime,
) -> int:
    """Record (announcement, outbox key) pairs; ones already there are left alone. Returns rows offered
    (the planner offers only announcements it has just read as missing, under an outbox key it won)."""
    values = [
        {
            "school_id": school_id,
            "subject_kind": kind,
            "subject_id": subject_id,
            "stage": stage,
            "as_of": as_of,
            "recipient_id": recipient_id,
            "outbox_key": key,
            "created_at": now,
        }
        for (kind, subject_id, stage, as_of, recipient_id), key in sorted(announcements)
    ]
    if not values:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # One Core executemany on the table (no ORM bulk path), batched by the driver: compiled once.
    table = cast(Table, ReminderSent.__table__)
    await session.execute(insert(table).on_conflict_do_nothing(index_elements=_KEY), values)
    return len(values)


_KEY: Sequence[str] = ("subject_kind", "subject_id", "stage", "as_of", "recipient_id")


async def close_school(session: AsyncSession, school_id: int, days: Iterable[dt.date]) -> None:
    """Add closure days (term dates); days already there are left alone."""
    values = [{"school_id": school_id, "closed_on": d} for d in sorted(set(days))]
    if not values:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(insert(SchoolClosure).values(values).on_conflict_do_nothing())
