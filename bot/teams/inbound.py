"""An inbound Teams activity read into a plain `bot.turn.core.Inbound`, and the checks before it is read.

Why here: past this module nothing knows what an Activity is (docs/design.md, "How the code reads"). The
tenant is read from `channelData.tenant.id`, because 4.17.1 never fills `conversation.tenant_id` for Teams
(docs/design.md, "SDK defects" 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botbuilder.schema import Activity, ActivityTypes

from bot.turn.core import ChatKind, ConversationAddress, Inbound, InboundKind

TEAMS_CHANNEL = "msteams"
CARD_INVOKE = "adaptiveCard/action"
SEARCH_INVOKE = "application/search"
MAX_QUERY = 100


def malformed(activity: Activity) -> str | None:
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


def tenant_of(body: Mapping[str, Any]) -> str | None:
    channel_data = body.get("channelData")
    if not isinstance(channel_data, Mapping):
        return None
    tenant = channel_data.get("tenant")
    if not isinstance(tenant, Mapping):
        return None
    tenant_id = tenant.get("id")
    return tenant_id if isinstance(tenant_id, str) and tenant_id else None


def to_inbound(activity: Activity, tenant_id: str, correlation_id: str) -> Inbound | None:
    """The activity as the turn sees it; None for an invoke this bot does not handle."""
    sender = activity.from_property
    aad = getattr(sender, "aad_object_id", None) if sender else None
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
        "chat": _chat_kind(activity),
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

    if activity.type == ActivityTypes.invoke and activity.name == SEARCH_INVOKE:
        # A Data.Query choice set as the person types: {queryText, dataset, queryOptions: {skip, top}}.
        search: Mapping[str, Any] = activity.value if isinstance(activity.value, Mapping) else {}
        query_text = search.get("queryText")
        dataset = search.get("dataset")
        raw_options = search.get("queryOptions")
        options: Mapping[str, Any] = raw_options if isinstance(raw_options, Mapping) else {}
        return Inbound(
            kind=InboundKind.SEARCH,
            text=query_text[:MAX_QUERY] if isinstance(query_text, str) else "",
            verb=dataset if isinstance(dataset, str) else None,
            data={k: options[k] for k in ("skip", "top") if k in options},
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


def _chat_kind(activity: Activity) -> ChatKind:
    kind = getattr(activity.conversation, "conversation_type", None) if activity.conversation else None
    if kind == "channel":
        return ChatKind.CHANNEL
    if kind == "groupChat":
        return ChatKind.GROUP
    return ChatKind.PERSONAL


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
