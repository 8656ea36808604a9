"""A dispatcher in its own process, for the kill test: `python -m tests.support.dispatch_worker <db url>`.

It sends through the real seam (production settings, a static outgoing token) to whatever serviceUrl the
conversation references hold (the test's fake connector), with real time, until it is killed.
"""

from __future__ import annotations

import asyncio
import sys

from bot.jobs.outbox import DispatchConfig, OutboxDispatcher
from bot.settings import Settings
from bot.teams.seam import TeamsSeam
from storage import db
from storage.demo import DEMO_TENANT
from storage.models import utcnow
from tests.support.tokens import APP_ID

CONCURRENCY = 2
LEASE_SECONDS = 30.0


async def main(database_url: str) -> None:
    settings = Settings(
        app_id=APP_ID,
        app_password="unused",  # type: ignore[arg-type]
        tenant_id=DEMO_TENANT,
        database_url=database_url,
        openid_metadata_url="http://127.0.0.1:9/unused",
        scheduler_enabled=False,
    )

    async def no_turns(_inbound: object) -> object:
        raise AssertionError("the worker serves no turns")

    async def no_audit(*_args: object) -> None:
        return None

    seam = TeamsSeam(settings, no_turns, no_audit, outgoing_token=lambda: "worker-token")  # type: ignore[arg-type]
    engine = db.create_engine(database_url)
    worker = OutboxDispatcher(
        db.session_factory(engine),
        seam,
        utcnow,
        DispatchConfig(
            batch_size=100, concurrency=CONCURRENCY, rate_per_tenant=50, lease_seconds=LEASE_SECONDS
        ),
    )
    print("ready", flush=True)
    while True:
        if (await worker.run_once()).claimed == 0:
            await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
