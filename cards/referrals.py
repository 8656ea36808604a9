"""Cards of the referral flow: the request form, the SENCO's approval card, the status card everyone else
sees, the requester's question card, the SENCO's "move it on" card, the open list and the service list.

Why one status card for everyone but the deciding SENCO: the approval card carries `refresh`, so whoever
opens it later sees the referral as it is now (Universal Actions); a SENCO gets the buttons only while a
decision is still open, everyone else a read-only view with who decided and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from cards import texts
from cards.common import (
    MAX_TEXT,
    SUBMISSION,
    Card,
    card,
    execute,
    facts,
    heading,
    paragraph,
    refresh_block,
    submit,
    title,
)
from cards.verbs import Verb
from storage.models import ReferralStatus, Urgency
from storage.queries.referrals import EventRow, ListRow, ReferralView, ServiceRow

LONDON = ZoneInfo("Europe/London")
MAX_NAME = 200
MAX_SERVICE = 120
URGENCY_WORDS = {Urgency.ROUTINE.value: "Routine", Urgency.SOON.value: "Soon", Urgency.URGENT.value: "Urgent"}
# The next step after each status in the referral's life once approved (docs/design.md).
NEXT_STEP = {
    ReferralStatus.APPROVED.value: ReferralStatus.SENT.value,
    ReferralStatus.SENT.value: ReferralStatus.ACCEPTED.value,
    ReferralStatus.ACCEPTED.value: ReferralStatus.ASSESSED.value,
    ReferralStatus.ASSESSED.value: ReferralStatus.REPORT_RECEIVED.value,
    ReferralStatus.REPORT_RECEIVED.value: ReferralStatus.CLOSED.value,
}


@dataclass(frozen=True)
class Choice:
    title: str
    value: str


def day(value: dt.date | None) -> str:
    return "" if value is None else value.strftime("%d %b %Y").lstrip("0")


def moment(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(LONDON).strftime("%d %b %Y at %H:%M").lstrip("0")


def _error(text: str | None) -> list[Card]:
    return [paragraph(text, color="Attention")] if text else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _input(kind: str, field: str, label: str, values: Mapping[str, Any], **extra: Any) -> Card:
    element: Card = {"type": kind, "id": field, "label": label, **extra}
    value = _text(values.get(field))
    if value:
        element["value"] = value
    return element


def _field(element: Card, errors: Mapping[str, str]) -> list[Card]:
    return [element, *_error(errors.get(element["id"]))]


def _choices(options: Sequence[Choice]) -> list[Card]:
    return [{"title": c.title, "value": c.value} for c in options]


def refresh(referral_id: int, user_ids: Sequence[str]) -> Card:
    return refresh_block(Verb.REFERRAL_REFRESH, {"referral": referral_id}, user_ids)


# -- the request form --------------------------------------------------------------------------


def refer_action(pupil_id: int) -> Card:
    """The "Refer" button for any card about one pupil (e.g. the pupil summary)."""
    return submit("Refer", Verb.REFER_OPEN, {"pupil": pupil_id})


def refer_form(
    *,
    pupils: Sequence[Choice],
    services: Sequence[Choice],
    key: str,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    tried_hint: str | None = None,
) -> Card:
    values = values or {}
    errors = errors or {}
    urgency = [Choice(w, v) for v, w in URGENCY_WORDS.items()]
    body: list[Card] = [title(texts.REFER_TITLE), paragraph(texts.REFER_INTRO, subtle=True)]
    body += _error(message)
    body += _field(
        _input(
            "Input.ChoiceSet",
            "pupil",
            "Pupil",
            values,
            style="filtered",
            isRequired=True,
            errorMessage=texts.FIELD_REQUIRED,
            choices=_choices(pupils),
        ),
        errors,
    )
    body += _field(
        _input(
            "Input.ChoiceSet",
            "service",
            "Service",
            values,
            style="compact",
            isRequired=True,
            errorMessage=texts.FIELD_REQUIRED,
            choices=_choices(services),
        ),
        errors,
    )
    body += _field(
        _input(
            "Input.Text",
            "concern",
            "The concern",
            values,
            isMultiline=True,
            isRequired=True,
            maxLength=MAX_TEXT,
            errorMessage=texts.FIELD_REQUIRED,
        ),
        errors,
    )
    if tried_hint:
        body.append(paragraph(tried_hint, subtle=True))
    body += _field(
        _input(
            "Input.Text", "tried", "What has been tried so far", values, isMultiline=True, maxLength=MAX_TEXT
        ),
        errors,
    )
    body.append(heading("Parental consent"))
    body.append(paragraph(texts.REFER_CONSENT_WHY, subtle=True))
    body += _field(
        _input(
            "Input.Date",
            "consent_on",
            "Date consent was given",
            values,
            isRequired=True,
            errorMessage=texts.FIELD_REQUIRED,
        ),
        errors,
    )
    body += _field(
        _input(
            "Input.Text",
            "consent_by",
            "Who gave consent",
            values,
            isRequired=True,
            maxLength=MAX_NAME,
            errorMessage=texts.FIELD_REQUIRED,
        ),
        errors,
    )
    urgency_values = dict(values)
    urgency_values.setdefault("urgency", Urgency.ROUTINE.value)
    body += _field(
        _input(
            "Input.ChoiceSet",
            "urgency",
            "Urgency",
            urgency_values,
            style="expanded",
            isRequired=True,
            errorMessage=texts.FIELD_REQUIRED,
            choices=_choices(urgency),
        ),
        errors,
    )
    body += _field(
        _input("Input.Text", "note", "Note (optional)", values, isMultiline=True, maxLength=MAX_TEXT), errors
    )
    return card(body, [submit("Send to the SENCO", Verb.REFER_SUBMIT, {SUBMISSION: key}, style="positive")])


# -- what everyone sees of a referral ----------------------------------------------------------


def _summary(view: ReferralView) -> list[Card]:
    pairs = [
        ("Pupil", view.pupil_name),
        ("Need", view.need or "Not on the SEN register"),
        ("Service", view.service),
        ("Urgency", URGENCY_WORDS.get(view.urgency, view.urgency)),
        ("Requested by", f"{view.requester_name}, {moment(view.created_at)}"),
        ("Parental consent", f"{day(view.consent_on)}, given by {view.consent_by}"),
    ]
    return [facts(pairs)]


def _evidence(view: ReferralView) -> list[Card]:
    body = [heading("The concern"), paragraph(view.concern)]
    body += [heading("What has been tried so far"), paragraph(view.tried_so_far or "Nothing recorded.")]
    if view.note:
        body += [heading("Note"), paragraph(view.note)]
    if view.info_question:
        body += [heading("The SENCO asked"), paragraph(view.info_question)]
        if view.info_answer:
            body += [heading(f"{view.requester_name} answered"), paragraph(view.info_answer)]
    return body


def status_line(view: ReferralView) -> str:
    """Where the referral stands, with who decided and when once someone has."""
    words = texts.REFERRAL_STATUS_WORDS.get(view.status, view.status)
    if not view.decided_by_name or view.decided_at is None or view.status == ReferralStatus.REQUESTED.value:
        return words
    decisions = {
        ReferralStatus.APPROVED.value: "Approved",
        ReferralStatus.DECLINED.value: "Declined",
        ReferralStatus.MORE_INFO.value: "More information asked",
    }
    decided = decisions.get(view.status, "Approved")
    line = texts.DECIDED_BY.format(status=decided, name=view.decided_by_name, when=moment(view.decided_at))
    return line if view.status in decisions else f"{words} \u00b7 {line}"


def _progress_facts(view: ReferralView) -> list[Card]:
    pairs: list[tuple[str, str]] = []
    if view.decision_note:
        pairs.append(("Reason", view.decision_note))
    if view.sent_on:
        pairs.append(("Sent to the service", day(view.sent_on)))
    if view.accepted_on:
        waiting = f" (waiting time {view.waiting_weeks} weeks)" if view.waiting_weeks is not None else ""
        pairs.append(("Accepted", day(view.accepted_on) + waiting))
    if view.assessed_on:
        pairs.append(("Assessed", day(view.assessed_on)))
    if view.report_on:
        pairs.append(("Report received", day(view.report_on)))
    body: list[Card] = [facts(pairs)] if pairs else []
    if view.report_summary:
        body += [heading("Report summary"), paragraph(view.report_summary)]
    if view.report_recommendations:
        body += [heading("Recommendations"), paragraph(view.report_recommendations)]
    return body


def status_card(view: ReferralView, *, user_ids: Sequence[str] = (), message: str | None = None) -> Card:
    """The read-only view: the requester, a second SENCO after the decision, anyone allowed to look."""
    body: list[Card] = [title(texts.REFERRAL_STATUS_TITLE.format(id=view.id))]
    if message:
        body.append(paragraph(message, color="Accent"))
    body.append(paragraph(f"**{status_line(view)}**"))
    body += _summary(view) + _progress_facts(view) + _evidence(view)
    built = card(body)
    if user_ids:
        built["refresh"] = refresh(view.id, user_ids)
    return built


def approval_card(
    view: ReferralView,
    *,
    user_ids: Sequence[str] = (),
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    """The SENCO's card while the decision is open: Approve, Decline (reason), Ask (question)."""
    values = values or {}
    errors = errors or {}
    data = {"referral": view.id, "version": view.version}
    body: list[Card] = [title(texts.APPROVAL_TITLE), *_error(message)]
    body += _error(errors.get("reason")) + _error(errors.get("question"))
    body += _summary(view) + _evidence(view)

    def show(label: str, field: str, prompt: str, verb: Verb) -> Card:
        inner = card(
            _field(
                _input(
                    "Input.Text",
                    field,
                    prompt,
                    values,
                    isMultiline=True,
                    isRequired=True,
                    maxLength=MAX_TEXT,
                    errorMessage=texts.FIELD_REQUIRED,
                ),
                errors,
            ),
            [execute(label, verb, data)],
        )
        del inner["$schema"], inner["msteams"], inner["version"]
        return {"type": "Action.ShowCard", "title": label, "card": inner}

    built = card(
        body,
        [
            execute(texts.APPROVE, Verb.REFERRAL_APPROVE, data, style="positive"),
            show(texts.DECLINE, "reason", texts.DECLINE_REASON, Verb.REFERRAL_DECLINE),
            show(texts.ASK_MORE, "question", texts.ASK_QUESTION, Verb.REFERRAL_ASK),
        ],
    )
    if user_ids:
        built["refresh"] = refresh(view.id, user_ids)
    return built


