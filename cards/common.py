"""Shared parts of every card, so all cards look and validate alike.

Cards target Adaptive Cards 1.5, the highest version Teams renders in bot messages. Builders build typed
elements (Microsoft's schema-generated models, microsoft-teams-cards), so mypy catches a misspelt property
or a wrong value; `card()` serializes once, and what leaves cards/ is the plain JSON dict of the card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Final
from zoneinfo import ZoneInfo

from microsoft_teams.cards.core import (
    Action,
    ActionStyle,
    AdaptiveCard,
    CardElement,
    ExecuteAction,
    Fact,
    FactSet,
    RefreshDefinition,
    SubmitAction,
    TextBlock,
    TextColor,
)

from cards.verbs import Verb

Card = dict[str, Any]
CARD_VERSION: Final = "1.5"
MAX_TEXT = 2000
# The submit-data field that carries a form's idempotency key. Not "key": Teams' web renderer (and the
# Agents Playground) treat a data property named `key` as reserved, and the click never reaches the bot.
SUBMISSION = "submission"
# Added after serializing: the model names `$schema` "schema", and allows only "full" for the Teams width,
# where Teams documents "Full".
_ENVELOPE: Card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json"}
_TEAMS: Card = {"width": "Full"}
# Times are shown as the school lives them.
LONDON = ZoneInfo("Europe/London")


# Dates for people, one form each everywhere a card shows one (input values and action data stay ISO,
# which is what Input.Date reads and writes).
def day(value: dt.date) -> str:
    """A day: "Fri 27 Nov 2026"."""
    return f"{value:%a} {birthday(value)}"


def birthday(value: dt.date) -> str:
    """A date without its weekday, which says nothing about a birth: "3 Mar 2021"."""
    return f"{value.day} {value:%b %Y}"


def week(any_day: dt.date) -> str:
    """The week a day falls in, by its Monday: "w/c 30 Nov 2026"."""
    monday = any_day - dt.timedelta(days=any_day.weekday())
    return f"w/c {monday.day} {monday:%b %Y}"


def moment(value: dt.datetime) -> str:
    """A moment, in London time: "Fri 27 Nov 2026 at 10:00"."""
    local = value.astimezone(LONDON)
    return f"{day(local.date())} at {local:%H:%M}"


def card(
    body: Iterable[CardElement],
    actions: Iterable[Action] = (),
    *,
    refresh: RefreshDefinition | None = None,
) -> Card:
    """The card as it leaves cards/: camelCase names, no nulls, no empty action list."""
    built = AdaptiveCard(
        version=CARD_VERSION, body=list(body), actions=list(actions) or None, refresh=refresh
    )
    return {**_ENVELOPE, **to_json(built), "msteams": dict(_TEAMS)}


def sub_card(body: Iterable[CardElement], actions: Iterable[Action] = ()) -> AdaptiveCard:
    """The card inside an Action.ShowCard: no version, schema or Teams width of its own."""
    return AdaptiveCard(version=None, body=list(body), actions=list(actions) or None)


def to_json(model: CardElement | Action | RefreshDefinition) -> Card:
    return model.model_dump(by_alias=True, exclude_none=True)


def title(text: str) -> TextBlock:
    return TextBlock(text=text, size="Large", weight="Bolder", wrap=True)


def heading(text: str) -> TextBlock:
    return TextBlock(text=text, weight="Bolder", wrap=True, spacing="Medium")


def paragraph(text: str, *, subtle: bool = False, color: TextColor | None = None) -> TextBlock:
    return TextBlock(text=text, wrap=True, is_subtle=True if subtle else None, color=color)


def facts(pairs: Iterable[tuple[str, str]]) -> FactSet:
    return FactSet(facts=[Fact(title=k, value=v) for k, v in pairs])


def submit(
    label: str,
    verb: Verb,
    data: Mapping[str, Any] | None = None,
    *,
    style: ActionStyle | None = None,
    with_inputs: bool = True,
) -> SubmitAction:
    """An Action.Submit whose data carries the verb the router dispatches on. `with_inputs=False` for a
    button that is not the form's own on a card with a form: the client neither sends the inputs nor
    holds the click back for an empty required one."""
    return SubmitAction(
        title=label,
        data={"verb": verb.value, **(data or {})},
        style=style,
        associated_inputs=None if with_inputs else "none",
    )


def execute(
    label: str, verb: Verb, data: Mapping[str, Any] | None = None, *, style: ActionStyle | None = None
) -> ExecuteAction:
    """An Action.Execute (Universal Action): the response replaces the card for the person who clicked."""
    return ExecuteAction(title=label, verb=verb.value, data=dict(data or {}), style=style)


def refresh_block(verb: Verb, data: Mapping[str, Any], user_ids: Iterable[str]) -> RefreshDefinition:
    """The Universal Actions refresh: Teams re-asks the bot for the card when these people open it
    (at most 60 user ids, Teams' limit)."""
    return RefreshDefinition(
        action=ExecuteAction(verb=verb.value, data=dict(data)), user_ids=list(dict.fromkeys(user_ids))[:60]
    )


def notice(text: str, *, heading_text: str | None = None, color: TextColor = "Default") -> Card:
    """A one-message card, for answers that are not forms."""
    body: list[CardElement] = []
    if heading_text:
        body.append(heading(heading_text))
    body.append(paragraph(text, color=None if color == "Default" else color))
    return card(body)
