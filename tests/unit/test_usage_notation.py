"""Usage placeholders are written as [pupil], never <pupil>: Teams' renderer strips <...> as HTML, so the
help card showed "plan " with the word gone (found in the Agents Playground)."""

from __future__ import annotations

import re

from bot.flows import build_router
from cards import texts

TAG_LIKE = re.compile(r"<[A-Za-z_][^<>]*>")


def test_no_route_usage_uses_angle_brackets() -> None:
    usages = {route.key: route.usage for route in build_router().commands()}
    assert usages["plan"] == "plan [pupil]"
    assert {k: u for k, u in usages.items() if TAG_LIKE.search(u)} == {}


def test_no_card_text_uses_angle_brackets() -> None:
    words = {name: value for name, value in vars(texts).items() if isinstance(value, str)}
    assert "REGISTER_OPEN_HINT" in words
    assert {n: w for n, w in words.items() if TAG_LIKE.search(w)} == {}
