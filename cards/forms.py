"""Form parts shared by every form card: inputs with the server's error beside them.

Why: a person-fixable problem comes back as the same form with the message on the field and the
person's input kept (bot.turn.core.UserError), so every form builds its inputs the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from microsoft_teams.cards.core import (
    CardElement,
    Choice,
    ChoiceSetInput,
    DateInput,
    NumberInput,
    TextBlock,
    TextInput,
    ToggleInput,
)

from cards import texts
from cards.common import Card, card, paragraph, submit, title
from cards.verbs import Verb
from storage.queries.pupils import PupilRow

Input = TextInput | DateInput | NumberInput | ChoiceSetInput | ToggleInput


def field_error(message: str) -> TextBlock:
    return TextBlock(text=message, color="Attention", wrap=True, spacing="None")


def banner(message: str, *, good: bool = False) -> TextBlock:
    return paragraph(message, color="Good" if good else "Attention")


def field(element: Input, errors: Mapping[str, str] | None = None) -> list[CardElement]:
    """The one way a form shows an input: when the server refused its value, the message goes right under
    it (a red TextBlock) and into the input's errorMessage (shown when a client checks the field itself)."""
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
) -> list[CardElement]:
    element = TextInput(
        id=name,
        label=label,
        value=value,
        max_length=max_length,
        is_multiline=multiline,
        placeholder=placeholder or None,
    )
    return field(element, errors)


def date_input(
    name: str, label: str, value: str = "", *, errors: Mapping[str, str] | None = None
) -> list[CardElement]:
    return field(DateInput(id=name, label=label, value=value), errors)


def choice_input(
    name: str,
    label: str,
    options: Iterable[tuple[str, str]],
    value: str = "",
    *,
    multi: bool = False,
    expanded: bool = False,
    errors: Mapping[str, str] | None = None,
) -> list[CardElement]:
    element = ChoiceSetInput(
        id=name,
        label=label,
        choices=choices(options),
        value=value,
        is_multi_select=multi,
        style="expanded" if expanded else "compact",
    )
    return field(element, errors)


def pupil_picker(text: str, found: Sequence[PupilRow], verb: Verb) -> Card:
    """Several pupils match a typed name: one button per pupil, carrying only the id."""
    return card(
        [title(texts.PUPIL_WHICH.format(text=text))],
        [submit(f"{p.display_name} (Year {p.year_group})", verb, {"pupil_id": p.id}) for p in found],
    )


def values_of(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """The person's input, kept as text so a form can be sent back as it was typed."""
    out: dict[str, str] = {}
    for name in names:
        raw = data.get(name)
        out[name] = raw[:2000] if isinstance(raw, str) else ""
    return out
