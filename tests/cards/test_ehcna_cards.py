"""The evidence pack, EHCNA and morning-card threshold/deadline shapes validate against Adaptive Cards 1.5,
and stay under Teams' size limit at their caps."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cards import texts
from cards.ehcna import list_card, pupil_card
from cards.evidence import ready_card
from cards.reminders import EhcnaLine, ThresholdLine, reminder_card
from cards.verbs import Verb
from storage.queries.ehcna import RequestRow
from tests.support.node import validate_cards
from tests.support.sen import actions

TODAY = dt.date(2026, 11, 25)


def row(status: str = "requested", **over: Any) -> RequestRow:
    values: dict[str, Any] = {
        "id": 1,
        "pupil_id": 7,
        "given_name": "Sam",
        "family_name": "Sample",
        "year_group": 4,
        "requested_on": dt.date(2026, 9, 1),
        "local_authority": "Kent County Council",
        "requested_by": "school",
        "evidence_attached": True,
        "status": status,
        "decided_on": None,
        "decision_reason": None,
        "assessed_on": None,
        "draft_on": None,
        "final_on": None,
        "final_reason": None,
        "withdrawn_on": None,
        "withdrawn_reason": None,
        "version": 1,
    }
    values.update(over)
    return RequestRow(**values)


def morning(n: int) -> dict[str, Any]:
    return reminder_card(
        for_senco=True,
        today=TODAY,
        horizon_days=10,
        overdue=(),
        due_today=(),
        due_soon=(),
        deadlines=[EhcnaLine(i, f"Pupil {i}", "decide", TODAY, i % 2 == 0, True) for i in range(n)],
        crossings=[ThresholdLine(i, f"Pupil {i}", 612_345, 600_000, "threshold_100", True) for i in range(n)],
    )


def samples() -> dict[str, dict[str, Any]]:
    closed = row("not_assessing", decided_on=dt.date(2026, 10, 1), decision_reason="Needs met", version=2)
    return {
        "evidence_ready": ready_card(
            pupil_id=7,
            pupil_name="Sam Sample",
            pdf_url="https://bot.example/letters/a",
            json_url="https://bot.example/letters/b",
            plans=3,
            reviews=2,
            sessions=40,
            referrals=1,
            can_request=True,
        ),
        "ehcna_list": list_card([row(), closed], today=TODAY, page=1, pages=2, open_only=False),
        "ehcna_list_empty": list_card([], today=TODAY, page=1, pages=1, open_only=True),
        "ehcna_new": pupil_card(pupil_id=7, pupil_name="Sam Sample", rows=[], today=TODAY, key="k" * 32),
        "ehcna_open": pupil_card(
            pupil_id=7,
            pupil_name="Sam Sample",
            rows=[row("draft", draft_on=dt.date(2026, 11, 20), decided_on=dt.date(2026, 10, 1))],
            today=TODAY,
            key="k" * 32,
            errors={"step_reason": texts.EHCNA_REASON_REQUIRED},
            message=texts.EHCNA_REASON_REQUIRED,
        ),
        "ehcna_refused": pupil_card(
            pupil_id=7, pupil_name="Sam Sample", rows=[closed], today=TODAY, key="k" * 32
        ),
        "morning_ehcna_threshold": morning(3),
    }


def test_cards_are_valid_adaptive_card_1_5() -> None:
    assert validate_cards(samples()) == {}


def test_the_morning_card_caps_threshold_pupils_and_stays_small() -> None:
    card = morning(200)
    assert len(actions(card, Verb.EVIDENCE_MAKE.value)) == 10
    assert texts.REMINDER_MORE_THRESHOLD.format(count=190) in json.dumps(card, ensure_ascii=False)
    assert len(json.dumps(card).encode("utf-16-le")) < 80_000


def test_an_open_request_offers_only_its_next_steps() -> None:
    card = pupil_card(pupil_id=7, pupil_name="S", rows=[row("assessing")], today=TODAY, key="k" * 32)
    [step] = [e for e in json.loads(json.dumps(card))["body"] if e.get("id") == "step"]
    assert [c["value"] for c in step["choices"]] == ["assessed", "not_issued", "withdraw"]
    assert texts.EHCNA_DEADLINE_OVERDUE in json.dumps(card, ensure_ascii=False)  # 6 weeks from 1 Sep passed
