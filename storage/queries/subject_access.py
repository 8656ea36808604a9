"""Everything held on one pupil, for a subject access request: every table that names the pupil.

One query per table (never per row); rows come back as plain dicts of their columns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    AuditEvent,
    Base,
    ClassPupil,
    InterventionSession,
    PlanOutcome,
    PlanProvision,
    Pupil,
    Referral,
    ReferralEvent,
    RegisterEntry,
    Review,
    ReviewOutcome,
    SchoolClass,
    SupportPlan,
)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def as_dict(row: Base) -> dict[str, Any]:
    return {c.key: _plain(getattr(row, c.key)) for c in row.__mapper__.column_attrs}


async def _all(session: AsyncSession, stmt: Any) -> list[dict[str, Any]]:
    return [as_dict(r) for r in (await session.execute(stmt)).scalars()]


async def everything_on(session: AsyncSession, pupil_id: int) -> dict[str, Any] | None:
    pupil = await session.get(Pupil, pupil_id)
    if pupil is None:
        return None
    plans = select(SupportPlan.id).where(SupportPlan.pupil_id == pupil_id)
    reviews = select(Review.id).where(Review.pupil_id == pupil_id)
    sessions = select(Attendance.session_id).where(Attendance.pupil_id == pupil_id)
    referrals = select(Referral.id).where(Referral.pupil_id == pupil_id)
    classes = select(ClassPupil.class_id).where(ClassPupil.pupil_id == pupil_id)
    return {
        "pupil": as_dict(pupil),
        "classes": await _all(session, select(SchoolClass).where(SchoolClass.id.in_(classes))),
        "register_history": await _all(
            session,
            select(RegisterEntry).where(RegisterEntry.pupil_id == pupil_id).order_by(RegisterEntry.id),
        ),
        "support_plans": await _all(
            session, select(SupportPlan).where(SupportPlan.id.in_(plans)).order_by(SupportPlan.id)
        ),
        "plan_outcomes": await _all(
            session, select(PlanOutcome).where(PlanOutcome.plan_id.in_(plans)).order_by(PlanOutcome.id)
        ),
        "plan_provisions": await _all(session, select(PlanProvision).where(PlanProvision.plan_id.in_(plans))),
        "reviews": await _all(session, select(Review).where(Review.pupil_id == pupil_id).order_by(Review.id)),
        "review_outcomes": await _all(
            session, select(ReviewOutcome).where(ReviewOutcome.review_id.in_(reviews))
        ),
        "intervention_sessions": await _all(
            session,
            select(InterventionSession)
            .where(InterventionSession.id.in_(sessions))
            .order_by(InterventionSession.id),
        ),
        "attendance": await _all(session, select(Attendance).where(Attendance.pupil_id == pupil_id)),
        "referrals": await _all(
            session, select(Referral).where(Referral.pupil_id == pupil_id).order_by(Referral.id)
        ),
        "referral_events": await _all(
            session,
            select(ReferralEvent).where(ReferralEvent.referral_id.in_(referrals)).order_by(ReferralEvent.id),
        ),
        "audit_events": await _all(
            session, select(AuditEvent).where(AuditEvent.pupil_id == pupil_id).order_by(AuditEvent.id)
        ),
    }
