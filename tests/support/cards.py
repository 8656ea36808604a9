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


# Where a card carries words for people: a TextBlock's text, fact titles and values, the titles of actions,
# choices, toggles and charts, labels, placeholders, error messages, chart axes and bars. Not the values
# of inputs or the data of actions: those are for the bot, and stay ISO.
_WORDS = ("title", "label", "placeholder", "errorMessage", "xAxisTitle", "yAxisTitle", "fallbackText")


def staff_texts(card: dict[str, Any]) -> list[str]:
    """Every piece of text on `card` meant to be read by a person."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                out.append(node["text"])
            out.extend(node[k] for k in _WORDS if isinstance(node.get(k), str))
            # A fact's title is among _WORDS; its value is words too (an input's value is not).
            out.extend(f["value"] for f in node.get("facts") or [] if isinstance(f.get("value"), str))
            if str(node.get("type", "")).startswith("Chart."):
                out.extend(str(point.get("x")) for point in node.get("data") or [])
            for key, value in node.items():
                if key != "data" and isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return out


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
