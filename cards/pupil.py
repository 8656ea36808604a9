"""The pupil summary card and the pick list when a name matches several pupils."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from microsoft_teams.cards.core import ActionSet, CardElement

from cards import texts
from cards.common import Card, card, day, facts, heading, paragraph, submit, title
from cards.concerns import concern_action
from cards.forms import pupil_labels, year_label
from cards.log import log_button, money
from cards.parents import task_line, task_rows
from cards.verbs import Verb
from storage.queries.parents import TaskRow
from storage.queries.pupil_summary import PupilSummary
from storage.queries.pupils import PupilRow


def status_words(code: str) -> str:
    return f"{texts.SEN_STATUS_WORDS.get(code, code)} ({code})"


def pick_card(rows: Sequence[PupilRow], *, more: bool) -> Card:
    body: list[CardElement] = [title(texts.PUPIL_PICK_TITLE)]
    if more:
        body.append(paragraph(texts.PUPIL_PICK_MORE.format(shown=len(rows)), subtle=True))
    actions = [
        submit(
            f"{label} \u00b7 {texts.SEN_STATUS_WORDS.get(r.sen_status, r.sen_status)}",
            Verb.PUPIL_SHOW,
            {"pupil": r.id},
        )
        for r, label in zip(rows, pupil_labels(rows), strict=True)
    ]
    # One button per row: a name is easier to find in a list than in an overflow menu (Teams shows
    # at most five actions in a set).
    body.extend(ActionSet(actions=[a]) for a in actions)
    return card(body)


def summary_card(
    s: PupilSummary,
    *,
    show_costs: bool,
    can_log: bool,
    can_raise_concern: bool = False,
    parent_tasks: Sequence[TaskRow] = (),
    can_close_tasks: bool = False,
    today: dt.date | None = None,
) -> Card:
    body: list[CardElement] = [
        title(s.name),
        facts(
            [
                (year_label(s.year_group), ""),
                (texts.PUPIL_STATUS, status_words(s.status)),
                (texts.PUPIL_NEEDS, "; ".join(s.needs) or texts.PUPIL_NO_NEEDS),
                (texts.PUPIL_TERM_HOURS, f"{s.term_minutes / 60:.1f}"),
            ]
            + ([(texts.PUPIL_TERM_COST, money(s.term_cost_pence))] if show_costs else [])
            + (
                [
                    (
                        texts.PUPIL_PARENT_MEETINGS,
                        texts.PUPIL_PARENT_MEETINGS_VALUE.format(n=s.parent_meetings),
                    ),
                    (
                        texts.PUPIL_NEXT_REVIEW,
                        day(s.next_review_on) if s.next_review_on else texts.PUPIL_NO_REVIEW,
                    ),
                ]
                if s.status in ("K", "E")
                else []
            )
        ),
        heading(texts.PUPIL_PLAN_HEADING),
    ]
    if s.outcomes:
        body.extend(paragraph(f"{i}. {text}") for i, text in enumerate(s.outcomes, start=1))
    else:
        body.append(paragraph(texts.PUPIL_NO_PLAN, subtle=True))
    body.append(heading(texts.PUPIL_SESSIONS_HEADING))
    if s.recent:
        body.extend(
            paragraph(
                texts.PUPIL_SESSION_LINE.format(
                    date=day(r.held_on),
                    provision=r.provision_name,
                    minutes=r.minutes,
                    attendance=texts.PUPIL_PRESENT if r.present else texts.PUPIL_ABSENT,
                )
            )
            for r in s.recent
        )
    else:
        body.append(paragraph(texts.PUPIL_NO_SESSIONS, subtle=True))
    body.append(heading(texts.PUPIL_PARENTS_HEADING))
    if not parent_tasks:
        body.append(paragraph(texts.PUPIL_PARENTS_NONE, subtle=True))
    elif can_close_tasks and today is not None:
        body.extend(task_rows(parent_tasks, today, with_pupil=False))
    else:
        day_of = today or dt.date.min
        body.extend(paragraph(task_line(t, day_of, with_pupil=False)) for t in parent_tasks)
    actions = [log_button({"pupil": s.id})] if can_log else []
    if can_raise_concern and s.status == "N":
        # Only for pupils not on the register: a concern is how a teacher asks for one to be added.
        actions.append(concern_action(s.id))
    return card(body, actions)
