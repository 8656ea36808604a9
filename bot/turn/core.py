"""Plain types that flows see instead of the Teams SDK's.

Why: flows take plain data and return plain results (docs/design.md, "How the code reads"). The seam
(bot/teams/seam.py)
translates activities into `Inbound` and `Outbound` back into activities, so a move to another SDK
touches one module and the flows and their tests stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Card = dict[str, Any]


class InboundKind(StrEnum):
    MESSAGE = "message"  # typed text: a command
    SUBMIT = "submit"  # Action.Submit from a card (arrives as a message with a value)
    EXECUTE = "execute"  # Action.Execute (an invoke named adaptiveCard/action), incl. refresh
    SEARCH = "search"  # a type-ahead picker asks for matches (an invoke named application/search)
    INSTALL = "install"  # the bot was added to a conversation
    OTHER = "other"  # anything else Teams sends; acknowledged, never an error


class ChatKind(StrEnum):
    PERSONAL = "personal"
    GROUP = "groupChat"
    CHANNEL = "channel"


@dataclass(frozen=True)
class ConversationAddress:
    """What is needed to message a person later (stored as the conversation reference)."""

    tenant_id: str
    channel_id: str
    service_url: str
    conversation_id: str
    bot_id: str
    user_id: str


@dataclass(frozen=True)
class Inbound:
    kind: InboundKind
    tenant_id: str
    aad_object_id: str | None
    chat: ChatKind
    correlation_id: str
    text: str = ""
    verb: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    # Action.Execute sent automatically to refresh a card rather than by a click.
    is_refresh: bool = False
    # The id of the message that carried the card that was clicked (to replace it in place).
    reply_to_id: str | None = None
    address: ConversationAddress | None = None

    @property
    def command(self) -> str:
        word, _, _ = self.text.strip().partition(" ")
        return word.lower()

    @property
    def args(self) -> str:
        _, _, rest = self.text.strip().partition(" ")
        return rest.strip()


@dataclass(frozen=True)
class SearchResult:
    """One match offered by a type-ahead picker: what the person reads and the value the card submits."""

    title: str
    value: str


@dataclass(frozen=True)
class Message:
    text: str | None = None
    card: Card | None = None


@dataclass
class Outbound:
    """What a flow answers. The seam sends `messages`, replaces the clicked card with `replace_card`
    (Action.Submit), returns `invoke_card` as the body of an Action.Execute response and `search_results`
    as the answer to a type-ahead search.

    Flows say what to show, not how: `in_place` is a card that takes the clicked card's place, and the
    dispatcher (bot/turn/dispatch.py `_answer`) turns it into one of the three from the request."""

    messages: list[Message] = field(default_factory=list)
    replace_card: Card | None = None
    invoke_card: Card | None = None
    in_place: Card | None = None
    search_results: list[SearchResult] = field(default_factory=list)

    @classmethod
    def card(cls, card: Card) -> Outbound:
        return cls(messages=[Message(card=card)])

    @classmethod
    def replacing(cls, card: Card) -> Outbound:
        """The clicked card's new state (a decision made, a page turned): shown where that card was."""
        return cls(in_place=card)

    @classmethod
    def text(cls, text: str) -> Outbound:
        return cls(messages=[Message(text=text)])


class UserError(Exception):
    """Something the person must fix. Rendered the same way everywhere; nothing is written.

    `card`, when given, is sent instead of a plain message (e.g. the same form with the error on the field).
    `in_place`: the card is the submitted form again, with the errors on its fields and the person's input
    kept, so it replaces the form they submitted instead of arriving as a new message below it.
    """

    def __init__(self, message: str, *, card: Card | None = None, in_place: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.card = card
        self.in_place = in_place


class SendFailed(Exception):
    """A proactive send the connector refused or that never got an answer; SDK-free (bot/teams/seam.py maps
    it).

    `status` is the HTTP status (None when no answer came: timeout, connection refused); `retry_after` is
    the raw `Retry-After` header (seconds or an HTTP date): the dispatcher interprets it with its own clock.
    """

    def __init__(self, status: int | None, retry_after: str | None = None, reason: str = "") -> None:
        super().__init__(f"send failed: {status if status is not None else reason or 'no answer'}")
        self.status = status
        self.retry_after = retry_after
        self.reason = reason
