"""End-of-day peak: N staff submit a group session of G pupils at the same moment, through HTTP.

    python -m benchmarks.log_peak --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/DB

The bot runs in its own processes in production mode, as in benchmarks/messages.py (JSON logs to a
file, the same process tuning as `senbot serve`, SENBOT_WORKERS=2 unless --workers says otherwise);
this process is the load generator, and the token
authority and the fake Bot Connector run in a third. Everything a real submit goes through runs:
token validation, the tenant gate, the SDK seam, the dispatcher (identity, conversation reference,
route, role), validation, the caseload check, the idempotent insert, audit rows, and the
confirmation card sent back (PUT to the fake Bot Connector). Printed: sessions written per second,
p50/p99 latency, the bot's CPU per request, then the same rows written by plain INSERTs in the same
run (the floor set by the database), and a check that exactly N sessions and N×G attendance rows
exist. Each submission is also sent a second time at once (a double click) unless --no-doubles:
those must not add rows.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select

from benchmarks._log_support import BENCH_TENANT, database_url, new_urn, remove_school, summary
from benchmarks.messages import Child, bot_env, start_services
from cards.common import SUBMISSION
from storage import db, migrate
from storage.models import (
    Attendance,
    ClassPupil,
    ClassStaff,
    InterventionSession,
    ProvisionType,
    Pupil,
    School,
    SchoolClass,
    Staff,
    StaffRole,
)
from tests.support import activities as act

WARM_UP, MEASURED = "warm", "bench"


def machine_busy_seconds() -> float | None:
    """CPU seconds every core has spent not idle since boot (/proc/stat); None off Linux."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


async def seed(sessions: Any, staff_count: int, group: int) -> tuple[int, int, list[tuple[str, list[int]]]]:
    """A school with one TA per class of `group` pupils; returns school, provision, [(aad, pupil ids)]."""
    async with sessions.begin() as session:
        school = School(tenant_id=BENCH_TENANT, name="Benchmark School", urn=new_urn())
        session.add(school)
        await session.flush()
        provision = ProvisionType(
            school_id=school.id,
            name="Phonics catch-up",
            default_minutes=20,
            default_group_size=group,
            staff_hourly_cost_pence=1500,
            per_pupil_cost_pence=25,
        )
        session.add(provision)
        people: list[tuple[str, list[int]]] = []
        for n in range(staff_count):
            aad = str(uuid.uuid4())
            staff = Staff(
                school_id=school.id, aad_object_id=aad, display_name=f"TA {n}", email=f"ta{n}@b.example"
            )
            staff.roles = [StaffRole(role="ta")]
            klass = SchoolClass(school_id=school.id, name=f"Group {n}", year_group=3)
            pupils = [
                Pupil(
                    school_id=school.id,
                    mis_id=f"B{n:04d}{k}",
                    given_name=f"Pupil{k}",
                    family_name=f"Group{n}",
                    year_group=3,
                    date_of_birth=dt.date(2018, 1, 1),
                )
                for k in range(group)
            ]
            session.add_all([staff, klass, *pupils])
            await session.flush()
            session.add(ClassStaff(class_id=klass.id, staff_id=staff.id))
            session.add_all(ClassPupil(class_id=klass.id, pupil_id=p.id) for p in pupils)
            people.append((aad, [p.id for p in pupils]))
        return school.id, provision.id, people


async def baseline(
    sessions: Any, school_id: int, provision_id: int, people: list[tuple[str, list[int]]]
) -> None:
    """The same rows by plain INSERTs, one transaction per session, as concurrent as the HTTP run."""
    async with sessions() as session:
        staff_ids = list(
            (
                await session.execute(select(Staff.id).where(Staff.school_id == school_id).order_by(Staff.id))
            ).scalars()
        )
    latencies: list[float] = []

    async def one(staff_id: int, pupils: list[int]) -> None:
        started = time.perf_counter()
        async with sessions.begin() as session:
            sid = (
                await session.execute(
                    insert(InterventionSession)
                    .values(
                        school_id=school_id,
                        provision_type_id=provision_id,
                        held_on=dt.date.today(),
                        minutes=20,
                        staff_id=staff_id,
                        idempotency_key="baseline-" + uuid.uuid4().hex,
                        staff_hourly_cost_pence=1500,
                        per_pupil_cost_pence=25,
                    )
                    .returning(InterventionSession.id)
                )
            ).scalar_one()
            await session.execute(
                insert(Attendance),
                [{"session_id": sid, "pupil_id": p, "present": True, "cost_pence": 100} for p in pupils],
            )
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(s, p) for s, (_, p) in zip(staff_ids, people, strict=True)))
    print(
        summary("baseline (plain INSERT, same rows)", latencies, time.perf_counter() - started, len(people))
    )


