"""The log card (one session for one pupil or a group), its confirmation, and the history list.

The form keeps whatever the person typed: on an error the same card comes back with the values they
submitted and the message right under the field concerned (cards.forms.field).
The idempotency key is put in the submit action's data when the card is built, so every delivery of
this card (double click, retry, a second device) names the same session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from microsoft_teams.cards.core import (
    Action,
    CardElement,
    Choice,
    ChoiceSetInput,
    DateInput,
    NumberInput,
    SubmitAction,
    TextInput,
)

from cards import texts
from cards.common import MAX_TEXT, SUBMISSION, Card, card, facts, heading, paragraph, submit, title

# Re-exported: bot/flows/parents.py words its messages with the cards' day format.
from cards.common import day as day  # noqa: PLC0414 (explicit re-export for mypy)
from cards.forms import Input, field, pupil_query
from cards.verbs import Verb
from storage.queries.log import HistoryRow, SessionView

F_PROVISION = "provision"
F_DATE = "held_on"
F_MINUTES = "minutes"
F_PUPILS = "pupils"
F_ABSENT = "absent"
F_NOTE = "note"
F_PUPIL_NOTES = "pupil_notes"
FIELDS = (F_PROVISION, F_DATE, F_MINUTES, F_PUPILS, F_ABSENT, F_NOTE, F_PUPIL_NOTES)
# The whole per-pupil notes box: up to a full note for each pupil of the biggest group.
MAX_PUPIL_NOTES = 30 * (MAX_TEXT + 60)


@dataclass(frozen=True)
class ProvisionChoice:
    id: int
    name: str
    minutes: int
    group: int


@dataclass(frozen=True)
class PupilChoice:
    id: int
    name: str


@dataclass(frozen=True)
class LogForm:
    """What the form shows: the person's input as text, exactly as it will be shown back."""

    key: str
    provision: str = ""
    held_on: str = ""
    minutes: str = ""
    pupils: str = ""
    absent: str = ""
    note: str = ""
    pupil_notes: str = ""

    def with_values(self, values: Mapping[str, str]) -> LogForm:
        return replace(self, **{k: v for k, v in values.items() if k in FIELDS})


def money(pence: int) -> str:
    return f"\u00a3{pence // 100:,}.{pence % 100:02d}"


def log_form_card(
    *,
    form: LogForm,
    provisions: Sequence[ProvisionChoice],
    pupils: Sequence[PupilChoice],
    today: dt.date,
    errors: Mapping[str, str] | None = None,
    pupil_search: bool = False,
) -> Card:
    """`pupil_search`: the pupil lists also search as the person types (cards.forms.pupil_options)."""
    errors = errors or {}
    pupil_choices = [Choice(title=p.name, value=str(p.id)) for p in pupils]
    body: list[CardElement] = [title(texts.LOG_TITLE), paragraph(texts.LOG_INTRO, subtle=True)]
    if errors:
        body.append(paragraph(texts.LOG_FIX_BELOW, color="Attention"))
    inputs: list[Input] = [
        ChoiceSetInput(
            id=F_PROVISION,
            label=texts.LOG_LABEL_PROVISION,
            style="compact",
            is_required=True,
            error_message=texts.ERR_PROVISION_MISSING,
            value=form.provision,
            choices=[
                Choice(
                    title=texts.LOG_PROVISION_CHOICE.format(name=p.name, minutes=p.minutes, group=p.group),
                    value=str(p.id),
                )
                for p in provisions
            ],
        ),
        DateInput(
            id=F_DATE,
            label=texts.LOG_LABEL_DATE,
            is_required=True,
            error_message=texts.ERR_DATE_MISSING,
            value=form.held_on,
            max=today.isoformat(),
        ),
        NumberInput(
            id=F_MINUTES,
            label=texts.LOG_LABEL_MINUTES,
            min=1,
            max=600,
            value=int(form.minutes) if form.minutes.isdigit() else None,
        ),
        ChoiceSetInput(
            id=F_PUPILS,
            label=texts.LOG_LABEL_PUPILS,
            style="filtered",
            is_multi_select=True,
            is_required=True,
            error_message=texts.ERR_PUPILS_MISSING,
            value=form.pupils,
            choices=pupil_choices,
            choices_data=pupil_query(pupil_search),
        ),
        ChoiceSetInput(
            id=F_ABSENT,
            label=texts.LOG_LABEL_ABSENT,
            style="filtered",
            is_multi_select=True,
            value=form.absent,
            choices=pupil_choices,
            choices_data=pupil_query(pupil_search),
        ),
        TextInput(
            id=F_NOTE,
            label=texts.LOG_LABEL_NOTE,
            is_multiline=True,
            max_length=MAX_TEXT,
            value=form.note,
        ),
        TextInput(
            id=F_PUPIL_NOTES,
            label=texts.LOG_LABEL_PUPIL_NOTES,
            is_multiline=True,
            max_length=MAX_PUPIL_NOTES,
            value=form.pupil_notes,
        ),
    ]
    for inp in inputs:
        body.extend(field(inp, errors))
    return card(
        body, [submit(texts.LOG_SUBMIT_BUTTON, Verb.LOG_SUBMIT, {SUBMISSION: form.key}, style="positive")]
    )


