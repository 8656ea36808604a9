"""Every form shows a refused value the same way (cards.forms.field): the server's message right under
the input, as a red TextBlock, and in the input's errorMessage; an input without an error has neither."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from cards import log, provisions, referrals, texts
from cards.forms import text_input
from cards.plans import plan_form_card
from cards.referrals import Choice
from tests.cards.test_referrals_cards import DECIDED

TODAY = dt.date(2026, 11, 27)


def inputs_and_next(card: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each input of the card by id, with the element that follows it in its container."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}

    def walk(node: object) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, dict) and str(item.get("type", "")).startswith("Input."):
                    found[item["id"]] = (item, node[i + 1] if i + 1 < len(node) else None)
                walk(item)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)

    walk(card)
    return found


def shown_errors(card: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, (element, after) in inputs_and_next(card).items():
        under = (
            after
            if after and after.get("type") == "TextBlock" and after.get("color") == "Attention"
            else None
        )
        if under is not None:
            assert element.get("errorMessage") == under["text"], name
            assert under.get("spacing") == "None", name
            out[name] = under["text"]
    return out


def forms_with_errors() -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    log_errors = {log.F_MINUTES: texts.ERR_FIELD_WRONG_TYPE, log.F_PUPILS: texts.ERR_PUPILS_MISSING}
    refer_errors = {"consent_on": texts.FIELD_BAD_DATE, "concern": texts.FIELD_REQUIRED}
    step_errors = {"on": texts.FIELD_BAD_DATE, "note": texts.FIELD_TOO_LONG.format(limit=2000)}
    provision_errors = {provisions.F_HOURLY: texts.ERR_MONEY}
    plan_errors = {"outcome1": texts.OUTCOMES_REQUIRED, "review_on": texts.REVIEW_DATE_PAST}
    return {
        "log": (
            log.log_form_card(
                form=log.LogForm(key="k" * 24),
                provisions=[log.ProvisionChoice(1, "Phonics", 20, 4)],
                pupils=[log.PupilChoice(10, "Amelia Smith")],
                today=TODAY,
                errors=log_errors,
            ),
            log_errors,
        ),
        "refer": (
            referrals.refer_form(
                pupils=[Choice("Amelia", "3")], services=[Choice("CAMHS", "1")], key="k", errors=refer_errors
            ),
            refer_errors,
        ),
        "progress": (
            referrals.progress_card(dataclasses.replace(DECIDED, status="sent"), [], errors=step_errors),
            step_errors,
        ),
        "provision": (
            provisions.provision_form_card(provisions.ProvisionForm(None, {}), provision_errors),
            provision_errors,
        ),
        "plan": (
            plan_form_card(
                pupil_id=1,
                name="Ava",
                plan=None,
                provision_options=[],
                default_review_on="2027-02-24",
                key="k",
                errors=plan_errors,
            ),
            plan_errors,
        ),
    }


def test_every_form_shows_each_error_under_its_field_and_nowhere_else() -> None:
    for name, (card, errors) in forms_with_errors().items():
        assert shown_errors(card) == errors, name


def test_the_check_sees_an_error_that_is_not_under_its_field() -> None:
    # Proof the check can fail: the message moved away from its input is not counted as shown.
    from cards.common import card, paragraph

    [element, under] = text_input("note", "Note", max_length=10, errors={"note": "Too long."})
    moved = card([element, paragraph("Between"), under])
    assert shown_errors(moved) == {}
    assert shown_errors(card([element, under])) == {"note": "Too long."}
