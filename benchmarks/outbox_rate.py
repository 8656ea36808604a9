"""The per-tenant send rate across replicas: dispatcher processes on PostgreSQL against a fake connector.

    python -m benchmarks.outbox_rate --database-url postgresql+asyncpg://… --reset
    (or BENCH_DATABASE_URL=…)

It fills a DISPOSABLE database (`--reset` drops its public schema first) with the demo school, gives its
staff conversations in two tenants, queues notifications for both and starts dispatcher processes (each
its own engine, the real seam, real time) that send to a fake Bot Connector on loopback. The connector
counts what it receives per wall-clock second per tenant. Printed in one run: one replica (the baseline),
then three replicas at the same `SENBOT_OUTBOX_RATE_PER_TENANT`: the highest second per tenant must stay
at the rate (one more at most, for a send that lands a few milliseconds after its slot, across a second's
edge), since Teams' limit is per app per tenant, not per replica.

tests/wire/test_outbox_pg.py runs `measure` with a small rate as a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import db, migrate
from storage.demo import seed_demo
from storage.models import ConversationRef, Outbox, SendSlot, Staff, utcnow
from storage.queries.outbox import enqueue, message_payload, reserve_send_slot, start_send

ROOT = Path(__file__).resolve().parents[1]
TENANTS = ("tenant-a", "tenant-b")
APP_ID = "00000000-0000-0000-0000-00000000be11"
WARM_UP = "warm-up"
CONCURRENCY = 4  # SENBOT_OUTBOX_CONCURRENCY's default
START_AFTER_SECONDS = 0.5


@dataclass
class RateRecorder:
    """A Bot Connector that answers at once and notes, per send, its tenant and wall-clock second."""

    stamps: list[tuple[str, int]] = field(default_factory=list)
    expected: int = 1 << 30  # sends that complete the run
    all_in: asyncio.Event = field(default_factory=asyncio.Event)
    texts: Counter[str] = field(default_factory=Counter)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        # The conversation id carries the tenant (a:conv-<tenant>-<staff id>), as set up below.
        tenant = request.match_info["conversation"].removeprefix("a:conv-").rsplit("-", 1)[0]
        if tenant == WARM_UP:
            return web.json_response({"id": "warm-up"})
        self.stamps.append((tenant, int(time.time())))
        if len(self.stamps) >= self.expected:
            self.all_in.set()
        self.texts[(await request.json()).get("text", "")] += 1
        return web.json_response({"id": f"activity-{next(self._ids)}"})

    def busiest_second(self) -> dict[str, int]:
        per_second = Counter(self.stamps)
        return {
            t: max((n for (tenant, _), n in per_second.items() if tenant == t), default=0) for t in TENANTS
        }


@dataclass(frozen=True)
class Measurement:
    replicas: int
    rate: float
    sent: int
    seconds: float
    busiest: dict[str, int]  # the highest count in one wall-clock second, per tenant
    once: bool  # every queued notification arrived exactly once


async def give_conversations(
    sessions: async_sessionmaker[AsyncSession], service_url: str
) -> dict[str, list[int]]:
    """Half the staff in each tenant; returns the staff ids per tenant."""
    async with sessions.begin() as session:
        await session.execute(delete(ConversationRef))
        staff = sorted((await session.execute(select(Staff.id))).scalars())
        by_tenant = {t: staff[n :: len(TENANTS)] for n, t in enumerate(TENANTS)}
        for tenant, ids in by_tenant.items():
            for staff_id in ids:
                session.add(
                    ConversationRef(
                        staff_id=staff_id,
                        tenant_id=tenant,
                        channel_id="msteams",
                        service_url=service_url,
                        conversation_id=f"a:conv-{tenant}-{staff_id}",
                        bot_id="28:bot",
                        user_id=f"29:user-{staff_id}",
                    )
                )
    return by_tenant


async def queue(
    sessions: async_sessionmaker[AsyncSession], by_tenant: dict[str, list[int]], n: int, run: str
) -> list[str]:
    texts: list[str] = []
    # Due a moment from now, so this process is idle when the sends start: a request the recorder's
    # event loop reaches late would be counted in a later second than it arrived.
    due = utcnow() + dt.timedelta(seconds=START_AFTER_SECONDS)
    async with sessions.begin() as session:
        # Interleaved, so the tenants' rows are claimed side by side, as a morning's reminders are.
        for i in range(n):
            for tenant, ids in by_tenant.items():
                texts.append(f"{run}:{tenant}:{i}")
                await enqueue(
                    session,
                    kind="rate_test",
                    period_key=texts[-1],
                    recipient_id=ids[i % len(ids)],
                    payload=message_payload(text=texts[-1]),
                    now=utcnow(),
                    not_before=due,
                )
    return texts


async def start_workers(
    database_url: str, replicas: int, rate: float, warm_up_url: str
) -> list[asyncio.subprocess.Process]:
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.outbox_rate",
            "--worker",
            "--database-url",
            database_url,
            "--rate",
            str(rate),
            "--warm-up-url",
            warm_up_url,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(replicas)
    ]
    for worker in workers:  # all dispatching before anything is queued, so they share the backlog
        assert worker.stdout is not None
        line = await asyncio.wait_for(worker.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError("a dispatcher process did not start")
    return workers


async def stop(workers: list[asyncio.subprocess.Process]) -> None:
    for worker in workers:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        await worker.wait()


async def measure(
    database_url: str, *, replicas: int, rate: float, per_tenant: int, run: str = "run"
) -> Measurement:
    """Queue `per_tenant` notifications for each tenant and let `replicas` dispatcher processes send them.

    The database must hold the demo school and nothing queued; conversations are (re)assigned here.
    """
    recorder = RateRecorder()
    await recorder.start()
    engine = db.create_engine(database_url)
    sessions = db.session_factory(engine)
    try:
        async with sessions.begin() as session:
            await session.execute(delete(Outbox).where(Outbox.kind == "rate_test"))
            await session.execute(delete(SendSlot))
        by_tenant = await give_conversations(sessions, recorder.url)
        workers = await start_workers(database_url, replicas, rate, recorder.url)
        try:
            recorder.expected = per_tenant * len(TENANTS)
            texts = await queue(sessions, by_tenant, per_tenant, run)
            started = time.monotonic() + START_AFTER_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(recorder.all_in.wait(), 30 + 2 * per_tenant / rate)
            seconds = time.monotonic() - started
            await asyncio.sleep(0.3)  # anything sent twice would arrive now
        finally:
            await stop(workers)
    finally:
        await engine.dispose()
        await recorder.close()
    return Measurement(
        replicas=replicas,
        rate=rate,
        sent=len(recorder.stamps),
        seconds=seconds,
        busiest=recorder.busiest_second(),
        once=recorder.texts == dict.fromkeys(texts, 1),
    )


async def worker(database_url: str, rate: float, warm_up_url: str) -> None:
    """One replica's dispatcher, sending through the real seam with real time until it is stopped."""
    from bot.jobs.outbox import DispatchConfig, OutboxDispatcher
    from bot.settings import Settings
    from bot.teams.seam import TeamsSeam
    from bot.turn.core import ConversationAddress, Message

    settings = Settings(
        app_id=APP_ID,
        app_password="unused",  # type: ignore[arg-type]
        tenant_id=TENANTS[0],
        database_url=database_url,
        openid_metadata_url="http://127.0.0.1:9/unused",
        scheduler_enabled=False,
    )

    async def no_turns(_inbound: object) -> object:
        raise AssertionError("the worker serves no turns")

    async def no_audit(*_args: object) -> None:
        return None

    seam = TeamsSeam(settings, no_turns, no_audit, outgoing_token=lambda: "bench-token")  # type: ignore[arg-type]
    engine = db.create_engine(database_url)
    sessions = db.session_factory(engine)
    # Small batches, so every replica takes a share of the backlog.
    dispatcher = OutboxDispatcher(
        sessions, seam, utcnow, DispatchConfig(batch_size=4, concurrency=CONCURRENCY, rate_per_tenant=rate)
    )
    # A replica runs for days: its first sends and transactions (new connections, statements prepared,
    # the serialiser's first use) are ~100 ms slower, which would land a send in a later second than its
    # slot and count against the next one. So each path the sends take is used once first, as in service.
    warm = ConversationAddress(TENANTS[0], "msteams", warm_up_url, f"a:conv-{WARM_UP}-0", "28:bot", "29:u")

    async def warm_up() -> None:
        async with sessions.begin() as session:
            await start_send(session, -1, owner="warm-up", now=utcnow(), lease_seconds=1)
            await reserve_send_slot(session, WARM_UP, now=utcnow(), interval=dt.timedelta(0))
        await seam.send_proactive(warm, Message(text=WARM_UP))

    await asyncio.gather(*(warm_up() for _ in range(CONCURRENCY)))
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    print("ready", flush=True)
    while not stopping.is_set():
        if (await dispatcher.run_once()).claimed == 0:
            await asyncio.sleep(0.05)
    await seam.close()
    await engine.dispose()


