"""The evidence pack for a pupil with three years of history, on PostgreSQL.

    python -m benchmarks.evidence_pack --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/DB

Seeds a throwaway school whose pupil has three years of history (about 600 sessions, 9 plans with 3
outcomes and a held review each, register changes and referrals) beside 300 other pupils with sessions
of their own, then times storage/queries/evidence.py's `pack` (best and median of several runs) and the
whole download (the pack, its HTML and its PDF), beside a baseline measured in the same run: reading the
pupil's rows alone (attendance ⋈ session, plans, outcomes, reviews, referrals, one SELECT each).
Target: the pack under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import delete, insert, select, text

from benchmarks._log_support import BENCH_TENANT, database_url, new_urn, remove_school
from bot.letters import evidence
from storage import db, migrate
from storage.models import (
    Attendance,
    InterventionSession,
    PlanOutcome,
    ProvisionType,
    Pupil,
    Referral,
    ReferralService,
    RegisterEntry,
    Review,
    ReviewOutcome,
    School,
    Staff,
    SupportPlan,
)
from storage.queries import evidence as queries

TODAY = dt.date(2026, 11, 25)


async def seed(sessions: Any) -> tuple[int, int]:
    rng = random.Random(16)
    async with sessions.begin() as s:
        school = School(tenant_id=BENCH_TENANT, name="Benchmark Primary", urn=new_urn())
        s.add(school)
        await s.flush()
        sid = school.id
        staff = Staff(school_id=sid, display_name="SENCO", email="senco@b.example")
        provisions = [ProvisionType(school_id=sid, name=f"Provision {i}") for i in range(8)]
        service = ReferralService(school_id=sid, name="Educational psychology")
        s.add_all([staff, *provisions, service])
        await s.flush()
        pupils = (
            (
                await s.execute(
                    insert(Pupil).returning(Pupil.id),
                    [
                        {
                            "school_id": sid,
                            "mis_id": f"E{i:04d}",
                            "given_name": f"Given{i}",
                            "family_name": f"Family{i}",
                            "year_group": 4,
                            "date_of_birth": dt.date(2017, 1, 1),
                        }
                        for i in range(301)
                    ],
                )
            )
            .scalars()
            .all()
        )
        subject = pupils[0]
        days = [
            TODAY - dt.timedelta(days=n)
            for n in range(3 * 365)
            if (TODAY - dt.timedelta(days=n)).weekday() < 5
        ]
        n_sessions = 600 + 3000
        ids = (
            (
                await s.execute(
                    insert(InterventionSession).returning(InterventionSession.id),
                    [
                        {
                            "school_id": sid,
                            "provision_type_id": provisions[i % 8].id,
                            "held_on": rng.choice(days),
                            "minutes": 30,
                            "staff_id": staff.id,
                            "idempotency_key": f"{school.urn}-{i}",
                            "staff_hourly_cost_pence": 2000,
                            "per_pupil_cost_pence": 0,
                        }
                        for i in range(n_sessions)
                    ],
                )
            )
            .scalars()
            .all()
        )
        rows = [{"session_id": i, "pupil_id": subject, "present": True, "cost_pence": 500} for i in ids[:600]]
        for i in ids[600:]:
            for p in rng.sample(pupils[1:], 3):
                rows.append({"session_id": i, "pupil_id": p, "present": True, "cost_pence": 300})
        await s.execute(insert(Attendance), rows)
        for cycle in range(1, 10):
            start = TODAY - dt.timedelta(weeks=13 * (10 - cycle))
            plan = SupportPlan(
                pupil_id=subject,
                cycle=cycle,
                status="active" if cycle == 9 else "closed",
                review_on=start + dt.timedelta(weeks=13),
                pupil_views="I like maths",
                parent_views="Reads at home",
                strategies="Visual timetable",
            )
            s.add(plan)
            await s.flush()
            outcomes = [PlanOutcome(plan_id=plan.id, position=n, text=f"Outcome {n}") for n in range(1, 4)]
            review = Review(pupil_id=subject, plan_id=plan.id, due_on=plan.review_on, held_on=plan.review_on)
            s.add_all([*outcomes, review])
            await s.flush()
            s.add_all(ReviewOutcome(review_id=review.id, outcome_id=o.id, result="met") for o in outcomes)
        for n in range(4):
            ended = None if n == 3 else TODAY - dt.timedelta(days=300 * (3 - n))
            s.add(
                RegisterEntry(
                    pupil_id=subject,
                    status="K",
                    need_rank1="SPLD",
                    reason=f"Change {n}",
                    started_on=TODAY - dt.timedelta(days=300 * (4 - n)),
                    ended_on=ended,
                )
            )
            s.add(
                Referral(
                    school_id=sid,
                    pupil_id=subject,
                    service_id=service.id,
                    requested_by=staff.id,
                    concern="Reading",
                    consent_on=TODAY,
                    consent_by="Parent",
                    idempotency_key=f"{school.urn}-r{n}",
                    status="report_received",
                    report_summary="Report",
                )  # fmt: skip
            )
    async with sessions.begin() as s:
        for table in ("attendance", "intervention_session", "support_plan", "review", "pupil"):
            await s.execute(text(f"ANALYZE {table}"))
    return sid, subject


async def timed(label: str, sessions: Any, fn: Callable[[Any], Awaitable[Any]], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        async with sessions() as session:
            started = time.perf_counter()
            await fn(session)
            times.append(time.perf_counter() - started)
    print(f"{label:<46} best {min(times) * 1000:7.1f} ms  median {statistics.median(times) * 1000:7.1f} ms")
    return statistics.median(times)


async def run(url: str, repeats: int) -> int:
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    school_id, pupil_id = await seed(sessions)
    try:

        async def baseline(session: Any) -> None:
            await session.execute(
                select(Attendance.cost_pence, InterventionSession.held_on, InterventionSession.minutes)
                .join(InterventionSession, InterventionSession.id == Attendance.session_id)
                .where(Attendance.pupil_id == pupil_id)
            )  # fmt: skip
            plans = select(SupportPlan.id).where(SupportPlan.pupil_id == pupil_id)
            await session.execute(select(SupportPlan).where(SupportPlan.pupil_id == pupil_id))
            await session.execute(select(PlanOutcome).where(PlanOutcome.plan_id.in_(plans)))
            await session.execute(select(Review).where(Review.pupil_id == pupil_id))
            await session.execute(select(Referral).where(Referral.pupil_id == pupil_id))

        async def pack(session: Any) -> Any:
            return await queries.pack(session, pupil_id, today=TODAY)

        async def download(session: Any) -> None:
            found = await queries.pack(session, pupil_id, today=TODAY)
            assert found is not None
            await asyncio.to_thread(evidence.pdf, found, with_costs=True)
            evidence.to_json(found, with_costs=True)

        base = await timed("baseline: the pupil's rows alone", sessions, baseline, repeats)
        took = await timed("evidence pack (storage/queries/evidence.py)", sessions, pack, repeats)
        await timed("pack + PDF + JSON (a download)", sessions, download, max(2, repeats // 2))
        async with sessions() as session:
            found = await pack(session)
        print(f"history: {len(found.plans)} plans shown of 9, {found.sessions} sessions this financial year")
        verdict = "OK" if took < 1 else "MISSED"
        print(f"pack / baseline: {took / base:.1f}x; target under 1 s: {verdict}")
        return 0 if took < 1 else 1
    finally:
        async with sessions.begin() as session:
            pupils = select(Pupil.id).where(Pupil.school_id == school_id)
            plans = select(SupportPlan.id).where(SupportPlan.pupil_id.in_(pupils))
            reviews = select(Review.id).where(Review.pupil_id.in_(pupils))
            await session.execute(delete(ReviewOutcome).where(ReviewOutcome.review_id.in_(reviews)))
            await session.execute(delete(Review).where(Review.pupil_id.in_(pupils)))
            await session.execute(delete(PlanOutcome).where(PlanOutcome.plan_id.in_(plans)))
            await session.execute(delete(SupportPlan).where(SupportPlan.pupil_id.in_(pupils)))
            await session.execute(delete(RegisterEntry).where(RegisterEntry.pupil_id.in_(pupils)))
            await session.execute(delete(Referral).where(Referral.school_id == school_id))
            await session.execute(delete(ReferralService).where(ReferralService.school_id == school_id))
            await remove_school(session, school_id)
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    url = database_url(parser)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if db.is_sqlite(url):
        parser.error("this benchmark is for PostgreSQL")
    migrate.upgrade(url)
    return asyncio.run(run(url, args.repeats))


if __name__ == "__main__":
    sys.exit(main())
