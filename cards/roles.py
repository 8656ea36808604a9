"""The `roles` card: who holds which role in the school, and how to change it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microsoft_teams.cards.core import CardElement

from cards import texts
from cards.common import Card, card, facts, paragraph, title


@dataclass(frozen=True)
class RoleLine:
    name: str
    email: str
    roles: Sequence[str]


def roles_card(*, school: str, lines: Sequence[RoleLine], total: int, all_roles: Sequence[str]) -> Card:
    body: list[CardElement] = [title(texts.ROLES_TITLE.format(school=school))]
    if lines:
        body.append(facts((f"{line.name} ({line.email})", ", ".join(line.roles)) for line in lines))
    else:
        body.append(paragraph(texts.ROLES_NONE))
    if total > len(lines):
        body.append(paragraph(texts.ROLES_MORE.format(shown=len(lines), total=total), subtle=True))
    body.append(paragraph(texts.ROLES_USAGE.format(roles=", ".join(all_roles)), subtle=True))
    return card(body)
