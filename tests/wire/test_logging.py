"""Logs carry ids and timings, one line per request, and never names, message text, cards or tokens."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from bot.server import logs
from tests.conftest import BotUnderTest
from tests.support import activities as act

PUPIL_NAME = "Amelia Smith-Secretname"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("DEBUG", "json", stream)
    yield stream
    structlog.reset_defaults()


async def test_request_lines_have_no_personal_data(bot: BotUnderTest, json_logs: io.StringIO) -> None:
    token = bot.authority.token(bot.service_url)
    await bot.post(act.message(f"pupil {PUPIL_NAME}", bot.service_url), token=token)
    await bot.post(act.message("help", bot.service_url), token="forged.token.value")
    await bot.post(act.message("help", bot.service_url, user=act.STRANGER))
    err = json_logs.getvalue()
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["event"] == "request"]
    assert len(requests) == 3
    assert [r["status"] for r in requests] == [201, 401, 201]
    assert all(r["correlation_id"] and "duration_ms" in r for r in requests)
    for forbidden in (
        PUPIL_NAME,
        "Secretname",
        token,
        "forged.token.value",
        "Alex Wilber",
        act.STRANGER.name,
        "AdaptiveCard",
    ):
        assert forbidden not in err


def test_redact_drops_forbidden_keys() -> None:
    event = logs.redact(
        None, "info", {"event": "x", "text": "Amelia", "Authorization": "Bearer t", "pupil_id": 4}
    )
    assert event == {"event": "x", "text": "[redacted]", "Authorization": "[redacted]", "pupil_id": 4}
