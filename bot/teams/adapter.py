"""The SDK's CloudAdapter, run on an activity whose token `bot.teams.auth` has already checked.

Why keep the adapter at all: it builds the TurnContext and the invoke response the Bot Service expects
(docs/design.md, "SDK defects" 1: invokes are answered with an InvokeResponse whose body is a plain dict,
never through the ActivityHandler). What it builds per activity and never needs to rebuild is kept:
per turn, 4.17.1 makes a ConnectorClient (msrest configuration, retry policy, serializer tables, a new
`requests.Session`, ~0.4 ms) and a user token client (~0.2 ms, for OAuth prompts this bot never uses).
Neither sends anything here: replies and proactive sends go through `bot.teams.connector`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConfiguration,
    AuthenticationConstants,
    BotFrameworkAuthenticationFactory,
    ClaimsIdentity,
    PasswordServiceClientCredentialFactory,
)
from botframework.connector.auth.connector_factory import ConnectorFactory

from bot.settings import Settings


class _ReusedConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """Hands out one long-lived ConnectorClient per (service URL, audience) instead of one per turn.

    Safe to share: the client holds no per-turn state. Bounded, least recently used first out, although
    service URLs are few (one per region) and only come from validated tokens.
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


class Adapter:
    def __init__(self, settings: Settings) -> None:
        if settings.local_mode:
            credentials = PasswordServiceClientCredentialFactory()
        else:
            credentials = PasswordServiceClientCredentialFactory(
                settings.app_id,
                settings.app_password.get_secret_value(),
                next(iter(sorted(settings.tenant_ids))),
            )
        self._auth = BotFrameworkAuthenticationFactory.create(
            channel_service="",
            credential_factory=credentials,
            auth_configuration=AuthenticationConfiguration(),
        )
        self._adapter = CloudAdapter(self._auth)
        self._connectors = _ReusedConnectorFactory()
        self._user_token_clients: dict[str | None, Any] = {}
        build_user_token_client = self._auth.create_user_token_client

        async def reused_user_token_client(identity: ClaimsIdentity) -> Any:
            key = identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
            client = self._user_token_clients.get(key)
            if client is None:
                client = self._user_token_clients[key] = await build_user_token_client(identity)
            return client

        self._auth.create_user_token_client = reused_user_token_client

    async def run(
        self,
        activity: Activity,
        claims: Mapping[str, Any] | None,
        logic: Callable[[TurnContext], Awaitable[None]],
    ) -> InvokeResponse | None:
        """Run `logic` on the activity; `claims` are the checked token's, None when anonymous (local mode)."""
        if claims is None:
            identity = ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)
        else:
            identity = ClaimsIdentity(dict(claims), True)
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        result.caller_id = None
        if not self._connectors.bound:
            self._connectors.bind(self._auth.create_connector_factory(identity))
        result.connector_factory = self._connectors
        response: InvokeResponse | None = await self._adapter.process_activity(result, activity, logic)
        return response
