"""Cards of the concern flow: the teacher's form, the SENCO's approval card and the read-only status card.

Why the same shape as referrals: the approval card is Action.Execute with `refresh`, so whoever opens it
later sees the concern as it is now; a SENCO gets Accept/Decline only while it is still open. Accept
carries the register fields (status, needs, reason): the decision writes the register.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microsoft_teams.cards.core import CardElement, RefreshDefinition, ShowCardAction, SubmitAction

from cards import texts
from cards.common import (
    MAX_TEXT,
    SUBMISSION,
    Card,
    card,
    day,
    execute,
    facts,
    heading,
    moment,
    paragraph,
    refresh_block,
    sub_card,
    submit,
    title,
)
from cards.forms import banner, choice_input, date_input, text_input
from cards.register import NO_NEED, REASON_LIMIT
from cards.verbs import Verb
from storage.models import ConcernStatus
from storage.queries.concerns import ConcernView
from storage.queries.register import NeedOption

NOT_SURE = "none"


def concern_action(pupil_id: int) -> SubmitAction:
    """The "Raise a concern" button for a card about one pupil not on the register."""
    return submit(texts.CONCERN_RAISE_BUTTON, Verb.CONCERN_OPEN, {"pupil_id": pupil_id})


def _need_choices(options: Sequence[NeedOption]) -> list[tuple[str, str]]:
    return [(o.code, f"{o.name} ({o.code})") for o in options]


def _str(values: Mapping[str, Any], name: str, default: str = "") -> str:
    raw = values.get(name)
    return raw[:MAX_TEXT] if isinstance(raw, str) else default


def concern_form(
    *,
    pupil_id: int,
    pupil_name: str,
    key: str,
    needs: Sequence[NeedOption],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    v = values or {}
    body: list[CardElement] = [
        title(texts.CONCERN_TITLE.format(pupil=pupil_name)),
        paragraph(texts.CONCERN_INTRO.format(pupil=pupil_name), subtle=True),
    ]
    if message:
        body.append(banner(message))
    body += text_input(
        "concern",
        texts.CONCERN_TEXT,
        _str(v, "concern"),
        max_length=MAX_TEXT,
        multiline=True,
        errors=errors,
        required=texts.FIELD_REQUIRED,
    )
    body += text_input(
        "evidence",
        texts.CONCERN_EVIDENCE,
        _str(v, "evidence"),
        max_length=MAX_TEXT,
        multiline=True,
        errors=errors,
    )
    body += choice_input(
        "need",
        texts.CONCERN_NEED,
        [(NOT_SURE, texts.CONCERN_NEED_NONE), *_need_choices(needs)],
        _str(v, "need", NOT_SURE) or NOT_SURE,
        errors=errors,
    )
    body += choice_input(
        "parents",
        texts.CONCERN_PARENTS,
        [("yes", texts.CONCERN_PARENTS_YES), ("no", texts.CONCERN_PARENTS_NO)],
        _str(v, "parents"),
        expanded=True,
        errors=errors,
    )
    body += date_input("parents_on", texts.CONCERN_PARENTS_ON, _str(v, "parents_on"), errors=errors)
    data = {"pupil_id": pupil_id, SUBMISSION: key}
    return card(body, [submit(texts.CONCERN_SEND, Verb.CONCERN_SUBMIT, data, style="positive")])


def refresh(concern_id: int, user_ids: Sequence[str]) -> RefreshDefinition:
    return refresh_block(Verb.CONCERN_REFRESH, {"concern": concern_id}, user_ids)


def _summary(view: ConcernView) -> list[CardElement]:
    parents = texts.CONCERN_PARENTS_NO if not view.parents_spoken else texts.CONCERN_PARENTS_YES
    if view.parents_spoken is None:
        parents = "\u2014"
    if view.parents_spoken and view.parents_spoken_on:
        parents += f", {day(view.parents_spoken_on)}"
    pairs = [
        ("Pupil", view.pupil_name),
        ("Raised by", f"{view.raiser_name}, {moment(view.created_at)}"),
        ("Suggested need", view.suggested_need_name or texts.CONCERN_NEED_NONE),
        ("Parents spoken to", parents),
    ]
    body: list[CardElement] = [facts(pairs), heading("The concern"), paragraph(view.text)]
    body += [heading("Evidence so far"), paragraph(view.evidence or "Nothing recorded.")]
    return body


def status_line(view: ConcernView) -> str:
    words = texts.CONCERN_STATUS_WORDS.get(view.status, view.status)
    if view.status == ConcernStatus.REQUESTED.value or not view.decided_by_name or not view.decided_at:
        return words
    return texts.CONCERN_DECIDED_BY.format(
        status=words, name=view.decided_by_name, when=moment(view.decided_at)
    )


def status_card(view: ConcernView, *, user_ids: Sequence[str] = (), message: str | None = None) -> Card:
    """The read-only view: the teacher who raised it, a SENCO once it is decided."""
    body: list[CardElement] = [title(texts.CONCERN_STATUS_TITLE.format(pupil=view.pupil_name))]
    if message:
        body.append(paragraph(message, color="Accent"))
    body.append(paragraph(f"**{status_line(view)}**"))
    if view.decision_note:
        body.append(facts([("Reason", view.decision_note)]))
    body += _summary(view)
    return card(body, refresh=refresh(view.id, user_ids) if user_ids else None)


def approval_card(
    view: ConcernView,
    *,
    needs: Sequence[NeedOption],
    user_ids: Sequence[str] = (),
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    """The SENCO's card while the concern is open: Accept (register status, needs, reason) or Decline."""
    v = values or {}
    errors = errors or {}
    data = {"concern": view.id, "version": view.version}
    body: list[CardElement] = [title(texts.CONCERN_APPROVAL_TITLE)]
    if message:
        body.append(banner(message))
    body += [banner(e) for e in dict.fromkeys(errors.values())]
    body += _summary(view)
    choices = _need_choices(needs)
    accept_items: list[CardElement] = []
    accept_items += choice_input(
        "status",
        "Status",
        [("K", texts.STATUS_LABELS["K"]), ("E", texts.STATUS_LABELS["E"])],
        _str(v, "status", "K") or "K",
        expanded=True,
        errors=errors,
        required=texts.STATUS_UNKNOWN,
    )
    accept_items += choice_input(
        "need1",
        "Primary need (rank 1)",
        choices,
        _str(v, "need1", view.suggested_need or ""),
        errors=errors,
        required=texts.NEED_REQUIRED,
    )
    accept_items += choice_input(
        "need2",
        "Secondary need (rank 2, optional)",
        [(NO_NEED, texts.NEED_NONE), *choices],
        _str(v, "need2", NO_NEED) or NO_NEED,
        errors=errors,
    )
    accept_items += text_input(
        "reason",
        texts.CONCERN_ACCEPT_REASON,
        _str(v, "reason"),
        max_length=REASON_LIMIT,
        multiline=True,
        errors=errors,
        required=texts.REASON_REQUIRED,
    )
    decline_items = text_input(
        "decline_reason",
        texts.CONCERN_DECLINE_REASON,
        _str(v, "decline_reason"),
        max_length=MAX_TEXT,
        multiline=True,
        errors=errors,
        required=texts.CONCERN_REASON_REQUIRED,
    )
    accept = execute(texts.CONCERN_ACCEPT_SEND, Verb.CONCERN_ACCEPT, data, style="positive")
    decline = execute(texts.CONCERN_DECLINE, Verb.CONCERN_DECLINE, data)
    return card(
        body,
        [
            ShowCardAction(title=texts.CONCERN_ACCEPT, card=sub_card(accept_items, [accept])),
            ShowCardAction(title=texts.CONCERN_DECLINE, card=sub_card(decline_items, [decline])),
        ],
        refresh=refresh(view.id, user_ids) if user_ids else None,
    )
