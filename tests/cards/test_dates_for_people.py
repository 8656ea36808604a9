"""Dates on cards are written one way for people (cards.common.day, week, moment): no card the tests build
shows an ISO date or week in its words, while input values and action data stay ISO."""

from __future__ import annotations

import datetime as dt
import re

from cards.common import card, day, facts, moment, paragraph, submit, week
from cards.forms import choice_input, date_input
from cards.verbs import Verb
from tests.support.card_samples import CARD_TESTS, every_sample, sample_modules
from tests.support.cards import staff_texts

ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}-W\d{2}")


def iso_dates(built: dict[str, object]) -> list[str]:
    return [text for text in staff_texts(built) if ISO.search(text)]


def test_no_card_shows_an_iso_date_or_week_to_people() -> None:
    found = {name: bad for name, built in every_sample().items() if (bad := iso_dates(built))}
    assert found == {}


def test_every_card_module_is_in_the_registry() -> None:
    samples = every_sample()
    for name in sample_modules():
        assert any(key.startswith(f"{name}:") for key in samples), name
    assert len(sample_modules()) == 1 + len(list(CARD_TESTS.glob("test_*_cards.py"))) >= 9


def test_the_check_finds_an_iso_date_wherever_people_read_it() -> None:
    # Proof the check above can fail: an ISO date or week in each place words go is found...
    bad = card(
        [
            paragraph("Due 2026-11-27"),
            facts([("2026-W48", "ok"), ("Held", "2026-11-27")]),
            *choice_input("c", "From 2026-11-27", [("v", "Week 2026-W48")]),
        ],
        [submit("Move to 2026-11-27", Verb.HELP)],
    )
    assert sorted(iso_dates(bad)) == sorted(
        ["Due 2026-11-27", "2026-W48", "2026-11-27", "From 2026-11-27", "Week 2026-W48", "Move to 2026-11-27"]
    )
    # ...while what the bot reads back (an input's value, an action's data) stays ISO and is not counted.
    good = card(
        [*date_input("on", "Held on", "2026-11-27")],
        [submit("Save", Verb.HELP, {"on": "2026-11-27"})],
    )
    assert iso_dates(good) == []


def test_one_form_for_a_day_a_week_and_a_moment() -> None:
    assert day(dt.date(2026, 11, 27)) == "Fri 27 Nov 2026"
    assert week(dt.date(2026, 12, 3)) == "w/c 30 Nov 2026" == week(dt.date(2026, 11, 30))
    # London time: GMT in winter, BST in summer.
    assert moment(dt.datetime(2026, 11, 27, 10, 5, tzinfo=dt.UTC)) == "Fri 27 Nov 2026 at 10:05"
    assert moment(dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)) == "Mon 1 Jun 2026 at 09:00"
