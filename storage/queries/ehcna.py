"""EHC needs assessment requests, EHC plans, and what the morning reminders need of them.

Why this shape: the deadlines are computed from the request date (6, 16 and 20 weeks, the SEND Code of
Practice), never stored, so a corrected request date moves every deadline with it. A step applies with
`UPDATE … WHERE version = :v` (docs/design.md, "Exactly once"); a new request carries an idempotency
key, and the partial unique index `uq_ehcna_request_open` allows one open request per pupil. The
planner's reads are one query per school each: the open requests with their pupils, and the pupils whose
costed provision this financial year has reached 80 % of the threshold (one aggregate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    EhcnaRequest,
    EhcnaStatus,
    EhcPlan,
    InterventionSession,
    Pupil,
    ReminderSent,
    Review,
    School,
)
from storage.queries.provision_map import financial_year_start

OPEN = (
    EhcnaStatus.REQUESTED.value,
    EhcnaStatus.ASSESSING.value,
    EhcnaStatus.ASSESSED.value,
    EhcnaStatus.DRAFT.value,
)
DECIDE_WEEKS = 6
DRAFT_WEEKS = 16
FINAL_WEEKS = 20
PARENT_COMMENT_DAYS = 15
# The stage of the deadline each open status waits on.
WAITS_ON = {
    EhcnaStatus.REQUESTED.value: "decide",
    EhcnaStatus.ASSESSING.value: "draft",
    EhcnaStatus.ASSESSED.value: "draft",
    EhcnaStatus.DRAFT.value: "final",
}


@dataclass(frozen=True)
class Deadlines:
    decide: dt.date
    draft: dt.date
    final: dt.date

    def of(self, stage: str) -> dt.date:
        value: dt.date = getattr(self, stage)
        return value


def deadlines(requested_on: dt.date) -> Deadlines:
    return Deadlines(
        requested_on + dt.timedelta(weeks=DECIDE_WEEKS),
        requested_on + dt.timedelta(weeks=DRAFT_WEEKS),
        requested_on + dt.timedelta(weeks=FINAL_WEEKS),
    )


@dataclass(frozen=True)
class RequestRow:
    id: int
    pupil_id: int
    given_name: str
    family_name: str
    year_group: int
    requested_on: dt.date
    local_authority: str
    requested_by: str
    evidence_attached: bool
    status: str
    decided_on: dt.date | None
    decision_reason: str | None
    assessed_on: dt.date | None
    draft_on: dt.date | None
    final_on: dt.date | None
    final_reason: str | None
    withdrawn_on: dt.date | None
    withdrawn_reason: str | None
    version: int

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def deadlines(self) -> Deadlines:
        return deadlines(self.requested_on)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def next_deadline(self) -> tuple[str, dt.date] | None:
        """The deadline the local authority is working to now (None once the request is closed)."""
        stage = WAITS_ON.get(self.status)
        return None if stage is None else (stage, self.deadlines.of(stage))


_COLUMNS = (
    EhcnaRequest.id,
    EhcnaRequest.pupil_id,
    Pupil.given_name,
    Pupil.family_name,
    Pupil.year_group,
    EhcnaRequest.requested_on,
    EhcnaRequest.local_authority,
    EhcnaRequest.requested_by,
    EhcnaRequest.evidence_attached,
    EhcnaRequest.status,
    EhcnaRequest.decided_on,
    EhcnaRequest.decision_reason,
    EhcnaRequest.assessed_on,
    EhcnaRequest.draft_on,
    EhcnaRequest.final_on,
    EhcnaRequest.final_reason,
    EhcnaRequest.withdrawn_on,
    EhcnaRequest.withdrawn_reason,
    EhcnaRequest.version,
)


def _select() -> Any:
    return select(*_COLUMNS).join(Pupil, Pupil.id == EhcnaRequest.pupil_id)


async def for_pupil(session: AsyncSession, pupil_id: int) -> list[RequestRow]:
    """The pupil's requests, newest first (an open one, if any, is first: there is at most one)."""
    rows = await session.execute(
        _select()
        .where(EhcnaRequest.pupil_id == pupil_id)
        .order_by(EhcnaRequest.requested_on.desc(), EhcnaRequest.id.desc())
    )
    return [RequestRow(*r) for r in rows.all()]


