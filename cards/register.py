"""Cards of the SEN register: the list (paged), one pupil's entry with the change form, the history.

Pure builders: data in, card out. The form carries the pupil id, the id of the entry it was built from
(a stale card is detected on the server) and an idempotency key (a double submit changes once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from microsoft_teams.cards.core import Action, CardElement, Container, TextBlock

from cards import texts
from cards.common import SUBMISSION, Card, card, day, facts, heading, paragraph, submit, title
from cards.forms import banner, choice_input, text_input
from cards.verbs import Verb
from storage.queries.register import CurrentEntry, HistoryRow, NeedOption, RegisterCounts, RegisterRow

PAGE_SIZE = 25
REASON_LIMIT = 500
# A ChoiceSet choice needs a non-empty value: this one means "no secondary need".
NO_NEED = "none"


def _needs(need1: str | None, need2: str | None) -> str:
    return " + ".join(n for n in (need1, need2) if n) or texts.NEED_NONE


def register_list_card(rows: Sequence[RegisterRow], counts: RegisterCounts, *, page: int, pages: int) -> Card:
    body: list[CardElement] = [title(texts.REGISTER_TITLE)]
    if counts.total == 0:
        body.append(paragraph(texts.REGISTER_EMPTY))
        return card(body)
    body.append(paragraph(texts.REGISTER_COUNTS.format(total=counts.total, k=counts.k, e=counts.e)))
    body.append(facts((need, str(n)) for need, n in counts.by_need))
    body.append(paragraph(texts.REGISTER_OPEN_HINT, subtle=True))
    need = klass = None
    for row in rows:
        if row.need1 != need:
            need, klass = row.need1, None
            body.append(heading(row.need1))
        if row.class_name != klass:
            klass = row.class_name
            body.append(paragraph(row.class_name or "\u2014", subtle=True))
        line = f"{row.name} \u00b7 {row.status}"
        if row.need2:
            line += f" \u00b7 also {row.need2}"
        body.append(
            Container(
                items=[TextBlock(text=line, wrap=True, color="Accent")],
                select_action=submit(row.name, Verb.REGISTER_PUPIL, {"pupil_id": row.pupil_id}),
            )
        )
    body.append(paragraph(texts.REGISTER_PAGE.format(page=page, pages=pages), subtle=True))
    actions: list[Action] = []
    if page > 1:
        actions.append(submit(texts.REGISTER_PREVIOUS, Verb.REGISTER_PAGE, {"page": page - 1}))
    if page < pages:
        actions.append(submit(texts.REGISTER_NEXT, Verb.REGISTER_PAGE, {"page": page + 1}))
    return card(body, actions)


def register_pupil_card(
    *,
    pupil_id: int,
    name: str,
    current: CurrentEntry | None,
    need_names: Mapping[str, str],
    options: Sequence[NeedOption],
    can_change: bool,
    key: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    good: bool = False,
) -> Card:
    body: list[CardElement] = [title(texts.REGISTER_PUPIL_TITLE.format(name=name))]
    if message:
        body.append(banner(message, good=good))
    on_register = current is not None and current.status != "N"
    if current is None or not on_register:
        body.append(paragraph(texts.REGISTER_NOT_ON))
    else:
        status = texts.STATUS_LABELS.get(current.status, current.status)
        needs = _needs(
            need_names.get(current.need1 or "", current.need1),
            need_names.get(current.need2 or "", current.need2),
        )
        body.append(paragraph(texts.REGISTER_CURRENT.format(since=day(current.started_on), status=status)))
        body.append(facts([("Needs", needs)]))
    actions: list[Action] = [
        submit(texts.REGISTER_HISTORY, Verb.REGISTER_HISTORY, {"pupil_id": pupil_id}, with_inputs=False)
    ]
    if not can_change:
        body.append(paragraph(texts.REGISTER_READ_ONLY, subtle=True))
        return card(body, actions)
    v = dict(values or {})
    if not v:
        v = {
            "status": current.status if on_register and current else "K",
            "need1": (current.need1 or "") if on_register and current else "",
            "need2": (current.need2 or NO_NEED) if on_register and current else NO_NEED,
            "reason": "",
        }
    need_choices = [(o.code, f"{o.name} ({o.code})") for o in options]
    body.append(heading(texts.REGISTER_FORM_HEADING))
    body += choice_input(
        "status",
        "Status",
        [("K", texts.STATUS_LABELS["K"]), ("E", texts.STATUS_LABELS["E"])],
        v.get("status", "K"),
        expanded=True,
        errors=errors,
        required=texts.STATUS_UNKNOWN,
    )
    body += choice_input(
        "need1",
        "Primary need (rank 1)",
        need_choices,
        v.get("need1", ""),
        errors=errors,
        required=texts.NEED_REQUIRED,
    )
    body += choice_input(
        "need2",
        "Secondary need (rank 2, optional)",
        [(NO_NEED, texts.NEED_NONE), *need_choices],
        v.get("need2") or NO_NEED,
        errors=errors,
    )
    body += text_input(
        "reason",
        "Reason for the change (required)",
        v.get("reason", ""),
        max_length=REASON_LIMIT,
        multiline=True,
        errors=errors,
        required=texts.REASON_REQUIRED,
    )
    hidden = {"pupil_id": pupil_id, "entry_id": current.id if current else 0, SUBMISSION: key}
    save = texts.REGISTER_SAVE if on_register else texts.REGISTER_ADD
    actions.insert(0, submit(save, Verb.REGISTER_SAVE, hidden, style="positive"))
    if on_register:
        actions.insert(1, submit(texts.REGISTER_END, Verb.REGISTER_SAVE, {**hidden, "end": True}))
    return card(body, actions)


def register_history_card(
    *, pupil_id: int, name: str, rows: Sequence[HistoryRow], need_names: Mapping[str, str]
) -> Card:
    body: list[CardElement] = [title(texts.REGISTER_HISTORY_TITLE.format(name=name))]
    if not rows:
        body.append(paragraph(texts.REGISTER_HISTORY_EMPTY))
    for r in rows:
        status = texts.STATUS_LABELS.get(r.status, r.status)
        if r.status != "N":
            needs = _needs(need_names.get(r.need1 or "", r.need1), need_names.get(r.need2 or "", r.need2))
            status = f"{status}: {needs}"
        body.append(
            paragraph(
                texts.REGISTER_HISTORY_LINE.format(
                    started=day(r.started_on),
                    ended=day(r.ended_on) if r.ended_on else "now",
                    status=status,
                    by=r.by or "\u2014",
                    reason=r.reason,
                )
            )
        )
    return card(body, [submit("Back", Verb.REGISTER_PUPIL, {"pupil_id": pupil_id})])
