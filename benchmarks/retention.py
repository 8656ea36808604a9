"""The retention run at local-authority scale on PostgreSQL: the digest benchmark's data (100 schools, 50,000
pupils, 1,000,000 intervention sessions, about 2.5 million attendance rows, 30,000 reviews), a tenth of the
pupils past their date (born in 1990, left in 2008): every one of them on the register, so they carry most
of the attendance.

Prints, in the same run: a bare DELETE of exactly the rows retention deletes (one statement per table over
a temporary table of the due pupils, no batches, no audit; then rolled back), and the retention run itself
(`bot/jobs/retention.py`: batches of 500, one transaction each, an audit event per pupil): time and rows
deleted per second for both, and the counts per table, which must agree.

    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/scratch python benchmarks/retention.py

The database is migrated to head and its data tables are EMPTIED first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine  # noqa: E402

from benchmarks.digest import generate_sql, reset  # noqa: E402
from bot.jobs.retention import BATCH_SIZE, run_retention  # noqa: E402
from storage import db, migrate  # noqa: E402

NOW = dt.datetime(2026, 3, 9, 2, 30, tzinfo=dt.UTC)

# What retention deletes for these data, as bare statements (children first; sessions left unattended).
BARE = [
    (
        "review_outcome",
        "DELETE FROM review_outcome WHERE review_id IN (SELECT id FROM review WHERE pupil_id IN "
        "(SELECT id FROM due))",
    ),
    ("review", "DELETE FROM review WHERE pupil_id IN (SELECT id FROM due)"),
    (
        "referral_event",
        "DELETE FROM referral_event WHERE referral_id IN (SELECT id FROM referral WHERE pupil_id "
        "IN (SELECT id FROM due))",
    ),
    ("referral", "DELETE FROM referral WHERE pupil_id IN (SELECT id FROM due)"),
    ("register_entry", "DELETE FROM register_entry WHERE pupil_id IN (SELECT id FROM due)"),
    ("class_pupil", "DELETE FROM class_pupil WHERE pupil_id IN (SELECT id FROM due)"),
    ("attendance", "DELETE FROM attendance WHERE pupil_id IN (SELECT id FROM due)"),
    (
        "intervention_session",
        "DELETE FROM intervention_session s WHERE s.id IN (SELECT id FROM touched) "
        "AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id)",
    ),
    ("pupil", "DELETE FROM pupil WHERE id IN (SELECT id FROM due)"),
]
TABLES = [t for t, _ in BARE]


async def counts(conn: AsyncConnection) -> dict[str, int]:
    return {t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()) for t in TABLES}


async def bare_delete(engine: AsyncEngine) -> tuple[float, dict[str, int]]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        start = time.perf_counter()
        await conn.execute(
            text(
                "CREATE TEMP TABLE due ON COMMIT DROP AS SELECT id FROM pupil "
                "WHERE date_of_birth <= DATE '1995-03-09' AND NOT EXISTS "
                " (SELECT 1 FROM legal_hold h WHERE h.pupil_id = pupil.id AND h.released_at IS NULL)"
            )
        )
        await conn.execute(
            text(
                "CREATE TEMP TABLE touched ON COMMIT DROP AS "
                "SELECT DISTINCT session_id AS id FROM attendance WHERE pupil_id IN (SELECT id FROM due)"
            )
        )
        deleted = {}
        for table, stmt in BARE:
            deleted[table] = (await conn.execute(text(stmt))).rowcount
        elapsed = time.perf_counter() - start
        await trans.rollback()
    return elapsed, deleted


async def vacuum(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def run(url: str, args: argparse.Namespace) -> None:
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    await reset(engine)
    start = time.perf_counter()
    async with engine.begin() as conn:
        for stmt in generate_sql(args.schools, args.pupils, args.sessions, args.reviews):
            await conn.execute(text(stmt))
        # A tenth of the pupils (j % 10 = 0, all on the register) are past their 31st birthday.
        await conn.execute(
            text(
                f"UPDATE pupil SET date_of_birth = DATE '1990-01-01' + ((id / {args.schools}) % 365), "
                f"left_on = DATE '2008-07-20' WHERE (id - 1) / {args.schools} % 10 = 0"
            )
        )
    await vacuum(engine)
    print(f"generated in {time.perf_counter() - start:.1f} s")
    async with engine.connect() as conn:
        before = await counts(conn)
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in before.items()))

    t_bare, bare = await bare_delete(engine)
    await vacuum(engine)
    rows_bare = sum(bare.values())
    print(
        f"baseline: bare DELETE, one statement per table   {t_bare:8.2f} s  "
        f"{rows_bare / t_bare:10,.0f} rows/s"
    )

    start = time.perf_counter()
    report = await run_retention(sessions, now=NOW, batch_size=args.batch_size)
    t_run = time.perf_counter() - start
    async with engine.connect() as conn:
        after = await counts(conn)
    gone = {t: before[t] - after[t] for t in TABLES}
    rows_run = sum(gone.values())
    print(
        f"retention run, batches of {args.batch_size}, {report.deleted.batches} batches   {t_run:8.2f} s  "
        f"{rows_run / t_run:10,.0f} rows/s  ({report.deleted.pupils:,} pupils, "
        f"{report.deleted.pupils / t_run:,.0f} pupils/s, {t_run / t_bare:.1f}x the bare DELETE)"
    )
    print(
        "deleted per table (retention | bare): " + ", ".join(f"{t} {gone[t]:,}|{bare[t]:,}" for t in TABLES)
    )
    if gone != bare:
        print("MISMATCH: retention and the bare DELETE did not delete the same rows", file=sys.stderr)
        raise SystemExit(1)
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
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error("give a scratch PostgreSQL database: --database-url or BENCH_DATABASE_URL")
    migrate.upgrade(args.database_url)
    asyncio.run(run(args.database_url, args))


if __name__ == "__main__":
    main()
