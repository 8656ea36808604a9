"""The provision catalogue card and the add/edit form (SENCO and admin: it shows pay rates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from microsoft_teams.cards.core import ActionSet, CardElement, TextInput

from cards import texts
from cards.common import Card, card, heading, paragraph, submit, title
from cards.forms import field
from cards.log import money
from cards.verbs import Verb
from storage.queries.log import ProvisionRow

F_NAME = "name"
F_AREA = "broad_area"
F_MINUTES = "default_minutes"
F_GROUP = "default_group_size"
F_HOURLY = "hourly"
F_PER_PUPIL = "per_pupil"
FIELDS = (F_NAME, F_AREA, F_MINUTES, F_GROUP, F_HOURLY, F_PER_PUPIL)
MAX_NAME = 120
MAX_AREA = 80


@dataclass(frozen=True)
class ProvisionForm:
    provision_id: int | None
    values: Mapping[str, str]


def catalogue_card(rows: Sequence[ProvisionRow]) -> Card:
    body: list[CardElement] = [title(texts.PROVISIONS_TITLE)]
    if not rows:
        body.append(paragraph(texts.PROVISIONS_EMPTY))
    for p in rows:
        body.append(heading(p.name + (f" \u00b7 {p.broad_area}" if p.broad_area else "")))
        line = texts.PROVISIONS_LINE.format(
            minutes=p.default_minutes,
            group=p.default_group_size,
            hourly=money(p.staff_hourly_cost_pence),
            per_pupil=money(p.per_pupil_cost_pence),
        )
        body.append(paragraph(line, subtle=True))
        if p.retired:
            body.append(paragraph(texts.PROVISIONS_RETIRED, subtle=True))
        else:
            body.append(
                ActionSet(
                    actions=[
                        submit(texts.PROVISIONS_EDIT, Verb.PROVISION_EDIT, {"provision": p.id}),
                        submit(
                            texts.PROVISIONS_RETIRE,
                            Verb.PROVISION_RETIRE,
                            {"provision": p.id},
                            style="destructive",
                        ),
                    ]
                )
            )
    return card(body, [submit(texts.PROVISIONS_ADD, Verb.PROVISION_NEW)])


def _input(field: str, label: str, value: str, *, required: bool = False, max_length: int = 0) -> TextInput:
    return TextInput(
        id=field,
        label=label,
        value=value,
        is_required=True if required else None,
        error_message=texts.ERR_NAME_MISSING if required else None,
        max_length=max_length or None,
    )


def provision_form_card(form: ProvisionForm, errors: Mapping[str, str] | None = None) -> Card:
    errors = errors or {}
    v = form.values
    inputs = [
        _input(F_NAME, texts.PROVISIONS_LABEL_NAME, v.get(F_NAME, ""), required=True, max_length=MAX_NAME),
        _input(F_AREA, texts.PROVISIONS_LABEL_AREA, v.get(F_AREA, ""), max_length=MAX_AREA),
        _input(F_MINUTES, texts.PROVISIONS_LABEL_MINUTES, v.get(F_MINUTES, "30")),
        _input(F_GROUP, texts.PROVISIONS_LABEL_GROUP, v.get(F_GROUP, "1")),
        _input(F_HOURLY, texts.PROVISIONS_LABEL_HOURLY, v.get(F_HOURLY, "0.00")),
        _input(F_PER_PUPIL, texts.PROVISIONS_LABEL_PER_PUPIL, v.get(F_PER_PUPIL, "0.00")),
    ]
    body: list[CardElement] = [
        title(texts.PROVISIONS_FORM_NEW if form.provision_id is None else texts.PROVISIONS_FORM_EDIT)
    ]
    if errors:
        body.append(paragraph(texts.LOG_FIX_BELOW, color="Attention"))
    for inp in inputs:
        body.extend(field(inp, errors))
    data = {} if form.provision_id is None else {"provision": form.provision_id}
    return card(body, [submit(texts.PROVISIONS_SAVE, Verb.PROVISION_SAVE, data, style="positive")])
