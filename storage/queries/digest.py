"""The weekly digest's figures, and the detail lists they summarise.

Why this shape:
- every figure is one aggregate query with GROUP BY school, over a `Target` (a set of schools, optionally
  narrowed to one person's classes). One school's digest and a whole trust's use the same queries, so a
  trust's digest, the scheduled planner and the benchmark cost one pass per figure, not one per school;
- each count has a detail query built from the same filters (`_pupils`, `_register_at`, `_live_sessions`...),
  and tests check that the counts equal the lengths/sums of the detail lists on the same fixture;
- weeks are ISO weeks (Monday to Sunday). The digest describes the school *as at the end of the week*:
  register entries in force on Sunday, reviews still open on Sunday, pupils on roll on Sunday. Register
  entries cover `started_on` to the day before `ended_on` (the next entry starts on `ended_on`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Attendance,
    ClassPupil,
    ClassStaff,
    DigestRecipient,
    InterventionSession,
    NeedType,
    Outbox,
    ParentTask,
    ProvisionType,
    Pupil,
    Referral,
    ReferralStatus,
    RegisterEntry,
    Review,
    Role,
    School,
    SenStatus,
    Staff,
    StaffRole,
    TrustSchool,
)
from storage.scope import PupilScope

OTHER_AREA = "Other/not assessed"
ON_REGISTER = (SenStatus.SEN_SUPPORT.value, SenStatus.EHC_PLAN.value)
AWAITING_DECISION = (ReferralStatus.REQUESTED.value, ReferralStatus.MORE_INFO.value)
AWAITING_SERVICE = (ReferralStatus.APPROVED.value, ReferralStatus.SENT.value, ReferralStatus.ACCEPTED.value)
NO_SUPPORT_WEEKS = 4
CHART_WEEKS = 8
# Parent review meetings expected by the end of each term (Code of Practice 6.65: three a year).
TERM_ENDS = ((12, 31), (3, 31), (7, 31))


# ---------------------------------------------------------------------------------------------
# Weeks


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def containing(cls, day: dt.date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def parse(cls, text: str) -> IsoWeek | None:
        """`2026-W47` (any case); None when it is not a real ISO week."""
        match = re.fullmatch(r"([0-9]{4})-W([0-9]{2})", text.strip().upper())
        if match is None:
            return None
        year, week = match.groups()
        try:
            dt.date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            return None
        return cls(int(year), int(week))

    @property
    def start(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.containing(self.start + dt.timedelta(weeks=weeks))

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def academic_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def financial_year_start(day: dt.date) -> dt.date:
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def parent_reviews_expected(day: dt.date) -> int:
    """Parent review meetings a K pupil should have had since 1 September, as at `day`.

    One per term, counted when the term is over: terms end on 31 December, 31 March and 31 July. So the
    expectation is 0 in the autumn term, 1 from 1 January, 2 from 1 April and 3 from 1 August.
    """
    start = academic_year_start(day)
    ends = [dt.date(start.year if m >= 9 else start.year + 1, m, d) for m, d in TERM_ENDS]
    return sum(1 for end in ends if end < day)


# ---------------------------------------------------------------------------------------------
# Who the figures are about


@dataclass(frozen=True)
class Target:
    """Pupils of these schools; only those in `caseload_of`'s classes when it is set (teacher, TA)."""

    school_ids: tuple[int, ...]
    caseload_of: int | None = None

    @classmethod
    def of_scope(cls, scope: PupilScope) -> Target:
        return cls((scope.school_id,), None if scope.whole_school else scope.staff_id)


def _pupils(target: Target, week: IsoWeek) -> Subquery:
    """(pupil_id, school_id) of every pupil in the target on roll at the end of the week."""
    stmt = select(Pupil.id.label("pupil_id"), Pupil.school_id.label("school_id")).where(
        Pupil.school_id.in_(target.school_ids),
        or_(Pupil.left_on.is_(None), Pupil.left_on > week.end),
    )
    if target.caseload_of is not None:
        taught = (
            select(ClassPupil.pupil_id)
            .join(ClassStaff, ClassStaff.class_id == ClassPupil.class_id)
            .where(ClassStaff.staff_id == target.caseload_of, ClassPupil.pupil_id == Pupil.id)
        )
        stmt = stmt.where(exists(taught))
    return stmt.subquery("p")