def log_done_card(view: SessionView, *, show_costs: bool) -> Card:
    present = [a for a in view.attendance if a.present]
    absent = [a for a in view.attendance if not a.present]
    body: list[CardElement] = [title(texts.LOG_DONE_TITLE)]
    if view.undone:
        body.append(paragraph(texts.LOG_DONE_UNDONE, color="Warning"))
    pairs: list[tuple[str, str]] = [
        (texts.LOG_FACT_PROVISION, view.provision_name),
        (texts.LOG_FACT_DATE, day(view.held_on)),
        (texts.LOG_FACT_MINUTES, str(view.minutes)),
        (texts.LOG_FACT_PRESENT, ", ".join(a.name for a in present) or "\u2014"),
    ]
    if absent:
        pairs.append((texts.LOG_FACT_ABSENT, ", ".join(a.name for a in absent)))
    if view.note:
        pairs.append((texts.LOG_FACT_NOTE, view.note))
    body.append(facts(pairs))
    notes = [(a.name, a.note) for a in view.attendance if a.note]
    if notes:
        body.append(facts((name, note) for name, note in notes if note))
    if show_costs and present:
        body.append(heading(texts.LOG_COST_HEADING))
        body.append(facts((a.name, money(a.cost_pence)) for a in present))
    actions = [submit(texts.LOG_AGAIN_BUTTON, Verb.LOG_AGAIN, {"session": view.id})]
    if not view.undone:
        actions.append(
            submit(texts.LOG_UNDO_BUTTON, Verb.LOG_UNDO, {"session": view.id}, style="destructive")
        )
    return card(body, actions)


def history_card(rows: Sequence[HistoryRow], *, page: int, has_more: bool) -> Card:
    body: list[CardElement] = [title(texts.LOG_HISTORY_TITLE)]
    if not rows:
        body.append(paragraph(texts.LOG_HISTORY_EMPTY))
        return card(body)
    if page or has_more:
        body.append(paragraph(texts.HISTORY_PAGE.format(page=page + 1), subtle=True))
    for r in rows:
        line = texts.LOG_HISTORY_LINE.format(
            date=day(r.held_on),
            provision=r.provision_name,
            minutes=r.minutes,
            present=r.present,
            pupils=r.pupils,
        )
        body.append(paragraph(line + (texts.HISTORY_UNDONE_MARK if r.undone else ""), subtle=r.undone))
    actions: list[Action] = []
    if page > 0:
        actions.append(submit(texts.HISTORY_PREVIOUS, Verb.HISTORY_PAGE, {"page": page - 1}))
    if has_more:
        actions.append(submit(texts.HISTORY_NEXT, Verb.HISTORY_PAGE, {"page": page + 1}))
    return card(body, actions)


def log_button(data: Mapping[str, Any] | None = None) -> SubmitAction:
    """The "Log intervention" action used on the welcome, help and pupil cards."""
    return submit(texts.LOG_BUTTON, Verb.LOG_START, data)
