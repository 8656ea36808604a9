"""Load benchmark of /api/messages: requests/s and p50/p99 latency of a `help` message.

Why it is built this way (a benchmark that silently fails requests is worthless):
- the bot runs in its own process, in production mode (signed tokens checked, JSON logs written to a
  file), on a fresh migrated SQLite file with the demo school (or PostgreSQL with --database-url);
- the token authority and the fake Bot Connector run in another process, so the load generator's and
  the connector's CPU are not the bot's; the load generator (this process) pre-builds every request;
- every request must answer 201 and the connector must receive exactly one reply to each activity id,
  or the run fails (exit status 1);
- a bare aiohttp handler, in its own process, is measured by the same generator in the same run, so
  figures from a noisy machine can be compared with what the machine can do at all.

    python -m benchmarks.messages [--database-url postgresql+asyncpg://...] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import serialization

from storage import db, migrate
from storage.demo import DEMO_TENANT, seed_demo
from tests.support import activities
from tests.support.tokens import APP_ID, TokenAuthority, new_key

ROOT = Path(__file__).resolve().parent.parent
TARGET_RPS = 300.0
TARGET_P99_MS = 250.0
TARGET_CONCURRENCY = 50


@dataclass
class Options:
    concurrencies: Sequence[int] = (1, 50)
    seconds: float = 8.0
    # Upper bound per measurement, so a fast machine still finishes quickly and memory stays small.
    max_requests: int = 5000
    warmup_requests: int = 100
    database_url: str | None = None
    include_bare: bool = True
    # cProfile statistics of the bot process, written when it stops (slower under the profiler).
    profile: Path | None = None
    workdir: Path | None = None


@dataclass
class Result:
    target: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    statuses: dict[int, int] = field(default_factory=dict)
    missing_replies: int = 0
    extra_replies: int = 0
    # CPU seconds the server process used during the measurement, where /proc tells: the figure that
    # is least disturbed by other work on a shared machine.
    server_cpu_seconds: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
        return ordered[index]

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return self.server_cpu_seconds * 1000 / self.requests

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.missing_replies == 0 and self.extra_replies == 0


class Child:
    """A server process that announces itself with `READY {json}` and stops when stdin closes."""

    def __init__(self, role: str, *args: str, env: dict[str, str] | None = None, log: Path | None = None):
        self.role = role
        self.args = args
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}

    async def start(self, wait_seconds: float = 60.0) -> dict[str, Any]:
        stderr = self.log.open("wb") if self.log else asyncio.subprocess.DEVNULL  # noqa: SIM115
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.servers",
            self.role,
            *self.args,
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            # The reply counts of a long run are one line of a few hundred kilobytes.
            limit=64 * 1024 * 1024,
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), wait_seconds)
        if not line.startswith(b"READY "):
            raise RuntimeError(f"{self.role} process did not start (see {self.log})")
        self.info = json.loads(line[6:])
        return self.info

    def cpu_seconds(self) -> float | None:
        """User + system CPU so far of the process (all its threads) and of the worker processes it
        announced (`pids`); None off Linux."""
        if self.proc is None:
            return None
        total = 0.0
        for pid in [self.proc.pid, *self.info.get("pids", [])]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    async def ask(self, command: str) -> Any:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        return json.loads(await self.proc.stdout.readline())

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def prepare_database(url: str) -> None:
    # Alembic runs its own event loop (async env.py): keep it off ours.
    await asyncio.to_thread(migrate.upgrade, url)
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine).begin() as session:
            await seed_demo(session)
    finally:
        await engine.dispose()


async def start_services(workdir: Path) -> tuple[Child, TokenAuthority]:
    """The token authority and fake Bot Connector process, and a local authority with the same key."""
    key = new_key()
    key_file = workdir / "authority.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    services = Child("services", "--key-file", str(key_file), log=workdir / "services.log")
    await services.start()
    return services, TokenAuthority(key=key)


def build_requests(count: int, service_url: str, token: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """Every request built before the clock starts: (activity id, body, headers)."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    built = []
    for _ in range(count):
        activity = activities.message("help", service_url)
        activity["id"] = uuid.uuid4().hex
        built.append((activity["id"], json.dumps(activity).encode(), headers))
    return built


