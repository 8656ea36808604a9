"""Cards for the school's duties to parents: the open tasks, the form that marks one done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from microsoft_teams.cards.core import ActionSet, CardElement, Column, ColumnSet

from cards import texts
from cards.common import Card, card, day, paragraph, submit, title
from cards.forms import banner, choice_input, date_input
from cards.verbs import Verb
from storage.queries.parents import TaskRow

HOW_OPTIONS = tuple(texts.PARENT_HOW_WORDS.items())


def task_line(t: TaskRow, today: dt.date, *, with_pupil: bool = True) -> str:
    what = texts.PARENT_TASK_WORDS.get(t.kind, t.kind)
    line = texts.TASK_LINE_OVERDUE if t.due_on < today else texts.TASK_LINE
    text = line.format(pupil=t.pupil_name, what=what, due=day(t.due_on))
    return text if with_pupil else text.split(": ", 1)[1]


def task_rows(tasks: Sequence[TaskRow], today: dt.date, *, with_pupil: bool = True) -> list[CardElement]:
    """One line per task with its own Mark done button (a ColumnSet keeps the button beside the line)."""
    return [
        ColumnSet(
            columns=[
                Column(
                    width="stretch",
                    items=[
                        paragraph(
                            task_line(t, today, with_pupil=with_pupil),
                            color="Attention" if t.due_on < today else None,
                        )
                    ],
                ),
                Column(
                    width="auto",
                    items=[
                        ActionSet(
                            actions=[
                                submit(
                                    texts.TASK_DONE_BUTTON,
                                    Verb.TASK_DONE_FORM,
                                    {"task_id": t.id, "pupil_id": t.pupil_id},
                                )
                            ]
                        )
                    ],
                ),
            ]
        )
        for t in tasks
    ]


def tasks_card(tasks: Sequence[TaskRow], today: dt.date, *, more: bool) -> Card:
    body: list[CardElement] = [title(texts.TASKS_TITLE)]
    if not tasks:
        body.append(paragraph(texts.TASKS_NONE, subtle=True))
    if more:
        body.append(paragraph(texts.TASKS_MORE.format(shown=len(tasks)), subtle=True))
    body.extend(task_rows(tasks, today))
    return card(body)


def task_done_card(
    *,
    task_id: int,
    pupil_id: int,
    pupil_name: str,
    kind: str,
    today: dt.date,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    values = values or {}
    body: list[CardElement] = [title(texts.TASK_FORM_TITLE.format(pupil=pupil_name))]
    if message:
        body.append(banner(message))
    body.append(paragraph(texts.PARENT_TASK_WORDS.get(kind, kind)))
    body += date_input(
        "done_at",
        texts.TASK_LABEL_DATE,
        values.get("done_at", today.isoformat()),
        errors=errors,
        required=texts.TASK_DATE_REQUIRED,
    )
    body += choice_input(
        "how",
        texts.TASK_LABEL_HOW,
        HOW_OPTIONS,
        values.get("how", ""),
        expanded=True,
        errors=errors,
        required=texts.TASK_HOW_REQUIRED,
    )
    return card(
        body,
        [
            submit(
                texts.TASK_SAVE, Verb.TASK_DONE, {"task_id": task_id, "pupil_id": pupil_id}, style="positive"
            )
        ],
    )
