"""A pupil's summary: status and needs (in words), current plan outcomes, recent sessions, term totals.

A handful of queries for one pupil, each bounded; the caller has already checked the pupil is in scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Attendance,
    InterventionSession,
    NeedType,
    PlanOutcome,
    PlanStatus,
    ProvisionType,
    Pupil,
    RegisterEntry,
    Review,
    SupportPlan,
)


@dataclass(frozen=True)
class RecentSession:
    held_on: dt.date
    provision_name: str
    minutes: int
    present: bool


@dataclass(frozen=True)
class PupilSummary:
    id: int
    name: str
    year_group: int
    status: str
    needs: list[str]
    outcomes: list[str]
    recent: list[RecentSession]
    term_minutes: int
    term_cost_pence: int
    # The Code of Practice's three meetings a year with parents: reviews held with a parent since
    # 1 September, and when the next review is due (None when no review is open).
    parent_meetings: int = 0
    next_review_on: dt.date | None = None


async def summary(
    session: AsyncSession,
    pupil_id: int,
    *,
    term_start: dt.date,
    term_end: dt.date,
    recent: int = 10,
    year_start: dt.date | None = None,
) -> PupilSummary | None:
    need1, need2 = aliased(NeedType), aliased(NeedType)
    head = (
        await session.execute(
            select(Pupil, RegisterEntry.status, need1.name, need2.name)
            .outerjoin(RegisterEntry, (RegisterEntry.pupil_id == Pupil.id) & RegisterEntry.ended_on.is_(None))
            .outerjoin(need1, need1.code == RegisterEntry.need_rank1)
            .outerjoin(need2, need2.code == RegisterEntry.need_rank2)
            .where(Pupil.id == pupil_id)
            .order_by(RegisterEntry.started_on.desc(), RegisterEntry.id.desc())
            .limit(1)
        )
    ).first()
    if head is None:
        return None
    pupil, status, first_need, second_need = head

    plan_id = (
        select(SupportPlan.id)
        .where(SupportPlan.pupil_id == pupil_id, SupportPlan.status != PlanStatus.CLOSED.value)
        .order_by(SupportPlan.cycle.desc(), SupportPlan.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    outcomes = (
        await session.execute(
            select(PlanOutcome.text).where(PlanOutcome.plan_id == plan_id).order_by(PlanOutcome.position)
        )
    ).scalars()

    live = (
        Attendance.pupil_id == pupil_id,
        InterventionSession.undone_at.is_(None),
    )
    rows = await session.execute(
        select(
            InterventionSession.held_on, ProvisionType.name, InterventionSession.minutes, Attendance.present
        )
        .join(InterventionSession, InterventionSession.id == Attendance.session_id)
        .join(ProvisionType, ProvisionType.id == InterventionSession.provision_type_id)
        .where(*live)
        .order_by(InterventionSession.held_on.desc(), InterventionSession.id.desc())
        .limit(recent)
    )
    totals = (
        await session.execute(
            select(
                func.coalesce(
                    func.sum(case((Attendance.present, InterventionSession.minutes), else_=0)), 0
                ).cast(Integer),
                func.coalesce(func.sum(Attendance.cost_pence), 0).cast(Integer),
            )
            .join(InterventionSession, InterventionSession.id == Attendance.session_id)
            .where(*live, InterventionSession.held_on >= term_start, InterventionSession.held_on <= term_end)
        )
    ).one()
    meetings, next_review = (
        await session.execute(
            select(
                select(func.count(Review.id))
                .where(
                    Review.pupil_id == pupil_id,
                    Review.held_on >= (year_start or term_start),
                    Review.parent_attended.is_(True),
                )
                .scalar_subquery(),
                select(func.min(Review.due_on))
                .where(Review.pupil_id == pupil_id, Review.held_on.is_(None))
                .scalar_subquery(),
            )
        )
    ).one()
    return PupilSummary(
        id=pupil.id,
        name=pupil.display_name,
        year_group=pupil.year_group,
        status=status or "N",
        needs=[n for n in (first_need, second_need) if n],
        outcomes=list(outcomes),
        recent=[RecentSession(r[0], r[1], r[2], r[3]) for r in rows.all()],
        term_minutes=int(totals[0]),
        term_cost_pence=int(totals[1]),
        parent_meetings=int(meetings or 0),
        next_review_on=next_review,
    )
