"""The weekly digest card (one school) and the trust digest card (school by school, totals only).

Why built from aggregates only: the card must stay under Teams' 80 KB whatever the school's size, and it
names no pupil in a total. The only names it can carry are those of pupils at or above 80% of the notional
threshold, when the caller says the viewer may see them (bot/rules/policy.py decides), capped with "and N
more".
The support chart is Teams' Chart.VerticalBar with a text table as its `fallback` for other clients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from microsoft_teams.cards.core import (
    CardElement,
    Container,
    TextBlock,
    VerticalBarChart,
    VerticalBarChartDataValue,
)

from cards import texts
from cards.common import Card, card, day, facts, heading, paragraph, title, week
from storage.queries.digest import CostLine, Digest, IsoWeek, WeekHours

MAX_PROVISIONS = 12
MAX_NAMES = 20
MAX_SCHOOLS = 100
MAX_NAME = 60


def _hours(minutes: int) -> str:
    return f"{minutes / 60:,.1f}"


def _money(pence: int) -> str:
    return f"£{pence / 100:,.0f}"


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"


def _cut(name: str) -> str:
    # Names are the only free text on the card: cut so that no school or pupil can push it past 80 KB.
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def _week_line(iso: IsoWeek) -> TextBlock:
    return paragraph(texts.DIGEST_WEEK.format(week=week(iso.start), end=day(iso.end)), subtle=True)


def digest_card(
    d: Digest,
    *,
    as_of: dt.date,
    classes_only: bool = False,
    show_money: bool = True,
    names_allowed: bool = False,
    at_threshold: Sequence[CostLine] = (),
    at_threshold_total: int = 0,
) -> Card:
    """One school's digest. `at_threshold` (pupils at 80%+ of the threshold) is shown only when
    `names_allowed`; `at_threshold_total` is how many there are in all (the list may be capped)."""
    body: list[CardElement] = [
        title(texts.DIGEST_TITLE.format(school=_cut(d.school_name))),
        _week_line(d.week),
    ]
    if as_of < d.week.end:
        body.append(paragraph(texts.DIGEST_WEEK_IN_PROGRESS.format(as_of=day(as_of)), subtle=True))
    if classes_only:
        body.append(paragraph(texts.DIGEST_CLASSES_ONLY, subtle=True))
    if d.is_empty:
        body.append(paragraph(texts.DIGEST_EMPTY))
        return card(body)
    body += _register(d)
    body += _support(d)
    body += _reviews(d)
    body += _referrals(d)
    if show_money:
        body += _money_section(d, names_allowed, at_threshold, at_threshold_total)
    return card(body)


def _register(d: Digest) -> list[CardElement]:
    return [
        heading(texts.DIGEST_REGISTER),
        paragraph(texts.DIGEST_REGISTER_TOTAL.format(k=d.k_total, e=d.e_total)),
        facts((_cut(a.area), texts.DIGEST_REGISTER_AREA.format(k=a.k, e=a.e)) for a in d.register),
        paragraph(
            texts.DIGEST_CHANGES.format(
                added=d.changes.added, removed=d.changes.removed, changed=d.changes.status_changed
            ),
            subtle=True,
        ),
    ]


def _support(d: Digest) -> list[CardElement]:
    shown = d.provisions[:MAX_PROVISIONS]
    lines = [
        (
            _cut(p.name),
            texts.DIGEST_SUPPORT_LINE.format(sessions=_sessions(p.sessions), hours=_hours(p.pupil_minutes)),
        )
        for p in shown
    ]
    out: list[CardElement] = [
        heading(texts.DIGEST_SUPPORT),
        paragraph(
            texts.DIGEST_SUPPORT_TOTAL.format(sessions=_sessions(d.sessions), hours=_hours(d.pupil_minutes))
        ),
    ]
    if lines:
        out.append(facts(lines))
    if len(d.provisions) > len(shown):
        out.append(
            paragraph(texts.DIGEST_MORE_PROVISIONS.format(n=len(d.provisions) - len(shown)), subtle=True)
        )
    out.append(paragraph(texts.DIGEST_NO_SUPPORT.format(n=d.no_support)))
    out.append(support_chart(d.hours_by_week))
    return out


def _sessions(n: int) -> str:
    one, many = texts.DIGEST_SESSIONS
    return (one if n == 1 else many).format(n=n)


def support_chart(weeks: Sequence[WeekHours]) -> CardElement:
    """The chart, or a sentence when every week is zero: a chart of nothing has no scale (Teams drew its
    axis as 2.50e-5)."""
    if not any(w.pupil_minutes for w in weeks):
        return paragraph(texts.DIGEST_CHART_NOTHING, subtle=True)
    return hours_chart(weeks)


def hours_chart(weeks: Sequence[WeekHours]) -> VerticalBarChart:
    """Teams' bar chart of pupil-hours by week, falling back to the same numbers as a text table."""
    return VerticalBarChart(
        title=texts.DIGEST_CHART_TITLE,
        x_axis_title="Week",
        y_axis_title="Pupil-hours",
        data=[
            VerticalBarChartDataValue(x=week(w.week.start), y=round(w.pupil_minutes / 60, 1)) for w in weeks
        ],
        fallback=Container(
            items=[
                paragraph(texts.DIGEST_CHART_TITLE, subtle=True),
                facts((week(w.week.start), _hours(w.pupil_minutes)) for w in weeks),
            ]
        ),
    )


