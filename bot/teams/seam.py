"""The seam: one activity in, the turn's answer out, and proactive sends (botbuilder 4.17.1 behind it).

Everything SDK-shaped stops inside bot/teams. Inbound activities become `bot.turn.core.Inbound`
(`bot.teams.inbound`); a flow's `Outbound` becomes replies, an updated card or an invoke response
(`bot.teams.connector`, one HTTP client for all of them). A move to another Teams SDK rewrites this package
and nothing else.

Defects of 4.17.1 handled in this package (docs/design.md, "SDK defects"):
1. Action.Execute through `on_adaptive_card_invoke` answers 500: no ActivityHandler; invokes are answered
   with an InvokeResponse whose body is a plain dict (`bot.teams.adapter`).
2/7. Bad tokens give 500 and key refresh blocks the loop: tokens are checked by `bot.teams.auth` before the
   SDK sees the activity, and every failure is a 401.
3/4. No tenant check and `conversation.tenant_id` always None: the tenant is read from
   `channelData.tenant.id` and checked against configuration here (403 otherwise).
5. ~17 ms of CPU per activity in msrest's retry policy: `bot.teams.patches`, applied when a seam is built;
   the SDK's per-activity clients are kept and reused (`bot.teams.adapter`; docs/benchmarks.md).
6. Sends through `requests` in a thread pool: `bot.teams.connector` sends with aiohttp instead.
8. Anonymous requests are accepted only in local mode, which binds to loopback (bot/settings.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.settings import Settings
from bot.teams.adapter import Adapter
from bot.teams.auth import AuthError, KeyCache, TokenValidator
from bot.teams.connector import Connector, TokenProvider, token_source
from bot.teams.inbound import TEAMS_CHANNEL, malformed, tenant_of, to_inbound
from bot.teams.patches import apply_sdk_patches
from bot.turn.core import ConversationAddress, Inbound, InboundKind, Message, Outbound

__all__ = ["SeamResponse", "TeamsSeam", "TokenProvider", "new_correlation_id"]

log = structlog.get_logger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SEARCH_CONTENT_TYPE = "application/vnd.microsoft.search.searchResponse"


@dataclass(frozen=True)
class SeamResponse:
    status: int
    body: Any = None


TurnHandler = Callable[[Inbound], Awaitable[Outbound]]
Auditor = Callable[[str, str | None, str], Awaitable[None]]


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


class TeamsSeam:
    def __init__(
        self,
        settings: Settings,
        handle_turn: TurnHandler,
        audit_refusal: Auditor,
        *,
        outgoing_token: TokenProvider | None = None,
    ) -> None:
        apply_sdk_patches()
        self._settings = settings
        self._handle_turn = handle_turn
        self._audit_refusal = audit_refusal
        self._validator = (
            None
            if settings.local_mode
            else TokenValidator(
                keys=KeyCache(settings.openid_metadata_url, settings.openid_timeout_seconds),
                app_id=settings.app_id,
                issuer=settings.token_issuer,
            )
        )
        self._adapter = Adapter(settings)
        self._connector = Connector(
            token_source(settings, outgoing_token),
            send_timeout_seconds=settings.outbox_send_timeout_seconds,
        )

    async def close(self) -> None:
        await self._connector.close()

    async def process(
        self, body: Mapping[str, Any], authorization: str | None, correlation_id: str
    ) -> SeamResponse:
        """Authenticate, gate and run one activity. Never raises for anything a caller sends."""
        try:
            activity = Activity().deserialize(dict(body))
        except Exception:  # msrest raises several types for malformed fields
            return SeamResponse(400, {"error": "not an activity"})
        problem = malformed(activity)
        if problem:
            return SeamResponse(400, {"error": problem})

        channel_id = activity.channel_id or ""
        claims: Mapping[str, Any] | None = None
        if self._validator is not None:
            try:
                claims = await self._validator.validate(
                    authorization, channel_id=channel_id, service_url=activity.service_url or ""
                )
            except AuthError as exc:
                log.info("auth_refused", reason=str(exc))
                return SeamResponse(401, {"error": "unauthorized"})

        tenant_id = tenant_of(body)
        refusal = self._gate(channel_id, tenant_id)
        if refusal:
            log.info("tenant_refused", reason=refusal)
            await self._audit_refusal(refusal, tenant_id, correlation_id)
            return SeamResponse(403, {"error": "forbidden"})

        async def logic(context: TurnContext) -> None:
            await self._turn(context, tenant_id or "", correlation_id)

        invoke = await self._adapter.run(activity, claims, logic)
        if invoke is not None:
            return SeamResponse(invoke.status or 200, invoke.body)
        return SeamResponse(200 if activity.type == ActivityTypes.invoke else 201)

    async def send_proactive(self, address: ConversationAddress, message: Message) -> str | None:
        """Send one message to a stored conversation; returns the new activity id.

        Raises `bot.turn.core.SendFailed` (never an SDK exception) when the connector refuses it or does not
        answer within `outbox_send_timeout_seconds`. No retry happens here: the caller decides.
        """
        return await self._connector.send(address, message)

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
        inbound = to_inbound(activity, tenant_id, correlation_id)
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
        if inbound.kind is InboundKind.SEARCH:
            results = [{"title": r.title, "value": r.value} for r in outbound.search_results]
            await _send_invoke(context, 200, {"type": SEARCH_CONTENT_TYPE, "value": {"results": results}})
            return
        reference = TurnContext.get_conversation_reference(activity)
        if outbound.replace_card is not None and inbound.reply_to_id:
            await self._connector.update(reference, inbound.reply_to_id, outbound.replace_card)
        for message in outbound.messages:
            await self._connector.reply(reference, message)


async def _send_invoke(context: TurnContext, status: int, body: Any) -> None:
    # The adapter keeps an invoke response on the turn and returns it; nothing is sent over HTTP.
    await context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status, body=body))
    )
