"""Validation of the Bot Framework's bearer tokens, done by us rather than by the SDK.

Why not the SDK's validator (botframework-connector 4.17.1, docs/design.md, "SDK defects" 2 and 7):
- it turns garbage, expired, forged and unknown-key tokens into a 500 instead of a 401;
- it refreshes signing keys with a blocking `requests.get` (no timeout) on the event loop, so one slow
  key endpoint stalls every request.
Here the keys are fetched with aiohttp under a timeout, refreshed at most once a day (or when an unknown
key id appears, at most every few minutes, so a flood of forged key ids cannot hammer the endpoint), and
every failure is one `AuthError`, which the seam maps to 401. PyJWT does the cryptography.

The Bot Service reuses one token for many requests (it lives about an hour), so a validated token is
remembered by its exact text until it expires (`TokenCache`): the RSA verification and claim checks,
~0.2 ms of CPU per activity, then run once per token rather than once per request (docs/benchmarks.md).
What depends on the request (the channel's key endorsement, the serviceUrl) is still checked every time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
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

    def current(self, kid: str) -> SigningKey | None:
        """The key published under this id as of the last refresh, without fetching."""
        return self._keys.get(kid)

    async def refresh(self) -> None:
        """Fetch the published keys now (at start-up, or when an operator knows a key was withdrawn)."""
        await self._refresh(decided_at=time.monotonic())

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
class Validated:
    claims: Mapping[str, Any]
    kid: str
    # The very key object that verified the signature: a refresh that withdraws or replaces it ends the entry.
    key: SigningKey
    expires_at: float


@dataclass
class TokenCache:
    """Tokens whose signature and claims were verified, keyed by their exact text, until they expire.

    Keyed by the whole token, so a hit is the very string that was verified (a forged or altered token
    is a different key and is verified in full). Bounded: least recently used first out. An entry holds
    the signing key that verified it; the validator drops the entry once that key is no longer the one
    published under its id (withdrawn or replaced at the last key refresh), so a withdrawn key stops
    working as soon as the keys are refreshed, not when the last token it signed expires.
    """

    limit: int = 1024
    clock: Callable[[], float] = time.time
    _entries: OrderedDict[str, Validated] = field(default_factory=OrderedDict)

    def get(self, token: str) -> Validated | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if self.clock() >= entry.expires_at:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return entry

    def put(self, token: str, entry: Validated) -> None:
        self._entries[token] = entry
        self._entries.move_to_end(token)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def drop(self, token: str) -> None:
        self._entries.pop(token, None)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class TokenValidator:
    """Checks a channel-to-bot token as the Bot Framework specifies it."""

    keys: KeyCache
    app_id: str
    issuer: str
    cache: TokenCache = field(default_factory=TokenCache)

    async def verify(self, authorization: str | None) -> Validated:
        """What does not depend on the request body: signature, issuer, audience, expiry.

        The web edge calls this before it parses the body (bot/server/http.py), so a caller without a
        valid token never reaches the JSON parser.
        """
        token = _bearer(authorization)
        validated = self.cache.get(token)
        if validated is not None and self.keys.current(validated.kid) is not validated.key:
            self.cache.drop(token)
            validated = None
        if validated is None:
            validated = await self._verify(token)
            self.cache.put(token, validated)
        return validated

    async def validate(
        self, authorization: str | None, *, channel_id: str, service_url: str
    ) -> Mapping[str, Any]:
        validated = await self.verify(authorization)
        # An endorsed key may only sign for the channels it lists (e.g. msteams).
        endorsements = validated.key.endorsements
        if endorsements and channel_id not in endorsements:
            raise AuthError("key not endorsed for this channel")
        claimed_url = validated.claims.get("serviceurl") or validated.claims.get("serviceUrl")
        if not isinstance(claimed_url, str) or _normalise_url(claimed_url) != _normalise_url(service_url):
            raise AuthError("serviceUrl does not match the token")
        return validated.claims

    async def _verify(self, token: str) -> Validated:
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
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self.app_id,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                # Expiry is checked below against the cache's clock, the one that later expires the entry.
                options={"require": ["exp", "iss", "aud"], "verify_exp": False},
            )
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            # PyJWT raises TypeError for some shapes the JWT spec does not allow (an `iss` list, say).
            raise AuthError(f"token rejected: {type(exc).__name__}") from exc
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise AuthError("token rejected: DecodeError")
        expires_at = float(exp) + CLOCK_SKEW_SECONDS
        if self.cache.clock() >= expires_at:
            raise AuthError("token rejected: ExpiredSignatureError")
        # RFC 7519 allows `aud` as a string or a list; PyJWT has checked that ours is in it. Downstream
        # (the SDK's claims identity) expects one string, so the audience that matched is what we pass on.
        claims["aud"] = self.app_id
        return Validated(claims=MappingProxyType(claims), kid=kid, key=signing_key, expires_at=expires_at)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("no Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise AuthError("not a bearer token")
    return token.strip()


def _normalise_url(url: str) -> str:
    return url.rstrip("/").lower()
