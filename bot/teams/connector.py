"""The Bot Connector client: a turn's replies, card updates and proactive sends, over one aiohttp session.

Why not the SDK's connector client: 4.17.1 sends with `requests` in the default thread pool (docs/design.md,
"SDK defects" 6: ~6 in flight on 2 cores), that path was ~30% of the CPU of a `help` turn, and msrest
retries connection errors in a thread, sleeping, where the outbox dispatcher owns retries
(docs/benchmarks.md). The activity bodies are still built and serialised by the SDK's own models, so what
reaches the Bot Connector is unchanged; only the HTTP client differs. There are no retries here at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference
from botframework.connector.auth import MicrosoftAppCredentials

from bot.settings import Settings
from bot.turn.core import ConversationAddress, Message, SendFailed

TokenProvider = Callable[[], str]
TokenSource = Callable[[], Awaitable[str | None]]

REPLY_TIMEOUT_SECONDS = 15.0


def token_source(settings: Settings, outgoing_token: TokenProvider | None) -> TokenSource:
    """Where the bot's outgoing bearer token comes from: none in local mode, a given provider (tests, a
    managed token source), or MSAL with the app's secret (blocking, so in a thread)."""
    if settings.local_mode:

        async def anonymous() -> str | None:
            return None

        return anonymous
    if outgoing_token is not None:
        provider = outgoing_token

        async def provided() -> str | None:
            return provider()

        return provided
    credentials = MicrosoftAppCredentials(
        settings.app_id, settings.app_password.get_secret_value(), next(iter(sorted(settings.tenant_ids)))
    )

    async def from_msal() -> str | None:
        token: str = await asyncio.to_thread(credentials.get_access_token)
        return token

    return from_msal


class Connector:
    TOKEN_TTL_SECONDS = 600.0

    def __init__(self, token: TokenSource, *, send_timeout_seconds: float) -> None:
        self._token = token
        self._send_timeout = aiohttp.ClientTimeout(total=send_timeout_seconds)
        self._reply_timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT_SECONDS)
        self._session: aiohttp.ClientSession | None = None
        self._cached: tuple[str | None, float] | None = None

    async def reply(self, reference: ConversationReference, message: Message) -> None:
        """Post a message in answer to the activity `reference` was taken from. A refused reply raises, so
        the inbound request fails and the Bot Service retries it."""
        activity = TurnContext.apply_conversation_reference(to_activity(message), reference)
        url = activities_url(reference.service_url, reference.conversation.id, activity.reply_to_id)
        await self._reply("POST", url, activity)

    async def update(self, reference: ConversationReference, activity_id: str, card: dict[str, Any]) -> None:
        """Replace the card of the message `activity_id` (a form sent back in place)."""
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        activity = TurnContext.apply_conversation_reference(activity, reference)
        activity.id = activity_id
        await self._reply(
            "PUT", activities_url(reference.service_url, reference.conversation.id, activity_id), activity
        )

    async def send(self, address: ConversationAddress, message: Message) -> str | None:
        """A new message in a stored conversation; returns its activity id.

        Raises `SendFailed` when the connector refuses it or does not answer within the send timeout, which
        keeps the at-least-once window inside the dispatcher's lease. One request, no retry: the caller
        decides.
        """
        reference = ConversationReference(
            channel_id=address.channel_id,
            service_url=address.service_url,
            conversation=ConversationAccount(id=address.conversation_id, tenant_id=address.tenant_id),
            bot=ChannelAccount(id=address.bot_id),
            user=ChannelAccount(id=address.user_id),
        )
        activity = TurnContext.apply_conversation_reference(to_activity(message), reference)
        url = activities_url(address.service_url, address.conversation_id, None)
        try:
            async with self._request(
                "POST", url, activity, await self._authorization(), self._send_timeout
            ) as resp:
                if resp.status >= 300:
                    raise SendFailed(resp.status, resp.headers.get("Retry-After"), "http error")
                try:
                    answer = await resp.json(content_type=None)
                except ValueError:
                    # Sent all the same: reporting a failure would send it twice.
                    answer = None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendFailed(None, None, type(exc).__name__) from None
        sent_id = answer.get("id") if isinstance(answer, dict) else None
        return sent_id if isinstance(sent_id, str) else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _reply(self, method: str, url: str, activity: Activity) -> None:
        async with self._request(
            method, url, activity, await self._authorization(), self._reply_timeout
        ) as resp:
            if resp.status >= 300:
                raise ConnectionError(f"Bot Connector answered {resp.status} to a reply")

    def _request(
        self,
        method: str,
        url: str,
        activity: Activity,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session.request(
            method, url, json=activity_json(activity), headers=headers, timeout=timeout
        )

    async def _authorization(self) -> dict[str, str]:
        # A Bot Framework token lasts an hour: asking MSAL (blocking, in a thread) every 10 minutes is plenty.
        now = time.monotonic()
        if self._cached is None or now - self._cached[1] > self.TOKEN_TTL_SECONDS:
            self._cached = (await self._token(), now)
        token = self._cached[0]
        return {"Authorization": f"Bearer {token}"} if token else {}


def to_activity(message: Message) -> Activity:
    if message.card is not None:
        activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(message.card))
        if message.text:
            activity.text = message.text
        return activity
    result: Activity = MessageFactory.text(message.text or "")
    return result


def activity_json(activity: Activity) -> dict[str, Any]:
    """The activity as Bot Connector JSON, with each card put in as the plain JSON it already is.

    Why: msrest serialises an attachment's `content` (typed `object`) value by value, which for the
    help card was ~0.2 ms of a ~3 ms turn. Cards come from cards/ as JSON-ready dicts, so only the
    envelope goes through msrest; the result is equal to `activity.serialize()` (tested).
    """
    attachments = activity.attachments or []
    contents = [attachment.content for attachment in attachments]
    for attachment in attachments:
        attachment.content = None
    try:
        body: dict[str, Any] = activity.serialize()
    finally:
        for attachment, content in zip(attachments, contents, strict=True):
            attachment.content = content
    for item, content in zip(body.get("attachments", []), contents, strict=True):
        if content is not None:
            item["content"] = content
    return body


def activities_url(service_url: str, conversation_id: str, activity_id: str | None) -> str:
    url = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe=':@')}/activities"
    return f"{url}/{quote(activity_id, safe='')}" if activity_id else url
