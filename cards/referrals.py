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

from microsoft_teams.cards.core import (
    Action,
    ActionSet,
    CardElement,
    ChoiceSetInput,
    Column,
    ColumnSet,
    DateInput,
    NumberInput,
    RefreshDefinition,
    ShowCardAction,
    SubmitAction,
    TextInput,
)
from microsoft_teams.cards.core import Choice as CardChoice

from cards import texts
from cards.common import (
    MAX_TEXT,
    SUBMISSION,
    Card,
    card,
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

# Re-exported: bot/flows/referrals.py words its messages with the cards' day format.
from cards.common import day as day  # noqa: PLC0414 (explicit re-export for mypy)
from cards.forms import banner, choices, field, pupil_query
from cards.verbs import Verb
from storage.models import ReferralStatus, Urgency
from storage.queries.referrals import EventRow, ListRow, ReferralView, ServiceRow, TriedRow

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


def _banner(text: str | None) -> list[CardElement]:
    return [banner(text)] if text else []


def _value(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    return value if isinstance(value, str) and value else None


def _number(values: Mapping[str, Any], name: str) -> float | None:
    try:
        return float(values[name])
    except (KeyError, TypeError, ValueError):
        return None


def _choices(options: Sequence[Choice]) -> list[CardChoice]:
    return choices((c.value, c.title) for c in options)


def _long_text(name: str, label: str, values: Mapping[str, Any], *, required: bool = False) -> TextInput:
    return TextInput(
        id=name,
        label=label,
        value=_value(values, name),
        is_multiline=True,
        is_required=True if required else None,
        max_length=MAX_TEXT,
        error_message=texts.FIELD_REQUIRED if required else None,
    )


def refresh(referral_id: int, user_ids: Sequence[str]) -> RefreshDefinition:
    return refresh_block(Verb.REFERRAL_REFRESH, {"referral": referral_id}, user_ids)


# -- the request form --------------------------------------------------------------------------


def refer_action(pupil_id: int) -> SubmitAction:
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
    pupil_search: bool = False,
) -> Card:
    values = values or {}
    errors = errors or {}
    urgency = [Choice(w, v) for v, w in URGENCY_WORDS.items()]
    body: list[CardElement] = [title(texts.REFER_TITLE), paragraph(texts.REFER_INTRO, subtle=True)]
    body += _banner(message)
    body += field(
        ChoiceSetInput(
            id="pupil",
            label="Pupil",
            value=_value(values, "pupil"),
            style="filtered",
            is_required=True,
            error_message=texts.FIELD_REQUIRED,
            choices=_choices(pupils),
            choices_data=pupil_query(pupil_search),
        ),
        errors,
    )
    body += field(
        ChoiceSetInput(
            id="service",
            label="Service",
            value=_value(values, "service"),
            style="compact",
            is_required=True,
            error_message=texts.FIELD_REQUIRED,
            choices=_choices(services),
        ),
        errors,
    )
    body += field(_long_text("concern", "The concern", values, required=True), errors)
    if tried_hint:
        body.append(paragraph(tried_hint, subtle=True))
    body += field(_long_text("tried", "What has been tried so far", values), errors)
    body.append(heading("Parental consent"))
    body.append(paragraph(texts.REFER_CONSENT_WHY, subtle=True))
    body += field(
        DateInput(
            id="consent_on",
            label="Date consent was given",
            value=_value(values, "consent_on"),
            is_required=True,
            error_message=texts.FIELD_REQUIRED,
        ),
        errors,
    )
    body += field(
        TextInput(
            id="consent_by",
            label="Who gave consent",
            value=_value(values, "consent_by"),
            is_required=True,
            max_length=MAX_NAME,
            error_message=texts.FIELD_REQUIRED,
        ),
        errors,
    )
    body += field(
        ChoiceSetInput(
            id="urgency",
            label="Urgency",
            value=_value({"urgency": Urgency.ROUTINE.value, **values}, "urgency"),
            style="expanded",
            is_required=True,
            error_message=texts.FIELD_REQUIRED,
            choices=_choices(urgency),
        ),
        errors,
    )
    body += field(_long_text("note", "Note (optional)", values), errors)
    return card(body, [submit("Send to the SENCO", Verb.REFER_SUBMIT, {SUBMISSION: key}, style="positive")])


# -- what everyone sees of a referral ----------------------------------------------------------


def _summary(view: ReferralView) -> list[CardElement]:
    pairs = [
        ("Pupil", view.pupil_name),
        ("Need", view.need or "Not on the SEN register"),
        ("Service", view.service),
        ("Urgency", URGENCY_WORDS.get(view.urgency, view.urgency)),
        ("Requested by", f"{view.requester_name}, {moment(view.created_at)}"),
        ("Parental consent", f"{day(view.consent_on)}, given by {view.consent_by}"),
    ]
    return [facts(pairs)]


def _evidence(view: ReferralView) -> list[CardElement]:
    body: list[CardElement] = [heading("The concern"), paragraph(view.concern)]
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


def _progress_facts(view: ReferralView) -> list[CardElement]:
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
    body: list[CardElement] = [facts(pairs)] if pairs else []
    if view.report_summary:
        body += [heading("Report summary"), paragraph(view.report_summary)]
    if view.report_recommendations:
        body += [heading("Recommendations"), paragraph(view.report_recommendations)]
    return body


def status_card(view: ReferralView, *, user_ids: Sequence[str] = (), message: str | None = None) -> Card:
    """The read-only view: the requester, a second SENCO after the decision, anyone allowed to look."""
    body: list[CardElement] = [title(texts.REFERRAL_STATUS_TITLE.format(id=view.id))]
    if message:
        body.append(paragraph(message, color="Accent"))
    body.append(paragraph(f"**{status_line(view)}**"))
    body += _summary(view) + _progress_facts(view) + _evidence(view)
    return card(body, refresh=refresh(view.id, user_ids) if user_ids else None)


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
    body: list[CardElement] = [title(texts.APPROVAL_TITLE), *_banner(message)]
    body += _banner(errors.get("reason")) + _banner(errors.get("question"))
    body += _summary(view) + _evidence(view)

    def show(label: str, name: str, prompt: str, verb: Verb) -> ShowCardAction:
        inner = sub_card(
            field(_long_text(name, prompt, values, required=True), errors), [execute(label, verb, data)]
        )
        return ShowCardAction(title=label, card=inner)

    return card(
        body,
        [
            execute(texts.APPROVE, Verb.REFERRAL_APPROVE, data, style="positive"),
            show(texts.DECLINE, "reason", texts.DECLINE_REASON, Verb.REFERRAL_DECLINE),
            show(texts.ASK_MORE, "question", texts.ASK_QUESTION, Verb.REFERRAL_ASK),
        ],
        refresh=refresh(view.id, user_ids) if user_ids else None,
    )


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
    body: list[CardElement] = [
        title(texts.QUESTION_TITLE.format(name=asked_by)),
        paragraph(texts.QUESTION_INTRO.format(pupil=view.pupil_name, service=view.service)),
        paragraph(f"**{view.info_question or ''}**"),
    ]
    body += field(_long_text("answer", texts.ANSWER_LABEL, values, required=True), errors)
    return card(
        body,
        [execute(texts.ANSWER_SEND, Verb.REFERRAL_ANSWER, {"referral": view.id, "version": view.version})],
    )


# -- moving it on ------------------------------------------------------------------------------


def _history(events: Sequence[EventRow]) -> list[CardElement]:
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
    body: list[CardElement] = [title(texts.REFERRAL_STATUS_TITLE.format(id=view.id))]
    if message:
        body.append(paragraph(message, color="Accent"))
    body += _banner(errors.get("_form"))
    body.append(paragraph(f"**{status_line(view)}**"))
    body += _summary(view) + _progress_facts(view) + _evidence(view) + _history(events)
    actions: list[Action] = []
    step = NEXT_STEP.get(view.status) if can_move else None
    if step is not None:
        body.append(heading(texts.PROGRESS_ACTIONS[step]))
        if step != ReferralStatus.CLOSED.value:
            body += field(
                DateInput(
                    id="on",
                    label=texts.PROGRESS_DATE,
                    value=_value(values, "on"),
                    is_required=True,
                    error_message=texts.FIELD_REQUIRED,
                ),
                errors,
            )
        if step == ReferralStatus.ACCEPTED.value:
            waiting = NumberInput(
                id="waiting_weeks",
                label=texts.PROGRESS_WAITING,
                value=_number(values, "waiting_weeks"),
                min=0,
                max=104,
            )
            body += field(waiting, errors)
        if step == ReferralStatus.REPORT_RECEIVED.value:
            for name, label in (
                ("summary", texts.PROGRESS_SUMMARY),
                ("recommendations", texts.PROGRESS_RECOMMENDATIONS),
            ):
                body += field(_long_text(name, label, values, required=True), errors)
        body += field(_long_text("note", texts.PROGRESS_NOTE, values), errors)
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
    body: list[CardElement] = [title(texts.REFERRALS_TITLE)]
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
    body: list[CardElement] = [title(texts.SERVICES_TITLE)]
    if message:
        body.append(paragraph(message, color="Accent"))
    for s in services:
        if s.school_id is None:
            body.append(paragraph(f"{s.name} ({texts.SERVICES_DEFAULT})"))
            continue
        retire = submit(texts.SERVICES_RETIRE.format(name=s.name), Verb.SERVICE_RETIRE, {"service": s.id})
        body.append(
            ColumnSet(
                columns=[
                    Column(width="stretch", items=[paragraph(s.name)]),
                    Column(width="auto", items=[ActionSet(actions=[retire])]),
                ]
            )
        )
    name = TextInput(
        id="name",
        label=texts.SERVICES_ADD_LABEL,
        value=_value(values or {}, "name"),
        max_length=MAX_SERVICE,
        is_required=True,
        error_message=texts.FIELD_REQUIRED,
    )
    body += field(name, errors or {})
    return card(body, [submit(texts.SERVICES_ADD, Verb.SERVICE_ADD)])


def tried_text(rows: Sequence[TriedRow], since: dt.date) -> str:
    """What has been tried for the pupil since `since`, to pre-fill a referral or a concern."""
    if not rows:
        return texts.REFER_TRIED_NONE
    lines = [texts.REFER_TRIED_SINCE.format(since=day(since))]
    lines += [
        "- " + texts.REFER_TRIED_LINE.format(provision=r.provision, sessions=r.sessions, minutes=r.minutes)
        for r in rows
    ]
    return "\n".join(lines)
