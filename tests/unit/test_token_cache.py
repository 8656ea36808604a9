"""The validated-token cache (bot/teams/auth.py): a hit skips the RSA check, never the rules.

Every test here must fail if the cache accepted something the full check would refuse: an expired
token (time injected), an altered token, a token presented for another serviceUrl or channel.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest

from bot.teams import auth
from bot.teams.auth import CLOCK_SKEW_SECONDS, AuthError, KeyCache, TokenCache, TokenValidator
from tests.support.tokens import APP_ID, ISSUER, TokenAuthority

SERVICE_URL = "https://smba.example.test/uk/"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def authority() -> AsyncIterator[TokenAuthority]:
    auth_server = TokenAuthority()
    await auth_server.start()
    yield auth_server
    await auth_server.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def validator(authority: TokenAuthority, clock: Clock) -> TokenValidator:
    return TokenValidator(
        keys=KeyCache(authority.metadata_url), app_id=APP_ID, issuer=ISSUER, cache=TokenCache(clock=clock)
    )


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counting)
    return calls


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def check(
    validator: TokenValidator, token: str, service_url: str = SERVICE_URL, channel: str = "msteams"
):
    return await validator.validate(f"Bearer {token}", channel_id=channel, service_url=service_url)


async def test_a_token_is_verified_once_then_served_from_the_cache(
    validator: TokenValidator, authority: TokenAuthority, decodes: list[str]
) -> None:
    token = authority.token(SERVICE_URL)
    first = await check(validator, token)
    second = await check(validator, token)
    assert first["aud"] == second["aud"] == APP_ID
    assert decodes == [token]
    assert len(validator.cache) == 1


async def test_a_cached_token_is_refused_once_it_expires(
    validator: TokenValidator, authority: TokenAuthority, clock: Clock, decodes: list[str]
) -> None:
    token = authority.token(SERVICE_URL, lifetime=dt.timedelta(minutes=10))
    exp = _claims(token)["exp"]
    await check(validator, token)

    clock.now = exp + CLOCK_SKEW_SECONDS - 1  # still inside the allowed clock skew
    await check(validator, token)
    assert len(decodes) == 1

    clock.now = exp + CLOCK_SKEW_SECONDS
    with pytest.raises(AuthError, match="Expired"):
        await check(validator, token)
    assert len(validator.cache) == 0
    # And it stays refused: the full check runs again and refuses it too.
    with pytest.raises(AuthError, match="Expired"):
        await check(validator, token)


async def test_an_expired_token_is_never_cached(validator: TokenValidator, authority: TokenAuthority) -> None:
    token = authority.token(SERVICE_URL, lifetime=dt.timedelta(minutes=-10))
    with pytest.raises(AuthError, match="Expired"):
        await check(validator, token)
    assert len(validator.cache) == 0


async def test_an_altered_copy_of_a_cached_token_is_verified_and_refused(
    validator: TokenValidator, authority: TokenAuthority
) -> None:
    token = authority.token(SERVICE_URL)
    await check(validator, token)
    header, payload, signature = token.split(".")
    forged = authority.token(SERVICE_URL, key=None, aud="someone-else")
    with pytest.raises(AuthError):
        await check(validator, f"{header}.{forged.split('.')[1]}.{signature}")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    with pytest.raises(AuthError):
        await check(validator, f"{header}.{payload}.{flipped}")


async def test_a_cached_token_is_still_checked_against_each_request(
    validator: TokenValidator, authority: TokenAuthority
) -> None:
    token = authority.token(SERVICE_URL)
    await check(validator, token)
    with pytest.raises(AuthError, match="serviceUrl"):
        await check(validator, token, service_url="https://evil.example.test/")
    with pytest.raises(AuthError, match="endorsed"):
        await check(validator, token, channel="webchat")
    await check(validator, token)


async def test_the_cache_is_bounded(validator: TokenValidator, authority: TokenAuthority) -> None:
    small = TokenValidator(
        keys=validator.keys,
        app_id=APP_ID,
        issuer=ISSUER,
        cache=TokenCache(limit=2, clock=validator.cache.clock),
    )
    tokens = [authority.token(SERVICE_URL, jti=str(i)) for i in range(3)]
    for token in tokens:
        await check(small, token)
    assert len(small.cache) == 2
    assert small.cache.get(tokens[0]) is None
    assert small.cache.get(tokens[2]) is not None
