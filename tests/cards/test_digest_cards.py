"""The digest cards validate as Adaptive Cards 1.5 (the chart only with its fallback) and stay under
Teams' 80 KB (counted as UTF-16) for a school or a trust of any size."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from cards import texts
from cards.common import to_json, week
from cards.digest import MAX_NAMES, MAX_PROVISIONS, MAX_SCHOOLS, digest_card, hours_chart, trust_digest_card
from storage.queries.digest import (
    AreaCount,
    CostLine,
    Digest,
    IsoWeek,
    MoneyFigures,
    ProvisionLine,
    PupilLine,
    ReferralFigures,
    RegisterChanges,
    ReviewFigures,
    WeekHours,
)
from tests.support.cards import card_texts
from tests.support.node import validate_cards

WEEK = IsoWeek(2026, 3)
LIMIT = 80 * 1024


def size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode("utf-16-le"))


def full_digest(school_id: int = 1, *, name: str = "Elm Tree Primary", scale: int = 1) -> Digest:
    return Digest(
        school_id=school_id,
        school_name=name,
        week=WEEK,
        register=[
            AreaCount("Cognition and learning", 20 * scale, 3 * scale),
            AreaCount("Communication and interaction", 11 * scale, 4 * scale),
            AreaCount("Other/not assessed", 2 * scale, 0),
        ],
        changes=RegisterChanges(1, 2, 3),
        provisions=[ProvisionLine(f"Provision {n} " + "x" * 100, n, 30 * n * scale) for n in range(1, 40)],
        no_support=5 * scale,
        reviews=ReviewFigures(4, 6, 2, 33 * scale, 20 * scale, 1),
        referrals=ReferralFigures(3, 12, 5, 90),
        money=MoneyFigures(dt.date(2025, 4, 1), 12_345_600 * scale, 20_000_000, 600_000, 7, 2),
        hours_by_week=[WeekHours(WEEK.shifted(-n), 600 * n * scale) for n in range(7, -1, -1)],
    )


def costs(n: int) -> list[CostLine]:
    return [CostLine(PupilLine(i, 1, "Given" * 20, "Family" * 20), 700_000 - i) for i in range(n)]


def samples() -> dict[str, dict[str, Any]]:
    d = full_digest()
    return {
        "digest_head": digest_card(
            d, as_of=WEEK.end, names_allowed=True, at_threshold=costs(3), at_threshold_total=3
        ),
        "digest_no_names": digest_card(d, as_of=WEEK.end),
        "digest_teacher": digest_card(d, as_of=WEEK.end, classes_only=True, show_money=False),
        "digest_in_progress": digest_card(d, as_of=WEEK.start),
        "digest_empty": digest_card(Digest(1, "Empty School", WEEK), as_of=WEEK.end),
        "digest_budget_not_set": digest_card(
            Digest(
                1,
                "Unbudgeted",
                WEEK,
                register=[AreaCount("Cognition and learning", 1, 0)],
                money=MoneyFigures(dt.date(2025, 4, 1), 0, None, 600_000, 0, 0),
            ),
            as_of=WEEK.end,
        ),
        "trust": trust_digest_card(
            [full_digest(1), full_digest(2, name="Birch Academy")], WEEK, as_of=WEEK.end
        ),
        "trust_empty": trust_digest_card([Digest(1, "Quiet School", WEEK)], WEEK, as_of=WEEK.end),
        "trust_no_schools": trust_digest_card([], WEEK, as_of=WEEK.end),
    }


def test_every_digest_card_is_valid_adaptive_card_1_5() -> None:
    assert validate_cards(samples()) == {}


def test_the_chart_without_its_fallback_is_refused() -> None:
    # Proof the check above can fail: Teams-only Chart.* must carry a fallback.
    chart = to_json(hours_chart(full_digest().hours_by_week))
    del chart["fallback"]
    bare = {"type": "AdaptiveCard", "version": "1.5", "body": [chart]}
    assert "bare" in validate_cards({"bare": bare})


def test_the_chart_has_a_text_fallback_with_the_same_numbers() -> None:
    d = full_digest()
    chart = to_json(hours_chart(d.hours_by_week))
    assert chart["type"] == "Chart.VerticalBar" and len(chart["data"]) == 8
    fallback = card_texts(chart["fallback"])
    for w in d.hours_by_week:
        assert week(w.week.start) in fallback and f"{w.pupil_minutes / 60:,.1f}" in fallback


def test_names_only_when_allowed_and_never_in_totals() -> None:
    d = full_digest()
    named = card_texts(digest_card(d, as_of=WEEK.end, names_allowed=True, at_threshold=costs(2)))
    assert "Given" in named and texts.DIGEST_MONEY_NAMES in named
    hidden = card_texts(digest_card(d, as_of=WEEK.end, names_allowed=False, at_threshold=costs(2)))
    assert "Given" not in hidden and texts.DIGEST_MONEY_NAMES not in hidden
    teacher = card_texts(digest_card(d, as_of=WEEK.end, classes_only=True, show_money=False))
    assert texts.DIGEST_MONEY not in teacher and texts.DIGEST_CLASSES_ONLY in teacher


def test_empty_school_gets_the_kind_message() -> None:
    body = card_texts(digest_card(Digest(1, "Empty School", WEEK), as_of=WEEK.end))
    assert texts.DIGEST_EMPTY in body and texts.DIGEST_REVIEWS_HELD not in body


def test_a_huge_school_stays_under_80_kb_and_lists_are_capped() -> None:
    d = full_digest(name="S" * 200, scale=10_000)
    d.provisions = [ProvisionLine("P" * 120 + str(n), n, n) for n in range(5000)]
    d.register = [AreaCount("A" * 80 + str(n), n, n) for n in range(15)]
    card = digest_card(
        d, as_of=WEEK.end, names_allowed=True, at_threshold=costs(5000), at_threshold_total=5000
    )
    assert size(card) < LIMIT
    body = card_texts(card)
    assert texts.DIGEST_MORE_PROVISIONS.format(n=5000 - MAX_PROVISIONS) in body
    assert texts.DIGEST_MORE_PUPILS.format(n=5000 - MAX_NAMES) in body


def test_a_trust_of_any_size_stays_under_80_kb() -> None:
    digests = [full_digest(i, name=f"School {i} " + "N" * 190, scale=1000) for i in range(400)]
    card = trust_digest_card(digests, WEEK, as_of=WEEK.end)
    assert size(card) < LIMIT
    assert texts.DIGEST_MORE_SCHOOLS.format(n=400 - MAX_SCHOOLS) in card_texts(card)


def test_one_session_is_singular_and_a_week_with_nothing_logged_draws_no_chart() -> None:
    quiet = dataclasses.replace(
        full_digest(),
        provisions=[ProvisionLine("Lego therapy", 1, 45)],
        hours_by_week=[WeekHours(WEEK.shifted(-n), 0) for n in range(7, -1, -1)],
    )
    built = digest_card(quiet, as_of=WEEK.end)
    words = card_texts(built)
    assert "1 session, 0.8 pupil-hours" in words and "1 session \u00b7 0.8 pupil-hours" in words
    assert "1 sessions" not in words
    assert texts.DIGEST_CHART_NOTHING in words
    assert "Chart.VerticalBar" not in json.dumps(built)
    # With anything logged, the chart is there.
    assert "Chart.VerticalBar" in json.dumps(digest_card(full_digest(), as_of=WEEK.end))
