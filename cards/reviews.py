"""Cards of reviews: the record-a-review form, the next-cycle form, and the due/overdue list.

The review form carries the open review's id, the plan's id and version, and an idempotency key; the
next-cycle form carries the plan's version (a second click finds the plan already moved on).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from microsoft_teams.cards.core import CardElement, Container

from cards import texts
from cards.common import SUBMISSION, Card, card, day, facts, heading, paragraph, submit, title
from cards.forms import banner, choice_input, date_input, text_input
from cards.verbs import Verb
from storage.queries.plans import PlanView
from storage.queries.reviews import DueRow, ParentCount

NOTE_LIMIT = 500
WHO_LIMIT = 200
STEPS_LIMIT = 2000
RESULTS = ("met", "partly_met", "not_met")
CARRY_ON = ("partly_met", "not_met")


def result_field(outcome_id: int) -> str:
    return f"result_{outcome_id}"


def note_field(outcome_id: int) -> str:
    return f"note_{outcome_id}"


def review_form_fields(plan: PlanView) -> list[str]:
    names = ["held_on", "parent_attended", "parent_who", "next_steps", "next_due_on"]
    for o in plan.outcomes:
        names += [result_field(o.id), note_field(o.id)]
    return names


def review_form_card(
    *,
    pupil_id: int,
    name: str,
    plan: PlanView,
    review_id: int,
    due_on: dt.date,
    today: dt.date,
    default_next_due: dt.date,
    key: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    v = dict(values or {"held_on": today.isoformat(), "next_due_on": default_next_due.isoformat()})
    body: list[CardElement] = [title(texts.REVIEW_FORM_TITLE.format(name=name))]
    if message:
        body.append(banner(message))
    body.append(paragraph(texts.REVIEW_FORM_HINT.format(cycle=plan.cycle, due_on=day(due_on)), subtle=True))
    body += date_input(
        "held_on", "Held on", v.get("held_on", ""), errors=errors, required=texts.HELD_ON_REQUIRED
    )
    body += choice_input(
        "parent_attended",
        "Did a parent or carer attend?",
        [("yes", "Yes"), ("no", "No")],
        v.get("parent_attended", ""),
        expanded=True,
        errors=errors,
        required=texts.PARENT_REQUIRED,
    )
    body += text_input(
        "parent_who", "Who attended", v.get("parent_who", ""), max_length=WHO_LIMIT, errors=errors
    )
    for o in plan.outcomes:
        body.append(heading(f"Outcome {o.position}: {o.text}"))
        body += choice_input(
            result_field(o.id),
            "Judgement",
            [(r, texts.RESULT_LABELS[r]) for r in RESULTS],
            v.get(result_field(o.id), ""),
            expanded=True,
            errors=errors,
            required=texts.RESULT_REQUIRED,
        )
        body += text_input(
            note_field(o.id),
            "Note (optional)",
            v.get(note_field(o.id), ""),
            max_length=NOTE_LIMIT,
            errors=errors,
        )
    body += text_input(
        "next_steps",
        "Next steps",
        v.get("next_steps", ""),
        max_length=STEPS_LIMIT,
        multiline=True,
        errors=errors,
    )
    body += date_input(
        "next_due_on",
        "Next review date (required)",
        v.get("next_due_on", ""),
        errors=errors,
        required=texts.NEXT_DUE_REQUIRED,
    )
    hidden = {
        "pupil_id": pupil_id,
        "plan_id": plan.id,
        "version": plan.version,
        "review_id": review_id,
        SUBMISSION: key,
    }
    return card(body, [submit(texts.REVIEW_SAVE, Verb.REVIEW_SAVE, hidden, style="positive")])


def next_cycle_card(
    *, pupil_id: int, name: str, plan: PlanView, results: Mapping[int, str], message: str
) -> Card:
    """After a review: choose the outcomes that carry on (not met and partly met are chosen already)."""
    body: list[CardElement] = [
        title(texts.REVIEW_FORM_TITLE.format(name=name)),
        banner(message, good=True),
        heading(texts.NEXT_CYCLE_HEADING),
        paragraph(texts.NEXT_CYCLE_HINT, subtle=True),
    ]
    carry = ",".join(str(o.id) for o in plan.outcomes if results.get(o.id) in CARRY_ON)
    body += choice_input(
        "carry",
        texts.PLAN_OUTCOMES,
        [
            (str(o.id), f"{o.text} ({texts.RESULT_LABELS.get(results.get(o.id, 'pending'), '')})")
            for o in plan.outcomes
        ],
        carry,
        multi=True,
        expanded=True,
    )
    data = {"pupil_id": pupil_id, "plan_id": plan.id, "version": plan.version}
    return card(
        body,
        [
            submit(texts.NEXT_CYCLE_START, Verb.REVIEW_NEXT_CYCLE, data, style="positive"),
            submit(texts.PLAN_TITLE.format(name=name), Verb.PLAN_SHOW, {"pupil_id": pupil_id}),
        ],
    )


def _due_line(row: DueRow, can_record: bool) -> Container:
    line = texts.REVIEWS_LINE.format(
        name=row.name, class_name=row.class_name or "\u2014", due_on=day(row.due_on)
    )
    select = submit(row.name, Verb.REVIEW_START, {"pupil_id": row.pupil_id}) if can_record else None
    return Container(items=[paragraph(line)], select_action=select)


def reviews_card(
    *,
    today: dt.date,
    due: Sequence[DueRow],
    total: int,
    parents: Sequence[ParentCount],
    since: dt.date,
    can_record: bool,
    max_parent_rows: int = 100,
) -> Card:
    body: list[CardElement] = [title(texts.REVIEWS_TITLE)]
    overdue = [r for r in due if r.due_on < today]
    soon = [r for r in due if r.due_on >= today]
    if not due:
        body.append(paragraph(texts.REVIEWS_NONE_DUE))
    if overdue:
        body.append(heading(f"{texts.REVIEWS_OVERDUE} ({len(overdue)})"))
        body += [_due_line(r, can_record) for r in overdue]
    if soon:
        body.append(heading(f"{texts.REVIEWS_DUE} ({len(soon)})"))
        body += [_due_line(r, can_record) for r in soon]
    if total > len(due):
        body.append(paragraph(texts.REVIEWS_MORE.format(count=total - len(due)), subtle=True))
    if parents:
        body.append(heading(texts.REVIEWS_PARENTS.format(since=day(since))))
        body.append(
            facts(
                (p.name, texts.REVIEWS_PARENTS_LINE.format(count=p.count)) for p in parents[:max_parent_rows]
            )
        )
        if len(parents) > max_parent_rows:
            body.append(
                paragraph(texts.REVIEWS_MORE.format(count=len(parents) - max_parent_rows), subtle=True)
            )
    return card(body)