async def run(
    url: str,
    staff_count: int,
    group: int,
    doubles: bool,
    workdir: Path,
    *,
    workers: int = 1,
    profile: Path | None = None,
) -> int:
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    school_id, provision_id, people = await seed(sessions, staff_count, group)
    services, authority = await start_services(workdir)
    connector_url: str = services.info["connector_url"]
    env = bot_env(url, services.info["metadata_url"], profile, tenant_id=BENCH_TENANT, workers=workers)
    bot = Child("bot", env=env, log=workdir / "bot.log")
    try:
        endpoint = f"http://127.0.0.1:{(await bot.start())['port']}/api/messages"
        token = authority.token(connector_url)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

            async def post(activity: dict[str, Any]) -> float:
                started = time.perf_counter()
                async with http.post(endpoint, json=activity, headers=headers) as resp:
                    await resp.read()
                    if resp.status != 201:
                        raise RuntimeError(f"status {resp.status} (see {workdir / 'bot.log'})")
                return time.perf_counter() - started

            def user(aad: str) -> act.User:
                return act.User(aad, "TA")

            # Warm-up: each person has talked to the bot before (conversation reference stored).
            await asyncio.gather(
                *(
                    post(act.message("hello", connector_url, user=user(a), tenant=BENCH_TENANT))
                    for a, _ in people
                )
            )
            today = dt.date.today().isoformat()

            def submissions(prefix: str) -> list[dict[str, Any]]:
                return [
                    act.submit(
                        {
                            "verb": "log_submit",
                            SUBMISSION: f"{prefix}-{uuid.uuid4().hex}",
                            "provision": str(provision_id),
                            "held_on": today,
                            "minutes": "20",
                            "pupils": ",".join(map(str, pupils)),
                            "absent": "",
                            "note": "Blending CVC words",
                            "pupil_notes": "",
                        },
                        connector_url,
                        user=user(aad),
                        tenant=BENCH_TENANT,
                    )
                    for aad, pupils in people
                ]

            # Warm-up: a peak comes at the end of a day the bot has been serving, so its database
            # connections are open and its statements prepared. One earlier round of the same
            # submissions (other keys) gets there; those sessions are not counted below.
            await asyncio.gather(*(post(s) for s in submissions(WARM_UP)))
            await services.ask("reset")
            measured = submissions(MEASURED)
            batch = measured + (measured if doubles else [])
            cpu_before, machine_before = bot.cpu_seconds(), machine_busy_seconds()
            started = time.perf_counter()
            latencies = await asyncio.gather(*(post(s) for s in batch))
            wall = time.perf_counter() - started
            cpu_after, machine_after = bot.cpu_seconds(), machine_busy_seconds()
        print(
            f"log peak: {staff_count} concurrent group submissions of {group} pupils over HTTP"
            + (f" (+{staff_count} duplicate deliveries)" if doubles else "")
            + f", {workers} bot worker process{'es' if workers > 1 else ''}"
        )
        print(summary("senbot /api/messages", list(latencies), wall, len(batch)))
        print(f"sessions written per second: {staff_count / wall:.0f}")
        if cpu_before is not None and cpu_after is not None:
            print(f"bot CPU per request (all workers): {(cpu_after - cpu_before) / len(batch) * 1000:.1f} ms")
        if machine_before is not None and machine_after is not None:
            busy = machine_after - machine_before
            print(
                f"machine CPU during the burst: {busy:.2f} s busy of {wall * (os.cpu_count() or 1):.2f} s "
                f"({os.cpu_count()} cores); the bot's share "
                f"{(cpu_after or 0) - (cpu_before or 0):.2f} s, the rest is the database, this load "
                "generator and the fake connector"
            )
        measured_only = InterventionSession.idempotency_key.startswith(f"{MEASURED}-")
        async with sessions() as session:
            n_sessions = await session.scalar(
                select(func.count())
                .select_from(InterventionSession)
                .where(InterventionSession.school_id == school_id, measured_only)
            )
            n_rows = await session.scalar(
                select(func.count())
                .select_from(Attendance)
                .join(InterventionSession, InterventionSession.id == Attendance.session_id)
                .where(InterventionSession.school_id == school_id, measured_only)
            )
        # The bot answers 201 once its card update was acknowledged, so every update is in.
        updates: dict[str, int] = await services.ask("updates")
        confirmations = sum(updates.values())
        ok = n_sessions == staff_count and n_rows == staff_count * group and confirmations == len(batch)
        print(
            f"check: {n_sessions} sessions, {n_rows} attendance rows, {confirmations} confirmations "
            f"(expected {staff_count}, {staff_count * group}, {len(batch)}): {'OK' if ok else 'WRONG'}"
        )
        await baseline(sessions, school_id, provision_id, people)
        return 0 if ok else 1
    finally:
        await bot.stop()
        await services.stop()
        async with sessions.begin() as session:
            await remove_school(session, school_id)
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    url = database_url(parser)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--group", type=int, default=6)
    parser.add_argument("--no-doubles", action="store_true", help="do not send every card twice")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="bot worker processes (SENBOT_WORKERS; default 2: one per core of the 2-core target machine)",
    )
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of the bot process here")
    args = parser.parse_args()
    migrate.upgrade(url)
    with tempfile.TemporaryDirectory(prefix="senbot-log-peak-") as tmp:
        return asyncio.run(
            run(
                url,
                args.submissions,
                args.group,
                not args.no_doubles,
                Path(tmp),
                workers=args.workers,
                profile=args.profile,
            )
        )


if __name__ == "__main__":
    sys.exit(main())
