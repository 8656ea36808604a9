"""The referral flow's small rules, without HTTP: reading card values, the two-term evidence window,
and the routes it declares."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.flows import build_router
from bot.flows.referrals.common import read_date, read_text
from bot.rules.calendar import previous_term_start
from bot.rules.policy import Actor, may_decide_referral, may_view_referral
from bot.turn import forms
from bot.turn.core import InboundKind
from cards.verbs import Verb
from storage.models import Role


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        ("12", 12),
        (" 7 ", 7),
        (True, None),
        ("1e3", None),
        ("-1", None),
        (None, None),
        ([1], None),
        ("9" * 13, None),
        ("\u00b2", None),  # str.isdigit() says yes, int() refuses it
        ("\u0661\u0662", None),  # Arabic-Indic digits: int() takes them, the reader does not
        ("1\x00", None),
        (2**31 - 1, 2**31 - 1),
        (2**31, None),  # past an Integer column
        (str(2**63), None),
        (0, None),
        (4.0, 4),  # Input.Number
        (4.5, None),
        (float("nan"), None),
    ],
)
def test_number(value: object, expected: int | None) -> None:
    assert forms.number(value) == expected


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (dt.date(2026, 11, 28), dt.date(2026, 4, 15)),  # autumn: summer and autumn
        (dt.date(2027, 2, 1), dt.date(2026, 9, 1)),  # spring: autumn and spring
        (dt.date(2027, 6, 30), dt.date(2027, 1, 1)),  # summer: spring and summer
        (dt.date(2027, 1, 1), dt.date(2026, 9, 1)),
        (dt.date(2026, 8, 31), dt.date(2026, 1, 1)),  # summer holidays count with the summer term
    ],
)
def test_previous_term_start(today: dt.date, start: dt.date) -> None:
    assert previous_term_start(today) == start


def test_read_text_and_date() -> None:
    errors: dict[str, str] = {}
    assert read_text({"a": "  hi  "}, "a", errors, required=True) == "hi"
    assert read_text({}, "b", errors, required=False) is None
    assert read_text({"c": 5}, "c", errors, required=True) is None
    assert read_text({"d": "x" * 11}, "d", errors, required=True, limit=10) is None
    assert set(errors) == {"c", "d"}
    today = dt.date(2026, 11, 28)
    assert read_date({"on": "2026-11-28"}, "on", errors, today=today) == today
    for bad in ("2026-11-29", "2026-13-01", "28-11-2026", 3):
        errs: dict[str, str] = {}
        assert read_date({"on": bad}, "on", errs, today=today) is None and "on" in errs


def test_only_a_senco_of_the_school_decides() -> None:
    senco = Actor(1, 10, "t", "A", frozenset({Role.SENCO}))
    head = Actor(2, 10, "t", "B", frozenset({Role.HEAD}))
    other = Actor(3, 11, "t", "C", frozenset({Role.SENCO}))
    assert may_decide_referral(senco, 10)
    assert not may_decide_referral(head, 10) and not may_decide_referral(other, 10)
    assert may_view_referral(head, 10, requested_by=2) and not may_view_referral(head, 10, requested_by=1)
    assert not may_view_referral(other, 10, requested_by=3)


def test_refer_routes_are_declared() -> None:
    router = build_router()
    for word in ("refer", "referral", "referrals", "services"):
        assert router.resolve(InboundKind.MESSAGE, command=word, verb=None) is not None
    for verb in (Verb.REFERRAL_APPROVE, Verb.REFERRAL_REFRESH, Verb.REFER_SUBMIT):
        assert router.resolve(InboundKind.EXECUTE, command="", verb=verb.value) is not None
    services = router.resolve(InboundKind.MESSAGE, command="services", verb=None)
    assert services is not None and services.roles == frozenset({Role.SENCO})
