"""Command words and card verbs → flow handlers.

Routing is on declared keys only: the first word of a message, or a card action's verb (a `Verb`
member). Each route also declares who may use it and whether it shows pupil data (then it is refused
outside a 1:1 chat). `help` and the Teams manifest's command list are generated from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.rules.policy import EVERYONE, Actor, may_use
from bot.turn.context import Handler
from bot.turn.core import InboundKind
from cards.verbs import Verb
from storage.models import Role


@dataclass(frozen=True)
class Route:
    key: str
    handler: Handler
    roles: frozenset[Role]
    personal_only: bool
    summary: str = ""
    usage: str = ""
    # Listed in the Teams command menu (the manifest's commandLists hold at most 10).
    menu: bool = True


class Router:
    def __init__(self) -> None:
        self._commands: dict[str, Route] = {}
        self._verbs: dict[str, Route] = {}
        self._datasets: dict[str, Route] = {}
        self.install_route: Route | None = None

    def command(
        self,
        word: str,
        *,
        summary: str,
        usage: str | None = None,
        roles: frozenset[Role] = EVERYONE,
        personal_only: bool = True,
        menu: bool = True,
    ) -> Callable[[Handler], Handler]:
        key = word.lower()
        if key in self._commands or " " in key:
            raise ValueError(f"command {word!r} is already routed or has a space")

        def add(handler: Handler) -> Handler:
            self._commands[key] = Route(key, handler, roles, personal_only, summary, usage or key, menu)
            return handler

        return add

    def verb(
        self, verb: Verb, *, roles: frozenset[Role] = EVERYONE, personal_only: bool = True
    ) -> Callable[[Handler], Handler]:
        if verb.value in self._verbs:
            raise ValueError(f"verb {verb} is already routed")

        def add(handler: Handler) -> Handler:
            self._verbs[verb.value] = Route(verb.value, handler, roles, personal_only)
            return handler

        return add

    def search(
        self, dataset: str, *, roles: frozenset[Role] = EVERYONE, personal_only: bool = True
    ) -> Callable[[Handler], Handler]:
        """The answer to a type-ahead picker (a Data.Query choice set) over `dataset`."""
        if dataset in self._datasets:
            raise ValueError(f"dataset {dataset!r} is already routed")

        def add(handler: Handler) -> Handler:
            self._datasets[dataset] = Route(f"search:{dataset}", handler, roles, personal_only)
            return handler

        return add

    def on_install(self, handler: Handler) -> Handler:
        """The greeting when the app is added to a chat (one handler)."""
        self.install_route = Route("install", handler, EVERYONE, personal_only=False)
        return handler

    def resolve(self, kind: InboundKind, *, command: str, verb: str | None) -> Route | None:
        if kind is InboundKind.MESSAGE:
            return self._commands.get(command)
        if kind in (InboundKind.SUBMIT, InboundKind.EXECUTE) and verb:
            return self._verbs.get(verb)
        if kind is InboundKind.SEARCH and verb:
            return self._datasets.get(verb)
        return None

    def commands(self) -> list[Route]:
        """Every command, in the order registered (help and the manifest list them in this order)."""
        return list(self._commands.values())

    def menu_commands(self) -> list[Route]:
        """The commands offered in Teams' command menu (the app manifest); help lists them all."""
        return [r for r in self._commands.values() if r.menu]

    def commands_for(self, actor: Actor) -> list[Route]:
        return [r for r in self._commands.values() if may_use(actor, r.roles)]