def _register_at(entry: type[RegisterEntry], day: dt.date) -> ColumnElement[bool]:
    return and_(entry.started_on <= day, or_(entry.ended_on.is_(None), entry.ended_on > day))


def _live_sessions(target: Target, first: dt.date, last: dt.date) -> ColumnElement[bool]:
    # school_id is redundant with the pupil join but lets the (school_id, held_on) index drive the scan.
    return and_(
        InterventionSession.school_id.in_(target.school_ids),
        InterventionSession.held_on.between(first, last),
        InterventionSession.undone_at.is_(None),
    )


# ---------------------------------------------------------------------------------------------
# The figures


@dataclass(frozen=True)
class AreaCount:
    area: str
    k: int
    e: int


@dataclass(frozen=True)
class RegisterChanges:
    added: int = 0
    removed: int = 0
    status_changed: int = 0

    @property
    def total(self) -> int:
        return self.added + self.removed + self.status_changed


@dataclass(frozen=True)
class ProvisionLine:
    name: str
    sessions: int
    pupil_minutes: int

    @property
    def pupil_hours(self) -> float:
        return self.pupil_minutes / 60


@dataclass(frozen=True)
class ReviewFigures:
    held_this_week: int = 0
    due_next_week: int = 0
    overdue: int = 0
    k_pupils: int = 0
    k_on_track: int = 0
    expected_so_far: int = 0


@dataclass(frozen=True)
class ReferralFigures:
    awaiting_decision: int = 0
    oldest_decision_days: int | None = None
    awaiting_service: int = 0
    oldest_service_days: int | None = None


@dataclass(frozen=True)
class MoneyFigures:
    fy_start: dt.date
    spent_pence: int
    budget_pence: int | None
    threshold_pence: int
    at_80: int
    at_100: int


@dataclass(frozen=True)
class WeekHours:
    week: IsoWeek
    pupil_minutes: int


@dataclass
class Digest:
    school_id: int
    school_name: str
    week: IsoWeek
    register: list[AreaCount] = field(default_factory=list)
    changes: RegisterChanges = field(default_factory=RegisterChanges)
    provisions: list[ProvisionLine] = field(default_factory=list)
    no_support: int = 0
    reviews: ReviewFigures = field(default_factory=ReviewFigures)
    referrals: ReferralFigures = field(default_factory=ReferralFigures)
    money: MoneyFigures | None = None
    hours_by_week: list[WeekHours] = field(default_factory=list)
    # Duties to parents (storage/queries/parents.py) still open at the end of the week and past due.
    parent_tasks_overdue: int = 0

    @property
    def k_total(self) -> int:
        return sum(a.k for a in self.register)

    @property
    def e_total(self) -> int:
        return sum(a.e for a in self.register)

    @property
    def sessions(self) -> int:
        return sum(p.sessions for p in self.provisions)

    @property
    def pupil_minutes(self) -> int:
        return sum(p.pupil_minutes for p in self.provisions)

    @property
    def is_empty(self) -> bool:
        """Nothing recorded at all: no register, no support this FY, no reviews, no referrals."""
        money_spent = self.money.spent_pence if self.money else 0
        r, f = self.reviews, self.referrals
        return not (
            self.register
            or self.changes.total
            or self.provisions
            or any(w.pupil_minutes for w in self.hours_by_week)
            or money_spent
            or r.held_this_week
            or r.due_next_week
            or r.overdue
            or self.parent_tasks_overdue
            or f.awaiting_decision
            or f.awaiting_service
        )


