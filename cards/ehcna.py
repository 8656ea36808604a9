"""Cards of EHC needs assessment requests (bot/flows/ehcna.py): the list, one pupil's request with its
deadlines, the form recording a request and the form recording the next step.

Pure builders. A step form carries the request's id and version (a stale card changes nothing); a new
request carries an idempotency key (a double submit records once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from microsoft_teams.cards.core import Action, CardElement, Container, TextBlock, ToggleInput

from cards import texts
from cards.common import SUBMISSION, Card, card, day, facts, heading, paragraph, submit, title
from cards.forms import banner, choice_input, date_input, field, text_input
from cards.verbs import Verb
from storage.queries.ehcna import PARENT_COMMENT_DAYS, RequestRow

PAGE_SIZE = 20
LA_LIMIT = 120
REASON_LIMIT = 1000
# The steps the local authority (or the school) can take from each open status.
NEXT_STEPS: Mapping[str, tuple[str, ...]] = {
    "requested": ("assess", "not_assess", "withdraw"),
    "assessing": ("assessed", "not_issued", "withdraw"),
    "assessed": ("draft", "not_issued", "withdraw"),
    "draft": ("issued", "not_issued", "withdraw"),
}
NEEDS_REASON = frozenset({"not_assess", "not_issued", "withdraw"})


def next_line(row: RequestRow, today: dt.date) -> str:
    found = row.next_deadline
    if found is None:
        return texts.EHCNA_STATUS_WORDS.get(row.status, row.status)
    stage, due = found
    state = texts.EHCNA_DEADLINE_OVERDUE if due < today else ""
    return f"{texts.EHCNA_DEADLINE_WORDS[stage]}: {day(due)}{state}"


def list_card(rows: Sequence[RequestRow], *, today: dt.date, page: int, pages: int, open_only: bool) -> Card:
    body: list[CardElement] = [title(texts.EHCNA_LIST_TITLE if open_only else texts.EHCNA_LIST_ALL_TITLE)]
    if not rows:
        body.append(paragraph(texts.EHCNA_LIST_EMPTY))
        return card(body)
    for row in rows:
        body.append(
            Container(
                items=[
                    TextBlock(text=row.name, weight="Bolder", wrap=True, color="Accent"),
                    TextBlock(
                        text=texts.EHCNA_LIST_LINE.format(
                            status=texts.EHCNA_STATUS_WORDS.get(row.status, row.status),
                            next=next_line(row, today),
                        ),
                        wrap=True,
                        spacing="None",
                    ),
                ],
                select_action=submit(row.name, Verb.EHCNA_SHOW, {"pupil_id": row.pupil_id}),
            )
        )
    body.append(paragraph(texts.EHCNA_PAGE.format(page=page, pages=pages), subtle=True))
    actions: list[Action] = []
    scope = {"all": not open_only}
    if page > 1:
        actions.append(submit(texts.EHCNA_PREVIOUS, Verb.EHCNA_PAGE, {"page": page - 1, **scope}))
    if page < pages:
        actions.append(submit(texts.EHCNA_NEXT, Verb.EHCNA_PAGE, {"page": page + 1, **scope}))
    return card(body, actions)


def _deadline_facts(row: RequestRow, today: dt.date) -> list[tuple[str, str]]:
    d = row.deadlines
    done = {"decide": row.decided_on, "draft": row.draft_on, "final": row.final_on}
    out = []
    for stage in ("decide", "draft", "final"):
        due = d.of(stage)
        if done[stage] is not None:
            state = texts.EHCNA_DEADLINE_MET.format(date=day(done[stage]))  # type: ignore[arg-type]
        elif row.is_open and due < today:
            state = texts.EHCNA_DEADLINE_OVERDUE
        else:
            state = ""
        out.append(
            (texts.EHCNA_DEADLINE_WORDS[stage], texts.EHCNA_DEADLINE_LINE.format(date=day(due), state=state))
        )
    return out


def _request_facts(row: RequestRow) -> list[tuple[str, str]]:
    yes_no = texts.EHCNA_YES if row.evidence_attached else texts.EHCNA_NO
    pairs = [
        (texts.EHCNA_FACT_STATUS, texts.EHCNA_STATUS_WORDS.get(row.status, row.status)),
        (texts.EHCNA_FACT_SENT, day(row.requested_on)),
        (texts.EHCNA_FACT_LA, row.local_authority),
        (texts.EHCNA_FACT_BY, texts.EHCNA_REQUESTER_WORDS.get(row.requested_by, row.requested_by)),
        (texts.EHCNA_FACT_EVIDENCE, yes_no),
    ]
    if row.decided_on is not None:
        if row.status == "not_assessing":
            pairs.append((texts.EHCNA_FACT_NOT_ASSESS, f"{day(row.decided_on)}: {row.decision_reason or ''}"))
        else:
            pairs.append((texts.EHCNA_FACT_DECIDED, day(row.decided_on)))
    if row.assessed_on is not None:
        pairs.append((texts.EHCNA_FACT_ASSESSED, day(row.assessed_on)))
    if row.draft_on is not None:
        pairs.append((texts.EHCNA_FACT_DRAFT, day(row.draft_on)))
        comments_by = row.draft_on + dt.timedelta(days=PARENT_COMMENT_DAYS)
        pairs.append((texts.EHCNA_FACT_COMMENTS, day(comments_by)))
    if row.final_on is not None:
        if row.status == "not_issued":
            pairs.append((texts.EHCNA_FACT_NOT_ISSUED, f"{day(row.final_on)}: {row.final_reason or ''}"))
        else:
            pairs.append((texts.EHCNA_FACT_FINAL, day(row.final_on)))
    if row.withdrawn_on is not None:
        pairs.append((texts.EHCNA_FACT_WITHDRAWN, f"{day(row.withdrawn_on)}: {row.withdrawn_reason or ''}"))
    return pairs


def pupil_card(
    *,
    pupil_id: int,
    pupil_name: str,
    rows: Sequence[RequestRow],
    today: dt.date,
    key: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    good: bool = False,
) -> Card:
    """The pupil's latest request (deadlines, steps so far) with the form for what can be recorded next:
    the next step of an open request, else a new request."""
    v = values or {}
    body: list[CardElement] = [title(texts.EHCNA_PUPIL_TITLE.format(pupil=pupil_name))]
    if message:
        body.append(banner(message, good=good))
    latest = rows[0] if rows else None
    actions: list[Action] = [submit(texts.REMINDER_EVIDENCE, Verb.EVIDENCE_MAKE, {"pupil_id": pupil_id})]
    if latest is not None:
        body.append(facts(_request_facts(latest)))
        body.append(heading(texts.EHCNA_DEADLINES))
        body.append(facts(_deadline_facts(latest, today)))
        if latest.status in ("not_assessing", "not_issued"):
            body.append(paragraph(texts.EHCNA_APPEAL, subtle=True))
    else:
        body.append(paragraph(texts.EHCNA_NONE))
    if latest is not None and latest.is_open:
        steps = NEXT_STEPS[latest.status]
        body.append(heading(texts.EHCNA_STEP_TITLE))
        body += choice_input(
            "step",
            texts.EHCNA_STEP_TITLE,
            [(s, texts.EHCNA_STEP_WORDS[s]) for s in steps],
            v.get("step") or steps[0],
            errors=errors,
        )
        body += date_input("on", texts.EHCNA_STEP_DATE, v.get("on") or today.isoformat(), errors=errors)
        # Not "reason": that id is the register's required reason; here it is needed only for some steps.
        body += text_input(
            "step_reason",
            texts.EHCNA_STEP_REASON,
            v.get("step_reason", ""),
            max_length=REASON_LIMIT,
            multiline=True,
            errors=errors,
        )
        actions.insert(
            0,
            submit(
                texts.EHCNA_STEP_SAVE,
                Verb.EHCNA_STEP,
                {"pupil_id": pupil_id, "request_id": latest.id, "version": latest.version},
            ),
        )
    else:
        body.append(heading(texts.EHCNA_NEW_TITLE))
        body += date_input(
            "requested_on",
            texts.EHCNA_REQUESTED_ON,
            v.get("requested_on") or today.isoformat(),
            errors=errors,
        )
        body += text_input("la", texts.EHCNA_LA, v.get("la", ""), max_length=LA_LIMIT, errors=errors)
        body += choice_input(
            "requested_by",
            texts.EHCNA_REQUESTED_BY,
            list(texts.EHCNA_REQUESTER_WORDS.items()),
            v.get("requested_by") or "school",
            expanded=True,
            errors=errors,
        )
        body += field(
            ToggleInput(
                id="evidence",
                title=texts.EHCNA_EVIDENCE,
                value=v.get("evidence") if v.get("evidence") in ("true", "false") else "true",
            ),
            errors,
        )
        actions.insert(
            0, submit(texts.EHCNA_RECORD, Verb.EHCNA_RECORD, {"pupil_id": pupil_id, SUBMISSION: key})
        )
    return card(body, actions)
