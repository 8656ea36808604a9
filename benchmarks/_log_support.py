"""Shared by the log benchmarks: where the database is, a throwaway school, percentiles.

The benchmarks never touch existing data: each run creates its own school (a fresh URN) and removes
it afterwards (its audit events stay: the trail is append-only and holds ids only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    ClassPupil,
    ClassStaff,
    ConversationRef,
    InterventionSession,
    ProvisionType,
    Pupil,
    School,
    SchoolClass,
    Staff,
    StaffRole,
)

BENCH_TENANT = "bench0000-0000-0000-0000-000000000000"


def database_url(parser: argparse.ArgumentParser) -> str:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="postgresql+asyncpg://... (default: $BENCH_DATABASE_URL)",
    )
    args, _ = parser.parse_known_args()
    if not args.database_url:
        parser.error("give --database-url or set BENCH_DATABASE_URL (a PostgreSQL database)")
    url: str = args.database_url
    return url


def new_urn() -> str:
    return "B" + uuid.uuid4().hex[:12]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(name: str, latencies: list[float], wall: float, units: int) -> str:
    return (
        f"{name}: {units} in {wall:.2f} s = {units / wall:.0f}/s; "
        f"p50 {percentile(latencies, 50) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.0f} ms"
    )


async def remove_school(session: AsyncSession, school_id: int) -> None:
    sessions = select(InterventionSession.id).where(InterventionSession.school_id == school_id)
    staff = select(Staff.id).where(Staff.school_id == school_id)
    classes = select(SchoolClass.id).where(SchoolClass.school_id == school_id)
    await session.execute(delete(Attendance).where(Attendance.session_id.in_(sessions)))
    await session.execute(delete(InterventionSession).where(InterventionSession.school_id == school_id))
    await session.execute(delete(ClassPupil).where(ClassPupil.class_id.in_(classes)))
    await session.execute(delete(ClassStaff).where(ClassStaff.class_id.in_(classes)))
    await session.execute(delete(ConversationRef).where(ConversationRef.staff_id.in_(staff)))
    await session.execute(delete(StaffRole).where(StaffRole.staff_id.in_(staff)))
    await session.execute(delete(SchoolClass).where(SchoolClass.school_id == school_id))
    await session.execute(delete(Pupil).where(Pupil.school_id == school_id))
    await session.execute(delete(Staff).where(Staff.school_id == school_id))
    await session.execute(delete(ProvisionType).where(ProvisionType.school_id == school_id))
    await session.execute(delete(School).where(School.id == school_id))