def question_card(
    view: ReferralView,
    *,
    asked_by: str,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Card:
    """Sent to the requester: the SENCO's question, and a field to answer it on the same referral."""
    values = values or {}
    errors = errors or {}
    body: list[Card] = [
        title(texts.QUESTION_TITLE.format(name=asked_by)),
        paragraph(texts.QUESTION_INTRO.format(pupil=view.pupil_name, service=view.service)),
        paragraph(f"**{view.info_question or ''}**"),
    ]
    body += _field(
        _input(
            "Input.Text",
            "answer",
            texts.ANSWER_LABEL,
            values,
            isMultiline=True,
            isRequired=True,
            maxLength=MAX_TEXT,
            errorMessage=texts.FIELD_REQUIRED,
        ),
        errors,
    )
    return card(
        body,
        [execute(texts.ANSWER_SEND, Verb.REFERRAL_ANSWER, {"referral": view.id, "version": view.version})],
    )


# -- moving it on ------------------------------------------------------------------------------


def _history(events: Sequence[EventRow]) -> list[Card]:
    if not events:
        return []
    pairs = []
    for e in events:
        who = f" by {e.actor_name}" if e.actor_name else ""
        note = f": {e.note}" if e.note else ""
        pairs.append((moment(e.at), f"{texts.REFERRAL_STATUS_WORDS.get(e.status, e.status)}{who}{note}"))
    return [heading(texts.REFERRAL_HISTORY_TITLE), facts(pairs)]


def progress_card(
    view: ReferralView,
    events: Sequence[EventRow],
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    can_move: bool = True,
) -> Card:
    """`referral <id>`: the referral, its history and, for the SENCO, the form for the next step."""
    values = values or {}
    errors = errors or {}
    body: list[Card] = [title(texts.REFERRAL_STATUS_TITLE.format(id=view.id))]
    if message:
        body.append(paragraph(message, color="Accent"))
    body += _error(errors.get("_form"))
    body.append(paragraph(f"**{status_line(view)}**"))
    body += _summary(view) + _progress_facts(view) + _evidence(view) + _history(events)
    actions: list[Card] = []
    step = NEXT_STEP.get(view.status) if can_move else None
    if step is not None:
        body.append(heading(texts.PROGRESS_ACTIONS[step]))
        if step != ReferralStatus.CLOSED.value:
            body += _field(
                _input(
                    "Input.Date",
                    "on",
                    texts.PROGRESS_DATE,
                    values,
                    isRequired=True,
                    errorMessage=texts.FIELD_REQUIRED,
                ),
                errors,
            )
        if step == ReferralStatus.ACCEPTED.value:
            body += _field(
                _input("Input.Number", "waiting_weeks", texts.PROGRESS_WAITING, values, min=0, max=104),
                errors,
            )
        if step == ReferralStatus.REPORT_RECEIVED.value:
            for field, label in (
                ("summary", texts.PROGRESS_SUMMARY),
                ("recommendations", texts.PROGRESS_RECOMMENDATIONS),
            ):
                body += _field(
                    _input(
                        "Input.Text",
                        field,
                        label,
                        values,
                        isMultiline=True,
                        isRequired=True,
                        maxLength=MAX_TEXT,
                        errorMessage=texts.FIELD_REQUIRED,
                    ),
                    errors,
                )
        body += _field(
            _input("Input.Text", "note", texts.PROGRESS_NOTE, values, isMultiline=True, maxLength=MAX_TEXT),
            errors,
        )
        actions.append(
            submit(
                texts.PROGRESS_ACTIONS[step],
                Verb.REFERRAL_PROGRESS,
                {"referral": view.id, "version": view.version, "to": step},
                style="positive",
            )
        )
    return card(body, actions)


# -- lists -------------------------------------------------------------------------------------


def _age(since: dt.datetime, now: dt.datetime) -> str:
    days = max(0, (now - since).days)
    if days < 14:
        return f"{days} day" + ("" if days == 1 else "s")
    return f"{days // 7} weeks"


def referrals_card(rows: Sequence[ListRow], *, page: int, has_next: bool, now: dt.datetime) -> Card:
    body: list[Card] = [title(texts.REFERRALS_TITLE)]
    if not rows:
        body.append(paragraph(texts.REFERRALS_NONE))
    pairs = []
    for r in rows:
        still = (now - r.updated_at).days // 7
        stalled = texts.REFERRALS_STALLED.format(weeks=still) if still >= r.stall_weeks else ""
        line = texts.REFERRALS_LINE.format(
            pupil=r.pupil_name,
            service=r.service,
            status=texts.REFERRAL_STATUS_WORDS.get(r.status, r.status),
            age=_age(r.created_at, now),
            stalled=stalled,
        )
        pairs.append((f"#{r.id}", line))
    if pairs:
        body += [facts(pairs), paragraph(texts.REFERRALS_HINT, subtle=True)]
    actions = []
    if page > 0:
        actions.append(submit(texts.PAGE_PREVIOUS, Verb.REFERRALS_PAGE, {"page": page - 1}))
    if has_next:
        actions.append(submit(texts.PAGE_NEXT, Verb.REFERRALS_PAGE, {"page": page + 1}))
    return card(body, actions)


def services_card(
    services: Sequence[ServiceRow],
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
) -> Card:
    body: list[Card] = [title(texts.SERVICES_TITLE)]
    if message:
        body.append(paragraph(message, color="Accent"))
    for s in services:
        if s.school_id is None:
            body.append(paragraph(f"{s.name} ({texts.SERVICES_DEFAULT})"))
            continue
        body.append(
            {
                "type": "ColumnSet",
                "columns": [
                    {"type": "Column", "width": "stretch", "items": [paragraph(s.name)]},
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [
                            {
                                "type": "ActionSet",
                                "actions": [
                                    submit(
                                        texts.SERVICES_RETIRE.format(name=s.name),
                                        Verb.SERVICE_RETIRE,
                                        {"service": s.id},
                                    )
                                ],
                            }
                        ],
                    },
                ],
            }
        )
    body += _field(
        _input(
            "Input.Text",
            "name",
            texts.SERVICES_ADD_LABEL,
            values or {},
            maxLength=MAX_SERVICE,
            isRequired=True,
            errorMessage=texts.FIELD_REQUIRED,
        ),
        errors or {},
    )
    return card(body, [submit(texts.SERVICES_ADD, Verb.SERVICE_ADD)])
