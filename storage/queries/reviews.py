"""Reviews: record one against the plan's open review, start the next cycle, list what is due.

Exactly once: recording applies with UPDATE review ... WHERE held_on IS NULL (and a unique key), and the
plan moves on with UPDATE ... WHERE version = :v; a second delivery of the same card changes nothing.
The parent-meeting count is one aggregate query over the pupils in scope (no query per pupil).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select, true, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlanStatus, Pupil, RegisterEntry, Review, ReviewOutcome, SupportPlan
from storage.queries.plans import ensure_open_review
from storage.queries.pupils import visible
from storage.queries.register import ON_REGISTER, class_name_of
from storage.scope import PupilScope

EXPECTED_PARENT_REVIEWS = 3


@dataclass(frozen=True)
class OpenReview:
    id: int
    due_on: dt.date


@dataclass(frozen=True)
class DueRow:
    review_id: int
    pupil_id: int
    name: str
    class_name: str
    due_on: dt.date


@dataclass(frozen=True)
class ParentCount:
    pupil_id: int
    name: str
    count: int


@dataclass(frozen=True)
class Judgement:
    outcome_id: int
    result: str
    note: str


async def open_review(session: AsyncSession, plan_id: int) -> OpenReview | None:
    row = (
        await session.execute(
            select(Review.id, Review.due_on).where(Review.plan_id == plan_id, Review.held_on.is_(None))
        )
    ).first()
    return None if row is None else OpenReview(*row)


async def key_used(session: AsyncSession, key: str) -> bool:
    return (await session.scalar(select(Review.id).where(Review.idempotency_key == key))) is not None


async def record(
    session: AsyncSession,
    *,
    review_id: int,
    plan_id: int,
    plan_version: int,
    pupil_id: int,
    held_on: dt.date,
    parent_attended: bool,
    parent_who: str,
    next_steps: str,
    next_due_on: dt.date,
    judgements: Sequence[Judgement],
    by: int,
    key: str,
    now: dt.datetime,
) -> bool:
    """Mark the open review held, move the plan's review date on, and open the next review.

    False (nothing written) when the review was already recorded or the plan changed meanwhile."""
    held = await session.execute(
        update(Review)
        .where(Review.id == review_id, Review.plan_id == plan_id, Review.held_on.is_(None))
        .values(
            held_on=held_on,
            parent_attended=parent_attended,
            parent_who=parent_who or None,
            next_steps=next_steps or None,
            next_due_on=next_due_on,
            recorded_by=by,
            idempotency_key=key,
        )
    )
    assert isinstance(held, CursorResult)
    if held.rowcount != 1:
        return False
    moved = await session.execute(
        update(SupportPlan)
        .where(
            SupportPlan.id == plan_id,
            SupportPlan.version == plan_version,
            SupportPlan.status == PlanStatus.ACTIVE.value,
        )
        .values(version=SupportPlan.version + 1, review_on=next_due_on, updated_at=now)
    )
    assert isinstance(moved, CursorResult)
    if moved.rowcount != 1:
        return False
    session.add_all(
        ReviewOutcome(review_id=review_id, outcome_id=j.outcome_id, result=j.result, note=j.note or None)
        for j in judgements
    )
    await session.flush()
    await ensure_open_review(session, plan_id=plan_id, pupil_id=pupil_id, due_on=next_due_on, now=now)
    return True


async def last_results(session: AsyncSession, plan_id: int) -> dict[int, str]:
    """Outcome id → result at the plan's latest held review (to choose what carries on)."""
    latest = (
        select(Review.id)
        .where(Review.plan_id == plan_id, Review.held_on.is_not(None))
        .order_by(Review.held_on.desc(), Review.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(ReviewOutcome.outcome_id, ReviewOutcome.result).where(ReviewOutcome.review_id == latest)
    )
    return {oid: result for oid, result in rows.all()}


async def close_plan(session: AsyncSession, *, plan_id: int, version: int, now: dt.datetime) -> bool:
    result = await session.execute(
        update(SupportPlan)
        .where(
            SupportPlan.id == plan_id,
            SupportPlan.version == version,
            SupportPlan.status == PlanStatus.ACTIVE.value,
        )
        .values(status=PlanStatus.CLOSED.value, version=SupportPlan.version + 1, updated_at=now)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def due_and_overdue(
    session: AsyncSession, scope: PupilScope, *, today: dt.date, days: int = 14, limit: int = 60
) -> tuple[list[DueRow], int]:
    """Open reviews due within `days` or overdue, earliest first, and how many there are in all."""
    total = func.count().over().label("total")
    stmt = (
        select(
            Review.id,
            Pupil.id,
            Pupil.given_name,
            Pupil.family_name,
            class_name_of(Pupil.id).label("class_name"),  # type: ignore[attr-defined]
            Review.due_on,
            total,
        )
        .join(Pupil, Pupil.id == Review.pupil_id)
        .where(
            Review.held_on.is_(None),
            Review.due_on <= today + dt.timedelta(days=days),
            Review.pupil_id.in_(visible(scope)),
        )
        .order_by(Review.due_on, Pupil.family_name, Pupil.given_name, Review.id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    count = rows[0][-1] if rows else 0
    return [DueRow(rid, pid, f"{g} {f}", c or "", due) for rid, pid, g, f, c, due, _ in rows], count


async def parent_reviews(
    session: AsyncSession, scope: PupilScope, *, since: dt.date, today: dt.date
) -> list[ParentCount]:
    """For every pupil in scope on the register (K or E), reviews held since `since` with a parent present.

    One query: the pupils, an outer join to the qualifying reviews, and a GROUP BY."""
    held = and_(
        Review.pupil_id == Pupil.id,
        Review.held_on.is_not(None),
        Review.held_on >= since,
        Review.held_on <= today,
        Review.parent_attended.is_(true()),
    )
    n = func.count(Review.id).label("n")
    stmt = (
        select(Pupil.id, Pupil.given_name, Pupil.family_name, n)
        .join(
            RegisterEntry,
            and_(
                RegisterEntry.pupil_id == Pupil.id,
                RegisterEntry.ended_on.is_(None),
                RegisterEntry.status.in_(ON_REGISTER),
            ),
        )
        .outerjoin(Review, held)
        .where(Pupil.id.in_(visible(scope)))
        .group_by(Pupil.id, Pupil.given_name, Pupil.family_name)
        .order_by(n, Pupil.family_name, Pupil.given_name, Pupil.id)
    )
    return [ParentCount(pid, f"{g} {f}", count) for pid, g, f, count in (await session.execute(stmt)).all()]
