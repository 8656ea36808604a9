"""Reading cards in tests: the words a person sees."""

from __future__ import annotations

from typing import Any


def card_texts(card: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                out.append(node["text"])
            for key in ("title", "value", "label"):
                if isinstance(node.get(key), str) and node.get("type") != "TextBlock":
                    out.append(node[key])
            for v in node.values():
                if isinstance(v, dict | list):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return "\n".join(out)


# Submit-data names a Teams client keeps for itself: the web renderer (and the Agents Playground)
# throws "Cannot assign to read only property 'key'" on a data property named `key`, and the click
# never reaches the bot. Every card the tests see is checked for them.
RESERVED_DATA_NAMES = frozenset({"key"})


def reserved_data_names(card: dict[str, Any]) -> list[str]:
    """The reserved names used in the data of any action of `card` (buttons, inline actions, refresh)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("Action.Submit", "Action.Execute") and isinstance(node.get("data"), dict):
                found.extend(sorted(RESERVED_DATA_NAMES & node["data"].keys()))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found
