"""`digest` through real HTTP: each role's scope, the week argument, channel refusal, audit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from cards import texts
from cards.common import week
from storage.models import AuditEvent, Outbox, utcnow
from storage.queries.digest import IsoWeek
from tests.conftest import BotUnderTest
from tests.support import activities as act
from tests.support import digest_fixture as dfx
from tests.support.cards import card_texts

PUPIL_NAME = r"Pupil\d \w+"


@pytest.fixture
async def fx(bot: BotUnderTest) -> dfx.DigestFixture:
    async with bot.sessions.begin() as session:
        return await dfx.seed_digest_fixture(session)


async def ask(bot: BotUnderTest, text: str, user: act.User, **kw: Any) -> str:
    bot.connector.sent.clear()
    status, _ = await bot.post(act.message(text, bot.service_url, user=user, **kw))
    assert status == 201
    [sent] = bot.connector.messages()
    [card] = sent.cards
    return card_texts(card)


async def views(bot: BotUnderTest) -> list[tuple[str | None, str | None, int | None, str]]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(AuditEvent.entity, AuditEvent.entity_id, AuditEvent.pupil_id, AuditEvent.outcome)
            .where(AuditEvent.action == "digest_viewed")
            .order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_head_gets_the_school_digest_with_names_at_the_threshold(
    bot: BotUnderTest, fx: dfx.DigestFixture
) -> None:
    body = await ask(bot, "digest 2026-W03", dfx.HEAD)
    assert texts.DIGEST_TITLE.format(school="Elm Tree Primary") in body
    assert texts.DIGEST_REGISTER_TOTAL.format(k=4, e=2) in body
    assert texts.DIGEST_CHANGES.format(added=1, removed=1, changed=1) in body
    assert "2 sessions, 3.0 pupil-hours" in body
    assert texts.DIGEST_NO_SUPPORT.format(n=1) in body
    assert texts.DIGEST_WAITING.format(n=2, days=61) in body
    assert "£10,882 (22% of the budget)" in body
    # Named: p1 (£6,010) and p3 (£4,820), the two at 80% or more; no other pupil.
    assert re.findall(PUPIL_NAME, body) == ["Pupil1 Elm", "Pupil3 Elm"]
    assert await views(bot) == [
        ("school", str(fx.elm), None, "ok"),
        ("pupil_cost", str(fx.pupils["p1"]), fx.pupils["p1"], "ok"),
        ("pupil_cost", str(fx.pupils["p3"]), fx.pupils["p3"], "ok"),
    ]


async def test_senco_sees_the_same_figures(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    head = await ask(bot, "digest 2026-W03", dfx.HEAD)
    senco = await ask(bot, "DIGEST 2026-w03", dfx.SENCO)
    assert senco == head


async def test_teacher_sees_their_classes_without_money_or_names(
    bot: BotUnderTest, fx: dfx.DigestFixture
) -> None:
    body = await ask(bot, "digest 2026-W03", dfx.TEACHER)
    assert texts.DIGEST_CLASSES_ONLY in body
    assert texts.DIGEST_REGISTER_TOTAL.format(k=3, e=1) in body
    assert "2 sessions, 2.5 pupil-hours" in body
    assert texts.DIGEST_MONEY not in body and "£" not in body and not re.findall(PUPIL_NAME, body)
    assert await views(bot) == [("school", str(fx.elm), None, "ok")]


async def test_trust_lead_gets_every_school_totals_only(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    body = await ask(bot, "digest 2026-W03", dfx.TRUST_LEAD)
    assert texts.DIGEST_TRUST_TITLE in body
    assert "**Birch Academy**: K 1 · E 0 · 1 session · 1.0 pupil-hours" in body
    assert "**Elm Tree Primary**: K 4 · E 2 · 2 sessions · 3.0 pupil-hours" in body
    assert body.index("Birch Academy") < body.index("Elm Tree Primary")
    assert not re.findall(PUPIL_NAME, body)
    assert sorted(v[1] or "" for v in await views(bot)) == sorted([str(fx.elm), str(fx.birch)])


async def test_this_week_and_last_week_follow_the_clock(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    this_week = IsoWeek.containing(utcnow().date())
    assert f"Week: {week(this_week.start)} " in await ask(bot, "digest", dfx.HEAD)
    assert f"Week: {week(this_week.shifted(-1).start)} " in await ask(bot, "digest last", dfx.HEAD)


@pytest.mark.parametrize(
    "arg", ["2026-W99", "2025-W53", "last week please", "W03", "2026-3", "x" * 5000, "２０２６-W03"]
)
async def test_a_bad_week_gets_a_clear_message_and_nothing_is_recorded(
    bot: BotUnderTest, fx: dfx.DigestFixture, arg: str
) -> None:
    body = await ask(bot, f"digest {arg}", dfx.HEAD)
    assert body == texts.DIGEST_BAD_WEEK.format(text=arg[:40])
    assert await views(bot) == []


async def test_a_future_week_is_refused(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    body = await ask(bot, "digest 2099-W01", dfx.HEAD)
    assert body == texts.DIGEST_FUTURE_WEEK.format(label="2099-W01")
    assert await views(bot) == []


async def test_refused_in_a_channel(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    bot.connector.sent.clear()
    status, _ = await bot.post(act.channel_mention("digest 2026-W03", bot.service_url, user=dfx.HEAD))
    assert status == 201
    body = card_texts(bot.connector.messages()[0].cards[0])
    assert body == texts.PERSONAL_ONLY.format(command="digest")
    assert "Elm" not in body
    assert await views(bot) == []


async def test_someone_without_a_role_is_refused(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    assert await ask(bot, "digest", dfx.GOVERNOR) == texts.NOT_ALLOWED
    assert await views(bot) == []


async def test_an_empty_school_still_gets_a_card(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    body = await ask(bot, "digest 2024-W10", dfx.HEAD)
    assert texts.DIGEST_EMPTY in body
    assert texts.DIGEST_TITLE.format(school="Elm Tree Primary") in body


async def test_the_digest_is_listed_in_help(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    assert texts.DIGEST_USAGE in await ask(bot, "help", dfx.HEAD)


async def test_a_head_sees_only_their_own_school(bot: BotUnderTest, fx: dfx.DigestFixture) -> None:
    body = await ask(bot, "digest 2026-W03", dfx.BIRCH_HEAD)
    assert texts.DIGEST_TITLE.format(school="Birch Academy") in body
    assert "Elm" not in body
    assert texts.DIGEST_REGISTER_TOTAL.format(k=1, e=0) in body
    assert await views(bot) == [("school", str(fx.birch), None, "ok")]


async def test_a_replayed_request_gets_the_same_card_and_changes_nothing_else(
    bot: BotUnderTest, fx: dfx.DigestFixture
) -> None:
    activity = act.message("digest 2026-W03", bot.service_url, user=dfx.HEAD)
    cards = []
    for _ in range(2):
        bot.connector.sent.clear()
        status, _ = await bot.post(activity)
        assert status == 201
        cards.append(bot.connector.messages()[0].cards[0])
    assert cards[0] == cards[1]
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Outbox)) == 0
    assert len(await views(bot)) == 6  # each view is audited: school + two named pupils, twice