def _reviews(d: Digest) -> list[CardElement]:
    r = d.reviews
    out = [
        heading(texts.DIGEST_REVIEWS),
        facts(
            [
                (texts.DIGEST_REVIEWS_HELD, str(r.held_this_week)),
                (texts.DIGEST_REVIEWS_DUE, str(r.due_next_week)),
                (texts.DIGEST_REVIEWS_OVERDUE, str(r.overdue)),
                (texts.DIGEST_PARENT_TASKS_OVERDUE, str(d.parent_tasks_overdue)),
            ]
        ),
    ]
    if r.k_pupils:
        out.append(
            paragraph(
                texts.DIGEST_PARENT_TRACK.format(
                    on_track=r.k_on_track,
                    k=r.k_pupils,
                    share=_share(r.k_on_track, r.k_pupils),
                    expected=r.expected_so_far,
                )
            )
        )
    return out


def _waiting(n: int, days: int | None) -> str:
    return texts.DIGEST_WAITING.format(n=n, days=days) if n and days is not None else str(n)


def _referrals(d: Digest) -> list[CardElement]:
    f = d.referrals
    return [
        heading(texts.DIGEST_REFERRALS),
        facts(
            [
                (texts.DIGEST_REFERRALS_DECISION, _waiting(f.awaiting_decision, f.oldest_decision_days)),
                (texts.DIGEST_REFERRALS_SERVICE, _waiting(f.awaiting_service, f.oldest_service_days)),
            ]
        ),
    ]


def _money_section(
    d: Digest, names_allowed: bool, at_threshold: Sequence[CostLine], total_named: int
) -> list[CardElement]:
    m = d.money
    if m is None:
        return []
    spent = _money(m.spent_pence)
    if m.budget_pence:
        spent = texts.DIGEST_MONEY_SHARE.format(spent=spent, share=_share(m.spent_pence, m.budget_pence))
    budget = _money(m.budget_pence) if m.budget_pence is not None else texts.DIGEST_MONEY_BUDGET_NOT_SET
    threshold = _money(m.threshold_pence)
    out = [
        heading(texts.DIGEST_MONEY),
        facts(
            [
                (texts.DIGEST_MONEY_SPENT.format(fy_start=day(m.fy_start)), spent),
                (texts.DIGEST_MONEY_BUDGET, budget),
                (texts.DIGEST_MONEY_AT_80.format(threshold=threshold), str(m.at_80)),
                (texts.DIGEST_MONEY_AT_100.format(threshold=threshold), str(m.at_100)),
            ]
        ),
    ]
    if names_allowed and at_threshold:
        shown = at_threshold[:MAX_NAMES]
        out.append(paragraph(texts.DIGEST_MONEY_NAMES, subtle=True))
        out.append(facts((_cut(c.pupil.display_name), _money(c.spent_pence)) for c in shown))
        more = max(total_named, len(at_threshold)) - len(shown)
        if more > 0:
            out.append(paragraph(texts.DIGEST_MORE_PUPILS.format(n=more), subtle=True))
    return out


def trust_digest_card(digests: Sequence[Digest], week: IsoWeek, *, as_of: dt.date) -> Card:
    """Every school of a trust, one line each, and the totals; no pupil is named."""
    body: list[CardElement] = [title(texts.DIGEST_TRUST_TITLE), _week_line(week)]
    if as_of < week.end:
        body.append(paragraph(texts.DIGEST_WEEK_IN_PROGRESS.format(as_of=day(as_of)), subtle=True))
    if not digests:
        body.append(paragraph(texts.DIGEST_NO_TRUST_SCHOOLS))
        return card(body)
    if all(d.is_empty for d in digests):
        body.append(paragraph(texts.DIGEST_EMPTY))
        return card(body)
    totals = _trust_totals(digests)
    body.append(heading(texts.DIGEST_TRUST_TOTALS))
    body.append(
        paragraph(
            texts.DIGEST_TRUST_SCHOOL_LINE.format(**{**totals, "sessions": _sessions(totals["sessions"])})
        )
    )
    spent = sum(d.money.spent_pence for d in digests if d.money)
    body.append(facts([(texts.DIGEST_MONEY_SPENT.format(fy_start=day(_fy(digests))), _money(spent))]))
    body.append(support_chart(_trust_hours(digests)))
    shown = digests[:MAX_SCHOOLS]
    for d in shown:
        line = {**_school_line(d), "sessions": _sessions(d.sessions)}
        body.append(paragraph(texts.DIGEST_TRUST_ROW.format(school=_cut(d.school_name), **line)))
    if len(digests) > len(shown):
        body.append(paragraph(texts.DIGEST_MORE_SCHOOLS.format(n=len(digests) - len(shown)), subtle=True))
    return card(body)


def _school_line(d: Digest) -> dict[str, Any]:
    return {
        "k": d.k_total,
        "e": d.e_total,
        "sessions": d.sessions,
        "hours": _hours(d.pupil_minutes),
        "no_support": d.no_support,
        "overdue": d.reviews.overdue,
        "referrals": d.referrals.awaiting_decision + d.referrals.awaiting_service,
    }


def _trust_totals(digests: Sequence[Digest]) -> dict[str, Any]:
    lines = [_school_line(d) for d in digests]
    totals: dict[str, Any] = {k: sum(line[k] for line in lines) for k in lines[0] if k != "hours"}
    totals["hours"] = _hours(sum(d.pupil_minutes for d in digests))
    return totals


def _fy(digests: Sequence[Digest]) -> dt.date:
    return next((d.money.fy_start for d in digests if d.money), digests[0].week.end)


def _trust_hours(digests: Sequence[Digest]) -> list[WeekHours]:
    weeks = [w.week for w in digests[0].hours_by_week]
    sums = {w: 0 for w in weeks}
    for d in digests:
        for h in d.hours_by_week:
            sums[h.week] = sums.get(h.week, 0) + h.pupil_minutes
    return [WeekHours(w, sums[w]) for w in weeks]
