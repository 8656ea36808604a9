"""The benchmark machinery, run small: real processes, a handful of requests at concurrency 2.

No timing is asserted (the machine is shared); what is asserted is what makes the figures mean
anything: every request answered 201 and the connector got exactly one reply per request, and a
missing reply is noticed.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization

from benchmarks.messages import Child, Options, Result, check_replies, run
from benchmarks.servers import BENCH_OUTGOING_TOKEN
from tests.support.tokens import new_key

REQUESTS = 8


async def test_a_small_run_counts_every_request_and_reply(tmp_path: Path) -> None:
    options = Options(
        concurrencies=(2,), seconds=60, max_requests=REQUESTS, warmup_requests=4, workdir=tmp_path
    )
    results = await run(options)

    assert [(r.target, r.concurrency) for r in results] == [("bare aiohttp", 2), ("senbot help", 2)]
    for result in results:
        assert result.requests == REQUESTS
        assert result.statuses == {201: REQUESTS}
        assert len(result.latencies_ms) == REQUESTS
        assert (result.errors, result.missing_replies, result.extra_replies) == (0, 0, 0)
        assert result.ok
    # The bot ran in production mode: it read its signing keys and wrote its JSON request log.
    log = (tmp_path / "bot.log").read_text()
    posts = [line for line in log.splitlines() if '"event": "request"' in line and '"POST"' in line]
    assert len(posts) == REQUESTS + options.warmup_requests  # (the readiness probe is a GET)
    assert BENCH_OUTGOING_TOKEN not in log


async def test_a_request_without_a_reply_is_counted_as_missing(tmp_path: Path) -> None:
    key_file = tmp_path / "authority.pem"
    key_file.write_bytes(
        new_key().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    services = Child("services", "--key-file", str(key_file), log=tmp_path / "services.log")
    await services.start()
    try:
        result = Result("senbot help", 1, 1, 1.0, [1.0], errors=0)
        await check_replies(services, result, ["never-answered"])
    finally:
        await services.stop()
    assert result.missing_replies == 1
    assert not result.ok