async def run(url: str, reset: bool, rate: float, per_tenant: int) -> int:
    if reset:
        engine = db.create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await asyncio.to_thread(migrate.upgrade, url)  # Alembic's env runs its own event loop
    engine = db.create_engine(url)
    async with db.session_factory(engine).begin() as session:
        await seed_demo(session)
    await engine.dispose()

    print(
        f"{per_tenant} notifications for each of {len(TENANTS)} tenants, "
        f"SENBOT_OUTBOX_RATE_PER_TENANT={rate:g}"
    )
    ok = True
    for n, replicas in enumerate((1, 3)):
        m = await measure(url, replicas=replicas, rate=rate, per_tenant=per_tenant, run=f"r{n}")
        busiest = ", ".join(f"{t} {c}/s" for t, c in m.busiest.items())
        label = "baseline, " if replicas == 1 else ""
        print(
            f"{label}{replicas} replica{'s' if replicas > 1 else ''}: busiest second {busiest}; "
            f"{m.sent} sent in {m.seconds:.1f} s; each once: {'yes' if m.once else 'NO'}"
        )
        ok = ok and m.once and max(m.busiest.values()) <= rate + 1
    # Slots are 1/rate apart; what the connector counts is when sends arrive, and a send that arrives a
    # few milliseconds after its slot can fall into the next second beside that second's own slots.
    print(
        f"target (no second above {rate:g} + 1 per tenant for a send landing late, each sent once): "
        f"{'met' if ok else 'NOT MET'}"
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--reset", action="store_true", help="drop and recreate the public schema first")
    parser.add_argument("--rate", type=float, default=25.0, help="SENBOT_OUTBOX_RATE_PER_TENANT")
    parser.add_argument("--per-tenant", type=int, default=150, help="notifications queued per tenant")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--warm-up-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql+asyncpg://"):
        parser.error(
            "a PostgreSQL URL is needed: --database-url or BENCH_DATABASE_URL (postgresql+asyncpg://…)"
        )
    if args.worker:
        asyncio.run(worker(args.database_url, args.rate, args.warm_up_url))
        return 0
    return asyncio.run(run(args.database_url, args.reset, args.rate, args.per_tenant))


if __name__ == "__main__":
    sys.exit(main())
