"""The log, confirmation and history cards validate as Adaptive Cards 1.5, with and without errors shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cards import log as log_cards
from cards import provisions as prov_cards
from cards import pupil as pupil_cards
from cards import texts
from cards.help import CommandLine, help_card, welcome_card
from cards.log import LogForm, ProvisionChoice, PupilChoice
from storage.queries.log import AttendanceView, HistoryRow, ProvisionRow, SessionView
from storage.queries.pupil_summary import PupilSummary, RecentSession
from storage.queries.pupils import PupilRow
from tests.support.node import validate_cards

TODAY = dt.date(2026, 11, 27)
PROVISIONS = [ProvisionChoice(1, "Phonics catch-up", 20, 4), ProvisionChoice(2, "1:1 reading", 15, 1)]
PUPILS = [PupilChoice(10, "Amelia Smith \u00b7 Year 3"), PupilChoice(11, "Oliver Jones \u00b7 Year 3")]


def _view(*, undone: bool = False) -> SessionView:
    return SessionView(
        id=7,
        school_id=1,
        staff_id=2,
        provision_id=1,
        provision_name="Phonics catch-up",
        held_on=TODAY,
        minutes=20,
        note="Good focus",
        undone=undone,
        created_at=dt.datetime(2026, 11, 27, 15, tzinfo=dt.UTC),
        attendance=[
            AttendanceView(10, "Amelia Smith", True, "Read fluently", 250),
            AttendanceView(11, "Oliver Jones", False, None, 0),
        ],
    )


def samples() -> dict[str, dict[str, Any]]:
    empty = LogForm(key="k" * 24, held_on=TODAY.isoformat())
    filled = LogForm(
        key="k" * 24,
        provision="1",
        held_on="2026-13-01",
        minutes="0",
        pupils="10,11",
        absent="11",
        note="x" * 2001,
        pupil_notes="Amelia: fine",
    )
    errors = {f: texts.ERR_FIELD_WRONG_TYPE for f in log_cards.FIELDS}
    rows = [HistoryRow(i, TODAY, "Phonics catch-up", 20, 3, 2, i % 2 == 0) for i in range(20)]
    commands = [CommandLine("log", texts.LOG_SUMMARY)]
    return {
        "log_form": log_cards.log_form_card(form=empty, provisions=PROVISIONS, pupils=PUPILS, today=TODAY),
        "log_form_errors": log_cards.log_form_card(
            form=filled, provisions=PROVISIONS, pupils=PUPILS, today=TODAY, errors=errors
        ),
        "log_done_costs": log_cards.log_done_card(_view(), show_costs=True),
        "log_done_no_costs": log_cards.log_done_card(_view(), show_costs=False),
        "log_done_undone": log_cards.log_done_card(_view(undone=True), show_costs=True),
        "history_first": log_cards.history_card(rows, page=0, has_more=True),
        "history_middle": log_cards.history_card(rows, page=1, has_more=True),
        "history_empty": log_cards.history_card([], page=0, has_more=False),
        "help_with_log": help_card(commands, can_log=True),
        "welcome_with_log": welcome_card(name="A", roles=["ta"], school="S", commands=commands, can_log=True),
        **other_cards(),
    }


def other_cards() -> dict[str, dict[str, Any]]:
    summary = PupilSummary(
        id=10,
        name="Amelia Smith",
        year_group=3,
        status="K",
        needs=["Autistic spectrum disorder", "Speech, language and communication needs"],
        outcomes=["Reads 40 words a minute"],
        recent=[RecentSession(TODAY, "Phonics catch-up", 20, True), RecentSession(TODAY, "ELSA", 30, False)],
        term_minutes=50,
        term_cost_pence=1234,
    )
    bare = PupilSummary(10, "Amelia Smith", 0, "N", [], [], [], 0, 0)
    rows = [PupilRow(i, "Amelia", "Smith", 3, "K") for i in range(10)]
    provisions = [
        ProvisionRow(1, "Phonics catch-up", "Cognition and learning", 20, 4, 1500, 0, False),
        ProvisionRow(2, "Lego therapy", None, 45, 3, 1500, 100, True),
    ]
    form = prov_cards.ProvisionForm(1, {prov_cards.F_NAME: "x", prov_cards.F_HOURLY: "abc"})
    return {
        "pupil_summary_costs": pupil_cards.summary_card(summary, show_costs=True, can_log=True),
        "pupil_summary_bare": pupil_cards.summary_card(bare, show_costs=False, can_log=False),
        "pupil_pick": pupil_cards.pick_card(rows, more=True),
        "provisions": prov_cards.catalogue_card(provisions),
        "provisions_empty": prov_cards.catalogue_card([]),
        "provision_new": prov_cards.provision_form_card(prov_cards.ProvisionForm(None, {})),
        "provision_errors": prov_cards.provision_form_card(
            form, {f: texts.ERR_MONEY for f in prov_cards.FIELDS}
        ),
    }


def test_log_cards_are_valid_adaptive_card_1_5() -> None:
    assert validate_cards(samples()) == {}


def test_costs_only_when_asked() -> None:
    assert "\u00a32.50" in str(log_cards.log_done_card(_view(), show_costs=True))
    assert "\u00a3" not in str(log_cards.log_done_card(_view(), show_costs=False))


def test_money_is_formatted_from_pence() -> None:
    assert log_cards.money(0) == "\u00a30.00"
    assert log_cards.money(123456) == "\u00a31,234.56"
