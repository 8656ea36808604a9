"""APScheduler wiring: which job wakes when. The jobs only wake this replica; the database decides.

Why in memory, one scheduler per replica (docs/design.md): APScheduler 3.x schedulers must not share
a job store, and exactly-once comes from the outbox's unique keys and leases, not from the scheduler. So
every replica ticks the planner every few minutes and the dispatcher every few seconds; a tick that finds
nothing to do costs one query. Both jobs run once at start-up, which is how a replica that was down at the
reminder time catches up. `max_instances=1` and `coalesce` stop a slow tick from piling up behind itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs.mail_sender import MailSender
from bot.jobs.outbox import OutboxDispatcher
from bot.jobs.reminders import ReminderPlanner
from bot.settings import Settings

log = structlog.get_logger(__name__)

PLANNER_JOB = "reminders_planner"
DISPATCHER_JOB = "outbox_dispatcher"
DIGEST_JOB = "weekly_digest_planner"
MAIL_JOB = "letter_mail"
GRAPH_SYNC_JOB = "graph_roster_sync"
RETENTION_JOB = "retention"
# Retention runs once a night (UTC), when nobody is working: it deletes in batches (bot/jobs/retention.py).
RETENTION_AT = dt.time(2, 30)
DRAIN_BATCHES = 20


@dataclass
class Jobs:
    """The replica's background work; tests drive `planner.run()` and `dispatcher.run_once()` directly."""

    planner: ReminderPlanner
    dispatcher: OutboxDispatcher
    # Other planners that enqueue into the outbox on the same cadence (e.g. the weekly digest), by job id.
    planners: dict[str, Callable[[], Awaitable[object]]] = field(default_factory=dict)
    # Letters to parents by email (bot/jobs/mail_sender.py); None when no school mailbox is configured.
    mail: MailSender | None = None
    # The nightly roster sync from Microsoft Graph (bot/roster/graph_sync.py); None when SENBOT_GRAPH_SYNC
    # is off.
    graph_sync: Callable[[], Awaitable[object]] | None = None
    # The nightly retention run (bot/jobs/retention.py); None where a test drives it by hand.
    retention: Callable[[], Awaitable[object]] | None = None
    scheduler: AsyncIOScheduler | None = None
    in_flight: set[asyncio.Task[None]] = field(default_factory=set)


JOBS_KEY = web.AppKey("jobs", Jobs)


def _logged(jobs: Jobs, name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        task = asyncio.current_task()
        if task is not None:
            jobs.in_flight.add(task)
        try:
            await job()
        except Exception as exc:
            # The next tick tries again; the outbox rows and leases make a failed tick harmless. The
            # error's type only: database errors quote their parameters (payloads carry pupil names).
            log.error("job_failed", job=name, error=type(exc).__name__)
        finally:
            if task is not None:
                jobs.in_flight.discard(task)

    return run


def build_scheduler(jobs: Jobs, settings: Settings, *, now: dt.datetime) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.add_job(
        _logged(jobs, PLANNER_JOB, jobs.planner.run),
        IntervalTrigger(seconds=settings.planner_interval_seconds, timezone=dt.UTC),
        id=PLANNER_JOB,
        coalesce=True,
        max_instances=1,
        # A late tick is still worth running (the planner looks at what is due, not at the time).
        misfire_grace_time=int(max(settings.planner_interval_seconds, 3600)),
        next_run_time=now,
    )
    for job_id, plan in jobs.planners.items():
        scheduler.add_job(
            _logged(jobs, job_id, plan),
            IntervalTrigger(seconds=settings.planner_interval_seconds, timezone=dt.UTC),
            id=job_id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(max(settings.planner_interval_seconds, 3600)),
            next_run_time=now,
        )
    scheduler.add_job(
        # Batches until nothing is due (bounded), so a backlog drains at the rate cap, not a batch a tick.
        _logged(jobs, DISPATCHER_JOB, lambda: jobs.dispatcher.drain(max_batches=DRAIN_BATCHES)),
        IntervalTrigger(seconds=settings.dispatcher_interval_seconds, timezone=dt.UTC),
        id=DISPATCHER_JOB,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(max(settings.dispatcher_interval_seconds * 10, 60)),
        next_run_time=now,
    )
    if jobs.mail is not None:
        scheduler.add_job(
            _logged(jobs, MAIL_JOB, jobs.mail.run_once),
            IntervalTrigger(seconds=settings.dispatcher_interval_seconds, timezone=dt.UTC),
            id=MAIL_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(max(settings.dispatcher_interval_seconds * 10, 60)),
            next_run_time=now,
        )
    if jobs.graph_sync is not None:
        hour, minute = (int(part) for part in settings.graph_sync_time.split(":"))
        # Once a night at a fixed time, not at start-up: a sync is a full read of the school's rosters.
        # Every replica may run it; it is idempotent (one transaction per school).
        scheduler.add_job(
            _logged(jobs, GRAPH_SYNC_JOB, jobs.graph_sync),
            CronTrigger(hour=hour, minute=minute),
            id=GRAPH_SYNC_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    if jobs.retention is not None:
        # Every replica may run it: PostgreSQL hands each run different pupils (SKIP LOCKED) and a record
        # deleted by one run is not there for the other.
        scheduler.add_job(
            _logged(jobs, RETENTION_JOB, jobs.retention),
            CronTrigger(hour=RETENTION_AT.hour, minute=RETENTION_AT.minute, timezone=dt.UTC),
            id=RETENTION_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    return scheduler


def attach(app: web.Application, jobs: Jobs, settings: Settings) -> None:
    """Keep the jobs on the app; with the scheduler enabled, start it with the app and stop it first."""
    app[JOBS_KEY] = jobs
    if not settings.scheduler_enabled:
        return

    async def start(_app: web.Application) -> None:
        jobs.scheduler = build_scheduler(jobs, settings, now=dt.datetime.now(dt.UTC))
        jobs.scheduler.start()
        log.info("scheduler_started", jobs=[PLANNER_JOB, *jobs.planners, DISPATCHER_JOB])

    async def stop(_app: web.Application) -> None:
        scheduler = jobs.scheduler
        if scheduler is None or not scheduler.running:
            return
        scheduler.pause()
        # Let a tick in progress settle its rows (bounded by the send timeout) rather than cancel it
        # mid-send, which would leave rows to wait for their lease.
        if jobs.in_flight:
            await asyncio.wait(set(jobs.in_flight), timeout=settings.outbox_send_timeout_seconds + 5)
        scheduler.shutdown(wait=False)
        # AsyncIOScheduler.shutdown is scheduled on the loop (call_soon): let it happen.
        await asyncio.sleep(0)

    app.on_startup.append(start)
    # Before the engine is disposed (bot/server/assembly.py's cleanup), so no tick runs on a closed pool.
    app.on_cleanup.insert(0, stop)
