"""The reminder cards validate as Adaptive Cards 1.5, stay under Teams' size limit, and cap long lists."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cards import texts
from cards.reminders import ReferralLine, ReviewLine, reminder_card
from tests.support.node import validate_cards
from tests.support.reminders import card_text

TODAY = dt.date(2026, 11, 30)


def lines(n: int, *, start: int = 0, new: bool = True) -> list[ReviewLine]:
    return [
        ReviewLine(f"Pupil{i} Family{i}", i % 7, TODAY + dt.timedelta(days=i % 14), new and i % 2 == 0)
        for i in range(start, start + n)
    ]


def referrals(n: int) -> list[ReferralLine]:
    return [
        ReferralLine(f"Referred{i} Pupil", "Speech and language therapy", "report_received", TODAY, i == 0)
        for i in range(n)
    ]


def samples() -> dict[str, dict[str, Any]]:
    return {
        "senco_full": reminder_card(
            for_senco=True,
            today=TODAY,
            horizon_days=10,
            overdue=lines(2),
            due_today=lines(1, start=2),
            due_soon=lines(3, start=3),
            stalled=referrals(2),
        ),
        "senco_referrals_only": reminder_card(
            for_senco=True,
            today=TODAY,
            horizon_days=10,
            overdue=[],
            due_today=[],
            due_soon=[],
            stalled=referrals(1),
        ),
        "teacher": reminder_card(
            for_senco=False, today=TODAY, horizon_days=10, overdue=[], due_today=[], due_soon=lines(2)
        ),
        "senco_capped": reminder_card(
            for_senco=True,
            today=TODAY,
            horizon_days=10,
            overdue=lines(500),
            due_today=lines(500),
            due_soon=lines(500),
            stalled=referrals(500),
        ),
    }


def test_reminder_cards_are_valid_adaptive_cards() -> None:
    assert validate_cards(samples()) == {}


def test_long_lists_are_capped_with_and_n_more_and_stay_small() -> None:
    card = samples()["senco_capped"]
    text = card_text(card)
    assert text.count(texts.REMINDER_MORE.format(count=470)) == 3
    assert texts.REMINDER_MORE_REFERRALS.format(count=470) in text
    assert "Pupil29 Family29" in text and "Pupil30 Family30" not in text
    # Teams counts UTF-16; stay under 80 KB (docs/design.md).
    assert len(json.dumps(card).encode("utf-16-le")) < 80 * 1024


def test_teacher_card_has_no_referral_section_and_marks_new_items() -> None:
    card = reminder_card(
        for_senco=False,
        today=TODAY,
        horizon_days=10,
        overdue=[],
        due_today=[],
        due_soon=lines(2),
        stalled=referrals(3),
    )
    text = card_text(card)
    assert texts.REMINDER_TEACHER_TITLE in text and "Referred0" not in text
    # Of the two lines, only the first is new.
    assert text.count(texts.REMINDER_NEW) == 1
