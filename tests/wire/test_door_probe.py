"""Findings of an outside probe at the door: nothing a caller sends answers 500, the token comes first."""

from __future__ import annotations

import datetime as dt
import json

import jwt
import pytest

from bot.server.http import TOKENS_KEY
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.tokens import APP_ID, ISSUER, KID, new_key
from tests.wire.test_door import assert_nothing_ran

NESTED = b"[" * 1000 + b"]" * 1000


async def test_deeply_nested_body_without_a_token_gets_401_not_500(bot: BotUnderTest) -> None:
    # The token is checked before the body is parsed: an unauthenticated caller never reaches the parser.
    status, body = await bot.post(None, raw=NESTED, token=None)
    assert (status, body) == (401, {"error": "unauthorized"})
    await assert_nothing_ran(bot)


@pytest.mark.parametrize(
    "raw",
    [
        NESTED,
        b'{"type": "message", "value": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        b'{"type": "message", "value": ' + b'{"a": ' * 200 + b"1" + b"}" * 200 + b"}",
    ],
    ids=["bare", "in_value", "objects"],
)
async def test_deeply_nested_body_with_a_valid_token_gets_400(bot: BotUnderTest, raw: bytes) -> None:
    status, body = await bot.post(None, raw=raw, token=bot.authority.token(bot.service_url))
    assert (status, body) == (400, {"error": "JSON nested too deeply"})
    await assert_nothing_ran(bot)


async def test_brackets_inside_strings_do_not_count_as_nesting(bot: BotUnderTest) -> None:
    activity = act.message("help " + "[{" * 500 + '\\"', bot.service_url)
    status, _ = await bot.post(activity)
    assert status == 201
    assert len(bot.connector.messages()) == 1


@pytest.mark.parametrize("aud", [[APP_ID], ["someone-else", APP_ID]], ids=["list_of_one", "list_with_others"])
async def test_audience_as_a_list_containing_the_app_id_is_accepted(
    bot: BotUnderTest, aud: list[str]
) -> None:
    status, _ = await bot.post(
        act.message("help", bot.service_url), token=bot.authority.token(bot.service_url, aud=aud)
    )
    assert status == 201
    assert len(bot.connector.messages()) == 1


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": ["someone-else"]},
        {"aud": []},
        {"serviceurl": 42},
        {"serviceurl": ["https://x"]},
        {"nbf": "soon"},
    ],
    ids=[
        "aud_list_without_us",
        "aud_empty_list",
        "serviceurl_number",
        "serviceurl_list",
        "nbf_text",
    ],
)
async def test_odd_claim_shapes_get_401(bot: BotUnderTest, claims: dict[str, object]) -> None:
    token = bot.authority.token(bot.service_url, **claims)
    status, _ = await bot.post(act.message("help", bot.service_url), token=token)
    assert status == 401
    await assert_nothing_ran(bot)


async def test_issuer_as_a_list_gets_401(bot: BotUnderTest) -> None:
    # PyJWT will not sign this shape, but a caller can send anything: signed by hand with the real key.
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"iss": [ISSUER], "aud": APP_ID, "serviceurl": bot.service_url, "exp": now + 600}
    token = jwt.PyJWS().encode(
        json.dumps(claims).encode(), bot.authority.key, algorithm="RS256", headers={"kid": KID}
    )
    status, _ = await bot.post(act.message("help", bot.service_url), token=token)
    assert status == 401
    await assert_nothing_ran(bot)


async def test_a_token_signed_with_a_withdrawn_key_is_refused_once_keys_are_refreshed(
    bot: BotUnderTest,
) -> None:
    token = bot.authority.token(bot.service_url)
    status, _ = await bot.post(act.message("help", bot.service_url), token=token)
    assert status == 201
    bot.authority.published = False
    await bot.app[TOKENS_KEY].keys.refresh()
    status, _ = await bot.post(act.message("help", bot.service_url), token=token)
    assert status == 401
    assert len(bot.connector.messages()) == 1


async def test_a_key_republished_under_the_same_id_does_not_keep_old_tokens(bot: BotUnderTest) -> None:
    token = bot.authority.token(bot.service_url)
    assert (await bot.post(act.message("help", bot.service_url), token=token))[0] == 201
    bot.authority.key = new_key()
    await bot.app[TOKENS_KEY].keys.refresh()
    assert (await bot.post(act.message("help", bot.service_url), token=token))[0] == 401
    fresh = bot.authority.token(bot.service_url)
    assert (await bot.post(act.message("help", bot.service_url), token=fresh))[0] == 201
