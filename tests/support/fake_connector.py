"""A fake Bot Connector on loopback: records what the bot sends, answers like Teams would.

Tests assert on `sent` (every request, in order) and can queue failures (status, headers) to
exercise retries and dead-lettering.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.support.cards import reserved_data_names


@dataclass
class Recorded:
    method: str
    path: str
    body: dict[str, Any]
    authorization: str | None
    response_id: str | None = None

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def text(self) -> str | None:
        return self.body.get("text")


@dataclass
class FakeConnector:
    sent: list[Recorded] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    server: TestServer | None = None
    # Seconds each request takes to answer (recorded first): lets a test kill a sender mid-batch.
    delay: float = 0.0
    # Cards whose action data use a name the Teams client reserves (the `connector` fixture fails on any).
    reserved: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/")).rstrip("/") + "/"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/v3/conversations/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        recorded = Recorded(request.method, request.path, body, request.headers.get("Authorization"))
        self.sent.append(recorded)
        self.reserved.extend(n for c in recorded.cards for n in reserved_data_names(c))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            status, headers = self.failures.pop(0)
            return web.json_response(
                {"error": {"code": "fake", "message": "injected"}}, status=status, headers=headers
            )
        recorded.response_id = f"activity-{next(self._ids)}"
        return web.json_response({"id": recorded.response_id})

    def messages(self) -> list[Recorded]:
        """Messages posted into conversations (replies and proactive sends), not updates."""
        return [r for r in self.sent if r.method == "POST" and "/activities" in r.path]

    def updates(self) -> list[Recorded]:
        return [r for r in self.sent if r.method == "PUT"]

    def replaced_card(self, activity_id: str = "card-1") -> dict[str, Any]:
        """The card of the last update, which must be of `activity_id` (the submitted form's message)."""
        last = self.updates()[-1]
        assert last.path.endswith(f"/activities/{activity_id}"), last.path
        return last.cards[0]

    def all_cards(self) -> list[dict[str, Any]]:
        return [c for r in self.sent for c in r.cards]
