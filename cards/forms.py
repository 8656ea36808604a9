"""Form parts shared by the register, plan and review cards: inputs with the server's error beside them.

Why: a person-fixable problem comes back as the same form with the message on the field and the
person's input kept (bot.turn.core.UserError), so every form builds its inputs the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cards import texts
from cards.common import Card, card, paragraph, submit, title
from cards.verbs import Verb
from storage.queries.pupils import PupilRow


def field_error(message: str) -> Card:
    return {"type": "TextBlock", "text": message, "color": "Attention", "wrap": True, "spacing": "None"}


def banner(message: str, *, good: bool = False) -> Card:
    return paragraph(message, color="Good" if good else "Attention")


def text_input(
    name: str,
    label: str,
    value: str = "",
    *,
    max_length: int,
    multiline: bool = False,
    placeholder: str | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[Card]:
    element: Card = {
        "type": "Input.Text",
        "id": name,
        "label": label,
        "value": value,
        "maxLength": max_length,
        "isMultiline": multiline,
    }
    if placeholder:
        element["placeholder"] = placeholder
    return _with_error(element, name, errors)


def date_input(
    name: str, label: str, value: str = "", *, errors: Mapping[str, str] | None = None
) -> list[Card]:
    element: Card = {"type": "Input.Date", "id": name, "label": label, "value": value}
    return _with_error(element, name, errors)


def choice_input(
    name: str,
    label: str,
    options: Iterable[tuple[str, str]],
    value: str = "",
    *,
    multi: bool = False,
    expanded: bool = False,
    errors: Mapping[str, str] | None = None,
) -> list[Card]:
    element: Card = {
        "type": "Input.ChoiceSet",
        "id": name,
        "label": label,
        "choices": [{"title": t, "value": v} for v, t in options],
        "value": value,
        "isMultiSelect": multi,
        "style": "expanded" if expanded else "compact",
    }
    return _with_error(element, name, errors)


def _with_error(element: Card, name: str, errors: Mapping[str, str] | None) -> list[Card]:
    if errors and name in errors:
        return [element, field_error(errors[name])]
    return [element]


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
