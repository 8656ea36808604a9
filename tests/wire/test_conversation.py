"""Conversations through real HTTP: Teams-shaped activities in, what reaches the connector out."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from cards import texts
from cards.verbs import Verb
from storage.models import ConversationRef, Staff
from tests.conftest import OUTGOING_TOKEN, BotUnderTest
from tests.support import activities as act
from tests.support.cards import card_texts


async def test_help_in_personal_chat_sends_the_help_card(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.message("help", bot.service_url))
    assert status == 201
    [sent] = bot.connector.messages()
    [card] = sent.cards
    assert card["version"] == "1.5"
    assert texts.HELP_TITLE in card_texts(card)
    assert "help" in [f["title"] for f in card["body"][1]["facts"]]
    # The reply goes to the conversation the message came from, signed with the bot's token.
    assert sent.path.startswith(f"/v3/conversations/a:1{act.SENCO.aad_object_id.replace('-', '')}/activities")
    assert sent.authorization == f"Bearer {OUTGOING_TOKEN}"


async def test_commands_are_case_insensitive_and_trimmed(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.message("  HELP  ", bot.service_url))
    assert status == 201
    assert texts.HELP_TITLE in card_texts(bot.connector.messages()[0].cards[0])


async def test_install_in_personal_chat_sends_the_welcome_card(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.installed(bot.service_url))
    assert status == 201
    [sent] = bot.connector.messages()
    body = card_texts(sent.cards[0])
    assert texts.WELCOME_TITLE in body
    assert "Alex Wilber" in body and "Oakfield Primary School" in body and "senco" in body


async def test_install_stores_the_conversation_reference(bot: BotUnderTest) -> None:
    await bot.post(act.installed(bot.service_url))
    async with bot.sessions() as session:
        ref = (await session.execute(select(ConversationRef))).scalar_one()
        staff = await session.get(Staff, ref.staff_id)
    assert staff is not None and staff.aad_object_id == act.SENCO.aad_object_id
    assert ref.service_url == bot.service_url
    assert ref.conversation_id.startswith("a:1")
    assert ref.bot_id == act.BOT_ID
    assert ref.tenant_id == bot.settings.tenant_id


async def test_reference_is_refreshed_when_the_service_url_moves(bot: BotUnderTest) -> None:
    await bot.post(act.message("help", bot.service_url))
    moved = act.message("help", bot.service_url)
    moved["conversation"]["id"] = "a:1moved"
    await bot.post(moved)
    async with bot.sessions() as session:
        refs = (await session.execute(select(ConversationRef))).scalars().all()
    assert [r.conversation_id for r in refs] == ["a:1moved"]


async def test_unknown_command_is_answered_politely(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.message("frobnicate the register", bot.service_url))
    assert status == 201
    body = card_texts(bot.connector.messages()[0].cards[0])
    assert body == texts.UNKNOWN_COMMAND.format(command="frobnicate")


async def test_oversized_unknown_command_is_cut_in_the_answer(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.message("x" * 5000, bot.service_url))
    assert status == 201
    body = card_texts(bot.connector.messages()[0].cards[0])
    assert len(body) < 300


async def test_empty_message_gets_a_hint(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.message("", bot.service_url))
    assert status == 201
    assert card_texts(bot.connector.messages()[0].cards[0]) == texts.EMPTY_MESSAGE


async def test_stranger_gets_the_not_in_directory_card_and_nothing_is_stored(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.message("help", bot.service_url, user=act.STRANGER))
    assert status == 201
    body = card_texts(bot.connector.messages()[0].cards[0])
    assert texts.NOT_IN_DIRECTORY in body
    assert "Alex Wilber" in body  # who to ask
    assert "Year 3" not in body and "pupil" not in body.replace("pupil information", "")
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0


async def test_help_by_mention_in_a_channel_strips_the_mention(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.channel_mention("help", bot.service_url))
    assert status == 201
    [sent] = bot.connector.messages()
    assert texts.HELP_TITLE in card_texts(sent.cards[0])
    # A channel conversation is never stored as the person's 1:1 reference.
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0


async def test_install_in_a_team_says_hello_and_nothing_about_pupils(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.installed(bot.service_url, conversation_type="channel"))
    assert status == 201
    body = card_texts(bot.connector.messages()[0].cards[0])
    assert "1:1" in body and "Oakfield" not in body


async def test_submit_with_help_verb_sends_help(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.submit({"verb": Verb.HELP.value}, bot.service_url))
    assert status == 201
    assert texts.HELP_TITLE in card_texts(bot.connector.messages()[0].cards[0])


async def test_submit_with_unknown_verb_changes_nothing_and_says_so(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.submit({"verb": "drop_tables", "pupil": 1}, bot.service_url))
    assert status == 201
    assert card_texts(bot.connector.messages()[0].cards[0]) == texts.UNKNOWN_ACTION


async def test_submit_with_wrong_typed_verb_is_unknown(bot: BotUnderTest) -> None:
    status, _ = await bot.post(act.submit({"verb": ["help"]}, bot.service_url))
    assert status == 201
    assert card_texts(bot.connector.messages()[0].cards[0]) == texts.UNKNOWN_ACTION


async def test_execute_returns_the_card_in_the_invoke_response(bot: BotUnderTest) -> None:
    status, body = await bot.post(act.execute(Verb.HELP.value, {}, bot.service_url))
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert texts.HELP_TITLE in card_texts(body["value"])
    # Answered in place: nothing else is posted to the conversation.
    assert bot.connector.messages() == []


async def test_execute_with_unknown_verb_is_a_card_not_an_error(bot: BotUnderTest) -> None:
    status, body = await bot.post(act.execute("no_such_verb", {"x": 1}, bot.service_url))
    assert status == 200
    assert card_texts(body["value"]) == texts.UNKNOWN_ACTION


async def test_execute_from_a_stranger_gets_the_directory_card(bot: BotUnderTest) -> None:
    status, body = await bot.post(act.execute(Verb.HELP.value, {}, bot.service_url, user=act.STRANGER))
    assert status == 200
    assert texts.NOT_IN_DIRECTORY in card_texts(body["value"])


async def test_other_invokes_are_acknowledged(bot: BotUnderTest) -> None:
    activity = act.base("invoke", bot.service_url)
    activity["name"] = "composeExtension/query"
    status, _ = await bot.post(activity)
    assert status == 200
    assert bot.connector.messages() == []


async def test_unknown_activity_types_are_acknowledged_silently(bot: BotUnderTest) -> None:
    for kind in ("typing", "messageReaction", "installationUpdate", "somethingNew"):
        status, _ = await bot.post(act.base(kind, bot.service_url))
        assert status == 201, kind
    assert bot.connector.sent == []
    # ...but the person's conversation reference is remembered.
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 1


async def test_conversation_update_with_null_members_is_acknowledged(bot: BotUnderTest) -> None:
    activity = act.installed(bot.service_url)
    activity["membersAdded"] = [None, {"id": act.BOT_ID}]
    status, _ = await bot.post(activity)
    assert status == 201
    activity["membersAdded"] = [None]
    status, _ = await bot.post(activity)
    assert status == 201


async def test_a_connector_that_refuses_a_reply_fails_the_request_for_a_retry(bot: BotUnderTest) -> None:
    # The Bot Service retries an inbound activity that failed; a lost reply must not look like success.
    bot.connector.failures.append((503, {}))
    status, _ = await bot.post(act.message("help", bot.service_url))
    assert status == 500
    assert len(bot.connector.messages()) == 1  # tried once, refused


async def test_a_card_update_goes_to_the_clicked_message(bot: BotUnderTest) -> None:
    # Submitting a form the flow answers with replace_card: PUT to the message that carried the card.
    from bot.server.http import SEAM_KEY
    from bot.turn.core import Outbound

    seam = bot.app[SEAM_KEY]
    original = seam._handle_turn

    async def replace(inbound):  # type: ignore[no-untyped-def]
        return Outbound(replace_card={"type": "AdaptiveCard", "version": "1.5", "body": []})

    seam._handle_turn = replace
    try:
        status, _ = await bot.post(act.submit({"verb": "anything"}, bot.service_url, reply_to_id="card-42"))
    finally:
        seam._handle_turn = original
    assert status == 201
    [update] = bot.connector.updates()
    assert update.path.endswith("/activities/card-42")
    assert update.body["id"] == "card-42" and update.cards[0]["version"] == "1.5"
    assert update.authorization == f"Bearer {OUTGOING_TOKEN}"


async def test_first_contact_install_and_conversation_update_together_store_one_reference(
    bot: BotUnderTest,
) -> None:
    # Teams (and the Agents Playground) send installationUpdate and conversationUpdate at the same moment
    # when someone first opens the chat: both turns find no stored reference and both write one.
    installation = act.base("installationUpdate", bot.service_url)
    installation["action"] = "add"
    results = await asyncio.gather(
        bot.post(installation), bot.post(act.installed(bot.service_url)), bot.post(installation)
    )
    assert [status for status, _ in results] == [201, 201, 201]
    [welcome] = bot.connector.messages()
    assert texts.WELCOME_TITLE in card_texts(welcome.cards[0])
    async with bot.sessions() as session:
        refs = (await session.execute(select(ConversationRef))).scalars().all()
    assert [(r.conversation_id, r.service_url) for r in refs] == [
        (f"a:1{act.SENCO.aad_object_id.replace('-', '')}", bot.service_url)
    ]
