"""Support plans (the APDR cycle): read the current plan, draft and edit it, keep its open review.

The reminders read open reviews (review.held_on IS NULL): so whenever a plan is saved with a review
date, exactly one open review exists for it with due_on = that date (`ensure_open_review`).
Edits apply with UPDATE ... WHERE version = :v (optimistic concurrency, docs/design.md "Exactly once").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    PlanOutcome,
    PlanProvision,
    PlanStatus,
    ProvisionType,
    Review,
    ReviewOutcome,
    SupportPlan,
)


@dataclass(frozen=True)
class Outcome:
    id: int
    position: int
    text: str


@dataclass(frozen=True)
class PlanView:
    id: int
    pupil_id: int
    cycle: int
    status: str
    version: int
    strategies: str
    pupil_views: str
    parent_views: str
    review_on: dt.date
    outcomes: Sequence[Outcome]
    provisions: Sequence[tuple[int, str]]


@dataclass(frozen=True)
class PlanFields:
    outcomes: Sequence[str]
    strategies: str
    provision_ids: Sequence[int]
    review_on: dt.date
    pupil_views: str
    parent_views: str


async def current_plan(session: AsyncSession, pupil_id: int) -> PlanView | None:
    """The pupil's active plan, or their latest one when none is active."""
    plan = (
        await session.execute(
            select(SupportPlan)
            .where(SupportPlan.pupil_id == pupil_id)
            .order_by((SupportPlan.status == PlanStatus.ACTIVE.value).desc(), SupportPlan.cycle.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if plan is None:
        return None
    await session.refresh(plan)  # a concurrent edit must be seen, not the identity map's copy
    return await _view(session, plan)


async def plan_by_id(session: AsyncSession, plan_id: int) -> PlanView | None:
    plan = await session.get(SupportPlan, plan_id, populate_existing=True)
    return None if plan is None else await _view(session, plan)


async def _view(session: AsyncSession, plan: SupportPlan) -> PlanView:
    outcomes = await session.execute(
        select(PlanOutcome.id, PlanOutcome.position, PlanOutcome.text)
        .where(PlanOutcome.plan_id == plan.id)
        .order_by(PlanOutcome.position)
    )
    provisions = await session.execute(
        select(ProvisionType.id, ProvisionType.name)
        .join(PlanProvision, PlanProvision.provision_type_id == ProvisionType.id)
        .where(PlanProvision.plan_id == plan.id)
        .order_by(ProvisionType.name)
    )
    return PlanView(
        id=plan.id,
        pupil_id=plan.pupil_id,
        cycle=plan.cycle,
        status=plan.status,
        version=plan.version,
        strategies=plan.strategies or "",
        pupil_views=plan.pupil_views or "",
        parent_views=plan.parent_views or "",
        review_on=plan.review_on,
        outcomes=[Outcome(*r) for r in outcomes.all()],
        provisions=[(i, n) for i, n in provisions.all()],
    )


async def provision_options(session: AsyncSession, school_id: int) -> list[tuple[int, str]]:
    """The school's catalogue, without retired provision."""
    rows = await session.execute(
        select(ProvisionType.id, ProvisionType.name)
        .where(ProvisionType.school_id == school_id, ProvisionType.retired_at.is_(None))
        .order_by(ProvisionType.name)
    )
    return [(i, n) for i, n in rows.all()]


async def key_used(session: AsyncSession, key: str) -> bool:
    return (
        await session.scalar(select(SupportPlan.id).where(SupportPlan.idempotency_key == key))
    ) is not None


async def create_plan(
    session: AsyncSession,
    *,
    pupil_id: int,
    cycle: int,
    fields: PlanFields,
    by: int,
    key: str | None,
    now: dt.datetime,
    review_from_plan: int | None = None,
) -> int:
    """Insert an active plan with its outcomes and provision, and its open review.

    `review_from_plan`: a new cycle takes over the open review of the plan it follows (same row, so any
    reminder already planned for it stays true), rather than leaving it behind on the closed plan."""
    plan = SupportPlan(
        pupil_id=pupil_id,
        cycle=cycle,
        status=PlanStatus.ACTIVE.value,
        strategies=fields.strategies or None,
        pupil_views=fields.pupil_views or None,
        parent_views=fields.parent_views or None,
        review_on=fields.review_on,
        created_by=by,
        created_at=now,
        updated_at=now,
        version=1,
        idempotency_key=key,
    )
    session.add(plan)
    await session.flush()
    await _write_outcomes(session, plan.id, fields.outcomes)
    session.add_all(PlanProvision(plan_id=plan.id, provision_type_id=p) for p in fields.provision_ids)
    if review_from_plan is not None:
        await session.execute(
            update(Review)
            .where(Review.plan_id == review_from_plan, Review.held_on.is_(None))
            .values(plan_id=plan.id)
        )
    await ensure_open_review(session, plan_id=plan.id, pupil_id=pupil_id, due_on=fields.review_on, now=now)
    return plan.id


async def update_plan(
    session: AsyncSession, *, plan_id: int, version: int, fields: PlanFields, now: dt.datetime
) -> bool:
    """Apply an edit only to the version the card was built from; False when someone got there first."""
    result = await session.execute(
        update(SupportPlan)
        .where(
            SupportPlan.id == plan_id,
            SupportPlan.version == version,
            SupportPlan.status == PlanStatus.ACTIVE.value,
        )
        .values(
            version=SupportPlan.version + 1,
            strategies=fields.strategies or None,
            pupil_views=fields.pupil_views or None,
            parent_views=fields.parent_views or None,
            review_on=fields.review_on,
            updated_at=now,
        )
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        return False
    await _write_outcomes(session, plan_id, fields.outcomes)
    await session.execute(delete(PlanProvision).where(PlanProvision.plan_id == plan_id))
    session.add_all(PlanProvision(plan_id=plan_id, provision_type_id=p) for p in fields.provision_ids)
    pupil_id = await session.scalar(select(SupportPlan.pupil_id).where(SupportPlan.id == plan_id))
    assert pupil_id is not None
    await ensure_open_review(session, plan_id=plan_id, pupil_id=pupil_id, due_on=fields.review_on, now=now)
    return True


async def _write_outcomes(session: AsyncSession, plan_id: int, texts: Sequence[str]) -> None:
    """Outcomes by position: rewritten in place, so judgements already recorded keep pointing at them.

    A removed outcome that a review has already judged is kept (the record of that review stays whole)."""
    existing = dict(
        (
            await session.execute(
                select(PlanOutcome.position, PlanOutcome.id).where(PlanOutcome.plan_id == plan_id)
            )
        ).all()
    )
    for position, text in enumerate(texts, start=1):
        if position in existing:
            await session.execute(
                update(PlanOutcome).where(PlanOutcome.id == existing[position]).values(text=text)
            )
        else:
            session.add(PlanOutcome(plan_id=plan_id, position=position, text=text))
    removed = [oid for pos, oid in existing.items() if pos > len(texts)]
    if removed:
        judged = select(ReviewOutcome.outcome_id).where(ReviewOutcome.outcome_id == PlanOutcome.id)
        await session.execute(delete(PlanOutcome).where(PlanOutcome.id.in_(removed), ~exists(judged)))
    await session.flush()


async def ensure_open_review(
    session: AsyncSession, *, plan_id: int, pupil_id: int, due_on: dt.date, now: dt.datetime
) -> None:
    """Exactly one open review for the plan, due on the plan's review date (the reminders read it)."""
    result = await session.execute(
        update(Review).where(Review.plan_id == plan_id, Review.held_on.is_(None)).values(due_on=due_on)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount == 0:
        session.add(Review(pupil_id=pupil_id, plan_id=plan_id, due_on=due_on, created_at=now))
        await session.flush()
