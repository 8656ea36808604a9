"""Everything an evidence pack says about one pupil, read in a fixed number of queries.

Why this shape: the pack is what a SENCO attaches to a top-up or EHC needs assessment request and what a
head opens for an Ofsted case sample, so its figures must be the bot's own figures: the cost this
financial year is the same sum over attendance rows the provision map makes (storage/queries/
provision_map.py; undone sessions left out), over the same dates. Each part is one query whatever the
history holds (three years of sessions are one grouped aggregate; the last three plans, their outcomes,
their reviews and the reviews' judgements are four queries keyed by plan ids), so the pack's cost follows
the number of parts, not the rows behind them (benchmarks/evidence_pack.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    InterventionSession,
    PlanOutcome,
    ProvisionType,
    Pupil,
    Referral,
    ReferralService,
    Review,
    ReviewOutcome,
    School,
    SupportPlan,
)
from storage.queries import ehcna
from storage.queries import register as reg
from storage.queries.provision_map import financial_year_start

PLANS_SHOWN = 3


@dataclass(frozen=True)
class ReviewPart:
    id: int
    due_on: dt.date
    held_on: dt.date | None
    parent_attended: bool | None
    next_steps: str | None
    # outcome id → result (met, partly_met, not_met)
    results: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutcomePart:
    id: int
    text: str


@dataclass(frozen=True)
class PlanPart:
    id: int
    cycle: int
    status: str
    review_on: dt.date
    strategies: str | None
    pupil_views: str | None
    parent_views: str | None
    outcomes: list[OutcomePart]
    reviews: list[ReviewPart]


@dataclass(frozen=True)
class ProvisionPart:
    provision_id: int
    name: str
    sessions: int
    attended_minutes: int
    cost_pence: int


@dataclass(frozen=True)
class ReferralPart:
    id: int
    service: str
    status: str
    requested_on: dt.date
    report_on: dt.date | None
    report_summary: str | None
    report_recommendations: str | None


@dataclass(frozen=True)
class EvidencePack:
    pupil_id: int
    school_id: int
    school_name: str
    given_name: str
    family_name: str
    year_group: int
    date_of_birth: dt.date
    made_on: dt.date
    financial_year_from: dt.date
    threshold_pence: int
    register: list[reg.HistoryRow]
    need_names: dict[str, str]
    plans: list[PlanPart]
    provisions: list[ProvisionPart]
    referrals: list[ReferralPart]
    requests: list[ehcna.RequestRow]
    ehc_plans: list[ehcna.PlanRow]

    @property
    def cost_pence(self) -> int:
        return sum(p.cost_pence for p in self.provisions)

    @property
    def sessions(self) -> int:
        return sum(p.sessions for p in self.provisions)

    @property
    def attended_minutes(self) -> int:
        return sum(p.attended_minutes for p in self.provisions)

    @property
    def reviews(self) -> int:
        return sum(len(p.reviews) for p in self.plans)


async def pack(session: AsyncSession, pupil_id: int, *, today: dt.date) -> EvidencePack | None:
    """The pupil's evidence pack as of `today`; None for an unknown pupil."""
    head = (
        await session.execute(
            select(
                Pupil.school_id,
                School.name,
                Pupil.given_name,
                Pupil.family_name,
                Pupil.year_group,
                Pupil.date_of_birth,
                School.notional_threshold_pence,
            )
            .join(School, School.id == Pupil.school_id)
            .where(Pupil.id == pupil_id)
        )
    ).first()
    if head is None:
        return None
    school_id, school_name, given, family, year, born, threshold = head
    fy_start = financial_year_start(today)
    return EvidencePack(
        pupil_id=pupil_id,
        school_id=school_id,
        school_name=school_name,
        given_name=given,
        family_name=family,
        year_group=year,
        date_of_birth=born,
        made_on=today,
        financial_year_from=fy_start,
        threshold_pence=threshold,
        register=await reg.history(session, pupil_id),
        need_names=await reg.need_names(session),
        plans=await _plans(session, pupil_id),
        provisions=await provisions(session, school_id, pupil_id, start=fy_start, end=today),
        referrals=await _referrals(session, pupil_id),
        requests=await ehcna.for_pupil(session, pupil_id),
        ehc_plans=await ehcna.plans(session, pupil_id),
    )