async def school_digest(session: AsyncSession, scope: PupilScope, week: IsoWeek, *, as_of: dt.date) -> Digest:
    """One school's digest for the pupils in `scope` (the whole school, or a teacher's classes)."""
    digests = await digests_for(session, Target.of_scope(scope), week, as_of=as_of)
    return digests[scope.school_id]


async def digests_for(
    session: AsyncSession, target: Target, week: IsoWeek, *, as_of: dt.date
) -> dict[int, Digest]:
    """Every school of the target in one pass per figure. `as_of` is the day referral ages are measured
    to (the end of the week, or today for the week in progress)."""
    schools = (
        await session.execute(
            select(School.id, School.name, School.notional_sen_budget_pence, School.notional_threshold_pence)
            .where(School.id.in_(target.school_ids))
            .order_by(School.name, School.id)
        )
    ).all()
    digests = {sid: Digest(sid, name, week) for sid, name, _, _ in schools}
    if not digests:
        return {}
    for sid, areas in (await _register_by_area(session, target, week)).items():
        digests[sid].register = areas
    for sid, changes in (await _change_counts(session, target, week)).items():
        digests[sid].changes = changes
    for sid, lines in (await _support_by_provision(session, target, week)).items():
        digests[sid].provisions = lines
    for sid, n in (await _no_support_counts(session, target, week)).items():
        digests[sid].no_support = n
    for sid, reviews in (await _review_figures(session, target, week)).items():
        digests[sid].reviews = reviews
    for sid, referrals in (await _referral_figures(session, target, as_of)).items():
        digests[sid].referrals = referrals
    for sid, n in (await _parent_tasks_overdue(session, target, week)).items():
        digests[sid].parent_tasks_overdue = n
    money = await _money_figures(session, target, week)
    for sid, _, budget, threshold in schools:
        spent, at_80, at_100 = money.get(sid, (0, 0, 0))
        digests[sid].money = MoneyFigures(
            financial_year_start(week.end), spent, budget, threshold, at_80, at_100
        )
    hours = await _hours_by_day(session, target, week)
    weeks = [week.shifted(-n) for n in range(CHART_WEEKS - 1, -1, -1)]
    for sid, digest in digests.items():
        per_week: dict[IsoWeek, int] = defaultdict(int)
        for day, minutes in hours.get(sid, []):
            per_week[IsoWeek.containing(day)] += minutes
        digest.hours_by_week = [WeekHours(w, per_week.get(w, 0)) for w in weeks]
    return digests


async def _register_by_area(
    session: AsyncSession, target: Target, week: IsoWeek
) -> dict[int, list[AreaCount]]:
    p = _pupils(target, week)
    area = func.coalesce(NeedType.broad_area, OTHER_AREA)
    rows = await session.execute(
        select(p.c.school_id, area, RegisterEntry.status, func.count())
        .join(RegisterEntry, RegisterEntry.pupil_id == p.c.pupil_id)
        .outerjoin(NeedType, NeedType.code == RegisterEntry.need_rank1)
        .where(_register_at(RegisterEntry, week.end), RegisterEntry.status.in_(ON_REGISTER))
        .group_by(p.c.school_id, area, RegisterEntry.status)
    )
    counts: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for sid, name, status, n in rows:
        counts[sid][name][0 if status == SenStatus.SEN_SUPPORT.value else 1] += n
    return {
        sid: sorted((AreaCount(a, k, e) for a, (k, e) in areas.items()), key=_area_order)
        for sid, areas in counts.items()
    }


def _area_order(a: AreaCount) -> tuple[bool, str]:
    return (a.area == OTHER_AREA, a.area)


