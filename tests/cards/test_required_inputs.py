"""Every required input is marked required on the card itself (isRequired with its errorMessage), so the
Teams client refuses to send the form without it; the server still checks each one (tests/wire)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.support.card_samples import every_sample

# Input ids the server refuses to be empty, in every form that has them.
REQUIRED = {
    "provision", "held_on", "pupils",  # log (held_on: also the review's date)
    "pupil", "service", "concern", "consent_on", "consent_by", "urgency",  # referral; concern
    "status", "need1", "reason", "decline_reason",  # register; accepting or declining a concern
    "outcome1", "review_on",  # plan
    "parent_attended", "next_due_on",  # review (and each outcome's judgement, result_<id>)
    "name", "relationship",  # parent contact
    "done_at", "how",  # a parent task done
    "body",  # a letter template
}  # fmt: skip


def inputs(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Input.") and "id" in node:
            yield node
        for value in node.values():
            yield from inputs(value)
    elif isinstance(node, list):
        for value in node:
            yield from inputs(value)


def is_required_id(input_id: str) -> bool:
    return input_id in REQUIRED or input_id.startswith("result_")


def test_required_inputs_carry_is_required_and_their_message() -> None:
    seen: set[str] = set()
    unmarked: list[str] = []
    for name, card in every_sample().items():
        for element in inputs(card):
            if not is_required_id(element["id"]):
                continue
            seen.add("result_" if element["id"].startswith("result_") else element["id"])
            if element.get("isRequired") is not True or not element.get("errorMessage"):
                unmarked.append(f"{name}: {element['id']}")
    assert unmarked == []
    # Every required field of every form is among the samples, so none escapes the check above.
    assert seen == REQUIRED | {"result_"}


def test_optional_inputs_stay_optional() -> None:
    optional = [
        (name, e["id"])
        for name, card in every_sample().items()
        for e in inputs(card)
        if e["id"] in {"minutes", "note", "absent", "need2", "tried", "evidence", "strategies"}
    ]
    assert optional and all(
        e.get("isRequired") is not True
        for _, card in every_sample().items()
        for e in inputs(card)
        if e["id"] in {"minutes", "note", "absent", "need2", "tried", "evidence", "strategies"}
    )
