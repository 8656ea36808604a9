"""Every register, plan and review card validates against Adaptive Cards 1.5, forms with errors included,
and the longest register page stays well under Teams' 80 KB message limit."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from cards import texts
from cards.common import day
from cards.forms import pupil_picker
from cards.plans import plan_card, plan_form_card
from cards.register import PAGE_SIZE, register_history_card, register_list_card, register_pupil_card
from cards.reviews import next_cycle_card, review_form_card, reviews_card
from cards.verbs import Verb
from storage.queries.plans import Outcome, PlanView
from storage.queries.pupils import PupilRow
from storage.queries.register import CurrentEntry, HistoryRow, NeedOption, RegisterCounts, RegisterRow
from storage.queries.reviews import DueRow, ParentCount
from tests.support.node import validate_cards

DAY = dt.date(2026, 11, 25)
OPTIONS = [
    NeedOption("SPLD", "Specific learning difficulty", False),
    NeedOption("NSA", "No assessment", True),
]
NAMES = {o.code: o.name for o in OPTIONS}
LONG = "W" * 500
ROWS = [
    RegisterRow(
        i, f"Pupil Number{i}" + "x" * 60, f"Year {i % 7} Class", "K" if i % 3 else "E", "Need", "Other"
    )
    for i in range(PAGE_SIZE)
]
COUNTS = RegisterCounts(k=900, e=100, by_need=[(f"Need {i}", 70) for i in range(14)])
PLAN = PlanView(
    id=7,
    pupil_id=1,
    cycle=2,
    status="active",
    version=3,
    strategies=LONG * 4,
    pupil_views=LONG,
    parent_views=LONG,
    review_on=DAY,
    outcomes=[Outcome(10 + i, i + 1, LONG) for i in range(4)],
    provisions=[(1, "Phonics catch-up"), (2, "Lego therapy")],
)
CURRENT = CurrentEntry(5, "K", "SPLD", None, DAY)


def samples() -> dict[str, dict[str, Any]]:
    errors = {"status": texts.STATUS_S, "need1": texts.NEED_REQUIRED, "reason": texts.REASON_REQUIRED}
    plan_errors = {"outcome1": texts.OUTCOMES_REQUIRED, "review_on": texts.REVIEW_DATE_PAST}
    review_errors = {"held_on": texts.HELD_ON_FUTURE, "result_10": texts.RESULT_REQUIRED}
    common = {"pupil_id": 1, "name": "Ava Smith"}
    return {
        "register_list_first": register_list_card(ROWS, COUNTS, page=1, pages=40),
        "register_list_middle": register_list_card(ROWS, COUNTS, page=2, pages=40),
        "register_list_empty": register_list_card([], RegisterCounts(0, 0, []), page=1, pages=1),
        "register_pupil_on": register_pupil_card(
            **common, current=CURRENT, need_names=NAMES, options=OPTIONS, can_change=True, key="k" * 32
        ),
        "register_pupil_off": register_pupil_card(
            **common, current=None, need_names=NAMES, options=OPTIONS, can_change=True, key="k" * 32
        ),
        "register_pupil_read_only": register_pupil_card(
            **common, current=CURRENT, need_names=NAMES, options=OPTIONS, can_change=False, key="k" * 32
        ),
        "register_pupil_errors": register_pupil_card(
            **common,
            current=CURRENT,
            need_names=NAMES,
            options=OPTIONS,
            can_change=True,
            key="k" * 32,
            values={"status": "S", "need1": "", "need2": "", "reason": ""},
            errors=errors,
            message=texts.STATUS_S,
        ),
        "register_history": register_history_card(
            pupil_id=1,
            name="Ava Smith",
            rows=[
                HistoryRow("K", "SPLD", "NSA", DAY, None, "Alex Wilber", LONG),
                HistoryRow("N", None, None, DAY, DAY, "", "r"),
            ],
            need_names=NAMES,
        ),
        "register_history_empty": register_history_card(pupil_id=1, name="A", rows=[], need_names=NAMES),
        "picker": pupil_picker("a", [PupilRow(1, "Ava", "Smith", 3, "K")], Verb.REGISTER_PUPIL),
        "plan_none": plan_card(**common, plan=None, can_edit=True),
        "plan_full": plan_card(**common, plan=PLAN, can_edit=True, message=texts.PLAN_SAVED, good=True),
        "plan_read_only": plan_card(**common, plan=PLAN, can_edit=False),
        "plan_form_new": plan_form_card(
            **common,
            plan=None,
            provision_options=[(1, "Phonics")],
            default_review_on="2027-02-24",
            key="k" * 32,
        ),
        "plan_form_edit": plan_form_card(
            **common,
            plan=PLAN,
            provision_options=[(1, "Phonics")],
            default_review_on="2027-02-24",
            key="k" * 32,
        ),
        "plan_form_errors": plan_form_card(
            **common,
            plan=PLAN,
            provision_options=[],
            default_review_on="2027-02-24",
            key="k" * 32,
            values={"outcome1": "", "review_on": "2026-01-01"},
            errors=plan_errors,
            message=texts.OUTCOMES_REQUIRED,
        ),
        "review_form": review_form_card(
            **common, plan=PLAN, review_id=3, due_on=DAY, today=DAY, default_next_due=DAY, key="k" * 32
        ),
        "review_form_errors": review_form_card(
            **common,
            plan=PLAN,
            review_id=3,
            due_on=DAY,
            today=DAY,
            default_next_due=DAY,
            key="k" * 32,
            values={"held_on": "2027-01-01"},
            errors=review_errors,
            message=texts.HELD_ON_FUTURE,
        ),
        "next_cycle": next_cycle_card(
            **common,
            plan=PLAN,
            results={10: "met", 11: "not_met"},
            message=texts.REVIEW_SAVED.format(next_due=day(DAY)),
        ),
        "reviews": reviews_card(
            today=DAY,
            due=[
                DueRow(1, 1, "Ava Smith", "Year 3", DAY - dt.timedelta(days=2)),
                DueRow(2, 2, "Leo Khan", "", DAY),
            ],
            total=80,
            parents=[ParentCount(i, f"Pupil {i}", i % 4) for i in range(120)],
            since=dt.date(2026, 9, 1),
            can_record=True,
        ),
        "reviews_none": reviews_card(today=DAY, due=[], total=0, parents=[], since=DAY, can_record=False),
    }


def test_every_sen_card_is_valid_adaptive_card_1_5() -> None:
    assert validate_cards(samples()) == {}


def test_the_largest_cards_stay_well_under_80_kb() -> None:
    for name, built in samples().items():
        size = len(json.dumps(built).encode("utf-16-le"))
        assert size < 40_000, (name, size)
