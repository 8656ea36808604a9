"""Every card the bot can send validates against Adaptive Cards 1.5 with Microsoft's own library."""

from __future__ import annotations

from typing import Any

from cards import texts
from cards.common import SUBMISSION, card, notice, paragraph, submit
from cards.help import CommandLine, help_card, not_in_directory_card, welcome_card
from cards.verbs import Verb
from tests.support.node import validate_cards

COMMANDS = [CommandLine("help", "What I can do"), CommandLine("log", "Log an intervention")]


def samples() -> dict[str, dict[str, Any]]:
    return {
        "help": help_card(COMMANDS),
        "welcome": welcome_card(
            name="Alex Wilber", roles=["senco", "teacher"], school="Oakfield", commands=COMMANDS
        ),
        "not_in_directory": not_in_directory_card(["Alex Wilber"]),
        "not_in_directory_no_contacts": not_in_directory_card([]),
        "notice": notice(texts.UNKNOWN_ACTION),
        "notice_with_heading": notice("Body", heading_text="Heading", color="Attention"),
        "unexpected_error": notice(texts.UNEXPECTED_ERROR.format(correlation_id="abc")),
    }


def test_every_card_is_valid_adaptive_card_1_5() -> None:
    assert validate_cards(samples()) == {}


def test_the_validator_catches_a_broken_card() -> None:
    # Proof that the check above can fail: an unknown element and an input without an id.
    broken = {**card([]), "body": [{"type": "NoSuchElement"}, {"type": "Input.Text"}]}
    errors = validate_cards({"broken": broken})
    assert "broken" in errors and len(errors["broken"]) >= 2


def test_the_validator_catches_a_reserved_submit_name() -> None:
    # A data property named `key` makes the Teams web client throw on click: such a card must fail.
    bad = card([paragraph("x")], [submit("Go", Verb.LOG_SUBMIT, {"key": "k" * 32})])
    assert validate_cards({"bad": bad}) == {"bad": ["submit data uses the reserved name 'key'"]}
    assert (
        validate_cards({"good": card([paragraph("x")], [submit("Go", Verb.LOG_SUBMIT, {SUBMISSION: "k"})])})
        == {}
    )
