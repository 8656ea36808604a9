"""/readyz reports a database that cannot be reached; /healthz only says the process is alive."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestServer

from bot.server.assembly import create_app
from bot.settings import Settings


async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
    settings = Settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:9/none", log_format="console")
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(server.make_url("/readyz")) as resp:
                assert resp.status == 503
                assert (await resp.json())["status"] == "database unreachable"
            async with http.get(server.make_url("/healthz")) as resp:
                assert resp.status == 200
    finally:
        await server.close()