def _changes_select(target: Target, week: IsoWeek) -> Select[object]:
    """Pupils whose register entry started or ended in the week, with their status before and after."""
    p = _pupils(target, week)
    before, after, moved = aliased(RegisterEntry), aliased(RegisterEntry), aliased(RegisterEntry)
    day_before = week.start - dt.timedelta(days=1)
    status_before = func.coalesce(before.status, SenStatus.NO_SEN.value).label("before")
    status_after = func.coalesce(after.status, SenStatus.NO_SEN.value).label("after")
    changed = exists(
        select(moved.id).where(
            moved.pupil_id == p.c.pupil_id,
            or_(moved.started_on.between(week.start, week.end), moved.ended_on.between(week.start, week.end)),
        )
    )
    return (
        select(p.c.school_id, p.c.pupil_id, status_before, status_after)
        .select_from(p)
        .outerjoin(before, and_(before.pupil_id == p.c.pupil_id, _register_at(before, day_before)))
        .outerjoin(after, and_(after.pupil_id == p.c.pupil_id, _register_at(after, week.end)))
        .where(changed)
    )


def _classify(before: str, after: str) -> str | None:
    was, now = before in ON_REGISTER, after in ON_REGISTER
    if not was and now:
        return "added"
    if was and not now:
        return "removed"
    if was and now and before != after:
        return "status_changed"
    return None  # a need changed, or N to N: not a register change the head counts


