"""A fake Microsoft Graph on loopback: records sendMail calls and answers as a test tells it to.

Modes: "ok" (202), "throttle" (429 with Retry-After), "slow" (answers after `delay` seconds, longer than
the client's timeout: the message counts as sent here, as it would on the real service).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from azure.core.credentials import AccessToken


@dataclass
class FakeGraph:
    mode: str = "ok"
    delay: float = 2.0
    calls: list[dict[str, Any]] = field(default_factory=list)
    server: TestServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1.0"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1.0/users/{mailbox}/sendMail", self._send_mail)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def _send_mail(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(
            {
                "mailbox": request.match_info["mailbox"],
                "authorization": request.headers.get("Authorization", ""),
                "body": body,
            }
        )
        if self.mode == "throttle":
            return web.json_response(
                {"error": {"code": "TooManyRequests", "message": "throttled"}},
                status=429,
                headers={"Retry-After": "7"},
            )
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        return web.Response(status=202)


TOKEN = "fake-graph-token"


class StaticCredential:
    """An async credential that hands out a fixed token and never touches the network (no Entra ID
    here); shared by the mail and the roster fakes."""

    def __init__(self) -> None:
        self.closed = False

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        expires = int((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).timestamp())
        return AccessToken(TOKEN, expires)

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> StaticCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()
