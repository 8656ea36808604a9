"""The facts a letter to parents is made from: one pupil's, read in a handful of bounded queries.

Why one pupil only: a letter must never carry another pupil's data, so nothing here takes a list; the
caller has checked the pupil is in scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    NeedType,
    PlanOutcome,
    PlanStatus,
    Pupil,
    RegisterEntry,
    Review,
    ReviewOutcome,
    Role,
    School,
    Staff,
    StaffRole,
)
from storage.queries.plans import current_plan


@dataclass(frozen=True)
class Need:
    code: str
    name: str
    broad_area: str


@dataclass(frozen=True)
class Judged:
    outcome: str
    result: str
    note: str


@dataclass
class LetterFacts:
    pupil_id: int
    school_id: int
    school_name: str
    given_name: str
    family_name: str
    status: str
    needs: list[Need] = field(default_factory=list)
    senco_name: str = ""
    senco_email: str = ""
    outcomes: list[str] = field(default_factory=list)
    school_will: str = ""
    provisions: list[str] = field(default_factory=list)
    home_can: str = ""
    review_on: dt.date | None = None
    review_held_on: dt.date | None = None
    review_results: list[Judged] = field(default_factory=list)
    next_steps: str = ""
    next_review_on: dt.date | None = None


async def letter_facts(session: AsyncSession, pupil_id: int, *, today: dt.date) -> LetterFacts | None:
    head = (
        await session.execute(
            select(Pupil.id, Pupil.school_id, School.name, Pupil.given_name, Pupil.family_name)
            .join(School, School.id == Pupil.school_id)
            .where(Pupil.id == pupil_id)
        )
    ).first()
    if head is None:
        return None
    facts = LetterFacts(*head, status="N")
    entry = (
        await session.execute(
            select(RegisterEntry.status, RegisterEntry.need_rank1, RegisterEntry.need_rank2).where(
                RegisterEntry.pupil_id == pupil_id, RegisterEntry.ended_on.is_(None)
            )
        )
    ).first()
    if entry is not None:
        facts.status = entry[0]
        codes = [c for c in entry[1:] if c]
        rows = await session.execute(
            select(NeedType.code, NeedType.name, NeedType.broad_area).where(NeedType.code.in_(codes))
        )
        by_code = {c: Need(c, n, a or "") for c, n, a in rows.all()}
        facts.needs = [by_code[c] for c in codes if c in by_code]
    senco = (
        await session.execute(
            select(Staff.display_name, Staff.email)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(
                Staff.school_id == facts.school_id,
                StaffRole.role == Role.SENCO.value,
                (Staff.left_on.is_(None)) | (Staff.left_on > today),
            )
            .order_by(Staff.id)
            .limit(1)
        )
    ).first()
    if senco is not None:
        facts.senco_name, facts.senco_email = senco
    plan = await current_plan(session, pupil_id)
    if plan is not None and plan.status != PlanStatus.DRAFT.value:
        facts.outcomes = [o.text for o in plan.outcomes]
        facts.school_will = plan.strategies
        facts.provisions = [name for _, name in plan.provisions]
        facts.home_can = plan.parent_views
        facts.review_on = plan.review_on
    review = (
        await session.execute(
            select(Review.id, Review.held_on, Review.next_steps, Review.next_due_on)
            .where(Review.pupil_id == pupil_id, Review.held_on.is_not(None))
            .order_by(Review.held_on.desc(), Review.id.desc())
            .limit(1)
        )
    ).first()
    if review is not None:
        review_id, facts.review_held_on, steps, facts.next_review_on = review
        facts.next_steps = steps or ""
        judged = await session.execute(
            select(PlanOutcome.text, ReviewOutcome.result, ReviewOutcome.note)
            .join(PlanOutcome, PlanOutcome.id == ReviewOutcome.outcome_id)
            .where(ReviewOutcome.review_id == review_id)
            .order_by(PlanOutcome.position)
        )
        facts.review_results = [Judged(t, r, n or "") for t, r, n in judged.all()]
    return facts


@dataclass(frozen=True)
class StaffAccess:
    staff_id: int
    school_id: int
    roles: frozenset[Role]


async def staff_access(session: AsyncSession, staff_id: int, *, today: dt.date) -> StaffAccess | None:
    """A person's school and roles now (a download link is honoured only while they still have access)."""
    rows = (
        await session.execute(
            select(Staff.school_id, StaffRole.role)
            .outerjoin(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.id == staff_id, (Staff.left_on.is_(None)) | (Staff.left_on > today))
        )
    ).all()
    if not rows:
        return None
    return StaffAccess(staff_id, rows[0][0], frozenset(Role(r) for _, r in rows if r))