async def _change_counts(session: AsyncSession, target: Target, week: IsoWeek) -> dict[int, RegisterChanges]:
    inner = _changes_select(target, week).subquery()
    rows = await session.execute(
        select(inner.c.school_id, inner.c.before, inner.c.after, func.count()).group_by(
            inner.c.school_id, inner.c.before, inner.c.after
        )
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sid, before, after, n in rows:
        kind = _classify(before, after)
        if kind:
            counts[sid][kind] += n
    return {sid: RegisterChanges(**c) for sid, c in counts.items()}


async def _support_by_provision(
    session: AsyncSession, target: Target, week: IsoWeek
) -> dict[int, list[ProvisionLine]]:
    p = _pupils(target, week)
    minutes = func.sum(case((Attendance.present, InterventionSession.minutes), else_=0))
    rows = await session.execute(
        select(
            p.c.school_id,
            ProvisionType.name,
            func.count(func.distinct(InterventionSession.id)),
            minutes,
        )
        .select_from(InterventionSession)
        .join(Attendance, Attendance.session_id == InterventionSession.id)
        .join(p, p.c.pupil_id == Attendance.pupil_id)
        .join(ProvisionType, ProvisionType.id == InterventionSession.provision_type_id)
        .where(_live_sessions(target, week.start, week.end))
        .group_by(p.c.school_id, ProvisionType.id, ProvisionType.name)
    )
    out: dict[int, list[ProvisionLine]] = defaultdict(list)
    for sid, name, sessions, mins in rows:
        out[sid].append(ProvisionLine(name, int(sessions), int(mins or 0)))
    for lines in out.values():
        lines.sort(key=lambda line: (-line.pupil_minutes, -line.sessions, line.name))
    return out


def _no_support_select(target: Target, week: IsoWeek) -> Select[object]:
    """Pupils on the register at the end of the week with no session attended in the last 4 weeks."""
    p = _pupils(target, week)
    first = week.end - dt.timedelta(weeks=NO_SUPPORT_WEEKS) + dt.timedelta(days=1)
    supported = exists(
        select(Attendance.session_id)
        .join(InterventionSession, InterventionSession.id == Attendance.session_id)
        .where(
            Attendance.pupil_id == p.c.pupil_id,
            Attendance.present.is_(True),
            _live_sessions(target, first, week.end),
        )
    )
    return (
        select(p.c.school_id, p.c.pupil_id)
        .select_from(p)
        .join(RegisterEntry, RegisterEntry.pupil_id == p.c.pupil_id)
        .where(_register_at(RegisterEntry, week.end), RegisterEntry.status.in_(ON_REGISTER), ~supported)
    )


async def _no_support_counts(session: AsyncSession, target: Target, week: IsoWeek) -> dict[int, int]:
    inner = _no_support_select(target, week).subquery()
    rows = await session.execute(select(inner.c.school_id, func.count()).group_by(inner.c.school_id))
    return {sid: int(n) for sid, n in rows}


async def _review_figures(session: AsyncSession, target: Target, week: IsoWeek) -> dict[int, ReviewFigures]:
    p = _pupils(target, week)
    open_at_end = or_(Review.held_on.is_(None), Review.held_on > week.end)
    next_week = week.shifted(1)

    def count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    rows = await session.execute(
        select(
            p.c.school_id,
            count_if(Review.held_on.between(week.start, week.end)),
            count_if(and_(open_at_end, Review.due_on.between(next_week.start, next_week.end))),
            count_if(and_(open_at_end, Review.due_on <= week.end)),
        )
        .join(Review, Review.pupil_id == p.c.pupil_id)
        .group_by(p.c.school_id)
    )
    counts = {sid: (int(h), int(d), int(o)) for sid, h, d, o in rows}
    tracks = await _parent_track_counts(session, target, week)
    expected = parent_reviews_expected(week.end)
    out: dict[int, ReviewFigures] = {}
    for sid in set(counts) | set(tracks):
        held, due, overdue = counts.get(sid, (0, 0, 0))
        k, on_track = tracks.get(sid, (0, 0))
        out[sid] = ReviewFigures(held, due, overdue, k, on_track, expected)
    return out


async def _parent_tasks_overdue(session: AsyncSession, target: Target, week: IsoWeek) -> dict[int, int]:
    """Per school: duties to parents past due and not done at the end of the week (one aggregate)."""
    p = _pupils(target, week)
    rows = await session.execute(
        select(p.c.school_id, func.count())
        .join(ParentTask, ParentTask.pupil_id == p.c.pupil_id)
        .where(
            ParentTask.due_on <= week.end,
            or_(ParentTask.done_at.is_(None), ParentTask.done_at > week.end),
        )
        .group_by(p.c.school_id)
    )
    return {sid: int(n) for sid, n in rows}


def _parent_track_select(target: Target, week: IsoWeek) -> Select[object]:
    """K pupils at the end of the week with the number of parent-attended reviews held this academic year."""
    p = _pupils(target, week)
    held = (
        select(Review.pupil_id, func.count().label("n"))
        .where(
            Review.parent_attended.is_(True),
            Review.held_on.between(academic_year_start(week.end), week.end),
        )
        .group_by(Review.pupil_id)
        .subquery("held")
    )
    n = func.coalesce(held.c.n, 0).label("parent_reviews")
    return (
        select(p.c.school_id, p.c.pupil_id, n)
        .select_from(p)
        .join(RegisterEntry, RegisterEntry.pupil_id == p.c.pupil_id)
        .outerjoin(held, held.c.pupil_id == p.c.pupil_id)
        .where(_register_at(RegisterEntry, week.end), RegisterEntry.status == SenStatus.SEN_SUPPORT.value)
    )


async def _parent_track_counts(
    session: AsyncSession, target: Target, week: IsoWeek
) -> dict[int, tuple[int, int]]:
    inner = _parent_track_select(target, week).subquery()
    expected = parent_reviews_expected(week.end)
    on_track = func.sum(case((inner.c.parent_reviews >= expected, 1), else_=0))
    rows = await session.execute(
        select(inner.c.school_id, func.count(), on_track).group_by(inner.c.school_id)
    )
    return {sid: (int(k), int(t or 0)) for sid, k, t in rows}


def _referrals_select(target: Target, as_of: dt.date) -> Select[object]:
    """Referrals waiting now that were made by the end of `as_of` (their current status: waiting is a
    present-tense figure). "On roll" is not applied: a pupil who left may still be waiting."""
    waiting = case((Referral.status.in_(AWAITING_DECISION), "decision"), else_="service").label("waiting")
    stmt = select(
        Referral.school_id,
        waiting,
        Referral.id.label("referral_id"),
        Referral.pupil_id,
        Referral.status,
        Referral.created_at,
    ).where(
        Referral.school_id.in_(target.school_ids),
        Referral.status.in_(AWAITING_DECISION + AWAITING_SERVICE),
        Referral.created_at < _midnight_after(as_of),
    )
    if target.caseload_of is not None:
        taught = (
            select(ClassPupil.pupil_id)
            .join(ClassStaff, ClassStaff.class_id == ClassPupil.class_id)
            .where(ClassStaff.staff_id == target.caseload_of, ClassPupil.pupil_id == Referral.pupil_id)
        )
        stmt = stmt.where(exists(taught))
    return stmt


async def _referral_figures(
    session: AsyncSession, target: Target, as_of: dt.date
) -> dict[int, ReferralFigures]:
    inner = _referrals_select(target, as_of).subquery()
    rows = await session.execute(
        select(inner.c.school_id, inner.c.waiting, func.count(), func.min(inner.c.created_at)).group_by(
            inner.c.school_id, inner.c.waiting
        )
    )
    parts: dict[int, dict[str, object]] = defaultdict(dict)
    for sid, waiting, n, oldest in rows:
        days = referral_age_days(_as_utc(oldest), as_of)
        if waiting == "decision":
            parts[sid].update(awaiting_decision=int(n), oldest_decision_days=days)
        else:
            parts[sid].update(awaiting_service=int(n), oldest_service_days=days)
    return {sid: ReferralFigures(**kw) for sid, kw in parts.items()}  # type: ignore[arg-type]


def _midnight_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def referral_age_days(created_at: dt.datetime, as_of: dt.date) -> int:
    """Whole days from the request to `as_of` (never negative)."""
    return max(0, (as_of - created_at.date()).days)


def _as_utc(value: object) -> dt.datetime:
    # min() over the column comes back typed on PostgreSQL, as text on SQLite.
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _fy_costs(target: Target, week: IsoWeek) -> Subquery:
    """Per pupil in the target: costed provision this financial year up to the end of the week."""
    p = _pupils(target, week)
    per_pupil = (
        select(Attendance.pupil_id, func.sum(Attendance.cost_pence).label("spent"))
        .join(InterventionSession, InterventionSession.id == Attendance.session_id)
        .where(_live_sessions(target, financial_year_start(week.end), week.end))
        .group_by(Attendance.pupil_id)
        .subquery("spend")
    )
    return (
        select(p.c.school_id, p.c.pupil_id, per_pupil.c.spent)
        .join(per_pupil, per_pupil.c.pupil_id == p.c.pupil_id)
        .subquery("fy")
    )


async def _money_figures(
    session: AsyncSession, target: Target, week: IsoWeek
) -> dict[int, tuple[int, int, int]]:
    fy = _fy_costs(target, week)
    # Integer arithmetic: spent >= 80% of threshold  <=>  5 * spent >= 4 * threshold.
    at_80 = func.sum(case((fy.c.spent * 5 >= School.notional_threshold_pence * 4, 1), else_=0))
    at_100 = func.sum(case((fy.c.spent >= School.notional_threshold_pence, 1), else_=0))
    rows = await session.execute(
        select(fy.c.school_id, func.sum(fy.c.spent), at_80, at_100)
        .join(School, School.id == fy.c.school_id)
        .group_by(fy.c.school_id)
    )
    return {sid: (int(s or 0), int(a or 0), int(b or 0)) for sid, s, a, b in rows}


async def _hours_by_day(
    session: AsyncSession, target: Target, week: IsoWeek
) -> dict[int, list[tuple[dt.date, int]]]:
    # Grouped by day (portable across backends); the caller folds days into weeks: 56 rows a school.
    p = _pupils(target, week)
    first = week.shifted(-(CHART_WEEKS - 1)).start
    rows = await session.execute(
        select(p.c.school_id, InterventionSession.held_on, func.sum(InterventionSession.minutes))
        .select_from(InterventionSession)
        .join(Attendance, Attendance.session_id == InterventionSession.id)
        .join(p, p.c.pupil_id == Attendance.pupil_id)
        .where(_live_sessions(target, first, week.end), Attendance.present.is_(True))
        .group_by(p.c.school_id, InterventionSession.held_on)
    )
    out: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for sid, day, minutes in rows:
        out[sid].append((day, int(minutes or 0)))
    return out


# ---------------------------------------------------------------------------------------------
# Detail lists: what the counts summarise (for the SENCO's follow-up and for tests)


@dataclass(frozen=True)
class PupilLine:
    pupil_id: int
    school_id: int
    given_name: str
    family_name: str

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class ChangeLine:
    pupil: PupilLine
    before: str
    after: str
    kind: str


@dataclass(frozen=True)
class CostLine:
    pupil: PupilLine
    spent_pence: int


@dataclass(frozen=True)
class ParentReviewLine:
    pupil: PupilLine
    parent_reviews: int
    on_track: bool


@dataclass(frozen=True)
class ReferralLine:
    referral_id: int
    school_id: int
    pupil_id: int
    status: str
    waiting: str
    age_days: int


def _line(sid: int, pid: int, given: str, family: str) -> PupilLine:
    return PupilLine(pid, sid, given, family)


async def register_changes(session: AsyncSession, target: Target, week: IsoWeek) -> list[ChangeLine]:
    """Each pupil counted in `RegisterChanges`, with the status before and after the week."""
    inner = _changes_select(target, week).subquery()
    rows = await session.execute(
        select(
            inner.c.school_id, Pupil.id, Pupil.given_name, Pupil.family_name, inner.c.before, inner.c.after
        )
        .join(Pupil, Pupil.id == inner.c.pupil_id)
        .order_by(Pupil.family_name, Pupil.given_name, Pupil.id)
    )
    out = []
    for sid, pid, given, family, before, after in rows:
        kind = _classify(before, after)
        if kind:
            out.append(ChangeLine(_line(sid, pid, given, family), before, after, kind))
    return out


async def pupils_without_support(session: AsyncSession, target: Target, week: IsoWeek) -> list[PupilLine]:
    """Pupils on the register at the end of the week with no session attended in the last 4 weeks."""
    inner = _no_support_select(target, week).subquery()
    rows = await session.execute(
        select(inner.c.school_id, Pupil.id, Pupil.given_name, Pupil.family_name)
        .join(Pupil, Pupil.id == inner.c.pupil_id)
        .order_by(Pupil.family_name, Pupil.given_name, Pupil.id)
    )
    return [_line(*row) for row in rows]


async def parent_review_status(
    session: AsyncSession, target: Target, week: IsoWeek
) -> list[ParentReviewLine]:
    """Every K pupil with their parent-attended reviews this academic year and whether that is on track."""
    inner = _parent_track_select(target, week).subquery()
    expected = parent_reviews_expected(week.end)
    rows = await session.execute(
        select(inner.c.school_id, Pupil.id, Pupil.given_name, Pupil.family_name, inner.c.parent_reviews)
        .join(Pupil, Pupil.id == inner.c.pupil_id)
        .order_by(Pupil.family_name, Pupil.given_name, Pupil.id)
    )
    return [
        ParentReviewLine(_line(sid, pid, given, family), int(n), int(n) >= expected)
        for sid, pid, given, family, n in rows
    ]


async def fy_costs(
    session: AsyncSession,
    target: Target,
    week: IsoWeek,
    *,
    at_least_pence: int | None = None,
    limit: int | None = None,
) -> list[CostLine]:
    """Pupils' costed provision this financial year, highest first; `at_least_pence` keeps the top only."""
    fy = _fy_costs(target, week)
    stmt = (
        select(fy.c.school_id, Pupil.id, Pupil.given_name, Pupil.family_name, fy.c.spent)
        .join(Pupil, Pupil.id == fy.c.pupil_id)
        .order_by(fy.c.spent.desc(), Pupil.family_name, Pupil.given_name, Pupil.id)
    )
    if at_least_pence is not None:
        stmt = stmt.where(fy.c.spent >= at_least_pence)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = await session.execute(stmt)
    return [CostLine(_line(sid, pid, given, family), int(spent)) for sid, pid, given, family, spent in rows]


async def referrals_waiting(session: AsyncSession, target: Target, *, as_of: dt.date) -> list[ReferralLine]:
    """Referrals waiting for the SENCO's decision or for a service, oldest first."""
    inner = _referrals_select(target, as_of).subquery()
    rows = await session.execute(
        select(
            inner.c.referral_id,
            inner.c.school_id,
            inner.c.pupil_id,
            inner.c.status,
            inner.c.waiting,
            inner.c.created_at,
        ).order_by(inner.c.created_at, inner.c.referral_id)
    )
    return [
        ReferralLine(rid, sid, pid, status, waiting, referral_age_days(_as_utc(created), as_of))
        for rid, sid, pid, status, waiting, created in rows
    ]


# ---------------------------------------------------------------------------------------------
# Who receives the scheduled digest


@dataclass(frozen=True)
class DigestSchool:
    school_id: int
    time_zone: str
    digest_weekday: int
    digest_time: dt.time


@dataclass(frozen=True)
class Recipient:
    staff_id: int
    school_id: int
    roles: frozenset[Role]
    trust_school_ids: tuple[int, ...] = ()

    @property
    def is_trust_lead(self) -> bool:
        return Role.TRUST_LEAD in self.roles


async def digest_schools(session: AsyncSession) -> list[DigestSchool]:
    rows = await session.execute(
        select(School.id, School.time_zone, School.digest_weekday, School.digest_time).order_by(School.id)
    )
    return [DigestSchool(sid, tz, day, _as_time(t)) for sid, tz, day, t in rows]


def _as_time(value: object) -> dt.time:
    if isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))


