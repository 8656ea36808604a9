"""The scheduler wiring: in-memory jobs (planners, dispatcher) that only wake the replica, with the app."""

from __future__ import annotations

import datetime as dt

from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.scheduler import (
    DIGEST_JOB,
    DISPATCHER_JOB,
    GRAPH_SYNC_JOB,
    JOBS_KEY,
    PLANNER_JOB,
    RETENTION_JOB,
    build_scheduler,
)
from bot.server.assembly import create_app
from tests.conftest import OUTGOING_TOKEN, production_settings
from tests.support.tokens import TokenAuthority


async def test_the_app_starts_and_stops_the_scheduler(
    database_url: str, engine: AsyncEngine, authority: TokenAuthority
) -> None:
    settings = production_settings(database_url, authority, scheduler_enabled=True)
    app = create_app(settings, outgoing_token=lambda: OUTGOING_TOKEN)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    jobs = app[JOBS_KEY]
    assert jobs.scheduler is not None and jobs.scheduler.running
    assert {j.id for j in jobs.scheduler.get_jobs()} == {
        PLANNER_JOB,
        DIGEST_JOB,
        DISPATCHER_JOB,
        RETENTION_JOB,
    }
    await server.close()
    assert not jobs.scheduler.running


async def test_without_the_scheduler_the_jobs_are_there_to_drive_by_hand(
    database_url: str, engine: AsyncEngine, authority: TokenAuthority
) -> None:
    app = create_app(production_settings(database_url, authority), outgoing_token=lambda: OUTGOING_TOKEN)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    jobs = app[JOBS_KEY]
    assert jobs.scheduler is None
    assert (await jobs.dispatcher.run_once()).claimed == 0
    assert (await jobs.planner.run()).cards == 0
    await server.close()


async def test_jobs_run_at_start_do_not_pile_up_and_forgive_late_ticks(
    database_url: str, engine: AsyncEngine, authority: TokenAuthority
) -> None:
    settings = production_settings(database_url, authority, planner_interval_seconds=300)
    app = create_app(settings, outgoing_token=lambda: OUTGOING_TOKEN)
    now = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
    scheduler = build_scheduler(app[JOBS_KEY], settings, now=now)
    planner = scheduler.get_job(PLANNER_JOB)
    dispatcher = scheduler.get_job(DISPATCHER_JOB)
    digest = scheduler.get_job(DIGEST_JOB)
    assert digest.trigger.interval == planner.trigger.interval
    for job in (planner, digest, dispatcher):
        assert job.max_instances == 1 and job.coalesce
        assert job.next_run_time == now  # catch-up: both run as soon as the replica starts
    assert planner.trigger.interval == dt.timedelta(seconds=300)
    assert planner.misfire_grace_time >= 3600
    assert dispatcher.trigger.interval == dt.timedelta(seconds=settings.dispatcher_interval_seconds)


async def test_the_digest_planner_job_enqueues_the_weekly_digest(
    database_url: str, engine: AsyncEngine, authority: TokenAuthority, demo: None
) -> None:
    # Monday 08:00 in London: past the demo school's default digest time, so the heads' rows appear.
    monday = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    app = create_app(
        production_settings(database_url, authority),
        outgoing_token=lambda: OUTGOING_TOKEN,
        clock=lambda: monday,
    )
    created = await app[JOBS_KEY].planners[DIGEST_JOB]()
    assert created >= 2  # the demo school has two heads
    assert await app[JOBS_KEY].planners[DIGEST_JOB]() == 0  # exactly once per recipient per week


async def test_the_nightly_graph_sync_is_scheduled_only_when_enabled(
    database_url: str, engine: AsyncEngine, authority: TokenAuthority
) -> None:
    now = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
    off = production_settings(database_url, authority)
    app = create_app(off, outgoing_token=lambda: OUTGOING_TOKEN)
    assert build_scheduler(app[JOBS_KEY], off, now=now).get_job(GRAPH_SYNC_JOB) is None
    on = production_settings(database_url, authority, graph_sync=True, graph_sync_time="02:30")
    app = create_app(on, outgoing_token=lambda: OUTGOING_TOKEN)
    job = build_scheduler(app[JOBS_KEY], on, now=now).get_job(GRAPH_SYNC_JOB)
    assert job is not None and job.max_instances == 1
    assert str(job.trigger.fields[5]) == "2" and str(job.trigger.fields[6]) == "30"  # hour, minute


async def test_configured_admins_get_the_admin_role_at_start(
    database_url: str, engine: AsyncEngine, authority: TokenAuthority, demo: None, sessions
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from storage.models import Staff, StaffRole

    settings = production_settings(database_url, authority, admins="Priya.Shah@oakfield.example")
    server = TestServer(create_app(settings, outgoing_token=lambda: OUTGOING_TOKEN), host="127.0.0.1")
    await server.start_server()
    await server.close()
    async with sessions() as session:
        roles = set(
            (
                await session.execute(
                    select(StaffRole.role)
                    .join(Staff, Staff.id == StaffRole.staff_id)
                    .where(Staff.email == "priya.shah@oakfield.example")
                )
            ).scalars()
        )
    assert "admin" in roles
