"""The processes a benchmark talks to, each started as `python -m benchmarks.servers <role>`.

Why separate processes: on a 2-core machine the load generator's CPU must not be counted against the
bot, and the bot must run exactly as in production (its own event loop, tokens checked, logs written).

- `bot`: the real app (create_app) in production mode, configured from SENBOT_* variables, served by
  the same code as `senbot serve` (one process, or gunicorn with SENBOT_WORKERS workers) with the same
  process tuning; the only difference is a static outgoing token instead of a call to Entra ID.
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
import signal
import socket
import sys
import time
import urllib.request
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:  # not Linux: the CPU figures are then left out
        return []


def run_bot() -> None:
    """The bot served exactly as `senbot serve` serves it (bot/server/serving.py: one process, or
    gunicorn's SENBOT_WORKERS workers), in a child process, with a static outgoing token."""
    from bot.server import logs, serving
    from bot.server.assembly import create_app
    from bot.settings import Settings, load_settings

    settings = load_settings().model_copy(update={"host": "127.0.0.1", "port": _free_port()})
    logs.configure(settings.log_level, settings.log_format)
    profile_path = os.environ.get("BENCH_PROFILE")

    def factory(worker_settings: Settings) -> web.Application:
        app = create_app(worker_settings, outgoing_token=lambda: BENCH_OUTGOING_TOKEN)
        if profile_path:
            # `--profile`: cProfile of each worker's event loop thread (aiosqlite's threads are not seen).
            profiler = cProfile.Profile()
            path = profile_path if settings.workers == 1 else f"{profile_path}.{os.getpid()}"

            async def dump(_app: web.Application) -> None:
                profiler.disable()
                profiler.dump_stats(path)

            app.on_cleanup.append(dump)
            profiler.enable()
        return app

    server = os.fork()
    if server == 0:  # pragma: no cover - measured by its behaviour
        code = 1
        try:
            code = serving.serve(settings, factory)
        except SystemExit as exc:  # gunicorn's arbiter exits the process itself
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    base = f"http://127.0.0.1:{settings.port}"
    while True:
        if os.waitpid(server, os.WNOHANG) != (0, 0):
            raise SystemExit("the bot exited before it was ready")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                pass
            workers = _children(server) if settings.workers > 1 else []
            if settings.workers == 1 or len(workers) == settings.workers:
                break
        except OSError:
            pass
        time.sleep(0.1)
    # The serving pids (with several: gunicorn's arbiter and its workers), so the parent can add up
    # their CPU; this process only waits.
    _announce(port=settings.port, pids=[server, *workers])
    sys.stdin.read()
    os.kill(server, signal.SIGTERM)
    os.waitpid(server, 0)


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
