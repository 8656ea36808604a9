"""Every sample card the card tests build, in one registry: each tests/cards/test_*_cards.py (and
test_card_schema.py) exposes `samples()`, so a new card module's samples are included by being written."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

CARD_TESTS = Path(__file__).resolve().parents[1] / "cards"


def sample_modules() -> list[str]:
    names = [p.stem for p in sorted(CARD_TESTS.glob("test_*_cards.py"))]
    return ["test_card_schema", *names]


def every_sample() -> dict[str, dict[str, Any]]:
    """Module name and sample name → the card."""
    out: dict[str, dict[str, Any]] = {}
    for name in sample_modules():
        module = importlib.import_module(f"tests.cards.{name}")
        samples = getattr(module, "samples", None)
        if samples is None:
            raise AssertionError(f"tests/cards/{name}.py has no samples(): its cards are not checked")
        for key, built in samples().items():
            out[f"{name}:{key}"] = built
    return out
