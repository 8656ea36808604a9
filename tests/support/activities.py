"""Teams-shaped activities, as Teams sends them to a bot (personal chat unless said otherwise)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from storage.demo import DEMO_TENANT, PLAYGROUND_USERS

BOT_ID = "28:11111111-2222-3333-4444-555555555555"


@dataclass(frozen=True)
class User:
    aad_object_id: str
    name: str

    @property
    def teams_id(self) -> str:
        return "29:" + self.aad_object_id.replace("-", "")


SENCO = User(PLAYGROUND_USERS[0].aad_object_id, PLAYGROUND_USERS[0].display_name)
HEAD = User("d0000000-0000-4000-8000-000000000001", "Priya Shah")
TEACHER = User("d0000000-0000-4000-8000-000000000005", "Ellie Brooks")
TA = User("d0000000-0000-4000-8000-000000000009", "Chris Lee")
STRANGER = User("99999999-9999-4999-8999-999999999999", "Pat Unknown")


def base(
    kind: str,
    service_url: str,
    *,
    user: User = SENCO,
    tenant: str | None = DEMO_TENANT,
    conversation_type: str = "personal",
    channel_id: str = "msteams",
) -> dict[str, Any]:
    conversation_id = (
        f"a:1{user.aad_object_id.replace('-', '')}"
        if conversation_type == "personal"
        else "19:team@thread.tacv2"
    )
    activity: dict[str, Any] = {
        "type": kind,
        "id": str(uuid.uuid4()),
        "timestamp": "2026-11-28T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": channel_id,
        "from": {"id": user.teams_id, "name": user.name, "aadObjectId": user.aad_object_id},
        "recipient": {"id": BOT_ID, "name": "senbot"},
        "conversation": {"id": conversation_id, "conversationType": conversation_type},
        "locale": "en-GB",
    }
    if tenant is not None:
        activity["conversation"]["tenantId"] = tenant
        activity["channelData"] = {"tenant": {"id": tenant}}
    return activity


def message(text: str, service_url: str, **kw: Any) -> dict[str, Any]:
    activity = base("message", service_url, **kw)
    activity["text"] = text
    activity["textFormat"] = "plain"
    return activity


def channel_mention(text: str, service_url: str, **kw: Any) -> dict[str, Any]:
    activity = base("message", service_url, conversation_type="channel", **kw)
    activity["text"] = f"<at>senbot</at> {text}"
    activity["entities"] = [
        {"type": "mention", "text": "<at>senbot</at>", "mentioned": {"id": BOT_ID, "name": "senbot"}}
    ]
    return activity


def submit(
    value: dict[str, Any], service_url: str, *, reply_to_id: str = "card-1", **kw: Any
) -> dict[str, Any]:
    activity = base("message", service_url, **kw)
    activity["value"] = value
    activity["replyToId"] = reply_to_id
    return activity


def execute(
    verb: str, data: dict[str, Any], service_url: str, *, trigger: str = "manual", **kw: Any
) -> dict[str, Any]:
    activity = base("invoke", service_url, **kw)
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": trigger}
    activity["replyToId"] = "card-1"
    return activity


def installed(service_url: str, **kw: Any) -> dict[str, Any]:
    activity = base("conversationUpdate", service_url, **kw)
    activity["membersAdded"] = [{"id": BOT_ID}]
    return activity


def search(
    query_text: Any, service_url: str, *, dataset: Any = "pupils", skip: Any = 0, top: Any = 15, **kw: Any
) -> dict[str, Any]:
    """What Teams sends as a person types into a Data.Query choice set (type-ahead search)."""
    activity = base("invoke", service_url, **kw)
    activity["name"] = "application/search"
    activity["value"] = {
        "queryText": query_text,
        "dataset": dataset,
        "queryOptions": {"skip": skip, "top": top},
    }
    return activity