async def one(session: AsyncSession, request_id: int) -> RequestRow | None:
    row = (await session.execute(_select().where(EhcnaRequest.id == request_id))).first()
    return None if row is None else RequestRow(*row)


async def school_of(session: AsyncSession, request_id: int) -> tuple[int, int] | None:
    """(school id, pupil id) of a request, for the scope check of a card naming it."""
    row = (
        await session.execute(
            select(EhcnaRequest.school_id, EhcnaRequest.pupil_id).where(EhcnaRequest.id == request_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def count(session: AsyncSession, school_id: int, *, open_only: bool) -> int:
    stmt = select(func.count()).select_from(EhcnaRequest).where(EhcnaRequest.school_id == school_id)
    if open_only:
        stmt = stmt.where(EhcnaRequest.status.in_(OPEN))
    return int(await session.scalar(stmt) or 0)


async def page(
    session: AsyncSession, school_id: int, *, open_only: bool, offset: int, limit: int
) -> list[RequestRow]:
    """A page of the school's requests: open ones by request date (the oldest is the most pressing)."""
    stmt = _select().where(EhcnaRequest.school_id == school_id)
    if open_only:
        stmt = stmt.where(EhcnaRequest.status.in_(OPEN))
    stmt = stmt.order_by(EhcnaRequest.requested_on, EhcnaRequest.id).offset(offset).limit(limit)
    return [RequestRow(*r) for r in (await session.execute(stmt)).all()]


async def open_requests(session: AsyncSession, school_id: int) -> list[RequestRow]:
    """Every open request of the school's current pupils (the planner's read; one query)."""
    rows = await session.execute(
        _select()
        .where(
            EhcnaRequest.school_id == school_id,
            EhcnaRequest.status.in_(OPEN),
            Pupil.left_on.is_(None),
        )
        .order_by(EhcnaRequest.requested_on, EhcnaRequest.id)
    )
    return [RequestRow(*r) for r in rows.all()]


async def key_used(session: AsyncSession, key: str) -> bool:
    return bool(await session.scalar(select(func.count()).where(EhcnaRequest.idempotency_key == key)))


async def create(
    session: AsyncSession,
    *,
    school_id: int,
    pupil_id: int,
    requested_on: dt.date,
    local_authority: str,
    requested_by: str,
    evidence_attached: bool,
    by: int,
    key: str,
    now: dt.datetime,
) -> int | None:
    """The new request's id; None when this key was used or the pupil already has an open request
    (a concurrent submit got there first)."""
    try:
        async with session.begin_nested():
            new_id = await session.scalar(
                insert(EhcnaRequest)
                .values(
                    school_id=school_id,
                    pupil_id=pupil_id,
                    requested_on=requested_on,
                    local_authority=local_authority,
                    requested_by=requested_by,
                    evidence_attached=evidence_attached,
                    status=EhcnaStatus.REQUESTED.value,
                    version=1,
                    created_by=by,
                    idempotency_key=key,
                    created_at=now,
                    updated_at=now,
                )
                .returning(EhcnaRequest.id)
            )
    except IntegrityError:
        return None
    return int(new_id) if new_id is not None else None


async def apply_step(
    session: AsyncSession, request_id: int, *, version: int, now: dt.datetime, **changes: Any
) -> bool:
    """Apply a step if the request is still at `version` (the loser of a race changes nothing)."""
    result = await session.execute(
        update(EhcnaRequest)
        .where(EhcnaRequest.id == request_id, EhcnaRequest.version == version)
        .values(**changes, version=EhcnaRequest.version + 1, updated_at=now)
        .returning(EhcnaRequest.id)
    )
    return result.first() is not None


async def has_plan(session: AsyncSession, pupil_id: int) -> bool:
    """Whether the local authority's EHC plan is on record (the register refuses E without one)."""
    return bool(await session.scalar(select(func.count()).where(EhcPlan.pupil_id == pupil_id)))


async def add_plan(
    session: AsyncSession,
    *,
    pupil_id: int,
    request_id: int | None,
    issued_on: dt.date,
    by: int,
    now: dt.datetime,
) -> int:
    plan = EhcPlan(
        pupil_id=pupil_id, request_id=request_id, issued_on=issued_on, recorded_by=by, created_at=now
    )
    session.add(plan)
    await session.flush()
    return plan.id


@dataclass(frozen=True)
class PlanRow:
    id: int
    issued_on: dt.date
    request_id: int | None


async def plans(session: AsyncSession, pupil_id: int) -> list[PlanRow]:
    rows = await session.execute(
        select(EhcPlan.id, EhcPlan.issued_on, EhcPlan.request_id)
        .where(EhcPlan.pupil_id == pupil_id)
        .order_by(EhcPlan.issued_on.desc(), EhcPlan.id.desc())
    )
    return [PlanRow(*r) for r in rows.all()]


# --- the morning reminders (bot/jobs/reminders.py) ---


@dataclass(frozen=True)
class CrossingRow:
    pupil_id: int
    given_name: str
    family_name: str
    year_group: int
    year_to_date_pence: int
    threshold_pence: int

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


async def crossings(session: AsyncSession, school_id: int, *, today: dt.date) -> list[CrossingRow]:
    """Current pupils whose costed provision this financial year (1 April to today) has reached 80 % of
    the school's notional threshold: one aggregate, the same sum as the provision map's year to date."""
    spent = func.coalesce(func.sum(Attendance.cost_pence), 0).cast(Integer)
    rows = await session.execute(
        select(
            Pupil.id,
            Pupil.given_name,
            Pupil.family_name,
            Pupil.year_group,
            spent,
            School.notional_threshold_pence,
        )
        .select_from(Attendance)
        .join(InterventionSession, InterventionSession.id == Attendance.session_id)
        .join(Pupil, Pupil.id == Attendance.pupil_id)
        .join(School, School.id == InterventionSession.school_id)
        .where(
            InterventionSession.school_id == school_id,
            InterventionSession.held_on >= financial_year_start(today),
            InterventionSession.held_on <= today,
            InterventionSession.undone_at.is_(None),
            Pupil.left_on.is_(None),
        )
        .group_by(
            Pupil.id, Pupil.given_name, Pupil.family_name, Pupil.year_group, School.notional_threshold_pence
        )
        .having(spent * 5 >= School.notional_threshold_pence * 4)
        .order_by(spent.desc(), Pupil.id)
    )
    return [CrossingRow(*r) for r in rows.all()]


async def announced(
    session: AsyncSession, school_id: int, *, fy_start: dt.date
) -> set[tuple[str, int, str, dt.date, int]]:
    """What was already announced of the school's open requests' deadlines and of this financial year's
    threshold crossings (one query through ix_reminder_sent_school)."""
    open_ids = select(EhcnaRequest.id).where(
        EhcnaRequest.school_id == school_id, EhcnaRequest.status.in_(OPEN)
    )
    rows = await session.execute(
        select(
            ReminderSent.subject_kind,
            ReminderSent.subject_id,
            ReminderSent.stage,
            ReminderSent.as_of,
            ReminderSent.recipient_id,
        ).where(
            ReminderSent.school_id == school_id,
            ((ReminderSent.subject_kind == "ehcna") & ReminderSent.subject_id.in_(open_ids))
            | ((ReminderSent.subject_kind == "threshold") & (ReminderSent.as_of >= fy_start)),
        )
    )
    return {(k, i, s, d, r) for k, i, s, d, r in rows}


def annual_review_due(issued_on: dt.date, date_of_birth: dt.date) -> dt.date:
    """An EHC plan is reviewed within 12 months of issue, within 6 for a child under 5 (SEND Code of
    Practice 9.166 and 9.178); 29 February falls back to the 28th."""
    months = 6 if _age_on(date_of_birth, issued_on) < 5 else 12
    month = issued_on.month - 1 + months
    year, month = issued_on.year + month // 12, month % 12 + 1
    for day in (issued_on.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(issued_on.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def _age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


async def add_annual_review(
    session: AsyncSession, *, pupil_id: int, due_on: dt.date, now: dt.datetime
) -> None:
    """The EHC plan's annual review: an open review the morning reminders chase like any other."""
    session.add(Review(pupil_id=pupil_id, plan_id=None, due_on=due_on, created_at=now))
    await session.flush()


async def date_of_birth(session: AsyncSession, pupil_id: int) -> dt.date:
    born = await session.scalar(select(Pupil.date_of_birth).where(Pupil.id == pupil_id))
    assert born is not None
    return born
