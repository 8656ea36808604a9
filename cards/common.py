"""Shared parts of every card, so all cards look and validate alike.

Cards target Adaptive Cards 1.5, the highest version Teams renders in bot messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cards.verbs import Verb

Card = dict[str, Any]
CARD_VERSION = "1.5"
MAX_TEXT = 2000
# The submit-data field that carries a form's idempotency key. Not "key": Teams' web renderer (and the
# Agents Playground) treat a data property named `key` as reserved, and the click never reaches the bot.
SUBMISSION = "submission"


def card(body: Iterable[Mapping[str, Any]], actions: Iterable[Mapping[str, Any]] = ()) -> Card:
    built: Card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": [dict(b) for b in body],
        "msteams": {"width": "Full"},
    }
    acts = [dict(a) for a in actions]
    if acts:
        built["actions"] = acts
    return built


def title(text: str) -> Card:
    return {"type": "TextBlock", "text": text, "size": "Large", "weight": "Bolder", "wrap": True}


def heading(text: str) -> Card:
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "wrap": True, "spacing": "Medium"}


def paragraph(text: str, *, subtle: bool = False, color: str | None = None) -> Card:
    block: Card = {"type": "TextBlock", "text": text, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if color:
        block["color"] = color
    return block


def facts(pairs: Iterable[tuple[str, str]]) -> Card:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def submit(
    label: str, verb: Verb, data: Mapping[str, Any] | None = None, *, style: str | None = None
) -> Card:
    """An Action.Submit whose data carries the verb the router dispatches on."""
    action: Card = {"type": "Action.Submit", "title": label, "data": {"verb": verb.value, **(data or {})}}
    if style:
        action["style"] = style
    return action


def execute(
    label: str, verb: Verb, data: Mapping[str, Any] | None = None, *, style: str | None = None
) -> Card:
    """An Action.Execute (Universal Action): the response replaces the card for the person who clicked."""
    action: Card = {"type": "Action.Execute", "title": label, "verb": verb.value, "data": dict(data or {})}
    if style:
        action["style"] = style
    return action


def refresh_block(verb: Verb, data: Mapping[str, Any], user_ids: Iterable[str]) -> Card:
    """The Universal Actions refresh: Teams re-asks the bot for the card when these people open it
    (at most 60 user ids, Teams' limit)."""
    return {
        "action": {"type": "Action.Execute", "verb": verb.value, "data": dict(data)},
        "userIds": list(dict.fromkeys(user_ids))[:60],
    }


def notice(text: str, *, heading_text: str | None = None, color: str = "Default") -> Card:
    """A one-message card, for answers that are not forms."""
    body: list[Card] = []
    if heading_text:
        body.append(heading(heading_text))
    body.append(paragraph(text, color=None if color == "Default" else color))
    return card(body)
