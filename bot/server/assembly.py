"""The app factory, wiring only: settings → database → router → dispatcher → seam → jobs → aiohttp app.

Every serving process builds its own app with `create_app` (bot/server/serving.py): its own engine and
pool, its own scheduler. Scheduled work runs in every process, because the database decides what is
done once (unique outbox keys, leased claims: docs/outbox-and-reminders.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.flows import build_router
from bot.jobs.digest_planner import plan_weekly_digests
from bot.jobs.mail_sender import MailSender
from bot.jobs.outbox import OutboxDispatcher, config_from_settings
from bot.jobs.reminders import ReminderPlanner
from bot.jobs.retention import RetentionJob
from bot.jobs.scheduler import DIGEST_JOB, Jobs, attach
from bot.letters.graph_mail import GraphMailer, credential_from_settings
from bot.letters.service import LetterDownloads, with_link_secret
from bot.roster.csv_import import apply_configured_admins
from bot.roster.graph_install import GraphInstaller
from bot.roster.graph_sync import secret_credential, sync_all
from bot.server.http import build_web_app
from bot.settings import Settings
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
) -> web.Application:
    """The bot as an aiohttp app, for one serving process."""
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
    installer = None
    if settings.graph_install:
        installer = GraphInstaller(
            settings, (lambda _tenant: graph_credential) if graph_credential else secret_credential(settings)
        )
    outbox = OutboxDispatcher(sessions, seam, clock, config_from_settings(settings), installer=installer)
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
    jobs = Jobs(
        ReminderPlanner(sessions, clock),
        outbox,
        planners=planners,
        mail=mail,
        graph_sync=graph_sync,
        retention=RetentionJob(sessions, clock).run,
    )
    attach(app, jobs, settings)

    async def configured_admins(_app: web.Application) -> None:
        # SENBOT_ADMINS: the first administrators, granted as soon as the directory knows them. Every
        # process runs this as it starts; a grant another process made meanwhile is skipped, not an error.
        if settings.admin_emails:
            await apply_configured_admins(sessions, settings, now=clock())

    app.on_startup.append(configured_admins)

    async def dispose(_app: web.Application) -> None:
        await seam.close()
        await engine.dispose()

    app.on_cleanup.append(dispose)
    return app
