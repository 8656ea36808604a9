"""help, and the welcome card when the app is installed: both generated from the route table."""

from __future__ import annotations

from bot.turn.context import TurnContext
from bot.turn.core import ChatKind, Outbound
from bot.turn.router import Router
from cards.common import notice
from cards.help import CommandLine, help_card, welcome_card
from cards.verbs import Verb


def add_routes(router: Router) -> None:
    router.command("help", summary="What I can do", personal_only=False)(show_help)
    router.verb(Verb.HELP, personal_only=False)(show_help)
    router.on_install(welcome)


def _lines(turn: TurnContext) -> list[CommandLine]:
    return [CommandLine(r.usage, r.summary) for r in turn.router.commands_for(turn.actor)]


def _can_log(turn: TurnContext) -> bool:
    # The button appears only for people the log route admits, so it never leads to a refusal.
    return any(r.key == "log" for r in turn.router.commands_for(turn.actor))


async def show_help(turn: TurnContext) -> Outbound:
    return Outbound.card(help_card(_lines(turn), can_log=_can_log(turn)))


async def welcome(turn: TurnContext) -> Outbound:
    if turn.inbound.chat is not ChatKind.PERSONAL:
        # In a team or group chat: say hello, share nothing about pupils.
        return Outbound.card(notice("Hello! I work in a 1:1 chat: open a chat with senbot to get started."))
    return Outbound.card(
        welcome_card(
            name=turn.actor.display_name,
            roles=sorted(r.value for r in turn.actor.roles),
            school=turn.school_name,
            commands=_lines(turn),
            can_log=_can_log(turn),
        )
    )
