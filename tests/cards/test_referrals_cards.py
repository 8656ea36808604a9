"""Every referral card validates against Adaptive Cards 1.5, in each state and with errors shown."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from cards import texts
from cards.common import to_json
from cards.referrals import (
    Choice,
    approval_card,
    progress_card,
    question_card,
    refer_action,
    refer_form,
    referrals_card,
    services_card,
    status_card,
)
from cards.verbs import Verb
from storage.queries.referrals import EventRow, ListRow, ReferralView, ServiceRow
from tests.support.node import validate_cards

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
VIEW = ReferralView(
    id=7,
    school_id=1,
    pupil_id=3,
    pupil_name="Amelia Smith",
    need="Speech, language and communication needs",
    service="Speech and language therapy",
    requested_by=4,
    requester_name="Ellie Brooks",
    concern="Struggles to follow two-step instructions.",
    tried_so_far="- Speech and language programme: 12 sessions, 360 minutes",
    consent_on=dt.date(2026, 11, 20),
    consent_by="Mother",
    urgency="soon",
    note=None,
    status="requested",
    version=1,
    decided_by_name=None,
    decided_at=None,
    decision_note=None,
    info_question=None,
    info_answer=None,
    sent_on=None,
    accepted_on=None,
    waiting_weeks=None,
    assessed_on=None,
    report_on=None,
    report_summary=None,
    report_recommendations=None,
    created_at=NOW,
    updated_at=NOW,
)
DECIDED = dataclasses.replace(
    VIEW, status="approved", version=2, decided_by_name="Alex Wilber", decided_at=NOW
)
REPORTED = dataclasses.replace(
    DECIDED,
    status="report_received",
    version=6,
    sent_on=dt.date(2026, 12, 1),
    accepted_on=dt.date(2026, 12, 8),
    waiting_weeks=6,
    assessed_on=dt.date(2027, 1, 20),
    report_on=dt.date(2027, 2, 1),
    report_summary="Receptive language below age.",
    report_recommendations="Visual timetable; pre-teach vocabulary.",
)
ASKED = dataclasses.replace(
    VIEW,
    status="more_info",
    version=2,
    decided_by_name="Alex Wilber",
    decided_at=NOW,
    info_question="Hearing?",
)
EVENTS = [EventRow("requested", "Ellie Brooks", NOW, None), EventRow("approved", "Alex Wilber", NOW, None)]
PUPILS = [Choice("Amelia Smith (Year 4)", "3"), Choice("Noah Jones (Year 4)", "4")]
SERVICES = [Choice("Educational psychology", "1"), Choice("CAMHS", "2")]


def samples() -> dict[str, dict[str, Any]]:
    field_errors = {
        f: texts.FIELD_REQUIRED
        for f in ("pupil", "service", "concern", "tried", "consent_on", "consent_by", "urgency", "note")
    }
    return {
        "form": refer_form(pupils=PUPILS, services=SERVICES, key="k" * 32),
        "form_prefilled": refer_form(
            pupils=PUPILS, services=SERVICES, key="k" * 32, values={"pupil": "3", "tried": "Phonics"}
        ),
        "form_errors": refer_form(
            pupils=PUPILS,
            services=SERVICES,
            key="k" * 32,
            values={"concern": ["wrong"], "consent_on": "2099-01-01"},
            errors=field_errors,
            message=texts.REFER_CONSENT_WHY,
        ),
        "approval": approval_card(VIEW, user_ids=["29:a", "29:b"]),
        "approval_errors": approval_card(
            VIEW, values={"reason": ""}, errors={"reason": texts.FIELD_REQUIRED}, message=texts.STALE_CARD
        ),
        "approval_after_answer": approval_card(
            dataclasses.replace(VIEW, version=3, info_question="Hearing?", info_answer="Tested in May.")
        ),
        "status_requested": status_card(VIEW, user_ids=["29:a"], message=texts.REFER_SENT.format(sencos="A")),
        "status_declined": status_card(
            dataclasses.replace(DECIDED, status="declined", decision_note="Try the ELSA first")
        ),
        "status_reported": status_card(REPORTED),
        "question": question_card(ASKED, asked_by="Alex Wilber"),
        "question_errors": question_card(
            ASKED, asked_by="Alex Wilber", values={"answer": ""}, errors={"answer": texts.FIELD_REQUIRED}
        ),
        **{
            f"progress_{v.status}": progress_card(v, EVENTS)
            for v in (
                DECIDED,
                dataclasses.replace(DECIDED, status="sent"),
                dataclasses.replace(DECIDED, status="accepted"),
                dataclasses.replace(DECIDED, status="assessed"),
                REPORTED,
                dataclasses.replace(REPORTED, status="closed"),
            )
        },
        "progress_errors": progress_card(
            dataclasses.replace(DECIDED, status="sent"),
            EVENTS,
            values={"on": "x", "waiting_weeks": "-1"},
            errors={"on": texts.FIELD_BAD_DATE, "waiting_weeks": texts.FIELD_BAD_NUMBER},
            message=texts.STALE_CARD,
        ),
        "progress_read_only": progress_card(DECIDED, EVENTS, can_move=False),
        "referrals": referrals_card(
            [
                ListRow(
                    7,
                    3,
                    "Amelia Smith",
                    "CAMHS",
                    "sent",
                    NOW - dt.timedelta(weeks=9),
                    NOW - dt.timedelta(weeks=7),
                    6,
                )
            ],
            page=1,
            has_next=True,
            now=NOW,
        ),
        "referrals_empty": referrals_card([], page=0, has_next=False, now=NOW),
        "services": services_card(
            [ServiceRow(1, "CAMHS", 1, False), ServiceRow(2, "Early Help", None, False)],
            message=texts.SERVICES_ADDED.format(name="CAMHS"),
        ),
        "services_errors": services_card(
            [], values={"name": "x" * 130}, errors={"name": texts.FIELD_TOO_LONG.format(limit=120)}
        ),
    }


def test_every_refer_card_is_valid_adaptive_card_1_5() -> None:
    cards = samples()
    assert validate_cards(cards) == {}


def test_approval_card_uses_universal_actions_with_refresh() -> None:
    built = approval_card(VIEW, user_ids=["29:a", "29:a", "29:b"])
    assert built["refresh"]["action"]["type"] == "Action.Execute"
    assert built["refresh"]["action"]["verb"] == Verb.REFERRAL_REFRESH.value
    assert built["refresh"]["userIds"] == ["29:a", "29:b"]
    approve = built["actions"][0]
    assert approve["type"] == "Action.Execute" and approve["data"] == {"referral": 7, "version": 1}
    inner = [a["card"]["actions"][0] for a in built["actions"][1:]]
    assert [a["verb"] for a in inner] == [Verb.REFERRAL_DECLINE.value, Verb.REFERRAL_ASK.value]


def test_refer_action_is_a_button_for_other_cards() -> None:
    action = to_json(refer_action(3))
    assert action["type"] == "Action.Submit" and action["data"] == {"verb": Verb.REFER_OPEN.value, "pupil": 3}