async def load(
    url: str, requests: list[tuple[str, bytes, dict[str, str]]], concurrency: int, seconds: float, target: str
) -> tuple[Result, list[str]]:
    """Send requests from `concurrency` workers until all are sent or `seconds` have passed."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent_ids: list[str] = []
    errors = 0
    queue = iter(requests)
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal errors
            for activity_id, body, headers in queue:
                if time.perf_counter() > deadline:
                    return
                sent_ids.append(activity_id)
                started = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        status = resp.status
                except aiohttp.ClientError:
                    status = 0
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if status != 201:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    result = Result(target, concurrency, len(latencies), elapsed, latencies, errors, statuses)
    return result, sent_ids


async def check_replies(services: Child, result: Result, sent_ids: list[str]) -> None:
    """Exactly one reply per request: none missing, none duplicated, none for an unknown id."""
    # The bot answers 201 after its reply was acknowledged, so all replies are in by now.
    counts: dict[str, int] = await services.ask("replies")
    expected = set(sent_ids)
    result.missing_replies = sum(1 for i in expected if counts.get(i, 0) == 0)
    result.extra_replies = sum(n - 1 for i, n in counts.items() if i in expected and n > 1) + sum(
        n for i, n in counts.items() if i not in expected
    )
    await services.ask("reset")


def bot_env(
    database_url: str,
    metadata_url: str,
    profile: Path | None = None,
    tenant_id: str = DEMO_TENANT,
    workers: int = 1,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENBOT_") and k != "DATABASE_URL"}
    env.update(
        {
            "SENBOT_APP_ID": APP_ID,
            "SENBOT_APP_PASSWORD": "benchmark-secret",
            "SENBOT_TENANT_ID": tenant_id,
            "DATABASE_URL": database_url,
            "SENBOT_OPENID_METADATA_URL": metadata_url,
            "SENBOT_LOG_LEVEL": "INFO",
            "SENBOT_LOG_FORMAT": "json",
            "SENBOT_SCHEDULER_ENABLED": "false",
            "SENBOT_WORKERS": str(workers),
        }
    )
    if profile is not None:
        env["BENCH_PROFILE"] = str(profile)
    return env


async def run(options: Options) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="senbot-bench-") as tmp:
        workdir = options.workdir or Path(tmp)
        database_url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        await prepare_database(database_url)

        services, authority = await start_services(workdir)
        info = services.info
        connector_url: str = info["connector_url"]
        # One token for the whole run (valid 30 minutes), as the Bot Service reuses its tokens.
        token = authority.token(connector_url)

        env = bot_env(database_url, info["metadata_url"], options.profile)
        bot = Child("bot", env=env, log=workdir / "bot.log")
        bare = Child("bare", log=workdir / "bare.log")
        results: list[Result] = []
        try:
            targets: list[tuple[str, Child]] = [("bare aiohttp", bare)] if options.include_bare else []
            targets.append(("senbot help", bot))
            for name, child in targets:
                port = (await child.start())["port"]
                url = f"http://127.0.0.1:{port}/api/messages"
                warm = build_requests(options.warmup_requests, connector_url, token)
                warm_result, warm_ids = await load(url, warm, 10, 60, name)
                if child is bot:
                    await check_replies(services, warm_result, warm_ids)
                if not warm_result.ok:
                    raise RuntimeError(f"{name}: warm-up failed: {warm_result.statuses} (see {workdir})")
                for concurrency in options.concurrencies:
                    batch = build_requests(options.max_requests, connector_url, token)
                    cpu_before = child.cpu_seconds()
                    result, sent_ids = await load(url, batch, concurrency, options.seconds, name)
                    cpu_after = child.cpu_seconds()
                    if cpu_before is not None and cpu_after is not None:
                        result.server_cpu_seconds = cpu_after - cpu_before
                    if child is bot:
                        await check_replies(services, result, sent_ids)
                    results.append(result)
                await child.stop()
        finally:
            await bot.stop()
            await bare.stop()
            await services.stop()
        return results


def table(results: Sequence[Result]) -> str:
    header = ("target", "concurrency", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors")
    rows = [
        (
            r.target,
            str(r.concurrency),
            str(r.requests),
            f"{r.rps:.0f}",
            f"{r.percentile(0.50):.1f}",
            f"{r.percentile(0.90):.1f}",
            f"{r.percentile(0.99):.1f}",
            f"{max(r.latencies_ms, default=float('nan')):.1f}",
            str(r.errors + r.missing_replies + r.extra_replies),
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def verdict(results: Sequence[Result]) -> list[str]:
    notes = []
    for r in results:
        if r.errors:
            notes.append(f"FAIL {r.target} c{r.concurrency}: non-201 answers {r.statuses}")
        if r.missing_replies or r.extra_replies:
            notes.append(
                f"FAIL {r.target} c{r.concurrency}: {r.missing_replies} requests without a reply, "
                f"{r.extra_replies} unexpected replies at the connector"
            )
    for r in results:
        if r.cpu_ms_per_request is not None:
            notes.append(
                f"{r.target} c{r.concurrency}: {r.cpu_ms_per_request:.2f} ms of server CPU per request"
            )
    for r in results:
        if r.target == "senbot help" and r.concurrency == TARGET_CONCURRENCY:
            met = r.rps >= TARGET_RPS and r.percentile(0.99) < TARGET_P99_MS
            notes.append(
                f"{'target met' if met else 'target NOT met'}: {r.rps:.0f} req/s (>= {TARGET_RPS:.0f}), "
                f"p99 {r.percentile(0.99):.0f} ms (< {TARGET_P99_MS:.0f}) at concurrency {r.concurrency}"
            )
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load benchmark of /api/messages (a `help` message).")
    parser.add_argument("--database-url", help="postgresql+asyncpg://... (default: a fresh SQLite file)")
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each measurement")
    parser.add_argument("--max-requests", type=int, default=5000, help="cap per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--no-bare", action="store_true", help="skip the bare aiohttp baseline")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of the bot process here")
    args = parser.parse_args(argv)
    options = Options(
        concurrencies=args.concurrency,
        seconds=args.seconds,
        max_requests=args.max_requests,
        database_url=args.database_url,
        include_bare=not args.no_bare,
        profile=args.profile,
    )
    results = asyncio.run(run(options))
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{os.cpu_count()} cores, {options.seconds:g} s per measurement, database {database}")
    print(table(results))
    notes = verdict(results)
    for note in notes:
        print(note)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
