"""The evidence pack as a PDF and as JSON, from one pupil's facts (storage/queries/evidence.py).

Why here, beside the letters: the pack is a document about one pupil made when asked for, rendered by
WeasyPrint with the letters' URL fetcher that fetches nothing, and delivered by the letters' signed,
short-lived, re-checked links (bot/letters/service.py). The PDF and the JSON are built from one
`context`, so the two always say the same thing; money appears only for those who see costs
(bot/rules/policy.py).
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined

from bot.letters.wording import long_date, render_pdf
from storage.queries.evidence import EvidencePack

_env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
STATUS_WORDS = {"N": "No SEN", "K": "SEN support", "E": "EHC plan"}
RESULT_WORDS = {"met": "met", "partly_met": "partly met", "not_met": "not met"}


def _money(pence: int) -> str:
    return f"\u00a3{pence // 100:,}.{pence % 100:02d}"


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def context(pack: EvidencePack, *, with_costs: bool) -> dict[str, Any]:
    """Everything the pack says, as plain JSON-able values (dates ISO 8601, money in pence)."""
    needs = pack.need_names
    cost: dict[str, Any] | None = None
    if with_costs:
        cost = {
            "financial_year_from": _iso(pack.financial_year_from),
            "to": _iso(pack.made_on),
            "cost_pence": pack.cost_pence,
            "threshold_pence": pack.threshold_pence,
            "percent_of_threshold": round(100 * pack.cost_pence / pack.threshold_pence, 1)
            if pack.threshold_pence
            else None,
        }
    return {
        "school": pack.school_name,
        "made_on": _iso(pack.made_on),
        "pupil": {
            "id": pack.pupil_id,
            "name": f"{pack.given_name} {pack.family_name}",
            "year_group": pack.year_group,
            "date_of_birth": _iso(pack.date_of_birth),
        },
        "register": [
            {
                "status": r.status,
                "status_words": STATUS_WORDS.get(r.status, r.status),
                "needs": [needs.get(c, c) for c in (r.need1, r.need2) if c],
                "from": _iso(r.started_on),
                "to": _iso(r.ended_on),
                "by": r.by,
                "reason": r.reason,
            }
            for r in pack.register
        ],
        "plans": [
            {
                "id": p.id,
                "cycle": p.cycle,
                "status": p.status,
                "review_on": _iso(p.review_on),
                "strategies": p.strategies,
                "pupil_views": p.pupil_views,
                "parent_views": p.parent_views,
                "outcomes": [
                    {
                        "text": o.text,
                        "results": [
                            RESULT_WORDS.get(r.results[o.id], r.results[o.id])
                            for r in p.reviews
                            if o.id in r.results
                        ],
                    }
                    for o in p.outcomes
                ],
                "reviews": [
                    {
                        "due_on": _iso(r.due_on),
                        "held_on": _iso(r.held_on),
                        "parent_attended": r.parent_attended,
                        "next_steps": r.next_steps,
                    }
                    for r in p.reviews
                ],
            }
            for p in pack.plans
        ],
        "provision": {
            "financial_year_from": _iso(pack.financial_year_from),
            "sessions": pack.sessions,
            "attended_minutes": pack.attended_minutes,
            "lines": [
                {
                    "provision": p.name,
                    "sessions": p.sessions,
                    "attended_minutes": p.attended_minutes,
                    **({"cost_pence": p.cost_pence} if with_costs else {}),
                }
                for p in pack.provisions
            ],
        },
        "cost": cost,
        "referrals": [
            {
                "service": r.service,
                "status": r.status,
                "requested_on": _iso(r.requested_on),
                "report_on": _iso(r.report_on),
                "report_summary": r.report_summary,
                "report_recommendations": r.report_recommendations,
            }
            for r in pack.referrals
        ],
        "ehc_needs_assessments": [
            {
                "requested_on": _iso(q.requested_on),
                "local_authority": q.local_authority,
                "requested_by": q.requested_by,
                "status": q.status,
                "decide_by": _iso(q.deadlines.decide),
                "draft_by": _iso(q.deadlines.draft),
                "final_by": _iso(q.deadlines.final),
                "decided_on": _iso(q.decided_on),
                "final_on": _iso(q.final_on),
            }
            for q in pack.requests
        ],
        "ehc_plans": [{"issued_on": _iso(p.issued_on)} for p in pack.ehc_plans],
        # Documents attached to the pupil are listed here once documents can be attached.
        "documents": [],
    }


def to_json(pack: EvidencePack, *, with_costs: bool) -> bytes:
    return json.dumps(context(pack, with_costs=with_costs), indent=2, ensure_ascii=False).encode()


def _template() -> str:
    return (resources.files("bot.letters") / "templates" / "evidence.html").read_text(encoding="utf-8")


def _css() -> str:
    return (resources.files("bot.letters") / "templates" / "base.css").read_text(encoding="utf-8")


def html(pack: EvidencePack, *, with_costs: bool) -> str:
    values = context(pack, with_costs=with_costs)
    return _env.from_string(_template()).render(
        pack=values,
        css=_css(),
        long_date=lambda iso: long_date(dt.date.fromisoformat(iso)) if iso else "",
        hours=lambda minutes: f"{minutes / 60:.1f}",
        money=_money,
    )


def pdf(pack: EvidencePack, *, with_costs: bool) -> bytes:
    """CPU-bound: call through asyncio.to_thread."""
    return render_pdf(html(pack, with_costs=with_costs))
