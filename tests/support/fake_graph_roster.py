"""A fake Microsoft Graph on loopback: paged education classes, members, teachers and users.

Tests queue failures per path prefix ((status, headers) pairs served before the real answer) to
prove throttling is survived, or `broken` paths that always fail to prove a failed sync writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.support.fake_graph import TOKEN, StaticCredential

__all__ = ["TOKEN", "FakeGraph", "StaticCredential"]


@dataclass
class FakeGraph:
    classes: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    teachers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    users: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    failures: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=lambda: defaultdict(list))
    broken: set[str] = field(default_factory=set)
    requests: list[tuple[str, int]] = field(default_factory=list)
    authorizations: set[str] = field(default_factory=set)
    server: TestServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1.0"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1.0/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    def _collection(self, path: str) -> list[dict[str, Any]] | None:
        parts = path.strip("/").split("/")
        if parts == ["education", "classes"]:
            return self.classes
        if parts == ["users"]:
            return self.users
        if len(parts) == 4 and parts[:2] == ["education", "classes"] and parts[3] in ("members", "teachers"):
            return (self.members if parts[3] == "members" else self.teachers).get(parts[2], [])
        return None

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        self.authorizations.add(request.headers.get("Authorization", ""))
        for prefix, queued in self.failures.items():
            if path.startswith(prefix) and queued:
                status, headers = queued.pop(0)
                self.requests.append((path, status))
                return web.json_response(
                    {"error": {"code": "TooManyRequests"}}, status=status, headers=headers
                )
        if any(path.startswith(p) for p in self.broken):
            self.requests.append((path, 500))
            return web.json_response({"error": {"code": "InternalServerError"}}, status=500)
        items = self._collection(path)
        if items is None:
            self.requests.append((path, 404))
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        skip = int(request.query.get("$skiptoken", "0"))
        page = items[skip : skip + self.page_size]
        body: dict[str, Any] = {"value": page}
        if skip + self.page_size < len(items):
            body["@odata.nextLink"] = f"{self.base_url}{path}?$skiptoken={skip + self.page_size}"
        self.requests.append((path, 200))
        return web.json_response(body)
