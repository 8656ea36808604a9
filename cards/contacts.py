"""The SENCO's card of a pupil's parent contacts: the list, and a form to add or edit one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from microsoft_teams.cards.core import ActionSet, CardElement, ToggleInput

from cards import texts
from cards.common import Card, card, heading, paragraph, submit, title
from cards.forms import banner, text_input
from cards.verbs import Verb
from storage.queries.parents import ContactRow

NAME_LIMIT = 200
RELATIONSHIP_LIMIT = 50
EMAIL_LIMIT = 254
PHONE_LIMIT = 40
FIELDS = ("name", "relationship", "email", "phone", "preferred")


def contacts_card(
    *,
    pupil_id: int,
    pupil_name: str,
    rows: Sequence[ContactRow],
    editing: ContactRow | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    good: bool = False,
) -> Card:
    body: list[CardElement] = [title(texts.CONTACTS_TITLE.format(pupil=pupil_name))]
    if message:
        body.append(banner(message, good=good))
    if not rows:
        body.append(paragraph(texts.CONTACTS_NONE, subtle=True))
    for r in rows:
        body.append(heading(r.name))
        body.append(
            paragraph(
                texts.CONTACT_LINE.format(
                    relationship=r.relationship,
                    preferred=texts.CONTACT_PREFERRED_MARK if r.preferred else "",
                    email=r.email or texts.CONTACT_NO_EMAIL,
                    phone=r.phone or texts.CONTACT_NO_PHONE,
                )
            )
        )
        ids = {"pupil_id": pupil_id, "contact_id": r.id}
        body.append(
            ActionSet(
                actions=[
                    submit(texts.CONTACT_EDIT, Verb.CONTACTS_SHOW, ids, with_inputs=False),
                    submit(
                        texts.CONTACT_REMOVE, Verb.CONTACT_REMOVE, ids, style="destructive", with_inputs=False
                    ),
                ]
            )
        )
    start = {
        "name": editing.name if editing else "",
        "relationship": editing.relationship if editing else "",
        "email": editing.email if editing else "",
        "phone": editing.phone if editing else "",
        "preferred": "true" if (editing.preferred if editing else not rows) else "false",
    }
    v = {**start, **(values or {})}
    body.append(
        heading(texts.CONTACT_FORM_EDIT.format(name=editing.name) if editing else texts.CONTACT_FORM_ADD)
    )
    body += text_input(
        "name",
        texts.CONTACT_LABEL_NAME,
        v["name"],
        max_length=NAME_LIMIT,
        errors=errors,
        required=texts.CONTACT_NAME_REQUIRED,
    )
    body += text_input(
        "relationship",
        texts.CONTACT_LABEL_RELATIONSHIP,
        v["relationship"],
        max_length=RELATIONSHIP_LIMIT,
        errors=errors,
        required=texts.CONTACT_RELATIONSHIP_REQUIRED,
    )
    body += text_input("email", texts.CONTACT_LABEL_EMAIL, v["email"], max_length=EMAIL_LIMIT, errors=errors)
    body += text_input("phone", texts.CONTACT_LABEL_PHONE, v["phone"], max_length=PHONE_LIMIT, errors=errors)
    body.append(
        ToggleInput(
            id="preferred",
            title=texts.CONTACT_LABEL_PREFERRED,
            value=v["preferred"] if v["preferred"] in ("true", "false") else "false",
            value_on="true",
            value_off="false",
        )
    )
    save = submit(
        texts.CONTACT_SAVE,
        Verb.CONTACT_SAVE,
        {"pupil_id": pupil_id, "contact_id": editing.id if editing else 0},
        style="positive",
    )
    return card(body, [save])
