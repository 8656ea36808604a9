"""The parents cards (tasks, the mark-done form with its errors, the pupil summary's section) validate as
Adaptive Cards 1.5."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cards import texts
from cards.contacts import contacts_card
from cards.letters import pick_card, preview_card, ready_card, template_card
from cards.parents import task_done_card, tasks_card
from cards.pupil import summary_card
from storage.queries.parents import ContactRow, TaskRow
from storage.queries.pupil_summary import PupilSummary
from tests.support.node import validate_cards

TODAY = dt.date(2026, 11, 25)


def rows(n: int) -> list[TaskRow]:
    kinds = list(texts.PARENT_TASK_WORDS)
    return [
        TaskRow(i + 1, 100 + i, f"Pupil{i} Family", kinds[i % 3], TODAY, TODAY + dt.timedelta(days=i - 2))
        for i in range(n)
    ]


SUMMARY = PupilSummary(1, "Amira Khan", 4, "K", ["Speech, language and communication needs"], [], [], 0, 0)


def task_samples() -> dict[str, dict[str, Any]]:
    return {
        "tasks": tasks_card(rows(5), TODAY, more=True),
        "tasks_empty": tasks_card([], TODAY, more=False),
        "done_form": task_done_card(
            task_id=1, pupil_id=2, pupil_name="Amira Khan", kind="inform_sen_support", today=TODAY
        ),
        "done_form_errors": task_done_card(
            task_id=1,
            pupil_id=2,
            pupil_name="Amira Khan",
            kind="share_review_outcome",
            today=TODAY,
            values={"done_at": "2027-01-01", "how": "pigeon"},
            errors={"done_at": texts.TASK_DATE_FUTURE, "how": texts.TASK_HOW_REQUIRED},
            message=texts.TASK_DATE_FUTURE,
        ),
        "summary_with_tasks": summary_card(
            SUMMARY, show_costs=False, can_log=True, parent_tasks=rows(2), can_close_tasks=True, today=TODAY
        ),
        "summary_tasks_read_only": summary_card(
            SUMMARY, show_costs=False, can_log=False, parent_tasks=rows(2), can_close_tasks=False, today=TODAY
        ),
    }


def samples() -> dict[str, dict[str, Any]]:
    return {**task_samples(), **contact_samples(), **letter_samples()}


def test_parents_cards_are_valid_adaptive_cards() -> None:
    assert validate_cards(task_samples()) == {}


def contact_samples() -> dict[str, dict[str, Any]]:
    rows = [
        ContactRow(1, "Sara Khan", "Mother", "sara@example.org", "", True),
        ContactRow(2, "Omar Khan", "Father", "", "01632 960000", False),
    ]
    return {
        "empty": contacts_card(pupil_id=1, pupil_name="Amira Khan", rows=[]),
        "listed": contacts_card(pupil_id=1, pupil_name="Amira Khan", rows=rows, message="Saved", good=True),
        "editing_with_errors": contacts_card(
            pupil_id=1,
            pupil_name="Amira Khan",
            rows=rows,
            editing=rows[0],
            values={"name": "Sara", "relationship": "", "email": "bad", "phone": "", "preferred": "true"},
            errors={"relationship": texts.CONTACT_RELATIONSHIP_REQUIRED, "email": texts.CONTACT_EMAIL_BAD},
            message=texts.CONTACT_RELATIONSHIP_REQUIRED,
        ),
    }


def test_contacts_cards_are_valid_adaptive_cards() -> None:
    assert validate_cards(contact_samples()) == {}


def letter_samples() -> dict[str, dict[str, Any]]:
    from bot.letters import wording as letters

    return {
        "pick": pick_card(pupil_id=1, pupil_name="Amira Khan"),
        "ready": ready_card(
            pupil_id=1,
            pupil_name="Amira Khan",
            kind="sen_support",
            url="https://x.example/letters/t",
            can_email=True,
        ),
        "ready_no_email": ready_card(
            pupil_id=1,
            pupil_name="Amira Khan",
            kind="review_summary",
            url="https://x.example/l/t",
            can_email=False,
        ),
        "template": template_card(
            kind="plan_summary", body="<p>{{ school_name }}</p>", names=letters.ALLOWED_NAMES
        ),
        "template_error": template_card(
            kind="plan_summary",
            body="{{ pupil_dob }}",
            names=letters.ALLOWED_NAMES,
            errors={"body": texts.LETTER_TEMPLATE_UNKNOWN.format(name="pupil_dob")},
            message=texts.LETTER_TEMPLATE_UNKNOWN.format(name="pupil_dob"),
        ),
        "preview": preview_card(
            pupil_id=1,
            pupil_name="Amira Khan",
            kind="review_summary",
            mailbox="senco@school.example",
            to=[("Sara Khan", "sara@example.org"), ("Omar Khan", "omar@example.org")],
            subject="How your child's plan went: Amira (Oakfield Primary)",
            key="a" * 32,
        ),
    }


def test_letter_cards_are_valid_adaptive_cards() -> None:
    assert validate_cards(letter_samples()) == {}
