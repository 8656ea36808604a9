"""A fake Microsoft Graph on loopback for Teams app installation: the tenant's app catalogue and the
installedApps of a user. Installs answer 201 the first time and 409 after (as Graph does); `refuse`
answers 403 (the permission not consented); queued `failures` ((status, headers) pairs) come first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.support.fake_graph import TOKEN, StaticCredential

__all__ = ["CATALOG_ID", "TOKEN", "FakeGraphInstall", "StaticCredential"]

CATALOG_ID = "catalog-app-1"


@dataclass
class FakeGraphInstall:
    external_id: str
    refuse: bool = False
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    installed: set[str] = field(default_factory=set)
    # (user id, status, teamsApp@odata.bind) per install request.
    installs: list[tuple[str, int, str]] = field(default_factory=list)
    catalog_queries: list[str] = field(default_factory=list)
    server: TestServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1.0"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1.0/appCatalogs/teamsApps", self._catalog)
        app.router.add_post("/v1.0/users/{user}/teamwork/installedApps", self._install)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def _catalog(self, request: web.Request) -> web.Response:
        query = request.query.get("$filter", "")
        self.catalog_queries.append(query)
        apps: list[dict[str, Any]] = []
        if query == f"externalId eq '{self.external_id}'":
            apps = [{"id": CATALOG_ID, "externalId": self.external_id, "displayName": "senbot"}]
        return web.json_response({"value": apps})

    async def _install(self, request: web.Request) -> web.Response:
        user = request.match_info["user"]
        body = await request.json()
        bind = str(body.get("teamsApp@odata.bind", ""))
        if self.failures:
            status, headers = self.failures.pop(0)
            self.installs.append((user, status, bind))
            return web.json_response({"error": {"code": "TooManyRequests"}}, status=status, headers=headers)
        if self.refuse:
            self.installs.append((user, 403, bind))
            return web.json_response({"error": {"code": "Forbidden", "message": "Missing role"}}, status=403)
        if user in self.installed:
            self.installs.append((user, 409, bind))
            return web.json_response({"error": {"code": "Conflict"}}, status=409)
        self.installed.add(user)
        self.installs.append((user, 201, bind))
        return web.Response(status=201)
