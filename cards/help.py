"""The welcome and help cards, generated from the route table (docs/design.md, "How the code reads")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cards import texts
from cards.common import Card, card, facts, paragraph, submit, title
from cards.log import log_button
from cards.verbs import Verb


@dataclass(frozen=True)
class CommandLine:
    usage: str
    summary: str


def help_card(commands: Sequence[CommandLine], *, can_log: bool = False) -> Card:
    return card(
        [
            title(texts.HELP_TITLE),
            facts((c.usage, c.summary) for c in commands),
            paragraph(texts.HELP_FOOTER, subtle=True),
        ],
        [log_button()] if can_log else [],
    )


def welcome_card(
    *,
    name: str,
    roles: Sequence[str],
    school: str,
    commands: Sequence[CommandLine],
    can_log: bool = False,
) -> Card:
    return card(
        [
            title(texts.WELCOME_TITLE),
            paragraph(texts.WELCOME_BODY),
            paragraph(
                texts.WELCOME_ROLES.format(name=name, roles=", ".join(roles), school=school), subtle=True
            ),
            facts((c.usage, c.summary) for c in commands),
        ],
        ([log_button()] if can_log else []) + [submit("Show help", Verb.HELP)],
    )


def not_in_directory_card(contacts: Sequence[str]) -> Card:
    body = [title(texts.WELCOME_TITLE), paragraph(texts.NOT_IN_DIRECTORY)]
    if contacts:
        body.append(
            paragraph(texts.NOT_IN_DIRECTORY_CONTACT.format(contacts=", ".join(contacts)), subtle=True)
        )
    return card(body)
