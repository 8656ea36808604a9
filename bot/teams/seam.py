"""The seam: the only module that imports the Teams SDK (botbuilder 4.17.1).

Everything SDK-shaped stops here. Inbound activities become `bot.turn.core.Inbound`; a flow's `Outbound`
becomes replies, an updated card or an invoke response. A move to the Microsoft 365 Agents SDK
rewrites this file and nothing else.

Defects of 4.17.1 handled here (docs/design.md):
1. Action.Execute through `on_adaptive_card_invoke` answers 500: we never use the ActivityHandler;
   invokes are answered with an InvokeResponse whose body is a plain dict.
2/7. Bad tokens give 500 and key refresh blocks the loop: tokens are checked by `bot.teams.auth` before the
   SDK sees the activity, and every failure is a 401.
3/4. No tenant check and `conversation.tenant_id` always None: the tenant is read from
   `channelData.tenant.id` and checked against configuration (403 otherwise).
5. ~17 ms of CPU per activity in msrest's retry policy: its status list is built from a frozenset.
   Beyond that, the SDK builds a ConnectorClient (msrest configuration, retry policy, a new
   `requests.Session`, so a new TCP connection per reply) and a user token client for every activity:
   both are kept and reused here (see `_ReusedConnectorFactory`; benchmarks/, docs/benchmarks.md).
8. Anonymous requests are accepted only in local mode, which binds to loopback (bot/settings.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog
from botbuilder.core import (
    BotAdapter,
    CardFactory,
    InvokeResponse,
    MessageFactory,
    TurnContext,
)
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthenticationFactory,
    ClaimsIdentity,
    MicrosoftAppCredentials,
    PasswordServiceClientCredentialFactory,
)
from botframework.connector.auth.connector_factory import ConnectorFactory
from msrest.exceptions import ClientRequestError, HttpOperationError
from msrest.serialization import Deserializer, Serializer
from msrest.universal_http.requests import ClientRetryPolicy

from bot.settings import Settings
from bot.teams.auth import AuthError, KeyCache, TokenValidator
from bot.turn.core import (
    ChatKind,
    ConversationAddress,
    Inbound,
    InboundKind,
    Message,
    Outbound,
    SendFailed,
)

log = structlog.get_logger(__name__)

TEAMS_CHANNEL = "msteams"
CARD_INVOKE = "adaptiveCard/action"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

# Defect 5: `i not in safe_codes` over a 500-element list, for 999 codes, twice per activity.
# A frozenset gives the same retry codes in microseconds. msrest 0.7.1 is final, so this cannot drift.
if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]

# msrest's (de)serializer handles each string of an activity through two raised and caught
# exceptions (`data.value` → AttributeError, then the Python 2 name `unicode` → NameError) before
# returning `str(data)`. A card is hundreds of strings, so the reply alone spent ~0.5 ms there
# (15% of the bot's CPU per `help`). For an exact `str` the result is the string itself: answer that
# first and leave every other type (enums, str subclasses) to the original code.
_serialize_unicode: Callable[[Any], Any] = Serializer.serialize_unicode
_deserialize_unicode: Callable[[Any], Any] = Deserializer.deserialize_unicode


def _fast_serialize_unicode(data: Any) -> Any:
    return data if type(data) is str else _serialize_unicode(data)


def _fast_deserialize_unicode(data: Any) -> Any:
    return data if type(data) is str else _deserialize_unicode(data)


setattr(Serializer, "serialize_unicode", staticmethod(_fast_serialize_unicode))  # noqa: B010
setattr(Deserializer, "deserialize_unicode", staticmethod(_fast_deserialize_unicode))  # noqa: B010


def _turn_off_retries(config: Any) -> None:
    """msrest retries connection errors (and, with urllib3 1.x, 5xx) in a worker thread, sleeping, and
    hides the outcome from us; the outbox dispatcher owns retries (backoff as data, Retry-After honoured).

    The client's session was built with this config's urllib3 Retry object when the client was created,
    so it is changed in place (each connector client has its own policy object).
    """
    policy = config.retry_policy
    policy.retries = 0
    policy.policy.status_forcelist = frozenset()


@dataclass(frozen=True)
class SeamResponse:
    status: int
    body: Any = None


TurnHandler = Callable[[Inbound], Awaitable[Outbound]]
Auditor = Callable[[str, str | None, str], Awaitable[None]]
TokenProvider = Callable[[], str]


class _StaticTokenCredentials(MicrosoftAppCredentials):  # type: ignore[misc]
    """Outgoing credentials from a token provider instead of MSAL (tests, or a managed token source)."""

    def __init__(self, app_id: str, provider: TokenProvider) -> None:
        super().__init__(app_id, "")
        self._provider = provider

    def get_access_token(self, force_refresh: bool = False) -> str:
        return self._provider()


class _StaticTokenCredentialFactory(PasswordServiceClientCredentialFactory):  # type: ignore[misc]
    def __init__(self, app_id: str, provider: TokenProvider) -> None:
        super().__init__(app_id, "unused", None)
        self._provider = provider

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        return _StaticTokenCredentials(app_id, self._provider)


class _ReusedConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """Hands out one long-lived ConnectorClient per (service URL, audience) instead of one per turn.

    Why: building a ConnectorClient costs ~0.4 ms of CPU (msrest configuration, retry policy, serializer
    tables) and comes with a fresh `requests.Session`, so every reply also opened a new TCP connection.
    Reused, replies go over kept-alive connections. Safe to share: the client holds no per-turn state,
    and its credentials fetch (and refresh) the outgoing token on every request. Bounded, least recently
    used first out, although service URLs are few (one per region) and only come from validated tokens.
    """

    def __init__(self, limit: int = 32) -> None:
        self._limit = limit
        self._clients: OrderedDict[tuple[str, str | None], Any] = OrderedDict()
        self._inner: Any = None

    @property
    def bound(self) -> bool:
        return self._inner is not None

    def bind(self, inner: Any) -> None:
        # The SDK's factory depends only on the bot's app id, which every accepted token carries as its
        # audience (bot.teams.auth checks it), or on nothing in local mode: one factory serves every turn.
        self._inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (service_url, audience)
        client = self._clients.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            self._clients[key] = client
            if len(self._clients) > self._limit:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(key)
        return client


class _Replies:
    """Sends a turn's replies and card updates over one shared aiohttp session.

    Why not the SDK's connector client: 4.17.1 sends with `requests` in the default thread pool
    (docs/design.md
    defect 6: ~6 in flight on 2 cores) and that path was ~30% of the CPU of a `help` turn
    (docs/benchmarks.md). The activity bodies are still built and serialised by the SDK's own models, so
    what reaches the Bot Connector is unchanged; only the HTTP client differs. A refused send raises,
    and the inbound request fails (the Bot Service retries it), as it did with the SDK's client.
    """

    TOKEN_TTL_SECONDS = 600.0

    def __init__(self, token: Callable[[], Awaitable[str | None]]) -> None:
        self._token = token
        self._session: aiohttp.ClientSession | None = None
        self._cached: tuple[str | None, float] | None = None

    async def _authorization(self) -> dict[str, str]:
        # A Bot Framework token lasts an hour: asking MSAL (blocking, in a thread) every 10 minutes is plenty.
        now = time.monotonic()
        if self._cached is None or now - self._cached[1] > self.TOKEN_TTL_SECONDS:
            self._cached = (await self._token(), now)
        token = self._cached[0]
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._session

    async def send(self, method: str, url: str, activity: Activity) -> None:
        headers = await self._authorization()
        async with self._http().request(method, url, json=_activity_json(activity), headers=headers) as resp:
            if resp.status >= 300:
                raise ConnectionError(f"Bot Connector answered {resp.status} to a reply")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _activity_json(activity: Activity) -> dict[str, Any]:
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


def _activities_url(service_url: str, conversation_id: str, activity_id: str | None) -> str:
    url = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe=':@')}/activities"
    return f"{url}/{quote(activity_id, safe='')}" if activity_id else url


class TeamsSeam:
    def __init__(
        self,
        settings: Settings,
        handle_turn: TurnHandler,
        audit_refusal: Auditor,
        *,
        outgoing_token: TokenProvider | None = None,
    ) -> None:
        self._settings = settings
        self._handle_turn = handle_turn
        self._audit_refusal = audit_refusal
        if settings.local_mode:
            credentials = PasswordServiceClientCredentialFactory()
            self._validator: TokenValidator | None = None
        else:
            if outgoing_token is not None:
                credentials = _StaticTokenCredentialFactory(settings.app_id, outgoing_token)
            else:
                credentials = PasswordServiceClientCredentialFactory(
                    settings.app_id,
                    settings.app_password.get_secret_value(),
                    next(iter(sorted(settings.tenant_ids))),
                )
            self._validator = TokenValidator(
                keys=KeyCache(settings.openid_metadata_url, settings.openid_timeout_seconds),
                app_id=settings.app_id,
                issuer=settings.token_issuer,
            )
        self._auth = BotFrameworkAuthenticationFactory.create(
            channel_service="",
            credential_factory=credentials,
            auth_configuration=AuthenticationConfiguration(),
        )
        self._adapter = CloudAdapter(self._auth)
        self._replies = _Replies(self._outgoing_token_source(settings, outgoing_token))
        self._connectors = _ReusedConnectorFactory()
        # The SDK also builds a user token client (another msrest client, ~0.2 ms) for every activity,
        # for OAuth prompts this bot never uses; one per app id is kept instead.
        self._user_token_clients: dict[str | None, Any] = {}
        build_user_token_client = self._auth.create_user_token_client

        async def reused_user_token_client(identity: ClaimsIdentity) -> Any:
            key = identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
            client = self._user_token_clients.get(key)
            if client is None:
                client = self._user_token_clients[key] = await build_user_token_client(identity)
            return client

        self._auth.create_user_token_client = reused_user_token_client

    @staticmethod
    def _outgoing_token_source(
        settings: Settings, outgoing_token: TokenProvider | None
    ) -> Callable[[], Awaitable[str | None]]:
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

    async def close(self) -> None:
        await self._replies.close()

    # -- inbound -----------------------------------------------------------------------------

    async def process(
        self, body: Mapping[str, Any], authorization: str | None, correlation_id: str
    ) -> SeamResponse:
        """Authenticate, gate and run one activity. Never raises for anything a caller sends."""
        try:
            activity = Activity().deserialize(dict(body))
        except Exception:  # msrest raises several types for malformed fields
            return SeamResponse(400, {"error": "not an activity"})
        problem = _malformed(activity)
        if problem:
            return SeamResponse(400, {"error": problem})

        channel_id = activity.channel_id or ""
        if self._validator is not None:
            try:
                claims = await self._validator.validate(
                    authorization, channel_id=channel_id, service_url=activity.service_url or ""
                )
            except AuthError as exc:
                log.info("auth_refused", reason=str(exc))
                return SeamResponse(401, {"error": "unauthorized"})
            identity = ClaimsIdentity(dict(claims), True)
        else:
            identity = ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)

        tenant_id = _tenant_of(body)
        refusal = self._gate(channel_id, tenant_id)
        if refusal:
            log.info("tenant_refused", reason=refusal)
            await self._audit_refusal(refusal, tenant_id, correlation_id)
            return SeamResponse(403, {"error": "forbidden"})

        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        result.caller_id = None
        if not self._connectors.bound:
            self._connectors.bind(self._auth.create_connector_factory(identity))
        result.connector_factory = self._connectors

        async def logic(context: TurnContext) -> None:
            await self._turn(context, tenant_id or "", correlation_id)

        invoke = await self._adapter.process_activity(result, activity, logic)
        if invoke is not None:
            return SeamResponse(invoke.status or 200, invoke.body)
        return SeamResponse(200 if activity.type == ActivityTypes.invoke else 201)

    def _gate(self, channel_id: str, tenant_id: str | None) -> str | None:
        allowed = self._settings.tenant_ids
        if self._settings.local_mode and not allowed:
            return None
        if channel_id != TEAMS_CHANNEL:
            return "channel_not_teams"
        if not tenant_id:
            return "tenant_missing"
        if tenant_id.lower() not in allowed:
            return "tenant_foreign"
        return None

    async def _turn(self, context: TurnContext, tenant_id: str, correlation_id: str) -> None:
        activity = context.activity
        inbound = _to_inbound(context, tenant_id, correlation_id)
        if inbound is None:
            if activity.type == ActivityTypes.invoke:
                await _send_invoke(context, 200, {})
            return
        outbound = await self._handle_turn(inbound)
        if inbound.kind is InboundKind.EXECUTE:
            card = outbound.invoke_card
            body = (
                {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card}
                if card
                else {
                    "statusCode": 204,
                    "type": "application/vnd.microsoft.activity.message",
                    "value": "",
                }
            )
            await _send_invoke(context, 200, body)
        reference = TurnContext.get_conversation_reference(activity)
        conversation_id = activity.conversation.id
        if outbound.replace_card is not None and inbound.reply_to_id:
            update = MessageFactory.attachment(CardFactory.adaptive_card(outbound.replace_card))
            update = TurnContext.apply_conversation_reference(update, reference)
            update.id = inbound.reply_to_id
            url = _activities_url(activity.service_url, conversation_id, inbound.reply_to_id)
            await self._replies.send("PUT", url, update)
        for message in outbound.messages:
            reply = TurnContext.apply_conversation_reference(_to_activity(message), reference)
            url = _activities_url(activity.service_url, conversation_id, reply.reply_to_id)
            await self._replies.send("POST", url, reply)

    # -- outbound (proactive) ----------------------------------------------------------------

    async def send_proactive(self, address: ConversationAddress, message: Message) -> str | None:
        """Send one message to a stored conversation; returns the new activity id.

        Raises `bot.turn.core.SendFailed` (never an SDK exception) when the connector refuses it or does not
        answer within `outbox_send_timeout_seconds`. No retry happens here: the caller decides.
        """
        reference = ConversationReference(
            channel_id=address.channel_id,
            service_url=address.service_url,
            conversation=ConversationAccount(id=address.conversation_id, tenant_id=address.tenant_id),
            bot=ChannelAccount(id=address.bot_id),
            user=ChannelAccount(id=address.user_id),
        )
        sent: dict[str, str | None] = {}
        timeout = self._settings.outbox_send_timeout_seconds

        async def callback(context: TurnContext) -> None:
            client = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
            if client is not None:
                _turn_off_retries(client.config)
                # A bounded send keeps the at-least-once window inside the dispatcher's lease.
                client.config.connection.timeout = timeout
            # The SDK gives the continuation activity a made-up id and would "reply" to it;
            # a proactive message is a new message in the conversation.
            context.activity.id = None
            response = await context.send_activity(_to_activity(message))
            sent["id"] = response.id if response else None

        identity = ClaimsIdentity(
            {
                AuthenticationConstants.AUDIENCE_CLAIM: self._settings.app_id,
                AuthenticationConstants.APP_ID_CLAIM: self._settings.app_id,
            },
            True,
        )
        try:
            await self._adapter.continue_conversation(
                reference,
                callback,
                self._settings.app_id or None,
                claims_identity=identity,
                audience=AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
            )
        except HttpOperationError as exc:
            response = getattr(exc, "response", None)
            status = getattr(response, "status_code", None)
            headers = getattr(response, "headers", None) or {}
            raise SendFailed(
                status if isinstance(status, int) else None, headers.get("Retry-After"), "http error"
            ) from None
        except ClientRequestError as exc:
            raise SendFailed(None, None, type(exc).__name__) from None
        return sent.get("id")


def _malformed(activity: Activity) -> str | None:
    """What the SDK needs to answer at all; without it, it would crash (found by fuzzing)."""
    if not activity.type or not isinstance(activity.type, str):
        return "activity has no type"
    if not isinstance(activity.service_url, str) or not activity.service_url.startswith(
        ("https://", "http://")
    ):
        return "activity has no serviceUrl"
    if not isinstance(activity.channel_id, str) or not activity.channel_id:
        return "activity has no channelId"
    for name, account in (
        ("conversation", activity.conversation),
        ("from", activity.from_property),
        ("recipient", activity.recipient),
    ):
        if account is None or not isinstance(account.id, str) or not account.id:
            return f"activity has no {name}.id"
    return None


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


def _tenant_of(body: Mapping[str, Any]) -> str | None:
    channel_data = body.get("channelData")
    if not isinstance(channel_data, Mapping):
        return None
    tenant = channel_data.get("tenant")
    if not isinstance(tenant, Mapping):
        return None
    tenant_id = tenant.get("id")
    return tenant_id if isinstance(tenant_id, str) and tenant_id else None


def _chat_kind(activity: Activity) -> ChatKind:
    kind = getattr(activity.conversation, "conversation_type", None) if activity.conversation else None
    if kind == "channel":
        return ChatKind.CHANNEL
    if kind == "groupChat":
        return ChatKind.GROUP
    return ChatKind.PERSONAL


def _to_inbound(context: TurnContext, tenant_id: str, correlation_id: str) -> Inbound | None:
    activity = context.activity
    sender = activity.from_property
    aad = getattr(sender, "aad_object_id", None) if sender else None
    chat = _chat_kind(activity)
    address = None
    if activity.conversation and activity.recipient and sender and activity.service_url:
        address = ConversationAddress(
            tenant_id=tenant_id,
            channel_id=activity.channel_id or TEAMS_CHANNEL,
            service_url=activity.service_url,
            conversation_id=activity.conversation.id,
            bot_id=activity.recipient.id,
            user_id=sender.id,
        )
    common: dict[str, Any] = {
        "tenant_id": tenant_id,
        "aad_object_id": aad,
        "chat": chat,
        "correlation_id": correlation_id,
        "address": address,
    }

    if activity.type == ActivityTypes.message:
        value = activity.value
        if isinstance(value, Mapping) and value:
            submitted_verb = value.get("verb")
            return Inbound(
                kind=InboundKind.SUBMIT,
                verb=submitted_verb if isinstance(submitted_verb, str) else None,
                data={k: v for k, v in value.items() if k != "verb"},
                reply_to_id=activity.reply_to_id,
                **common,
            )
        return Inbound(kind=InboundKind.MESSAGE, text=_text_without_mentions(activity), **common)

    if activity.type == ActivityTypes.invoke and activity.name == CARD_INVOKE:
        invoke_value: Mapping[str, Any] = activity.value if isinstance(activity.value, Mapping) else {}
        raw_action = invoke_value.get("action")
        action: Mapping[str, Any] = raw_action if isinstance(raw_action, Mapping) else {}
        verb = action.get("verb")
        data = action.get("data")
        return Inbound(
            kind=InboundKind.EXECUTE,
            verb=verb if isinstance(verb, str) else None,
            data=data if isinstance(data, Mapping) else {},
            is_refresh=invoke_value.get("trigger") == "automatic",
            reply_to_id=activity.reply_to_id,
            **common,
        )

    if activity.type == ActivityTypes.conversation_update:
        bot_id = activity.recipient.id if activity.recipient else None
        added = activity.members_added or []
        # `membersAdded: [null]` deserializes to [None] (found by fuzzing).
        if bot_id and any(m is not None and m.id == bot_id for m in added):
            return Inbound(kind=InboundKind.INSTALL, **common)
        return Inbound(kind=InboundKind.OTHER, **common)

    if activity.type == ActivityTypes.invoke:
        return None
    # installationUpdate, messageReaction, typing...: remembered, acknowledged, never an error.
    return Inbound(kind=InboundKind.OTHER, **common)


def _text_without_mentions(activity: Activity) -> str:
    """The typed text without "<at>senbot</at>" (in channels the bot must be mentioned to hear)."""
    text = activity.text if isinstance(activity.text, str) else ""
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        props = getattr(entity, "additional_properties", None) or {}
        mentioned = props.get("mentioned")
        said = props.get("text")
        if (
            getattr(entity, "type", None) == "mention"
            and isinstance(mentioned, Mapping)
            and mentioned.get("id") == bot_id
            and isinstance(said, str)
            and said
        ):
            text = text.replace(said, " ")
    return " ".join(text.split())


def _to_activity(message: Message) -> Activity:
    if message.card is not None:
        activity: Activity = MessageFactory.attachment(CardFactory.adaptive_card(message.card))
        if message.text:
            activity.text = message.text
        return activity
    result: Activity = MessageFactory.text(message.text or "")
    return result


async def _send_invoke(context: TurnContext, status: int, body: Any) -> None:
    await context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status, body=body))
    )
