"""Serve the bot: one process by default, or SENBOT_WORKERS processes managed by gunicorn.

Why gunicorn for several: one Python process uses one core, and at the end of the school day hundreds
of staff submit at once (docs/benchmarks.md). gunicorn's arbiter is a process manager that is already
right about the hard parts: it replaces a worker that dies while the others keep serving, retires
workers gracefully on SIGTERM (exit 0) and replaces them all on SIGHUP without closing the port.
Each worker runs aiohttp's own gunicorn worker class and builds its own app with the factory
(its own engine, pool and scheduler). Every worker runs the scheduled jobs and the start-up grants:
the database decides what happens once (docs/outbox-and-reminders.md).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from bot.letters.service import with_link_secret
from bot.server import process
from bot.server.assembly import create_app
from bot.settings import Settings

AppFactory = Callable[[Settings], web.Application]

# Below systemd's TimeoutStopSec (docs/senbot.service): requests in flight get this long to finish.
GRACEFUL_SECONDS = 25
# aiohttp's own keep-alive, so one process and several behave alike.
KEEPALIVE_SECONDS = 75


def build(settings: Settings, factory: AppFactory = create_app) -> web.Application:
    """One worker's app, with the process tuned once what lives for the whole process is built."""
    app = factory(settings)
    process.tune_gc()
    return app


class Gunicorn(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints: Any
    """gunicorn driven from code: options from Settings, the app built in each worker after the fork."""

    def __init__(self, settings: Settings, factory: AppFactory) -> None:
        self.settings = settings
        self.factory = factory
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": [f"{self.settings.host}:{self.settings.port}"],
            "workers": self.settings.workers,
            "worker_class": "aiohttp.worker.GunicornWebWorker",
            "graceful_timeout": GRACEFUL_SECONDS,
            "keepalive": KEEPALIVE_SECONDS,
            "proc_name": "senbot",
            # The access log is the bot's own (bot/server/http.py), without personal data.
            "accesslog": None,
        }
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self) -> web.Application:
        return build(self.settings, self.factory)


def serve(settings: Settings, factory: AppFactory = create_app) -> int:
    """Serve until SIGTERM; the exit code for the process."""
    # Once, before any worker is forked: every worker signs letter links with the same secret.
    settings = with_link_secret(settings)
    mode = "local (no app id; unauthenticated, loopback only)" if settings.local_mode else "production"
    print(
        f"senbot: serving on http://{settings.host}:{settings.port}/api/messages in {mode} mode"
        f" with {settings.workers} worker process{'es' if settings.workers > 1 else ''}",
        file=sys.stderr,
    )
    if settings.workers == 1:
        # The unit's ExecReload sends SIGHUP, which would end a lone process: there are no workers to
        # replace, so it is ignored (docs/deploy.md, "Several processes").
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        web.run_app(
            build(settings, factory), host=settings.host, port=settings.port, print=None, access_log=None
        )
        return 0
    # Exits the process itself: 0 after SIGTERM, non-zero when workers cannot boot.
    Gunicorn(settings, factory).run()
    return 0