async def recipients(session: AsyncSession, school_ids: Iterable[int]) -> list[Recipient]:
    """Heads, opted-in staff and trust leads of these schools who have not left, with their roles."""
    ids = list(school_ids)
    if not ids:
        return []
    heads = select(StaffRole.staff_id).where(StaffRole.role.in_([Role.HEAD.value, Role.TRUST_LEAD.value]))
    opted = select(DigestRecipient.staff_id).where(DigestRecipient.school_id == Staff.school_id)
    rows = await session.execute(
        select(Staff.id, Staff.school_id, StaffRole.role)
        .outerjoin(StaffRole, StaffRole.staff_id == Staff.id)
        .where(
            Staff.school_id.in_(ids),
            Staff.left_on.is_(None),
            or_(Staff.id.in_(heads), Staff.id.in_(opted)),
        )
        .order_by(Staff.id)
    )
    roles: dict[int, set[Role]] = defaultdict(set)
    school_of: dict[int, int] = {}
    for staff_id, school_id, role in rows:
        school_of[staff_id] = school_id
        if role:
            roles[staff_id].add(Role(role))
    trusts: dict[int, list[int]] = defaultdict(list)
    leads = [s for s in school_of if Role.TRUST_LEAD in roles[s]]
    if leads:
        for staff_id, sid in await session.execute(
            select(TrustSchool.staff_id, TrustSchool.school_id)
            .where(TrustSchool.staff_id.in_(leads))
            .order_by(TrustSchool.school_id)
        ):
            trusts[staff_id].append(sid)
    return [Recipient(s, school_of[s], frozenset(roles[s]), tuple(trusts.get(s, ()))) for s in school_of]


async def trust_school_ids(session: AsyncSession, staff_id: int) -> list[int]:
    rows = await session.execute(
        select(TrustSchool.school_id).where(TrustSchool.staff_id == staff_id).order_by(TrustSchool.school_id)
    )
    return list(rows.scalars())


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these outbox period keys exist already (so the planner skips building their cards)."""
    if not keys:
        return set()
    rows = await session.execute(select(Outbox.period_key).where(Outbox.period_key.in_(list(keys))))
    return set(rows.scalars())
