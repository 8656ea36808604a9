"""The processes a benchmark talks to, each started as `python -m benchmarks.servers <role>`.

Why separate processes: on a 2-core machine the load generator's CPU must not be counted against the
bot, and the bot must run exactly as in production (its own event loop, tokens checked, logs written).

- `bot`: the real app (create_app) in production mode, configured from SENBOT_* variables, in
  SENBOT_WORKERS processes forked by the same supervisor and with the same process tuning as
  `senbot serve`; the only difference is a static outgoing token instead of a call to Entra ID.
- `services`: the token authority (OpenID metadata + JWKS) and the fake Bot Connector, reusing the
  test fixtures (tests/support); the parent asks it over stdin how many replies arrived.
- `bare`: a bare aiohttp handler (201 for a POST with a JSON body), the baseline.

Each prints one line `READY {json}` on stdout once it listens, then serves until stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization

BENCH_OUTGOING_TOKEN = "benchmark-outgoing-token"


def _announce(**info: Any) -> None:
    print("READY " + json.dumps(info), flush=True)


async def _listen(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, int(port)


async def _stdin_lines() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def _serve_until_stdin_closes(app: web.Application, **info: Any) -> None:
    runner, port = await _listen(app)
    _announce(port=port, **info)
    reader = await _stdin_lines()
    await reader.read()
    await runner.cleanup()


def run_bot() -> None:
    """The bot's workers (SENBOT_WORKERS, default 1) forked by the same supervisor as `senbot serve`."""
    from aiohttp import web

    from app import create_app
    from bot.server import logs, process, workers
    from bot.settings import load_settings

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    profile_path = os.environ.get("BENCH_PROFILE")

    def serve_one(index: int, sock: socket.socket) -> None:
        app = create_app(settings, outgoing_token=lambda: BENCH_OUTGOING_TOKEN, primary=index == 0)
        process.tune_gc()
        if not profile_path:
            web.run_app(app, sock=sock, print=None, access_log=None)
            return
        # `--profile`: cProfile of each worker's event loop thread (aiosqlite's threads are not seen).
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            web.run_app(app, sock=sock, print=None, access_log=None)
        finally:
            profiler.disable()
            profiler.dump_stats(profile_path if index == 0 else f"{profile_path}.{index}")

    pool = workers.Workers(settings.workers, serve_one)
    port = pool.start("127.0.0.1", 0)
    # The worker pids, so the parent can add up their CPU (this process only waits).
    _announce(port=port, pids=sorted(pool.children))
    sys.stdin.read()
    pool.stop()
    pool.wait()


async def run_bare() -> None:
    async def handle(request: web.Request) -> web.Response:
        await request.json()
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", handle)
    await _serve_until_stdin_closes(app)


async def run_services(key_pem: bytes) -> None:
    from tests.support.fake_connector import FakeConnector
    from tests.support.tokens import TokenAuthority

    key = serialization.load_pem_private_key(key_pem, password=None)
    authority = TokenAuthority(key=key)  # type: ignore[arg-type]
    connector = FakeConnector()
    await authority.start()
    await connector.start()
    _announce(metadata_url=authority.metadata_url, connector_url=connector.url)
    reader = await _stdin_lines()
    # Control protocol, one line each way: "replies" → {reply-to id: count} of messages received
    # since the last "reset"; "updates" → the same for card updates (PUT); "reset" → {}.
    while line := await reader.readline():
        command = line.decode().strip()
        answer: dict[str, Any] = {}
        if command == "replies":
            counts: collections.Counter[str] = collections.Counter()
            for recorded in connector.messages():
                counts[recorded.path.rsplit("/", 1)[-1]] += 1
            answer = dict(counts)
        elif command == "updates":
            counts = collections.Counter(r.path.rsplit("/", 1)[-1] for r in connector.updates())
            answer = dict(counts)
        elif command == "reset":
            connector.sent.clear()
        print(json.dumps(answer), flush=True)
    await connector.close()
    await authority.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=["bot", "bare", "services"])
    parser.add_argument("--key-file", help="PEM private key of the token authority (services)")
    args = parser.parse_args()
    if args.role == "bot":
        run_bot()
    elif args.role == "bare":
        asyncio.run(run_bare())
    else:
        asyncio.run(run_services(Path(args.key_file).read_bytes()))


if __name__ == "__main__":
    main()
