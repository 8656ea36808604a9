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
