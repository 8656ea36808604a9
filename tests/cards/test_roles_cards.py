"""The roles card validates against Adaptive Cards 1.5 in each of its shapes."""

from __future__ import annotations

from typing import Any

from cards import texts
from cards.common import notice
from cards.roles import RoleLine, roles_card
from tests.support.node import validate_cards

ROLES = ["teacher", "ta", "senco", "head", "admin", "trust_lead"]


def samples() -> dict[str, dict[str, Any]]:
    lines = [RoleLine("Alex Wilber", "alex.wilber@oakfield.example", ["admin", "senco"])]
    return {
        "roles": roles_card(school="Oakfield", lines=lines, total=1, all_roles=ROLES),
        "roles_more": roles_card(school="Oakfield", lines=lines, total=250, all_roles=ROLES),
        "roles_empty": roles_card(school="Oakfield", lines=[], total=0, all_roles=ROLES),
        "roles_error": notice(texts.ROLES_LAST_ADMIN.format(name="Alex Wilber")),
    }


def test_roles_cards_are_valid_adaptive_card_1_5() -> None:
    assert validate_cards(samples()) == {}


def test_more_than_shown_says_so() -> None:
    lines = [RoleLine("A", "a@x.example", ["ta"])]
    assert texts.ROLES_MORE.format(shown=1, total=250) in str(
        roles_card(school="S", lines=lines, total=250, all_roles=ROLES)
    )
