"""Cards of support plans: the plan as it stands, and the drafting form.

The form carries the pupil id, the plan id and version it was built from (a stale card gets the
current plan back, not an error) and an idempotency key (a double submit of a new plan saves one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from microsoft_teams.cards.core import Action, CardElement

from cards import texts
from cards.common import SUBMISSION, Card, card, day, facts, heading, paragraph, submit, title
from cards.forms import banner, choice_input, date_input, text_input
from cards.verbs import Verb
from storage.queries.plans import PlanView

OUTCOME_LIMIT = 500
LONG_TEXT_LIMIT = 2000
MAX_OUTCOMES = 4
FIELDS = (
    *(f"outcome{i}" for i in range(1, MAX_OUTCOMES + 1)),
    "strategies",
    "provisions",
    "review_on",
    "pupil_views",
    "parent_views",
)


def plan_card(
    *,
    pupil_id: int,
    name: str,
    plan: PlanView | None,
    can_edit: bool,
    message: str | None = None,
    good: bool = False,
) -> Card:
    body: list[CardElement] = [title(texts.PLAN_TITLE.format(name=name))]
    if message:
        body.append(banner(message, good=good))
    actions: list[Action] = []
    if plan is None:
        body.append(paragraph(texts.PLAN_NONE))
        if can_edit:
            actions.append(submit(texts.PLAN_DRAFT, Verb.PLAN_EDIT, {"pupil_id": pupil_id}))
        return card(body, actions)
    body.append(
        paragraph(
            texts.PLAN_SUMMARY.format(cycle=plan.cycle, status=plan.status, review_on=day(plan.review_on)),
            subtle=True,
        )
    )
    body.append(heading(texts.PLAN_OUTCOMES))
    body += [paragraph(f"{o.position}. {o.text}") for o in plan.outcomes]
    for label, value in (
        (texts.PLAN_STRATEGIES, plan.strategies),
        (texts.PLAN_PUPIL_VIEWS, plan.pupil_views),
        (texts.PLAN_PARENT_VIEWS, plan.parent_views),
    ):
        if value:
            body += [heading(label), paragraph(value)]
    if plan.provisions:
        body += [heading(texts.PLAN_PROVISIONS), facts((n, "") for _, n in plan.provisions)]
    if not can_edit:
        body.append(paragraph(texts.PLAN_READ_ONLY, subtle=True))
    elif plan.status == "active":
        actions.append(submit(texts.PLAN_EDIT, Verb.PLAN_EDIT, {"pupil_id": pupil_id}))
        actions.append(submit(texts.PLAN_RECORD_REVIEW, Verb.REVIEW_START, {"pupil_id": pupil_id}))
    else:
        actions.append(submit(texts.PLAN_DRAFT, Verb.PLAN_EDIT, {"pupil_id": pupil_id}))
    return card(body, actions)


def plan_form_card(
    *,
    pupil_id: int,
    name: str,
    plan: PlanView | None,
    provision_options: Sequence[tuple[int, str]],
    default_review_on: str,
    key: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    if values:
        v = dict(values)
    elif plan is not None and plan.status == "active":
        v = {f"outcome{o.position}": o.text for o in plan.outcomes}
        v.update(
            strategies=plan.strategies,
            provisions=",".join(str(i) for i, _ in plan.provisions),
            review_on=plan.review_on.isoformat(),
            pupil_views=plan.pupil_views,
            parent_views=plan.parent_views,
        )
    else:
        v = {"review_on": default_review_on}
    body: list[CardElement] = [title(texts.PLAN_FORM_TITLE.format(name=name))]
    if message:
        body.append(banner(message))
    body.append(paragraph(texts.PLAN_FORM_HINT, subtle=True))
    for i in range(1, MAX_OUTCOMES + 1):
        body += text_input(
            f"outcome{i}",
            f"Outcome {i}" + (" (required)" if i == 1 else " (optional)"),
            v.get(f"outcome{i}", ""),
            max_length=OUTCOME_LIMIT,
            multiline=True,
            errors=errors,
            required=texts.OUTCOMES_REQUIRED if i == 1 else None,
        )
    body += text_input(
        "strategies",
        texts.PLAN_STRATEGIES,
        v.get("strategies", ""),
        max_length=LONG_TEXT_LIMIT,
        multiline=True,
        errors=errors,
    )
    if provision_options:
        body += choice_input(
            "provisions",
            texts.PLAN_PROVISIONS,
            [(str(i), n) for i, n in provision_options],
            v.get("provisions", ""),
            multi=True,
            errors=errors,
        )
    body += date_input(
        "review_on",
        "Review date (required)",
        v.get("review_on", ""),
        errors=errors,
        required=texts.REVIEW_DATE_REQUIRED,
    )
    body += text_input(
        "pupil_views",
        texts.PLAN_PUPIL_VIEWS,
        v.get("pupil_views", ""),
        max_length=LONG_TEXT_LIMIT,
        multiline=True,
        errors=errors,
    )
    body += text_input(
        "parent_views",
        texts.PLAN_PARENT_VIEWS,
        v.get("parent_views", ""),
        max_length=LONG_TEXT_LIMIT,
        multiline=True,
        errors=errors,
    )
    active = plan is not None and plan.status == "active"
    hidden = {
        "pupil_id": pupil_id,
        "plan_id": plan.id if active and plan else 0,
        "version": plan.version if active and plan else 0,
        SUBMISSION: key,
    }
    return card(body, [submit(texts.PLAN_SAVE, Verb.PLAN_SAVE, hidden, style="positive")])
