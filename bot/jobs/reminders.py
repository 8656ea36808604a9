"""The review and referral reminder planner: what each person should hear this morning, exactly once.

Why this design (docs/design.md, "Exactly once" and "Scheduled work across replicas"):
- the planner looks at what is due, not at whether a tick fired: any run after the school's reminder time
  (default 07:30, school time zone) on a school day plans that day's cards, so a replica that was down at
  07:30 catches up when it starts, and ticks every few minutes cost a query and write nothing;
- a person gets at most one reminder card a day: its outbox key is `reminders:<staff id>:<local date>`;
- a (review, stage) or (stalled referral) is announced to a person once: the `reminder_sent` row is
  written in the same transaction as the outbox row, under a UNIQUE key, and only by the planner whose
  outbox insert won. A person with nothing new gets nothing; an item that appears after today's card was
  planned is announced on the next school day;
- reviews have three stages: due soon (within the next N school days), due today, overdue;
- weekends and the school's closure days are not school days: nothing is planned on them and the
  horizon skips them.
The SENCO's card covers the whole school, the stalled referrals, the overdue duties to parents, the
deadlines of open EHC needs assessment requests (near: within the horizon; passed) and the pupils whose
costed provision this financial year passed 80 % and 100 % of the threshold (each announced once, like a
review's stage; docs/ehcna.md); a class teacher's card covers the
reviews of their own pupils (teachers also hear when one of them goes overdue: they hold the review).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cards.common import Card
from cards.reminders import (
    EhcnaLine,
    ParentTaskLine,
    ReferralLine,
    ReviewLine,
    ThresholdLine,
    reminder_card,
)
from storage.models import ReminderStage
from storage.queries import audit, ehcna, outbox
from storage.queries import reminders as queries
from storage.queries.provision_map import financial_year_start

log = structlog.get_logger(__name__)
Clock = Callable[[], dt.datetime]
KIND = "reminders"
HORIZON_SCHOOL_DAYS = 10
DEFAULT_ZONE = "Europe/London"


# A morning's card is announced once ("never the same reminder twice"), so it stays worth sending while
# the reviews it names are still current: two weeks, then it is expired rather than sent stale.
USEFUL_FOR = dt.timedelta(days=14)


def period_key(staff_id: int, day: dt.date) -> str:
    return f"{KIND}:{staff_id}:{day.isoformat()}"


def is_school_day(day: dt.date, closures: Collection[dt.date]) -> bool:
    return day.weekday() < 5 and day not in closures


def school_days_ahead(today: dt.date, count: int, closures: Collection[dt.date]) -> dt.date:
    """The `count`-th school day after `today` (today itself not counted)."""
    day = today
    left = count
    while left > 0:
        day += dt.timedelta(days=1)
        if is_school_day(day, closures):
            left -= 1
    return day


def stage_of(due_on: dt.date, today: dt.date) -> ReminderStage:
    if due_on < today:
        return ReminderStage.OVERDUE
    if due_on == today:
        return ReminderStage.DUE_TODAY
    return ReminderStage.DUE_SOON


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown_time_zone", time_zone=name)
        return ZoneInfo(DEFAULT_ZONE)


@dataclass
class PlanReport:
    schools_planned: int = 0
    schools_failed: int = 0
    cards: int = 0
    announcements: int = 0
    skipped_recipients: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Review:
    review_id: int
    name: str
    year_group: int
    due_on: dt.date
    stage: ReminderStage


@dataclass
class ReminderPlanner:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    horizon_school_days: int = HORIZON_SCHOOL_DAYS

    async def run(self) -> PlanReport:
        """Plan every school whose reminder time has passed today (in its own zone). Safe to call often."""
        now = self.clock()
        report = PlanReport()
        async with self.sessions() as session:
            # Closures a little either side of today's UTC date cover every zone and the horizon.
            schools = await queries.schedules(
                session,
                first=now.date() - dt.timedelta(days=2),
                last=now.date() + dt.timedelta(days=120),
            )
        for school in schools:
            local = now.astimezone(_zone(school.time_zone))
            today = local.date()
            if not is_school_day(today, school.closures) or local.time() < school.reminder_time:
                continue
            try:
                async with self.sessions.begin() as session:
                    await self._plan_school(session, school, today, now, report)
            except Exception as exc:
                # One school's problem must not keep the others' reminders back; its transaction rolled
                # back, so the next tick plans it from scratch. The error's type only: a database error's
                # text carries its parameters, and these are cards with pupil names.
                log.error("reminders_school_failed", school_id=school.id, error=type(exc).__name__)
                report.schools_failed += 1
                continue
            report.schools_planned += 1
        if report.cards:
            log.info("reminders_planned", cards=report.cards, announcements=report.announcements)
        return report

    async def _plan_school(
        self,
        session: AsyncSession,
        school: queries.SchoolSchedule,
        today: dt.date,
        now: dt.datetime,
        report: PlanReport,
    ) -> None:
        horizon = school_days_ahead(today, self.horizon_school_days, school.closures)
        rows = await queries.due_reviews(session, school.id, until=horizon, today=today)
        not_moved_since = now - dt.timedelta(weeks=school.referral_stall_weeks)
        stalled = await queries.stalled_referrals(session, school.id, not_moved_since=not_moved_since)
        sencos = await queries.sencos(session, school.id, today=today)
        parent_tasks = await queries.overdue_parent_tasks(session, school.id, today=today)
        deadlines = _ehcna_deadlines(await ehcna.open_requests(session, school.id), today, horizon)
        crossings = _crossings(await ehcna.crossings(session, school.id, today=today))
        fy_start = financial_year_start(today)

        reviews: dict[int, _Review] = {}
        teachers_of: dict[int, set[int]] = {}
        for r in rows:
            reviews.setdefault(
                r.review_id,
                _Review(
                    r.review_id,
                    f"{r.given_name} {r.family_name}",
                    r.year_group,
                    r.due_on,
                    stage_of(r.due_on, today),
                ),
            )
            if r.teacher_id is not None:
                teachers_of.setdefault(r.teacher_id, set()).add(r.review_id)

        wanted: dict[int, list[queries.Announcement]] = {}
        for staff_id in sencos:
            wanted[staff_id] = (
                [("review", v.review_id, v.stage.value, v.due_on, staff_id) for v in reviews.values()]
                + [
                    ("referral", s.referral_id, ReminderStage.STALLED.value, s.updated_at.date(), staff_id)
                    for s in stalled
                ]
                + [
                    ("parent_task", t.task_id, ReminderStage.OVERDUE.value, t.due_on, staff_id)
                    for t in parent_tasks
                ]
                + [("ehcna", d.request_id, d.stage.value, d.due_on, staff_id) for d in deadlines]
                + [("threshold", c.row.pupil_id, c.stage.value, fy_start, staff_id) for c in crossings]
            )
        for staff_id, ids in teachers_of.items():
            if staff_id in wanted:
                continue  # a SENCO who also teaches gets one card: the whole-school one
            wanted[staff_id] = [
                ("review", i, reviews[i].stage.value, reviews[i].due_on, staff_id) for i in sorted(ids)
            ]
        if not any(wanted.values()):
            return
        told = await queries.announced(
            session, school.id, until=horizon, not_moved_since=not_moved_since, today=today
        )
        if deadlines or crossings:
            told |= await ehcna.announced(session, school.id, fy_start=fy_start)

        cards: list[outbox.Notification] = []
        fresh_of: dict[str, list[queries.Announcement]] = {}
        for staff_id in sorted(wanted):
            fresh = [a for a in wanted[staff_id] if a not in told]
            if not fresh:
                continue
            key = period_key(staff_id, today)
            card = self._card(
                for_senco=staff_id in sencos,
                today=today,
                stall_weeks=school.referral_stall_weeks,
                announcements=wanted[staff_id],
                reviews=reviews,
                stalled=stalled,
                parent_tasks=parent_tasks,
                deadlines=deadlines,
                crossings=crossings,
                is_new={(a[0], a[1]) for a in fresh},
            )
            cards.append(
                outbox.Notification(
                    kind=KIND,
                    period_key=key,
                    recipient_id=staff_id,
                    payload=outbox.message_payload(card=card),
                    subject=f"school:{school.id}",
                    expires_at=now + USEFUL_FOR,
                )
            )
            fresh_of[key] = fresh
        created = await outbox.enqueue_many(session, cards, now=now)
        to_record: list[tuple[queries.Announcement, str]] = []
        for notification in cards:
            key = notification.period_key
            if key not in created:
                # Today's card was planned already (by this or another replica): the new items wait
                # for the next school day's card rather than making a second card today.
                report.skipped_recipients.append(notification.recipient_id)
                continue
            to_record.extend((a, key) for a in fresh_of[key])
            report.cards += 1
            audit.record(
                session,
                action="reminder_planned",
                at=now,
                tenant_id=school.tenant_id,
                school_id=school.id,
                entity="outbox",
                entity_id=key,
            )
        # In the same transaction as the outbox rows: a stage is recorded exactly when its card exists.
        report.announcements += await queries.record(session, school.id, to_record, now)

    def _card(
        self,
        *,
        for_senco: bool,
        today: dt.date,
        stall_weeks: int,
        announcements: list[queries.Announcement],
        reviews: dict[int, _Review],
        stalled: list[queries.StalledReferralRow],
        parent_tasks: list[queries.OverdueParentTaskRow],
        deadlines: list[_Deadline],
        crossings: list[_Crossing],
        is_new: set[tuple[str, int]],
    ) -> Card:
        mine = {a[1] for a in announcements if a[0] == "review"}
        lines: dict[ReminderStage, list[ReviewLine]] = {stage: [] for stage in ReminderStage}
        for review in sorted(reviews.values(), key=lambda v: (v.due_on, v.name, v.review_id)):
            if review.review_id in mine:
                lines[review.stage].append(
                    ReviewLine(
                        review.name,
                        review.year_group,
                        review.due_on,
                        ("review", review.review_id) in is_new,
                    )
                )
        referral_lines = [
            ReferralLine(
                f"{s.given_name} {s.family_name}",
                s.service,
                s.status,
                s.updated_at.date(),
                ("referral", s.referral_id) in is_new,
            )
            for s in stalled
        ]
        return reminder_card(
            for_senco=for_senco,
            today=today,
            horizon_days=self.horizon_school_days,
            overdue=lines[ReminderStage.OVERDUE],
            due_today=lines[ReminderStage.DUE_TODAY],
            due_soon=lines[ReminderStage.DUE_SOON],
            stalled=referral_lines if for_senco else (),
            stall_weeks=stall_weeks,
            parent_tasks=[
                ParentTaskLine(
                    f"{t.given_name} {t.family_name}",
                    t.kind,
                    t.due_on,
                    ("parent_task", t.task_id) in is_new,
                )
                for t in parent_tasks
            ]
            if for_senco
            else (),
            deadlines=[
                EhcnaLine(
                    d.pupil_id,
                    d.name,
                    d.deadline,
                    d.due_on,
                    d.stage is ReminderStage.OVERDUE,
                    ("ehcna", d.request_id) in is_new,
                )
                for d in deadlines
            ]
            if for_senco
            else (),
            crossings=[
                ThresholdLine(
                    c.row.pupil_id,
                    c.row.name,
                    c.row.year_to_date_pence,
                    c.row.threshold_pence,
                    c.stage.value,
                    ("threshold", c.row.pupil_id) in is_new,
                )
                for c in crossings
            ]
            if for_senco
            else (),
        )


@dataclass(frozen=True)
class _Deadline:
    request_id: int
    pupil_id: int
    name: str
    deadline: str
    due_on: dt.date
    stage: ReminderStage


def _ehcna_deadlines(rows: list[ehcna.RequestRow], today: dt.date, horizon: dt.date) -> list[_Deadline]:
    """The deadline each open request waits on, when it is within the horizon (near) or has passed. The
    announcement's as-of date is the deadline itself, so each of a request's deadlines is announced
    once near and once passed."""
    out = []
    for row in rows:
        found = row.next_deadline
        if found is None or found[1] > horizon:
            continue
        stage = ReminderStage.OVERDUE if found[1] < today else ReminderStage.DUE_SOON
        out.append(_Deadline(row.id, row.pupil_id, row.name, found[0], found[1], stage))
    return out


@dataclass(frozen=True)
class _Crossing:
    row: ehcna.CrossingRow
    stage: ReminderStage


def _crossings(rows: list[ehcna.CrossingRow]) -> list[_Crossing]:
    return [
        _Crossing(
            r,
            ReminderStage.THRESHOLD_100
            if r.year_to_date_pence >= r.threshold_pence
            else ReminderStage.THRESHOLD_80,
        )
        for r in rows
    ]
