"""Queries of the review and referral reminder planner (bot/reminders.py).

Why this shape: the due reviews of a whole school come back from ONE query (open review → pupil →
class_pupil → class_staff → the teacher role), driven by the partial index of open reviews
(`ix_review_open_due`), so the planner's cost follows what is due, not how many reviews a school has ever
held. What was already announced is read back by subject ids in a second query, and recorded with
INSERT … ON CONFLICT DO NOTHING under a UNIQUE key: two planners can never both record a stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ClassPupil,
    ClassStaff,
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

# Statuses in which a referral waits on someone outside the SENCO's chat (DOMAIN.md: "referrals that
# stall need chasing"); requested/more_info are the SENCO's own queue, the rest are finished.
STALLABLE = (
    ReferralStatus.APPROVED.value,
    ReferralStatus.SENT.value,
    ReferralStatus.ACCEPTED.value,
    ReferralStatus.ASSESSED.value,
)
_CHUNK = 5000  # ids per IN list: well under every driver's bind-parameter limit


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
    """Open reviews due on or before `until` for the school's current pupils, with each class teacher."""
    teacher = (
        select(ClassStaff.class_id, ClassStaff.staff_id)
        .join(
            StaffRole, and_(StaffRole.staff_id == ClassStaff.staff_id, StaffRole.role == Role.TEACHER.value)
        )
        .join(Staff, Staff.id == ClassStaff.staff_id)
        .where(or_(Staff.left_on.is_(None), Staff.left_on > today))
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


async def sencos(session: AsyncSession, school_id: int, *, today: dt.date) -> list[int]:
    rows = await session.execute(
        select(Staff.id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(
            Staff.school_id == school_id,
            StaffRole.role == Role.SENCO.value,
            or_(Staff.left_on.is_(None), Staff.left_on > today),
        )
        .order_by(Staff.id)
    )
    return list(rows.scalars())


async def announced(
    session: AsyncSession, *, review_ids: Collection[int], referral_ids: Collection[int]
) -> set[Announcement]:
    """Every announcement already recorded for these reviews and referrals."""
    found: set[Announcement] = set()
    for kind, ids in (("review", sorted(review_ids)), ("referral", sorted(referral_ids))):
        for start in range(0, len(ids), _CHUNK):
            rows = await session.execute(
                select(
                    ReminderSent.subject_kind,
                    ReminderSent.subject_id,
                    ReminderSent.stage,
                    ReminderSent.as_of,
                    ReminderSent.recipient_id,
                ).where(
                    ReminderSent.subject_kind == kind,
                    ReminderSent.subject_id.in_(ids[start : start + _CHUNK]),
                )
            )
            found.update((k, i, s, d, r) for k, i, s, d, r in rows)
    return found


async def record(
    session: AsyncSession, announcements: Iterable[tuple[Announcement, str]], now: dt.datetime
) -> int:
    """Record (announcement, outbox key) pairs; ones already there are left alone. Returns rows added."""
    values = [
        {
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
    added = 0
    for start in range(0, len(values), 1000):
        result = await session.execute(
            insert(ReminderSent)
            .values(values[start : start + 1000])
            .on_conflict_do_nothing(index_elements=_KEY)
        )
        added += int(result.rowcount)  # type: ignore[attr-defined]
    return added


_KEY: Sequence[str] = ("subject_kind", "subject_id", "stage", "as_of", "recipient_id")


async def close_school(session: AsyncSession, school_id: int, days: Iterable[dt.date]) -> None:
    """Add closure days (term dates); days already there are left alone."""
    values = [{"school_id": school_id, "closed_on": d} for d in sorted(set(days))]
    if not values:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(insert(SchoolClosure).values(values).on_conflict_do_nothing())
