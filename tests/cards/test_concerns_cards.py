"""Every concern card validates against Adaptive Cards 1.5, in each state and with errors shown."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from cards.common import card
from cards.concerns import approval_card, concern_action, concern_form, status_card
from storage.queries.concerns import ConcernView
from storage.queries.register import NeedOption
from tests.support.node import validate_cards

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
NEEDS = [NeedOption("SPLD", "Specific learning difficulty", False), NeedOption("NSA", "No assessment", True)]
VIEW = ConcernView(
    id=3,
    school_id=1,
    pupil_id=9,
    pupil_name="Oliver Khan",
    raised_by=4,
    raiser_name="Ellie Brooks",
    text="Avoids reading aloud.",
    evidence="- Phonics catch-up: 4 sessions, 80 minutes",
    suggested_need="SPLD",
    suggested_need_name="Specific learning difficulty",
    parents_spoken=True,
    parents_spoken_on=dt.date(2026, 11, 20),
    status="requested",
    version=1,
    decided_by_name=None,
    decided_at=None,
    decision_note=None,
    created_at=NOW,
)


def samples() -> dict[str, dict[str, Any]]:
    declined = dataclasses.replace(
        VIEW, status="declined", version=2, decided_by_name="Alex", decided_at=NOW, decision_note="Not yet"
    )
    return {
        "form": concern_form(pupil_id=9, pupil_name="Oliver Khan", key="k" * 32, needs=NEEDS),
        "form_errors": concern_form(
            pupil_id=9,
            pupil_name="Oliver Khan",
            key="k" * 32,
            needs=NEEDS,
            values={"concern": "", "need": "ZZZ", "parents": "yes", "parents_on": "2099-01-01"},
            errors={"concern": "Please fill this in.", "parents_on": "This date is in the future."},
            message="Please fill this in.",
        ),
        "approval": approval_card(VIEW, needs=NEEDS, user_ids=["29:a", "29:b"]),
        "approval_errors": approval_card(
            VIEW,
            needs=NEEDS,
            values={"status": "E", "need1": "NSA", "reason": ""},
            errors={"need1": "NSA only with K", "reason": "Give a reason."},
            message="stale",
        ),
        "status": status_card(VIEW, user_ids=["29:a"], message="Sent"),
        "declined": status_card(declined),
        "button": card([], [concern_action(9)]),
    }


def test_every_concern_card_is_valid_adaptive_card_1_5() -> None:
    assert validate_cards(samples()) == {}
    assert approval_card(VIEW, needs=NEEDS, user_ids=["29:a"])["refresh"]["action"]["data"] == {"concern": 3}
