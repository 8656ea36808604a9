"""The morning reminder cards (bot/jobs/reminders.py): pure builders, data in, card out.

Why capped: a card must stay well under Teams' 80 KB; a long list is cut at `cap` lines a section with
"…and N more" pointing at the command that lists everything. Pupil names appear because these go only to
the person's 1:1 chat.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from microsoft_teams.cards.core import ActionSet, CardElement

from cards import texts
from cards.common import Card, card, day, facts, heading, paragraph, submit, title
from cards.verbs import Verb

DEFAULT_CAP = 30
THRESHOLD_CAP = 10


@dataclass(frozen=True)
class ReviewLine:
    pupil_name: str
    year_group: int
    due_on: dt.date
    new: bool


@dataclass(frozen=True)
class ReferralLine:
    pupil_name: str
    service: str
    status: str
    since: dt.date
    new: bool


def _year(year_group: int) -> str:
    if year_group == 0:
        return "Reception"
    if year_group < 0:
        return "Nursery"
    return f"Year {year_group}"


def _new(flag: bool) -> str:
    return texts.REMINDER_NEW if flag else ""


def _review_section(label: str, lines: Sequence[ReviewLine], cap: int) -> list[CardElement]:
    if not lines:
        return []
    shown = lines[:cap]
    body = [
        heading(label),
        facts(
            (
                f"{line.pupil_name} ({_year(line.year_group)})",
                texts.REMINDER_REVIEW_LINE.format(due=day(line.due_on), new=_new(line.new)),
            )
            for line in shown
        ),
    ]
    if len(lines) > cap:
        body.append(paragraph(texts.REMINDER_MORE.format(count=len(lines) - cap), subtle=True))
    return body


def _referral_section(label: str, lines: Sequence[ReferralLine], cap: int) -> list[CardElement]:
    if not lines:
        return []
    body = [
        heading(label),
        facts(
            (
                line.pupil_name,
                texts.REMINDER_REFERRAL_LINE.format(
                    service=line.service,
                    status=line.status.replace("_", " "),
                    since=day(line.since),
                    new=_new(line.new),
                ),
            )
            for line in lines[:cap]
        ),
    ]
    if len(lines) > cap:
        body.append(paragraph(texts.REMINDER_MORE_REFERRALS.format(count=len(lines) - cap), subtle=True))
    return body


@dataclass(frozen=True)
class ParentTaskLine:
    pupil_name: str
    kind: str
    due_on: dt.date
    new: bool


def _parent_section(lines: Sequence[ParentTaskLine], cap: int) -> list[CardElement]:
    if not lines:
        return []
    body = [
        heading(texts.REMINDER_PARENTS.format(count=len(lines))),
        facts(
            (
                line.pupil_name,
                texts.REMINDER_PARENT_LINE.format(
                    what=texts.PARENT_TASK_WORDS.get(line.kind, line.kind),
                    due=day(line.due_on),
                    new=_new(line.new),
                ),
            )
            for line in lines[:cap]
        ),
    ]
    if len(lines) > cap:
        body.append(paragraph(texts.REMINDER_MORE_PARENTS.format(count=len(lines) - cap), subtle=True))
    return body


@dataclass(frozen=True)
class EhcnaLine:
    pupil_id: int
    pupil_name: str
    deadline: str  # decide, draft or final
    due_on: dt.date
    passed: bool
    new: bool


@dataclass(frozen=True)
class ThresholdLine:
    pupil_id: int
    pupil_name: str
    spent_pence: int
    threshold_pence: int
    stage: str
    new: bool


def _money(pence: int) -> str:
    return f"\u00a3{pence // 100:,}.{pence % 100:02d}"


def _ehcna_section(lines: Sequence[EhcnaLine], cap: int) -> list[CardElement]:
    if not lines:
        return []
    body: list[CardElement] = [
        heading(texts.REMINDER_EHCNA.format(count=len(lines))),
        facts(
            (
                line.pupil_name,
                texts.REMINDER_EHCNA_LINE.format(
                    deadline=texts.EHCNA_DEADLINE_WORDS[line.deadline],
                    due=day(line.due_on),
                    state=texts.REMINDER_EHCNA_PASSED if line.passed else texts.REMINDER_EHCNA_SOON,
                    new=_new(line.new),
                ),
            )
            for line in lines[:cap]
        ),
    ]
    if len(lines) > cap:
        body.append(paragraph(texts.REMINDER_MORE_EHCNA.format(count=len(lines) - cap), subtle=True))
    return body


def _threshold_section(lines: Sequence[ThresholdLine], cap: int) -> list[CardElement]:
    """Each pupil with the two next steps as buttons: the evidence pack, and a request to the authority."""
    if not lines:
        return []
    body: list[CardElement] = [heading(texts.REMINDER_THRESHOLD.format(count=len(lines)))]
    for line in lines[:cap]:
        body.append(
            facts(
                [
                    (
                        line.pupil_name,
                        texts.REMINDER_THRESHOLD_LINE.format(
                            spent=_money(line.spent_pence),
                            stage=texts.REMINDER_THRESHOLD_STAGES[line.stage],
                            threshold=_money(line.threshold_pence),
                            new=_new(line.new),
                        ),
                    )
                ]
            )
        )
        body.append(
            ActionSet(
                actions=[
                    submit(texts.REMINDER_EVIDENCE, Verb.EVIDENCE_MAKE, {"pupil_id": line.pupil_id}),
                    submit(texts.REMINDER_START_EHCNA, Verb.EHCNA_SHOW, {"pupil_id": line.pupil_id}),
                ]
            )
        )
    if len(lines) > cap:
        body.append(paragraph(texts.REMINDER_MORE_THRESHOLD.format(count=len(lines) - cap), subtle=True))
    return body


def reminder_card(
    *,
    for_senco: bool,
    today: dt.date,
    horizon_days: int,
    overdue: Sequence[ReviewLine],
    due_today: Sequence[ReviewLine],
    due_soon: Sequence[ReviewLine],
    stalled: Sequence[ReferralLine] = (),
    stall_weeks: int = 6,
    parent_tasks: Sequence[ParentTaskLine] = (),
    deadlines: Sequence[EhcnaLine] = (),
    crossings: Sequence[ThresholdLine] = (),
    cap: int = DEFAULT_CAP,
) -> Card:
    """The SENCO's whole-school card (with stalled referrals) or a teacher's card for their pupils."""
    body: list[CardElement] = [
        title(texts.REMINDER_SENCO_TITLE if for_senco else texts.REMINDER_TEACHER_TITLE),
        paragraph(texts.REMINDER_INTRO.format(date=day(today)), subtle=True),
    ]
    body += _review_section(texts.REMINDER_OVERDUE.format(count=len(overdue)), overdue, cap)
    body += _review_section(texts.REMINDER_DUE_TODAY.format(count=len(due_today)), due_today, cap)
    body += _review_section(
        texts.REMINDER_DUE_SOON.format(days=horizon_days, count=len(due_soon)), due_soon, cap
    )
    if for_senco:
        body += _referral_section(
            texts.REMINDER_STALLED.format(weeks=stall_weeks, count=len(stalled)), stalled, cap
        )
        body += _parent_section(parent_tasks, cap)
        body += _ehcna_section(deadlines, cap)
        # Buttons per pupil: a shorter cap keeps the card well under Teams' size limit.
        body += _threshold_section(crossings, min(cap, THRESHOLD_CAP))
    body.append(paragraph(texts.REMINDER_FOOTER, subtle=True))
    return card(body)
