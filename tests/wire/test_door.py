"""Security at the door: every bad request is refused with the right status, before any handler runs."""

from __future__ import annotations

import datetime as dt
import json

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage.models import AuditEvent, ConversationRef
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support.tokens import KID, new_key


async def assert_nothing_ran(bot: BotUnderTest) -> None:
    assert bot.connector.sent == []
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0


BAD_TOKENS = {
    "missing": lambda a, url: None,
    "garbage": lambda a, url: "not-a-jwt",
    "three_garbage_parts": lambda a, url: "aaa.bbb.ccc",
    "expired": lambda a, url: a.token(
        url, lifetime=dt.timedelta(minutes=-30), not_before=dt.timedelta(hours=-2)
    ),
    "not_yet_valid": lambda a, url: a.token(
        url, not_before=dt.timedelta(hours=1), lifetime=dt.timedelta(hours=2)
    ),
    "wrong_audience": lambda a, url: a.token(url, aud="someone-else"),
    "wrong_issuer": lambda a, url: a.token(url, iss="https://evil.example"),
    "unknown_key_id": lambda a, url: a.token(url, kid="no-such-key"),
    "forged_signature": lambda a, url: a.token(url, key=new_key()),
    "other_service_url": lambda a, url: a.token("https://smba.example/evil/"),
    "no_service_url": lambda a, url: a.token(url, serviceurl=None),
    "no_expiry": lambda a, url: a.token(url, exp=None),
    "hs256": lambda a, url: jwt.encode(
        {"iss": "https://api.botframework.com", "aud": "x"},
        "a-shared-secret-of-at-least-32-bytes!",
        headers={"kid": KID},
    ),
    "alg_none": lambda a, url: jwt.encode({"iss": "https://api.botframework.com"}, None, algorithm="none"),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_tokens_get_401_and_no_handler_runs(bot: BotUnderTest, case: str) -> None:
    activity = act.message("help", bot.service_url)
    token = BAD_TOKENS[case](bot.authority, bot.service_url)
    status, _ = await bot.post(activity, token=token)
    assert status == 401
    await assert_nothing_ran(bot)


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer x.y.z", "Token abc"])
async def test_malformed_authorization_headers_get_401(bot: BotUnderTest, header: str) -> None:
    status, _ = await bot.post(
        act.message("help", bot.service_url), token=None, headers={"Authorization": header}
    )
    assert status == 401
    await assert_nothing_ran(bot)


async def test_key_not_endorsed_for_teams_gets_401(bot: BotUnderTest) -> None:
    bot.authority.endorsements = ["webchat"]
    status, _ = await bot.post(act.message("help", bot.service_url))
    assert status == 401
    await assert_nothing_ran(bot)


async def test_valid_token_is_accepted(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.message("help", bot.service_url))
    assert status == 201
    assert len(bot.connector.messages()) == 1


async def test_signing_keys_are_fetched_once_and_reused(bot: BotUnderTest) -> None:
    for _ in range(3):
        await bot.post(act.message("help", bot.service_url))
    assert bot.authority.metadata_hits == 1


@pytest.mark.parametrize(
    ("tenant", "reason"),
    [("72f988bf-0000-0000-0000-foreign000000", "tenant_foreign"), (None, "tenant_missing")],
)
async def test_foreign_or_missing_tenant_gets_403_and_is_audited(
    bot: BotUnderTest, tenant: str | None, reason: str
) -> None:
    status, _ = await bot.post(act.message("help", bot.service_url, tenant=tenant))
    assert status == 403
    await assert_nothing_ran(bot)
    async with bot.sessions() as session:
        [event] = (await session.execute(select(AuditEvent))).scalars().all()
    assert (event.action, event.outcome, event.tenant_id) == (reason, "refused", tenant)


async def test_non_teams_channel_gets_403(bot: BotUnderTest) -> None:
    # A genuine token for another Bot Framework channel: authenticated, but this bot serves Teams only.
    bot.authority.endorsements = ["msteams", "webchat"]
    status, _ = await bot.post(act.message("help", bot.service_url, channel_id="webchat"))
    assert status == 403
    await assert_nothing_ran(bot)


async def test_malformed_json_gets_400(bot: BotUnderTest) -> None:
    # With a valid token: without one the door answers 401 before it reads the JSON.
    token = bot.authority.token(bot.service_url)
    status, _ = await bot.post(None, raw=b'{"type": "message", ', token=token)
    assert status == 400


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"message"', b"42", b"null", b"\xff\xfe"])
async def test_non_object_bodies_get_400(bot: BotUnderTest, raw: bytes) -> None:
    status, _ = await bot.post(None, raw=raw, token=bot.authority.token(bot.service_url))
    assert status == 400
    await assert_nothing_ran(bot)


async def test_activity_without_type_gets_400(bot: BotUnderTest) -> None:
    activity = act.message("help", bot.service_url)
    del activity["type"]
    status, _ = await bot.post(activity)
    assert status == 400
    await assert_nothing_ran(bot)


async def test_body_over_256_kib_gets_413(bot: BotUnderTest) -> None:
    activity = act.message("x" * (256 * 1024), bot.service_url)
    status, _ = await bot.post(activity)
    assert status == 413
    await assert_nothing_ran(bot)


async def test_body_just_under_the_limit_is_processed(bot: BotUnderTest) -> None:
    activity = act.message("help", bot.service_url)
    activity["padding"] = "x" * (250 * 1024 - len(json.dumps(activity)))
    status, _ = await bot.post(activity)
    assert status == 201


async def test_get_on_messages_is_405(bot: BotUnderTest) -> None:
    async with bot.http.get(bot.url + "/api/messages") as resp:
        assert resp.status == 405


async def test_health_and_readiness(bot: BotUnderTest) -> None:
    async with bot.http.get(bot.url + "/healthz") as resp:
        assert resp.status == 200
    async with bot.http.get(bot.url + "/readyz") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ready"


JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
JSON = st.recursive(
    JSON_LEAF,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4),
    max_leaves=20,
)
FIELDS = [
    "type",
    "text",
    "value",
    "from",
    "conversation",
    "recipient",
    "channelData",
    "name",
    "entities",
    "membersAdded",
    "replyToId",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    overrides=st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4),
    kind=st.sampled_from(["message", "invoke", "conversationUpdate", "event"]),
)
async def test_fuzzed_activities_with_valid_tokens_never_get_500(
    bot: BotUnderTest, overrides: dict, kind: str
) -> None:
    activity = act.base(kind, bot.service_url)
    activity.update(overrides)
    status, _ = await bot.post(activity, token=bot.authority.token(bot.service_url))
    assert status in {200, 201, 400, 403}, (status, activity)


async def test_chunked_body_over_the_limit_gets_413(bot: BotUnderTest) -> None:
    async def chunks():  # no Content-Length: the limit must hold while streaming
        yield b'{"type": "message", "text": "'
        for _ in range(300):
            yield b"x" * 1024
        yield b'"}'

    async with bot.http.post(
        bot.url + "/api/messages", data=chunks(), headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 413
    await assert_nothing_ran(bot)


@pytest.mark.parametrize("field", ["conversation", "from", "recipient", "serviceUrl", "channelId"])
async def test_activity_missing_what_a_reply_needs_gets_400(bot: BotUnderTest, field: str) -> None:
    activity = act.message("help", bot.service_url)
    token = bot.authority.token(bot.service_url)
    activity[field] = None
    status, _ = await bot.post(activity, token=token)
    assert status == 400
    await assert_nothing_ran(bot)
