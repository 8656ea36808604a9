"""Referral queries on both backends: the stalled-referral rule the reminders will read, and the guarded
transition that makes decisions exactly-once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Pupil, Referral, ReferralService, School, Staff
from storage.queries import referrals

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


async def make_referrals(
    sessions: async_sessionmaker[AsyncSession], ages: dict[str, tuple[str, int]]
) -> dict[str, int]:
    """One referral per name: (status, weeks since it last moved)."""
    ids = {}
    async with sessions.begin() as session:
        school_id = await session.scalar(select(func.min(School.id)))
        pupil_id = await session.scalar(select(func.min(Pupil.id)))
        staff_id = await session.scalar(select(func.min(Staff.id)))
        service_id = await session.scalar(select(func.min(ReferralService.id)))
        for name, (status, weeks) in ages.items():
            moved = NOW - dt.timedelta(weeks=weeks)
            r = Referral(
                school_id=school_id,
                pupil_id=pupil_id,
                service_id=service_id,
                requested_by=staff_id,
                concern="c",
                consent_on=dt.date(2026, 9, 1),
                consent_by="p",
                status=status,
                idempotency_key=f"q-{name}",
                created_at=moved,
                updated_at=moved,
            )
            session.add(r)
            await session.flush()
            ids[name] = r.id
    return ids


async def test_stalled_referrals_follow_the_school_setting(
    sessions: async_sessionmaker[AsyncSession], demo: None
) -> None:
    ids = await make_referrals(
        sessions,
        {
            "fresh": ("sent", 2),
            "stalled": ("sent", 7),
            "exactly_six": ("accepted", 6),
            "closed_long_ago": ("closed", 30),
            "declined_long_ago": ("declined", 30),
            "waiting_approval": ("requested", 9),
        },
    )
    async with sessions() as session:
        found = {r.referral_id for r in await referrals.stalled(session, NOW)}
    assert found == {ids["stalled"], ids["exactly_six"], ids["waiting_approval"]}
    # A school that chases after 8 weeks instead of the default 6.
    async with sessions.begin() as session:
        await session.execute(update(School).values(referral_stall_weeks=8))
    async with sessions() as session:
        found = {r.referral_id for r in await referrals.stalled(session, NOW)}
    assert found == {ids["waiting_approval"]}


async def test_transition_applies_once_per_version(
    sessions: async_sessionmaker[AsyncSession], demo: None
) -> None:
    ids = await make_referrals(sessions, {"r": ("requested", 0)})
    rid = ids["r"]
    async with sessions() as session:
        school_id = (await session.get(Referral, rid)).school_id  # type: ignore[union-attr]
    outcomes = []
    for _ in range(2):
        async with sessions.begin() as session:
            outcomes.append(
                await referrals.transition(
                    session,
                    referral_id=rid,
                    school_id=school_id,
                    version=1,
                    from_statuses=["requested"],
                    to_status="approved",
                    now=NOW,
                )
            )
    assert outcomes == [True, False]
    async with sessions.begin() as session:
        # Another school's id never matches, whatever the version.
        assert not await referrals.transition(
            session,
            referral_id=rid,
            school_id=school_id + 1,
            version=2,
            from_statuses=["approved"],
            to_status="sent",
            now=NOW,
        )
    async with sessions() as session:
        r = await session.get(Referral, rid)
    assert r is not None and (r.status, r.version, r.updated_at) == ("approved", 2, NOW)
