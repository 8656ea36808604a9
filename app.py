"""Wiring only: settings → database → router → dispatcher → seam → jobs (planner, outbox) → aiohttp app.

`python app.py` serves the bot (what `make run` ends in); `senbot serve` does the same.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.flows import build_router
from bot.jobs.digest_planner import plan_weekly_digests
from bot.jobs.mail_sender import MailSender
from bot.jobs.outbox import OutboxDispatcher, config_from_settings
from bot.jobs.reminders import ReminderPlanner
from bot.jobs.scheduler import DIGEST_JOB, Jobs, attach
from bot.letters.graph_mail import GraphMailer, credential_from_settings
from bot.letters.service import LetterDownloads, with_link_secret
from bot.roster.csv_import import apply_configured_admins
from bot.roster.graph_sync import sync_all
from bot.server import logs, process, workers
from bot.server.http import build_web_app
from bot.settings import ConfigError, Settings, load_settings
from bot.teams.seam import TeamsSeam, TokenProvider
from bot.turn.dispatch import Clock, Dispatcher
from storage import db
from storage.models import utcnow
from storage.queries import audit


def create_app(
    settings: Settings,
    *,
    outgoing_token: TokenProvider | None = None,
    clock: Clock = utcnow,
    graph_credential: Any | None = None,
    primary: bool = True,
) -> web.Application:
    """The bot as an aiohttp app. `primary`: this process runs the scheduler and the start-up grants
    (with SENBOT_WORKERS > 1 only the first worker is primary: bot/server/workers.py)."""
    settings = with_link_secret(settings)
    engine = db.create_engine(settings.database_url)
    sessions = db.session_factory(engine)
    dispatcher = Dispatcher(build_router(), sessions, settings, clock)

    async def audit_refusal(reason: str, tenant_id: str | None, correlation_id: str) -> None:
        async with sessions.begin() as session:
            audit.record(
                session,
                action=reason,
                at=clock(),
                tenant_id=tenant_id,
                outcome="refused",
                correlation_id=correlation_id,
            )

    seam = TeamsSeam(settings, dispatcher.handle, audit_refusal, outgoing_token=outgoing_token)

    async def ready() -> bool:
        return await db.ping(engine)

    letters = LetterDownloads(sessions, settings, clock)
    app = build_web_app(seam, ready, max_body_bytes=settings.max_body_bytes, letters=letters)
    outbox = OutboxDispatcher(sessions, seam, clock, config_from_settings(settings))
    planners: dict[str, Callable[[], Awaitable[object]]] = {
        DIGEST_JOB: lambda: plan_weekly_digests(sessions, clock())
    }
    mail = None
    if settings.mail_from:
        credential = graph_credential or credential_from_settings(
            min(settings.tenant_ids, default=""), settings.app_id, settings.app_password.get_secret_value()
        )
        mailer = GraphMailer(
            credential, base_url=settings.graph_base_url, timeout_seconds=settings.graph_timeout_seconds
        )
        mail = MailSender(sessions, mailer, settings.mail_from, clock)
    graph_sync = (lambda: sync_all(sessions, settings, now=clock())) if settings.graph_sync else None
    jobs = Jobs(ReminderPlanner(sessions, clock), outbox, planners=planners, mail=mail, graph_sync=graph_sync)
    attach(app, jobs, settings if primary else settings.model_copy(update={"scheduler_enabled": False}))

    async def configured_admins(_app: web.Application) -> None:
        # SENBOT_ADMINS: the first administrators, granted as soon as the directory knows them.
        if settings.admin_emails:
            await apply_configured_admins(sessions, settings, now=clock())

    if primary:
        app.on_startup.append(configured_admins)

    async def dispose(_app: web.Application) -> None:
        await seam.close()
        await engine.dispose()

    app.on_cleanup.append(dispose)
    return app


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"senbot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    logs.configure(settings.log_level, settings.log_format)
    # Once, before any worker is forked: every worker signs letter links with the same secret.
    settings = with_link_secret(settings)
    mode = "local (no app id; unauthenticated, loopback only)" if settings.local_mode else "production"
    print(
        f"senbot: serving on http://{settings.host}:{settings.port}/api/messages in {mode} mode"
        f" with {settings.workers} worker process{'es' if settings.workers > 1 else ''}",
        file=sys.stderr,
    )
    if settings.workers == 1:
        app = create_app(settings)
        process.tune_gc()
        web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
        return

    def serve_one(index: int, sock: socket.socket) -> None:
        app = create_app(settings, primary=index == 0)
        process.tune_gc()
        web.run_app(app, sock=sock, print=None, access_log=None)

    pool = workers.Workers(settings.workers, serve_one)
    pool.start(settings.host, settings.port)
    pool.stop_on_signals()
    raise SystemExit(pool.wait())


if __name__ == "__main__":
    main()
