"""The README's screenshots come from real cards: every card the render script draws is valid 1.5."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from tests.support.node import validate_cards

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "render.py"


def _render_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_card_in_the_screenshots_is_valid_and_has_its_png() -> None:
    render = _render_module()
    cards = render.cards_to_render()
    assert {"welcome", "help", "not-in-directory"} <= set(cards)
    assert validate_cards(cards) == {}
    for name in cards:
        assert (SCRIPT.parent / f"{name}.png").is_file(), f"run {SCRIPT} to draw {name}.png"


def test_the_page_carries_the_card_as_data_not_markup() -> None:
    render = _render_module()
    text = {"type": "TextBlock", "text": "</script><b>x"}
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [text]}
    page = render.page(card)
    assert "</script><b>" not in page
    start = page.index('id="data">') + len('id="data">')
    data = json.loads(page[start : page.index("</script>", start)].replace("<\\/", "</"))
    assert data["card"] == card
