"""School-level settings that flows need (time zone, review interval)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import School


async def time_zone(session: AsyncSession, school_id: int) -> str:
    value = await session.scalar(select(School.time_zone).where(School.id == school_id))
    return value or "Europe/London"


async def review_interval_weeks(session: AsyncSession, school_id: int) -> int:
    value = await session.scalar(select(School.review_interval_weeks).where(School.id == school_id))
    return value or 13
