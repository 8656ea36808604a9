"""Proactive sends through the stored conversation reference (what reminders and digests use)."""

from __future__ import annotations

from sqlalchemy import select

from bot.server.http import SEAM_KEY
from bot.turn.core import ConversationAddress, Message
from cards.common import notice
from storage.models import ConversationRef
from tests.conftest import OUTGOING_TOKEN, BotUnderTest
from tests.support import activities as act


async def test_a_stored_reference_reaches_the_person(bot: BotUnderTest) -> None:
    await bot.post(act.installed(bot.service_url))
    async with bot.sessions() as session:
        ref = (await session.execute(select(ConversationRef))).scalar_one()
    bot.connector.sent.clear()
    address = ConversationAddress(
        tenant_id=ref.tenant_id,
        channel_id=ref.channel_id,
        service_url=ref.service_url,
        conversation_id=ref.conversation_id,
        bot_id=ref.bot_id,
        user_id=ref.user_id,
    )
    activity_id = await bot.app[SEAM_KEY].send_proactive(
        address, Message(card=notice("Reviews due this week"))
    )
    [sent] = bot.connector.sent
    assert sent.method == "POST" and sent.path == f"/v3/conversations/{ref.conversation_id}/activities"
    assert sent.authorization == f"Bearer {OUTGOING_TOKEN}"
    assert sent.cards[0]["body"][0]["text"] == "Reviews due this week"
    assert activity_id is not None and activity_id == sent.response_id
