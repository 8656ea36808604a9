"""A database error during a turn: the person gets the polite error card, the logs get no statement values."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.server import logs
from cards import texts
from storage.queries import pupils
from tests.conftest import BotUnderTest
from tests.support import activities as act

MARKER = "Zebedee-Marker-7f3a"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("DEBUG", "json", stream)
    yield stream
    structlog.reset_defaults()


async def test_a_failing_statement_leaves_its_parameters_out_of_the_logs(
    bot: BotUnderTest,
    json_logs: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def failing_search(session: AsyncSession, _scope: Any, words: str, **_kw: Any) -> Any:
        # A real statement failing in the real driver, with what the person typed as its parameter.
        await session.execute(text("INSERT INTO no_such_table (note) VALUES (:note)"), {"note": words})

    monkeypatch.setattr(pupils, "search", failing_search)
    caplog.set_level(logging.DEBUG)
    status, _ = await bot.post(act.message(f"pupil {MARKER}", bot.service_url))

    assert status == 201
    [reply] = bot.connector.messages()
    polite = texts.UNEXPECTED_ERROR.split("{")[0]
    assert polite in json.dumps(reply.body)
    logged = json_logs.getvalue()
    failures = [json.loads(line) for line in logged.splitlines() if '"turn_failed"' in line]
    assert len(failures) == 1
    assert "no_such_table" in failures[0]["exception"]  # the statement is logged, so the test sees the error
    assert MARKER not in logged
    assert MARKER not in caplog.text
