"""The reminder planner at local-authority scale: 1,000,000 reviews of 10,000 SEN pupils on PostgreSQL.

    python -m benchmarks.reminders_planner --database-url postgresql+asyncpg://… --reset
    (or BENCH_DATABASE_URL=…)

It fills a DISPOSABLE database (`--reset` drops its public schema; without it the database must be empty)
with 20 schools × 500 SEN pupils, 100 reviews each (99 held over the years, 1 open, due between 20 days ago
and 60 days ahead), 20 classes with a teacher each, a SENCO per school and 1,000 referrals, all with
INSERT … SELECT generate_series. Then it prints, in one run:
- the baseline: SELECT count(*) FROM review (what touching every review costs);
- EXPLAIN (ANALYZE, BUFFERS) of the planner's due-review query for one school (it must use the partial
  index of open reviews, ix_review_open_due);
- the planner over all schools: the first run (plans and records every card) and a second run the same
  morning (nothing new: the steady state of a tick every 5 minutes). Target: each under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.reminders import ReminderPlanner, school_days_ahead
from storage import db, migrate
from storage.models import Outbox, ReminderSent, School
from storage.queries.reminders import due_reviews_query

SCHOOLS = 20
PUPILS_PER_SCHOOL = 500
CLASSES_PER_SCHOOL = 20
REVIEWS_PER_PUPIL = 100
ROUNDS = 3
TODAY = dt.date(2026, 11, 30)  # a Monday
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)  # 08:00 in London

FILL = [
    f"""INSERT INTO school (id, tenant_id, name, urn, time_zone, notional_threshold_pence,
        review_interval_weeks, referral_stall_weeks, reminder_time, created_at)
        SELECT g, 'tenant-' || g, 'School ' || g, 'B' || g, 'Europe/London', 600000, 13, 6, '07:30', now()
        FROM generate_series(1, {SCHOOLS}) g""",
    # Per school: staff 1 is the SENCO, staff 2..21 the class teachers.
    f"""INSERT INTO staff (id, school_id, display_name, email, created_at)
        SELECT g, (g - 1) / 21 + 1, 'Staff ' || g, 'staff' || g || '@bench.example', now()
        FROM generate_series(1, {SCHOOLS * 21}) g""",
    f"""INSERT INTO staff_role (staff_id, role, granted_at)
        SELECT g, CASE WHEN (g - 1) % 21 = 0 THEN 'senco' ELSE 'teacher' END, now()
        FROM generate_series(1, {SCHOOLS * 21}) g""",
    f"""INSERT INTO school_class (id, school_id, name)
        SELECT c, (c - 1) / {CLASSES_PER_SCHOOL} + 1, 'Class ' || c
        FROM generate_series(1, {SCHOOLS * CLASSES_PER_SCHOOL}) c""",
    f"""INSERT INTO class_staff (class_id, staff_id)
        SELECT c, ((c - 1) / {CLASSES_PER_SCHOOL}) * 21 + ((c - 1) % {CLASSES_PER_SCHOOL}) + 2
        FROM generate_series(1, {SCHOOLS * CLASSES_PER_SCHOOL}) c""",
    f"""INSERT INTO pupil (id, school_id, mis_id, given_name, family_name, year_group, date_of_birth,
        created_at)
        SELECT g, (g - 1) / {PUPILS_PER_SCHOOL} + 1, 'M' || g, 'Given' || g, 'Family' || g, g % 7,
               DATE '2016-01-01', now()
        FROM generate_series(1, {SCHOOLS * PUPILS_PER_SCHOOL}) g""",
    f"""INSERT INTO class_pupil (class_id, pupil_id)
        SELECT (g - 1) / {PUPILS_PER_SCHOOL // CLASSES_PER_SCHOOL} + 1, g
        FROM generate_series(1, {SCHOOLS * PUPILS_PER_SCHOOL}) g""",
    # Cycle k of every pupil: cycles 0..98 held about every 13 weeks in the past, cycle 99 open.
    f"""INSERT INTO review (id, pupil_id, due_on, held_on, created_at)
        SELECT g, p, due, CASE WHEN k < {REVIEWS_PER_PUPIL - 1} THEN due END, now()
        FROM (
            SELECT g, (g - 1) % {SCHOOLS * PUPILS_PER_SCHOOL} + 1 AS p,
                   (g - 1) / {SCHOOLS * PUPILS_PER_SCHOOL} AS k
            FROM generate_series(1, {SCHOOLS * PUPILS_PER_SCHOOL * REVIEWS_PER_PUPIL}) g
        ) s,
        LATERAL (SELECT CASE WHEN k < {REVIEWS_PER_PUPIL - 1}
                     THEN DATE '{TODAY}' - (({REVIEWS_PER_PUPIL - 1} - k) * 91 + p % 30)
                     ELSE DATE '{TODAY}' + ((p * 37) % 80 - 20) END AS due) d""",
    "INSERT INTO referral_service (id, school_id, name) VALUES (1, NULL, 'Educational psychology')",
    f"""INSERT INTO referral (id, school_id, pupil_id, service_id, requested_by, concern, consent_on,
        consent_by, urgency, status, version, idempotency_key, created_at, updated_at)
        SELECT g, s, (s - 1) * {PUPILS_PER_SCHOOL} + g % {PUPILS_PER_SCHOOL} + 1, 1, (s - 1) * 21 + 2,
               'concern', DATE '{TODAY}' - 100, 'parent', 'routine',
               (ARRAY['approved', 'sent', 'accepted', 'assessed', 'closed'])[g % 5 + 1], 1, 'bench-' || g,
               TIMESTAMPTZ '{NOW.isoformat()}' - make_interval(days => 100),
               TIMESTAMPTZ '{NOW.isoformat()}' - make_interval(days => g % 84)
        FROM generate_series(1, 1000) g, LATERAL (SELECT (g - 1) % {SCHOOLS} + 1 AS s) x""",
]
TABLES = (
    "school",
    "staff",
    "staff_role",
    "school_class",
    "class_staff",
    "pupil",
    "class_pupil",
    "review",
    "referral_service",
    "referral",
)


async def timed(engine: AsyncEngine, sql: str) -> tuple[float, object]:
    async with engine.connect() as conn:
        started = time.perf_counter()
        value = (await conn.execute(text(sql))).scalar()
        return time.perf_counter() - started, value


async def forget_the_morning(engine: AsyncEngine) -> None:
    """Empty what the planner writes, so each round is a first run of the morning."""
    async with engine.begin() as conn:
        # The audit trail is append-only (a trigger): lifted for this disposable database only.
        await conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        await conn.execute(text("TRUNCATE outbox, reminder_sent, audit_event"))
        await conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


async def run(url: str, reset: bool) -> int:
    if reset:
        engine = db.create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await asyncio.to_thread(migrate.upgrade, url)  # Alembic's env runs its own event loop
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    try:
        async with sessions() as session:
            if await session.scalar(select(func.count()).select_from(School)):
                print(
                    "benchmark: the database is not empty; use a disposable one with --reset", file=sys.stderr
                )
                return 2

        started = time.perf_counter()
        async with engine.begin() as conn:
            for statement in FILL:
                await conn.execute(text(statement))
        async with engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            for table in TABLES:
                await conn.execute(text(f"VACUUM ANALYZE {table}"))
        print(
            f"fill: {SCHOOLS * PUPILS_PER_SCHOOL * REVIEWS_PER_PUPIL:,} reviews of "
            f"{SCHOOLS * PUPILS_PER_SCHOOL:,} pupils in {SCHOOLS} schools, "
            f"{time.perf_counter() - started:.1f} s"
        )

        for _ in range(2):  # warm the cache, then measure
            base, count = await timed(engine, "SELECT count(*) FROM review")
        print(f"baseline: SELECT count(*) FROM review = {count:,} in {base * 1000:.1f} ms")

        horizon = school_days_ahead(TODAY, 10, set())
        stmt = due_reviews_query(1, until=horizon, today=TODAY)
        compiled = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        async with engine.connect() as conn:
            plan = [r[0] for r in await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + compiled))]
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the due-review query for one school:")
        print("\n".join("  " + line for line in plan))
        uses_index = any("ix_review_open_due" in line for line in plan)

        planner = ReminderPlanner(sessions, lambda: NOW)
        firsts: list[float] = []
        seconds: list[float] = []
        for _ in range(ROUNDS):
            await forget_the_morning(engine)
            first_started = time.perf_counter()
            first = await planner.run()
            firsts.append(time.perf_counter() - first_started)
            second_started = time.perf_counter()
            second = await planner.run()
            seconds.append(time.perf_counter() - second_started)
        async with sessions() as session:
            outbox_rows = await session.scalar(select(func.count()).select_from(Outbox))
            announced = await session.scalar(select(func.count()).select_from(ReminderSent))
        first_s, second_s = statistics.median(firsts), statistics.median(seconds)
        print(
            f"\nplanner, first run of the morning ({SCHOOLS} schools), median of {ROUNDS}: "
            f"{first_s * 1000:.0f} ms (runs: {', '.join(f'{t * 1000:.0f}' for t in firsts)} ms); "
            f"{first.cards} cards, {first.announcements:,} announcements "
            f"(outbox rows {outbox_rows}, reminder_sent rows {announced:,})"
        )
        print(
            f"planner, a later tick the same morning (nothing new), median: {second_s * 1000:.0f} ms "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in seconds)} ms); {second.cards} cards"
        )
        print(f"\nthe due-review query uses ix_review_open_due: {'yes' if uses_index else 'NO'}")
        ok = uses_index and first_s < 1.0 and second_s < 1.0
        print(f"target (planner under 1 s, index used): {'met' if ok else 'NOT MET'}")
        return 0 if ok else 1
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--reset", action="store_true", help="drop and recreate the public schema first")
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql+asyncpg://"):
        parser.error(
            "a PostgreSQL URL is needed: --database-url or BENCH_DATABASE_URL (postgresql+asyncpg://…)"
        )
    return asyncio.run(run(args.database_url, args.reset))


if __name__ == "__main__":
    raise SystemExit(main())
