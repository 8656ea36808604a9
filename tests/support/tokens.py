"""A local OpenID configuration and JWKS server, and tokens signed with a throwaway RSA key.

This is how the Bot Framework signs what it sends to a bot, minus the network: the bot under test
reads its keys from here (SENBOT_OPENID_METADATA_URL).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
APP_ID = "11111111-2222-3333-4444-555555555555"
KID = "test-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class TokenAuthority:
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    endorsements: list[str] = field(default_factory=lambda: ["msteams"])
    server: TestServer | None = None
    metadata_hits: int = 0
    # False: the key is withdrawn from the published set (a key rotation or a compromised key).
    published: bool = True

    @property
    def metadata_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1/.well-known/openidconfiguration"))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/keys", self._keys)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def _metadata(self, _request: web.Request) -> web.Response:
        self.metadata_hits += 1
        assert self.server is not None
        return web.json_response({"issuer": ISSUER, "jwks_uri": str(self.server.make_url("/v1/keys"))})

    async def _keys(self, _request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": KID, "use": "sig", "endorsements": self.endorsements})
        return web.json_response({"keys": [jwk] if self.published else []})

    def token(
        self,
        service_url: str,
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
        lifetime: dt.timedelta = dt.timedelta(minutes=30),
        not_before: dt.timedelta = dt.timedelta(minutes=-5),
        **claims: Any,
    ) -> str:
        now = dt.datetime.now(dt.UTC)
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url,
            "nbf": now + not_before,
            "iat": now,
            "exp": now + lifetime,
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid})
