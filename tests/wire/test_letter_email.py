"""Letters emailed through Microsoft Graph (a fake on loopback): preview, Send, exactly once, 429, timeout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.jobs.scheduler import JOBS_KEY
from bot.server.assembly import create_app
from cards import texts
from cards.verbs import Verb
from storage.models import Outbox, ParentContact, ParentEmail, ParentTask, Pupil
from tests.conftest import OUTGOING_TOKEN, BotUnderTest, production_settings
from tests.support import activities as act
from tests.support.fake_connector import FakeConnector
from tests.support.fake_graph import FakeGraph, StaticCredential
from tests.support.sen import NOW, actions, card_texts, draft_plan, press, pupil_with_status
from tests.support.tokens import TokenAuthority

MAILBOX = "senco@oakfield.example"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def mail_bot(
    database_url: str,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    demo: None,
    connector: FakeConnector,
    authority: TokenAuthority,
    graph: FakeGraph,
) -> AsyncIterator[BotUnderTest]:
    settings = production_settings(
        database_url,
        authority,
        mail_from=MAILBOX,
        graph_base_url=graph.base_url,
        graph_timeout_seconds=0.5,
    )
    app = create_app(
        settings,
        outgoing_token=lambda: OUTGOING_TOKEN,
        clock=lambda: NOW,
        graph_credential=StaticCredential(),
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield BotUnderTest(
            str(server.make_url("")).rstrip("/"), http, connector, authority, sessions, settings, app
        )
    await server.close()


async def run_sender(bot: BotUnderTest) -> int:
    mail = bot.app[JOBS_KEY].mail
    assert mail is not None
    return await mail.run_once()


async def with_contact(bot: BotUnderTest, pupil: Pupil, email: str = "sara.khan@example.org") -> None:
    async with bot.sessions.begin() as s:
        s.add(
            ParentContact(
                pupil_id=pupil.id, name="Sara Khan", relationship="Mother", email=email, preferred=True
            )
        )


async def preview(bot: BotUnderTest, pupil_id: int, kind: str = "plan_summary") -> dict[str, Any]:
    return await press(
        bot, {"verb": Verb.LETTER_SEND_PREVIEW.value, "pupil_id": pupil_id, "kind": kind}, user=act.TEACHER
    )


async def rows(bot: BotUnderTest, model: Any) -> list[Any]:
    async with bot.sessions() as s:
        return list((await s.execute(select(model).order_by(model.id))).scalars())


async def messages_to_requester(bot: BotUnderTest) -> list[str]:
    return [str(r.payload.get("text")) for r in await rows(bot, Outbox) if r.kind == "letter_email"]


async def test_preview_then_send_goes_once_and_closes_the_task(
    mail_bot: BotUnderTest, graph: FakeGraph
) -> None:
    pupil = await pupil_with_status(mail_bot, "K", teacher=act.TEACHER)
    await draft_plan(mail_bot, pupil.id)
    await with_contact(mail_bot, pupil)
    assert await run_sender(mail_bot) == 0  # nothing is sent before Send is pressed
    card = await preview(mail_bot, pupil.id)
    assert "sara.khan@example.org" in card_texts(card) and MAILBOX in card_texts(card)
    [send] = actions(card, Verb.LETTER_SEND.value)
    assert graph.calls == [] and await rows(mail_bot, ParentEmail) == []
    card = await press(mail_bot, send, user=act.TEACHER)
    assert texts.MAIL_QUEUED in card_texts(card)
    card = await press(mail_bot, send, user=act.TEACHER)  # pressed twice / Teams retry
    assert texts.MAIL_ALREADY in card_texts(card)
    assert await run_sender(mail_bot) == 1
    assert await run_sender(mail_bot) == 0
    [call] = graph.calls
    assert call["mailbox"] == MAILBOX and call["authorization"] == "Bearer fake-graph-token"
    # The SDK writes the action's parameters in PascalCase (Graph reads them case-insensitively).
    message = call["body"]["Message"]
    assert [r["emailAddress"]["address"] for r in message["toRecipients"]] == ["sara.khan@example.org"]
    assert message["body"]["contentType"].lower() == "html" and pupil.given_name in message["body"]["content"]
    [email] = await rows(mail_bot, ParentEmail)
    assert email.status == "sent" and email.sent_at == NOW
    [task] = await rows(mail_bot, ParentTask)
    assert (task.done_how, task.done_at, task.done_recorded_at) == ("email", NOW.date(), NOW)
    assert email.task_id == task.id
    [text] = await messages_to_requester(mail_bot)
    assert text == texts.MAIL_SENT.format(
        letter=texts.LETTER_KIND_WORDS["plan_summary"], pupil=pupil.display_name, count=1
    )


async def test_a_missing_contact_sends_nothing(mail_bot: BotUnderTest, graph: FakeGraph) -> None:
    pupil = await pupil_with_status(mail_bot, "K", teacher=act.TEACHER)
    card = await preview(mail_bot, pupil.id)
    assert texts.MAIL_NO_CONTACT.format(pupil=pupil.display_name) in card_texts(card)
    forged = {
        "verb": Verb.LETTER_SEND.value,
        "pupil_id": pupil.id,
        "kind": "sen_support",
        "submission": "a" * 32,
    }
    card = await press(mail_bot, forged, user=act.TEACHER)
    assert texts.MAIL_NO_CONTACT.format(pupil=pupil.display_name) in card_texts(card)
    assert await run_sender(mail_bot) == 0
    assert graph.calls == [] and await rows(mail_bot, ParentEmail) == []
    # Out of scope and bad keys are refused before anything is queued.
    for bad in ({"submission": "!"}, {"submission": None}, {"kind": "other"}):
        card = await press(mail_bot, {**forged, **bad}, user=act.TEACHER)
        assert texts.BAD_CARD in card_texts(card) or texts.LETTER_KIND_UNKNOWN in card_texts(card)
    assert await rows(mail_bot, ParentEmail) == []


async def test_429_is_one_attempt_and_nothing_is_marked_done(
    mail_bot: BotUnderTest, graph: FakeGraph
) -> None:
    graph.mode = "throttle"
    pupil = await pupil_with_status(mail_bot, "K", teacher=act.TEACHER)
    await draft_plan(mail_bot, pupil.id)
    await with_contact(mail_bot, pupil)
    [send] = actions(await preview(mail_bot, pupil.id), Verb.LETTER_SEND.value)
    await press(mail_bot, send, user=act.TEACHER)
    assert await run_sender(mail_bot) == 1
    assert len(graph.calls) == 1  # the SDK's retry handler did not repeat the POST
    [email] = await rows(mail_bot, ParentEmail)
    assert (email.status, email.last_error) == ("failed", "refused 429")
    [task] = await rows(mail_bot, ParentTask)
    assert task.done_at is None
    assert await messages_to_requester(mail_bot) == [texts.MAIL_REFUSED.format(pupil=pupil.display_name)]
    # Asking again (a new preview, a new key) is how a person retries.
    graph.mode = "ok"
    [send] = actions(await preview(mail_bot, pupil.id), Verb.LETTER_SEND.value)
    await press(mail_bot, send, user=act.TEACHER)
    assert await run_sender(mail_bot) == 1 and len(graph.calls) == 2


async def test_a_timeout_is_unknown_and_never_resent(mail_bot: BotUnderTest, graph: FakeGraph) -> None:
    graph.mode, graph.delay = "slow", 1.5
    pupil = await pupil_with_status(mail_bot, "K", teacher=act.TEACHER)
    await draft_plan(mail_bot, pupil.id)
    await with_contact(mail_bot, pupil)
    [send] = actions(await preview(mail_bot, pupil.id), Verb.LETTER_SEND.value)
    await press(mail_bot, send, user=act.TEACHER)
    assert await run_sender(mail_bot) == 1
    assert await run_sender(mail_bot) == 0
    await press(mail_bot, send, user=act.TEACHER)
    assert await run_sender(mail_bot) == 0
    assert len(graph.calls) == 1
    [email] = await rows(mail_bot, ParentEmail)
    assert (email.status, email.sent_at) == ("unknown", None)
    assert await messages_to_requester(mail_bot) == [texts.MAIL_UNKNOWN.format(pupil=pupil.display_name)]
