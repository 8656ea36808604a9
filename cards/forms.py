"""Form parts shared by every form card: inputs with the server's error beside them.

Why: a person-fixable problem comes back as the same form with the message on the field and the
person's input kept (bot.turn.core.UserError), so every form builds its inputs the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from microsoft_teams.cards.core import (
    CardElement,
    Choice,
    ChoiceSetInput,
    DateInput,
    NumberInput,
    QueryData,
    TextBlock,
    TextInput,
    ToggleInput,
)

from cards import texts
from cards.common import Card, birthday, card, paragraph, submit, title
from cards.verbs import Verb
from storage.queries.pupils import PupilRow

Input = TextInput | DateInput | NumberInput | ChoiceSetInput | ToggleInput
# The dataset a pupil choice set names when Teams should search it as the person types (bot/flows/pupil.py).
PUPIL_DATASET = "pupils"
# Up to this many pupils a card lists them all (Teams filters the list itself); beyond it, the list is
# searched on the server as the person types, and the card carries only this many as a fallback for a
# client without type-ahead search.
MAX_STATIC_PUPILS = 100


def field_error(message: str) -> TextBlock:
    return TextBlock(text=message, color="Attention", wrap=True, spacing="None")


def banner(message: str, *, good: bool = False) -> TextBlock:
    return paragraph(message, color="Good" if good else "Attention")


def field(
    element: Input, errors: Mapping[str, str] | None = None, *, required: str | None = None
) -> list[CardElement]:
    """The one way a form shows an input: when the server refused its value, the message goes right under
    it (a red TextBlock) and into the input's errorMessage (shown when a client checks the field itself).
    `required`: the client refuses to send the form without this input, with this message (the server's
    own for a missing value, which it still checks)."""
    if required:
        element.is_required = True
        element.error_message = required
    message = errors.get(element.id or "") if errors else None
    if message is None:
        return [element]
    element.error_message = message
    return [element, field_error(message)]


def choices(options: Iterable[tuple[str, str]]) -> list[Choice]:
    """ChoiceSet choices from (value, title) pairs."""
    return [Choice(title=t, value=v) for v, t in options]


def text_input(
    name: str,
    label: str,
    value: str = "",
    *,
    max_length: int,
    multiline: bool = False,
    placeholder: str | None = None,
    errors: Mapping[str, str] | None = None,
    required: str | None = None,
) -> list[CardElement]:
    element = TextInput(
        id=name,
        label=label,
        value=value,
        max_length=max_length,
        is_multiline=multiline,
        placeholder=placeholder or None,
    )
    return field(element, errors, required=required)


def date_input(
    name: str,
    label: str,
    value: str = "",
    *,
    errors: Mapping[str, str] | None = None,
    required: str | None = None,
) -> list[CardElement]:
    return field(DateInput(id=name, label=label, value=value), errors, required=required)


def choice_input(
    name: str,
    label: str,
    options: Iterable[tuple[str, str]],
    value: str = "",
    *,
    multi: bool = False,
    expanded: bool = False,
    errors: Mapping[str, str] | None = None,
    required: str | None = None,
) -> list[CardElement]:
    element = ChoiceSetInput(
        id=name,
        label=label,
        choices=choices(options),
        value=value,
        is_multi_select=multi,
        style="expanded" if expanded else "compact",
    )
    return field(element, errors, required=required)


def year_label(year_group: int) -> str:
    return texts.PUPIL_RECEPTION if year_group == 0 else texts.PUPIL_YEAR.format(year=year_group)


def pupil_labels(rows: Sequence[PupilRow]) -> list[str]:
    """How each pupil is named in a choice, in the order given: name and year, and where another pupil
    on the same list shares both, their class too, and where the class is also shared, the date of birth
    (never the UPN). The one place every picker and choice list gets its pupils' words from."""

    by_name: dict[tuple[str, int], int] = {}
    by_class: dict[tuple[str, int, str], int] = {}
    for p in rows:
        by_name[p.display_name, p.year_group] = by_name.get((p.display_name, p.year_group), 0) + 1
        key = (p.display_name, p.year_group, p.class_name)
        by_class[key] = by_class.get(key, 0) + 1
    labels: list[str] = []
    for p in rows:
        parts = [p.display_name, year_label(p.year_group)]
        if by_name[p.display_name, p.year_group] > 1:
            if p.class_name:
                parts.append(p.class_name)
            if by_class[p.display_name, p.year_group, p.class_name] > 1 and p.date_of_birth:
                parts.append(texts.PUPIL_BORN.format(date=birthday(p.date_of_birth)))
        labels.append(" \u00b7 ".join(parts))
    return labels


def pupil_choices(rows: Sequence[PupilRow]) -> list[tuple[str, str]]:
    """(value, title) pairs for a pupil ChoiceSet: the id and the label of pupil_labels."""
    return [(str(p.id), label) for p, label in zip(rows, pupil_labels(rows), strict=True)]


@dataclass(frozen=True)
class PupilOptions:
    """What a pupil choice set offers: the pupils it lists itself, and whether it also searches."""

    choices: list[tuple[str, str]]
    search: bool


def pupil_query(search: bool) -> QueryData | None:
    """The `choices.data` of a pupil choice set that searches: Teams' type-ahead over the pupils dataset."""
    return QueryData(dataset=PUPIL_DATASET) if search else None


def pupil_options(
    rows: Sequence[PupilRow], keep: Collection[int] = (), *, total: int | None = None
) -> PupilOptions:
    """Every pupil for a small caseload; for a larger one (`total` pupils in scope, default all of `rows`),
    type-ahead search with the first MAX_STATIC_PUPILS, and any in `keep` (already chosen), listed too."""
    if (len(rows) if total is None else total) <= MAX_STATIC_PUPILS:
        return PupilOptions(pupil_choices(rows), search=False)
    shown = list(rows[:MAX_STATIC_PUPILS]) + [r for r in rows[MAX_STATIC_PUPILS:] if r.id in keep]
    return PupilOptions(pupil_choices(shown), search=True)


def pupil_picker(text: str, found: Sequence[PupilRow], verb: Verb) -> Card:
    """Several pupils match a typed name: one button per pupil, carrying only the id."""
    return card(
        [title(texts.PUPIL_WHICH.format(text=text))],
        [
            submit(label, verb, {"pupil_id": p.id})
            for p, label in zip(found, pupil_labels(found), strict=True)
        ],
    )


def values_of(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """The person's input, kept as text so a form can be sent back as it was typed."""
    out: dict[str, str] = {}
    for name in names:
        raw = data.get(name)
        out[name] = raw[:2000] if isinstance(raw, str) else ""
    return out
