"""Digest queries at local-authority scale on PostgreSQL: 100 schools, 50,000 pupils, 10,000 on the register,
1,000,000 intervention sessions (about 2.5 million attendance rows) and 30,000 reviews.

Prints: data generation time; a baseline in the same run (count(*) over the session table); every school's
digest in one pass per figure (what a trust lead's digest and the Monday planner do); the same one school at
a time; one school's digest; the time of each figure over all schools; EXPLAIN ANALYZE of the heaviest query.
Targets: all schools under 5 s in total, one school under 200 ms.

    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/scratch python benchmarks/digest.py

The database is migrated to head and its data tables are EMPTIED first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from storage import db, migrate  # noqa: E402
from storage.models import Base  # noqa: E402
from storage.queries import digest as q  # noqa: E402
from storage.queries.digest import IsoWeek, Target  # noqa: E402
from storage.scope import PupilScope  # noqa: E402

WEEK = IsoWeek(2026, 10)  # 2 to 8 March 2026: the financial year is 11 months old (the heaviest sums)
KEEP = ("need_type", "alembic_version")


def generate_sql(schools: int, pupils: int, sessions: int, reviews: int) -> list[str]:
    per_school = pupils // schools
    end = WEEK.end.isoformat()
    return [
        f"""INSERT INTO school (id, tenant_id, name, urn, time_zone, notional_threshold_pence,
                review_interval_weeks, referral_stall_weeks, created_at, notional_sen_budget_pence,
                digest_weekday, digest_time)
            SELECT s, 'bench', 'School ' || s, 'B' || s, 'Europe/London', 600000, 13, 6, now(),
                   20000000 + s * 10000, 1, '07:00'
            FROM generate_series(1, {schools}) s""",
        # Ten staff a school: 1 head, 1 SENCO, 8 teachers/TAs (staff id = (school-1)*10 + k).
        f"""INSERT INTO staff (id, school_id, display_name, email, created_at)
            SELECT (s - 1) * 10 + k, s, 'Staff ' || s || '-' || k, 's' || s || '-' || k || '@bench', now()
            FROM generate_series(1, {schools}) s, generate_series(1, 10) k""",
        f"""INSERT INTO staff_role (staff_id, role, granted_at)
            SELECT (s - 1) * 10 + k, CASE k WHEN 1 THEN 'head' WHEN 2 THEN 'senco' ELSE 'teacher' END, now()
            FROM generate_series(1, {schools}) s, generate_series(1, 10) k""",
        f"""INSERT INTO school_class (id, school_id, name, year_group)
            SELECT (s - 1) * 8 + c, s, 'Class ' || c, c - 1
            FROM generate_series(1, {schools}) s, generate_series(1, 8) c""",
        f"""INSERT INTO class_staff (class_id, staff_id)
            SELECT (s - 1) * 8 + c, (s - 1) * 10 + c + 2
            FROM generate_series(1, {schools}) s, generate_series(1, 8) c""",
        # Pupil id = s + schools * j: school s, j-th pupil; every fifth j is on the register.
        f"""INSERT INTO pupil (id, school_id, mis_id, given_name, family_name, year_group, date_of_birth,
                created_at)
            SELECT s + {schools} * j, s, 'M' || j, 'Given' || j, 'Family' || s, j % 7,
                   DATE '2015-09-01' + (j % 365), now()
            FROM generate_series(1, {schools}) s, generate_series(0, {per_school - 1}) j""",
        f"""INSERT INTO class_pupil (class_id, pupil_id)
            SELECT (s - 1) * 8 + (j % 8) + 1, s + {schools} * j
            FROM generate_series(1, {schools}) s, generate_series(0, {per_school - 1}) j""",
        f"""INSERT INTO register_entry (pupil_id, status, need_rank1, started_on, ended_on, reason,
                created_at)
            SELECT s + {schools} * j, CASE WHEN j % 20 = 0 THEN 'E' ELSE 'K' END,
                   (ARRAY['SPLD','MLD','SEMH','SLCN','ASD','HI','PD','NSA'])[1 + (j / 5) % 8],
                   DATE '{end}' - (j % 400), NULL, 'bench', now()
            FROM generate_series(1, {schools}) s, generate_series(0, {per_school - 1}) j
            WHERE j % 5 = 0""",
        f"""INSERT INTO provision_type (id, school_id, name, broad_area, default_minutes, default_group_size,
                staff_hourly_cost_pence, per_pupil_cost_pence)
            SELECT (s - 1) * 8 + k, s, 'Provision ' || k, 'Cognition and learning', 30, 3, 1500, 0
            FROM generate_series(1, {schools}) s, generate_series(1, 8) k""",
        # Sessions over the 280 days to the end of the week (school and day independent); 1% undone.
        f"""INSERT INTO intervention_session (id, school_id, provision_type_id, held_on, minutes, staff_id,
                idempotency_key, staff_hourly_cost_pence, per_pupil_cost_pence, undone_at, created_at)
            SELECT n, n % {schools} + 1, (n % {schools}) * 8 + (n / {schools} / 280) % 8 + 1,
                   DATE '{end}' - (n / {schools}) % 280, 20 + (n % 6) * 5, (n % {schools}) * 10 + 3 + n % 8,
                   'b' || n, 1500, 0, CASE WHEN n % 97 = 0 THEN now() END, now()
            FROM generate_series(1, {sessions}) n""",
        # 1 to 4 pupils a session, register pupils of the session's school (distinct within a session).
        f"""INSERT INTO attendance (session_id, pupil_id, present, cost_pence)
            SELECT n,
                   n % {schools} + 1 + {schools} * (5 * ((n / {schools} * 7 + k * 13) % {per_school // 5})),
                   (n / 7 + k) % 10 <> 0, CASE WHEN (n / 7 + k) % 10 <> 0 THEN 500 + (n % 7) * 100 ELSE 0 END
            FROM generate_series(1, {sessions}) n, generate_series(0, 3) k
            WHERE k <= (n / {schools}) % 4""",
        f"""INSERT INTO review (id, pupil_id, due_on, held_on, parent_attended, created_at)
            SELECT r, s + {schools} * (5 * (r % {per_school // 5})), DATE '{end}' - 200 + (r % 230),
                   CASE WHEN r % 3 <> 0 THEN DATE '{end}' - 200 + (r % 230) END,
                   CASE WHEN r % 3 <> 0 THEN r % 2 = 0 END, now()
            FROM generate_series(1, {reviews}) r, LATERAL (SELECT r % {schools} + 1 AS s) x""",
        """INSERT INTO referral_service (id, school_id, name) VALUES (1, NULL, 'Educational psychology')""",
        f"""INSERT INTO referral (school_id, pupil_id, service_id, requested_by, concern, consent_on,
                consent_by, urgency, status, version, idempotency_key, created_at, updated_at)
            SELECT n % {schools} + 1, n % {schools} + 1 + {schools} * (5 * (n % {per_school // 5})), 1,
                   (n % {schools}) * 10 + 3, 'c', DATE '{end}' - 30, 'parent', 'routine',
                   (ARRAY['requested','more_info','approved','sent','accepted','closed'])[1 + n % 6], 1,
                   'r' || n, TIMESTAMPTZ '{end}' - (n % 200) * INTERVAL '1 day', now()
            FROM generate_series(1, {schools * 20}) n""",
    ]


async def reset(engine: AsyncEngine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in KEEP)
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, Any]:
    """Median wall time in seconds of `runs` calls (after one warm-up), and the last result."""
    result = await fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


async def run(url: str, args: argparse.Namespace) -> None:
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    if not args.reuse:
        await reset(engine)
        start = time.perf_counter()
        async with engine.begin() as conn:
            for stmt in generate_sql(args.schools, args.pupils, args.sessions, args.reviews):
                await conn.execute(text(stmt))
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        print(f"generated in {time.perf_counter() - start:.1f} s")
    async with engine.connect() as conn:
        counts = {
            t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
            for t in ("school", "pupil", "register_entry", "intervention_session", "attendance", "review")
        }
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    school_ids = tuple(range(1, args.schools + 1))

    async def baseline() -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM intervention_session"))).scalar_one())

    async def all_schools() -> dict[int, q.Digest]:
        async with sessions() as session:
            return await q.digests_for(session, Target(school_ids), WEEK, as_of=WEEK.end)

    async def one_by_one() -> None:
        async with sessions() as session:
            for sid in school_ids:
                await q.school_digest(session, PupilScope(sid, 0, True), WEEK, as_of=WEEK.end)

    async def one_school() -> q.Digest:
        async with sessions() as session:
            return await q.school_digest(session, PupilScope(1, 1, True), WEEK, as_of=WEEK.end)

    t_base, _ = await timed(baseline, args.runs)
    print(f"baseline: SELECT count(*) FROM intervention_session      {t_base * 1000:8.1f} ms")
    t_all, digests = await timed(all_schools, args.runs)
    print(
        f"all {len(digests)} schools' digests, one pass per figure   {t_all * 1000:8.1f} ms  (target < 5000)"
    )
    t_each, _ = await timed(one_by_one, 1)
    print(f"all schools' digests, one school at a time       {t_each * 1000:8.1f} ms")
    t_one, d = await timed(one_school, args.runs)
    print(f"one school's digest                              {t_one * 1000:8.1f} ms  (target < 200)")
    print(
        f"  school 1: K {d.k_total}, E {d.e_total}, {d.sessions} sessions, {d.pupil_minutes / 60:.1f} "
        f"pupil-hours, {d.no_support} without support, {d.reviews.overdue} reviews overdue, "
        f"£{(d.money.spent_pence if d.money else 0) / 100:,.0f} this financial year"
    )

    # Each statement of the all-schools pass, timed; EXPLAIN ANALYZE the heaviest.
    captured: list[tuple[float, str, Any]] = []

    def before(conn: Any, *_: Any) -> None:
        conn.info["t0"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((time.perf_counter() - conn.info.pop("t0"), statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    await one_school()
    one = list(captured)
    captured.clear()
    await all_schools()
    event.remove(engine.sync_engine, "before_cursor_execute", before)
    event.remove(engine.sync_engine, "after_cursor_execute", after)
    print("statements (ms): one school, all schools")
    for (s1, _, _), (s_all, statement, _) in zip(one, captured, strict=True):
        first = " ".join(statement.split())[:80]
        print(f"  {s1 * 1000:7.1f} {s_all * 1000:8.1f}  {first}")
    seconds, statement, parameters = max(captured, key=lambda c: c[0])
    async with engine.connect() as conn:
        plan = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        print(f"EXPLAIN ANALYZE of the heaviest ({seconds * 1000:.1f} ms):")
        for (line,) in plan:
            print("  " + line)
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--pupils", type=int, default=50_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--reviews", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error("give a PostgreSQL URL with --database-url or BENCH_DATABASE_URL")
    migrate.upgrade(args.database_url)
    asyncio.run(run(args.database_url, args))


if __name__ == "__main__":
    main()
