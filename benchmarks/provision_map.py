"""The provision map for a school year of a 1,000-pupil school (≈ 30,000 sessions) on PostgreSQL.

    python -m benchmarks.provision_map --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/DB

Seeds a throwaway school (1,000 pupils in 40 classes, 10 provisions, N sessions of 1–6 pupils over the
school year), then times each view of storage/queries/provision_map.py (one query each; best and median of
several runs), prints EXPLAIN ANALYZE of the per-pupil view, and compares with a baseline in the same run:
a bare aggregate over the same rows (count and sum of cost for the school and dates). Target: under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.dialects import postgresql

from benchmarks._log_support import BENCH_TENANT, database_url, new_urn, remove_school
from storage import db, migrate
from storage.models import (
    Attendance,
    ClassPupil,
    InterventionSession,
    ProvisionType,
    Pupil,
    School,
    SchoolClass,
    Staff,
)
from storage.queries import provision_map as pm

START, END = dt.date(2025, 9, 1), dt.date(2026, 7, 22)


async def seed(sessions: Any, n_sessions: int) -> tuple[int, int]:
    rng = random.Random(3)
    async with sessions.begin() as session:
        school = School(tenant_id=BENCH_TENANT, name="Benchmark Secondary", urn=new_urn())
        session.add(school)
        await session.flush()
        sid = school.id
        staff = [Staff(school_id=sid, display_name=f"TA {i}", email=f"ta{i}@b.example") for i in range(30)]
        classes = [SchoolClass(school_id=sid, name=f"Form {i}", year_group=7 + i % 5) for i in range(40)]
        provisions = [
            ProvisionType(school_id=sid, name=f"Provision {i}", staff_hourly_cost_pence=1500 + 10 * i)
            for i in range(10)
        ]
        session.add_all([*staff, *classes, *provisions])
        await session.flush()
        pupils = (
            (
                await session.execute(
                    insert(Pupil).returning(Pupil.id),
                    [
                        {
                            "school_id": sid,
                            "mis_id": f"P{i:05d}",
                            "given_name": f"Given{i}",
                            "family_name": f"Family{i}",
                            "year_group": 7 + i % 5,
                            "date_of_birth": dt.date(2012, 1, 1),
                        }
                        for i in range(1000)
                    ],
                )
            )
            .scalars()
            .all()
        )
        await session.execute(
            insert(ClassPupil),
            [{"class_id": classes[i % 40].id, "pupil_id": p} for i, p in enumerate(pupils)],
        )
        days = [
            d for d in (START + dt.timedelta(n) for n in range((END - START).days + 1)) if d.weekday() < 5
        ]
        # A third of the school receives support: the SEN register and its usual groups.
        supported = list(pupils[: len(pupils) // 3])
        ids = (
            (
                await session.execute(
                    insert(InterventionSession).returning(InterventionSession.id),
                    [
                        {
                            "school_id": sid,
                            "provision_type_id": provisions[i % 10].id,
                            "held_on": rng.choice(days),
                            "minutes": rng.choice((20, 30, 45)),
                            "staff_id": staff[i % 30].id,
                            "idempotency_key": f"{school.urn}-{i}",
                            "staff_hourly_cost_pence": 1500,
                            "per_pupil_cost_pence": 0,
                        }
                        for i in range(n_sessions)
                    ],
                )
            )
            .scalars()
            .all()
        )
        rows = []
        for session_id in ids:
            for pupil in rng.sample(supported, rng.randint(1, 6)):
                rows.append(
                    {"session_id": session_id, "pupil_id": pupil, "present": rng.random() > 0.1,
                     "cost_pence": rng.randint(100, 800)}
                )  # fmt: skip
        for i in range(0, len(rows), 20_000):
            await session.execute(insert(Attendance), rows[i : i + 20_000])
    async with sessions.begin() as session:
        # Fresh statistics, as autovacuum would have after a term of logging.
        await session.execute(text("ANALYZE attendance"))
        await session.execute(text("ANALYZE intervention_session"))
        await session.execute(text("ANALYZE pupil"))
    return sid, len(rows)


async def timed(sessions: Any, label: str, run: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        async with sessions() as session:
            started = time.perf_counter()
            result = await run(session)
            times.append(time.perf_counter() - started)
    print(f"{label:<34} best {min(times) * 1000:7.1f} ms  median {statistics.median(times) * 1000:7.1f} ms"
          f"  ({len(result)} rows)")  # fmt: skip
    return statistics.median(times)


async def run(url: str, n_sessions: int, repeats: int) -> int:
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    started = time.perf_counter()
    school_id, n_rows = await seed(sessions, n_sessions)
    print(f"seeded 1,000 pupils, {n_sessions:,} sessions, {n_rows:,} attendance rows in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    try:

        async def baseline(session: Any) -> list[Any]:
            stmt = (
                select(func.count(), func.sum(Attendance.cost_pence))
                .join(InterventionSession, InterventionSession.id == Attendance.session_id)
                .where(
                    InterventionSession.school_id == school_id,
                    InterventionSession.held_on.between(START, END),
                )
            )
            return list((await session.execute(stmt)).all())

        base = await timed(sessions, "baseline: count+sum of the rows", baseline, repeats)
        worst = 0.0
        for label, fn in (
            ("provision map per pupil", pm.per_pupil),
            ("provision map per provision", pm.per_provision),
            ("provision map per class", pm.per_class),
        ):

            async def call(session: Any, fn: Any = fn) -> list[Any]:
                return list(await fn(session, school_id, START, END))

            worst = max(worst, await timed(sessions, label, call, repeats))
        verdict = "OK" if worst < 1 else "MISSED"
        print(f"slowest view / baseline: {worst / base:.1f}x; target under 1 s: {verdict}")
        sql = pm.per_pupil_statement(school_id, START, END).compile(
            dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
        async with sessions() as session:
            plan = (await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"))).scalars().all()
        print("EXPLAIN ANALYZE, per pupil:")
        print("\n".join("  " + line for line in plan))
        return 0 if worst < 1 else 1
    finally:
        async with sessions.begin() as session:
            await remove_school(session, school_id)
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    url = database_url(parser)
    parser.add_argument("--sessions", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if db.is_sqlite(url):
        parser.error("this benchmark is for PostgreSQL")
    migrate.upgrade(url)
    return asyncio.run(run(url, args.sessions, args.repeats))


if __name__ == "__main__":
    sys.exit(main())