async def provisions(
    session: AsyncSession, school_id: int, pupil_id: int, *, start: dt.date, end: dt.date
) -> list[ProvisionPart]:
    """Support delivered to the pupil between the dates, per provision: sessions attended, minutes
    present and cost (every attendance row's cost, present or not, as the provision map counts it)."""
    rows = await session.execute(
        select(
            ProvisionType.id,
            ProvisionType.name,
            func.coalesce(func.sum(case((Attendance.present, 1), else_=0)), 0).cast(Integer),
            func.coalesce(func.sum(case((Attendance.present, InterventionSession.minutes), else_=0)), 0).cast(
                Integer
            ),
            func.coalesce(func.sum(Attendance.cost_pence), 0).cast(Integer),
        )
        .select_from(Attendance)
        .join(InterventionSession, InterventionSession.id == Attendance.session_id)
        .join(ProvisionType, ProvisionType.id == InterventionSession.provision_type_id)
        .where(
            Attendance.pupil_id == pupil_id,
            InterventionSession.school_id == school_id,
            InterventionSession.held_on >= start,
            InterventionSession.held_on <= end,
            InterventionSession.undone_at.is_(None),
        )
        .group_by(ProvisionType.id, ProvisionType.name)
        .order_by(ProvisionType.name, ProvisionType.id)
    )
    return [ProvisionPart(*r) for r in rows.all()]


async def _plans(session: AsyncSession, pupil_id: int) -> list[PlanPart]:
    plans = (
        await session.execute(
            select(
                SupportPlan.id,
                SupportPlan.cycle,
                SupportPlan.status,
                SupportPlan.review_on,
                SupportPlan.strategies,
                SupportPlan.pupil_views,
                SupportPlan.parent_views,
            )
            .where(SupportPlan.pupil_id == pupil_id)
            .order_by(SupportPlan.cycle.desc(), SupportPlan.id.desc())
            .limit(PLANS_SHOWN)
        )
    ).all()
    ids = [p[0] for p in plans]
    if not ids:
        return []
    outcomes: dict[int, list[OutcomePart]] = {i: [] for i in ids}
    for plan_id, outcome_id, text in await session.execute(
        select(PlanOutcome.plan_id, PlanOutcome.id, PlanOutcome.text)
        .where(PlanOutcome.plan_id.in_(ids))
        .order_by(PlanOutcome.plan_id, PlanOutcome.position)
    ):
        outcomes[plan_id].append(OutcomePart(outcome_id, text))
    review_rows = (
        await session.execute(
            select(
                Review.plan_id,
                Review.id,
                Review.due_on,
                Review.held_on,
                Review.parent_attended,
                Review.next_steps,
            )
            .where(Review.plan_id.in_(ids))
            .order_by(Review.due_on, Review.id)
        )
    ).all()
    results: dict[int, dict[int, str]] = {r[1]: {} for r in review_rows}
    if results:
        for review_id, outcome_id, result in await session.execute(
            select(ReviewOutcome.review_id, ReviewOutcome.outcome_id, ReviewOutcome.result).where(
                ReviewOutcome.review_id.in_(list(results))
            )
        ):
            results[review_id][outcome_id] = result
    reviews: dict[int, list[ReviewPart]] = {i: [] for i in ids}
    for owner, review_id, due_on, held_on, attended, steps in review_rows:
        assert owner is not None  # selected by plan id
        reviews[owner].append(ReviewPart(review_id, due_on, held_on, attended, steps, results[review_id]))
    return [PlanPart(*p, outcomes=outcomes[p[0]], reviews=reviews[p[0]]) for p in plans]


async def _referrals(session: AsyncSession, pupil_id: int) -> list[ReferralPart]:
    rows = await session.execute(
        select(
            Referral.id,
            ReferralService.name,
            Referral.status,
            Referral.created_at,
            Referral.report_on,
            Referral.report_summary,
            Referral.report_recommendations,
        )
        .join(ReferralService, ReferralService.id == Referral.service_id)
        .where(Referral.pupil_id == pupil_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    return [ReferralPart(i, s, st, at.date(), ro, rs, rr) for i, s, st, at, ro, rs, rr in rows.all()]
