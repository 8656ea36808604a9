"""Validation of the Bot Framework's bearer tokens, done by us rather than by the SDK.

Why not the SDK's validator (botframework-connector 4.17.1, TEAMS.md defects 2 and 7):
- it turns garbage, expired, forged and unknown-key tokens into a 500 instead of a 401;
- it refreshes signing keys with a blocking `requests.get` (no timeout) on the event loop, so one slow
  key endpoint stalls every request.
Here the keys are fetched with aiohttp under a timeout, refreshed at most once a day (or when an unknown
key id appears, at most every few minutes, so a flood of forged key ids cannot hammer the endpoint), and
every failure is one `AuthError`, which the seam maps to 401. PyJWT does the cryptography.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm

ALLOWED_ALGORITHMS = ("RS256",)
CLOCK_SKEW_SECONDS = 300
KEY_MAX_AGE_SECONDS = 24 * 3600
UNKNOWN_KID_REFRESH_SECONDS = 300
RETRY_AFTER_FAILURE_SECONDS = 30


class AuthError(Exception):
    """Any reason to refuse a request's credentials. The message is for logs, never for the caller."""


@dataclass
class SigningKey:
    key: Any
    endorsements: frozenset[str]


@dataclass
class KeyCache:
    """Signing keys published at an OpenID configuration URL, fetched without blocking the loop."""

    metadata_url: str
    timeout_seconds: float = 5.0
    _keys: dict[str, SigningKey] = field(default_factory=dict)
    _fetched_at: float = float("-inf")
    _failed_at: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def get(self, kid: str) -> SigningKey:
        now = time.monotonic()
        stale = now - self._fetched_at > KEY_MAX_AGE_SECONDS
        unknown = kid not in self._keys and now - self._fetched_at > UNKNOWN_KID_REFRESH_SECONDS
        if (stale or unknown) and now - self._failed_at > RETRY_AFTER_FAILURE_SECONDS:
            await self._refresh(decided_at=now)
        key = self._keys.get(kid)
        if key is None:
            raise AuthError("unknown signing key id")
        return key

    async def _refresh(self, *, decided_at: float) -> None:
        async with self._lock:
            # Another request refreshed (or failed to) while we waited for the lock: use its result.
            if max(self._fetched_at, self._failed_at) >= decided_at:
                return
            try:
                keys = await self._fetch()
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError):
                # Keep the keys we have; tokens signed with unknown keys fail until the endpoint is back.
                self._failed_at = time.monotonic()
                return
            self._keys = keys
            self._fetched_at = time.monotonic()

    async def _fetch(self) -> dict[str, SigningKey]:
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(self.metadata_url) as resp:
                resp.raise_for_status()
                jwks_uri = (await resp.json(content_type=None))["jwks_uri"]
            async with http.get(jwks_uri) as resp:
                resp.raise_for_status()
                document = await resp.json(content_type=None)
        keys: dict[str, SigningKey] = {}
        for jwk in document["keys"]:
            if jwk.get("kty") != "RSA" or "kid" not in jwk:
                continue
            keys[jwk["kid"]] = SigningKey(
                key=RSAAlgorithm.from_jwk(json.dumps(jwk)),
                endorsements=frozenset(jwk.get("endorsements") or ()),
            )
        return keys


@dataclass(frozen=True)
class TokenValidator:
    """Checks a channel-to-bot token as the Bot Framework specifies it."""

    keys: KeyCache
    app_id: str
    issuer: str

    async def validate(
        self, authorization: str | None, *, channel_id: str, service_url: str
    ) -> Mapping[str, Any]:
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise AuthError("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token has no key id")
        signing_key = await self.keys.get(kid)
        # An endorsed key may only sign for the channels it lists (e.g. msteams).
        if signing_key.endorsements and channel_id not in signing_key.endorsements:
            raise AuthError("key not endorsed for this channel")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self.app_id,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {type(exc).__name__}") from exc
        claimed_url = claims.get("serviceurl") or claims.get("serviceUrl")
        if not claimed_url or _normalise_url(claimed_url) != _normalise_url(service_url):
            raise AuthError("serviceUrl does not match the token")
        return claims


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("no Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise AuthError("not a bearer token")
    return token.strip()


def _normalise_url(url: str) -> str:
    return url.rstrip("/").lower()
