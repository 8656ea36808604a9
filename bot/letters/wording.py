"""Letters to parents: plain-language wording from the data, school-editable templates, PDF and links.

Why this shape:
- the context a template sees is built here from one pupil's facts (storage/queries/letters.py), with
  every need named in words and explained, and outcomes judged in words: no census code reaches a letter;
- templates are Jinja2 in a sandbox (a school's wording is untrusted text), autoescaped, and checked when
  edited: any name outside `ALLOWED_NAMES` is refused by name (jinja2.meta.find_undeclared_variables);
- the PDF is rendered by WeasyPrint with a URL fetcher that fetches nothing (a template cannot make the
  bot reach the network), off the event loop;
- a download link carries a signed token (itsdangerous, salted, 15 minutes) naming one pupil, one letter
  and the person it was made for; the route re-checks that person's scope at download.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from storage.models import LetterKind
from storage.queries.letters import LetterFacts

LINK_MAX_AGE_SECONDS = 15 * 60
TEMPLATE_LIMIT = 20_000

# Every need in words a parent can follow (docs/design.md lists the census codes; none appears in a letter).
NEED_EXPLAINED = {
    "SPLD": "a specific difficulty with one part of learning, such as reading, spelling or maths (for "
    "example dyslexia)",
    "MLD": "finding learning in most subjects harder than most children of the same age",
    "SLD": "finding learning very hard in most areas, needing a lot of support",
    "PMLD": "a profound learning difficulty together with other difficulties, such as physical ones",
    "SEMH": "help with feelings, behaviour, friendships or mental health",
    "SLCN": "help with talking, listening and understanding language",
    "ASD": "autism: help with communicating, getting on with others and coping with change",
    "HI": "a hearing difficulty",
    "VI": "a difficulty with seeing",
    "MSI": "difficulties with both hearing and seeing",
    "PD": "a physical disability",
    "OTH": "another difficulty or disability",
    "NSA": "extra help while we find out more about what your child finds hard",
}
RESULT_WORDS = {
    "met": "achieved",
    "partly_met": "partly achieved",
    "not_met": "not achieved yet",
    "pending": "not checked yet",
}
LETTER_TITLES = {
    LetterKind.SEN_SUPPORT.value: "Your child is receiving SEN support",
    LetterKind.PLAN_SUMMARY.value: "Your child's support plan",
    LetterKind.REVIEW_SUMMARY.value: "How your child's plan went",
}
# Evidence packs (bot/letters/evidence.py) travel by the same signed links: the PDF and its data.
EVIDENCE_PDF = "evidence"
EVIDENCE_JSON = "evidence_json"
EVIDENCE_KINDS = frozenset({EVIDENCE_PDF, EVIDENCE_JSON})
# The names a template may use; anything else is refused when a school edits a template.
ALLOWED_NAMES = frozenset(
    {
        "school_name",
        "today",
        "pupil_first_name",
        "pupil_full_name",
        "needs",
        "support",
        "outcomes",
        "home_can",
        "next_review",
        "senco_name",
        "senco_email",
        "review_held_on",
        "review_results",
        "next_steps",
    }
)

SAMPLE: dict[str, Any] = {
    "school_name": "Sample School",
    "today": "1 September 2026",
    "pupil_first_name": "Sam",
    "pupil_full_name": "Sam Sample",
    "needs": [{"name": "Sample need", "explained": "an explanation"}],
    "support": ["Sample support"],
    "outcomes": ["Sample outcome"],
    "home_can": "Sample",
    "next_review": "1 December 2026",
    "senco_name": "Sample SENCO",
    "senco_email": "senco@example.org",
    "review_held_on": "1 November 2026",
    "review_results": [{"outcome": "Sample outcome", "result": "achieved", "note": ""}],
    "next_steps": "Sample",
}
_env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)


def long_date(day: dt.date | None) -> str:
    return "" if day is None else f"{day.day} {day:%B %Y}"


def default_template(kind: str) -> str:
    return (resources.files("bot.letters") / "templates" / f"{kind}.html").read_text(encoding="utf-8")


def _css() -> str:
    return (resources.files("bot.letters") / "templates" / "base.css").read_text(encoding="utf-8")


def template_problem(body: str) -> str | None:
    """Why a school's template can't be used (syntax, or a name not in ALLOWED_NAMES), or None."""
    try:
        parsed = _env.parse(body)
    except TemplateSyntaxError as exc:
        return f"syntax: {exc.message} (line {exc.lineno})"
    unknown = sorted(meta.find_undeclared_variables(parsed) - ALLOWED_NAMES)
    if unknown:
        return f"unknown placeholder: {unknown[0]}"
    try:
        # A trial run in the sandbox on sample words: what would fail (or try to leave the sandbox) at
        # letter time fails now, in front of the person editing it.
        _env.from_string(body).render(**SAMPLE)
    except TemplateError as exc:
        return str(exc.message or type(exc).__name__)[:200]
    return None


def unknown_placeholders(body: str) -> list[str]:
    try:
        return sorted(meta.find_undeclared_variables(_env.parse(body)) - ALLOWED_NAMES)
    except TemplateSyntaxError:
        return []


def context(facts: LetterFacts, today: dt.date) -> dict[str, Any]:
    """What a template sees: words only, one pupil."""
    next_review = facts.next_review_on or facts.review_on
    return {
        "school_name": facts.school_name,
        "today": long_date(today),
        "pupil_first_name": facts.given_name,
        "pupil_full_name": f"{facts.given_name} {facts.family_name}",
        "needs": [
            {"name": n.name, "explained": NEED_EXPLAINED.get(n.code, n.broad_area.lower() or n.name)}
            for n in facts.needs
        ],
        "support": [*facts.provisions, *([facts.school_will] if facts.school_will else [])],
        "outcomes": list(facts.outcomes),
        "home_can": facts.home_can,
        "next_review": long_date(next_review),
        "senco_name": facts.senco_name or "our SENCO",
        "senco_email": facts.senco_email,
        "review_held_on": long_date(facts.review_held_on),
        "review_results": [
            {"outcome": j.outcome, "result": RESULT_WORDS.get(j.result, j.result), "note": j.note}
            for j in facts.review_results
        ],
        "next_steps": facts.next_steps,
    }


def render_html(kind: str, body: str, values: dict[str, Any]) -> str:
    """The letter as a complete HTML document (the email body, and the PDF's source)."""
    inner = _env.from_string(body).render(**values)
    title = LETTER_TITLES.get(kind, "")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_css()}</style></head><body>{inner}</body></html>"
    )


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError("letters load nothing from outside")


def render_pdf(html: str) -> bytes:
    """CPU-bound (tens of milliseconds): call through asyncio.to_thread."""
    from weasyprint import HTML  # imported late: it loads Pango, which only letters need

    pdf: bytes = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    return pdf


@dataclass(frozen=True)
class LinkClaims:
    pupil_id: int
    kind: str
    staff_id: int


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


class LinkSigner:
    """Signs and reads download tokens, with time from the injected clock (expiry is tested, not slept)."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def _serializer(self, now: dt.datetime) -> URLSafeTimedSerializer:
        class ClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(now.timestamp())

        return URLSafeTimedSerializer(self._secret, salt="senbot-letter-link", signer=ClockSigner)

    def make(self, claims: LinkClaims, now: dt.datetime) -> str:
        return self._serializer(now).dumps({"p": claims.pupil_id, "k": claims.kind, "s": claims.staff_id})

    def read(self, token: str, now: dt.datetime) -> LinkClaims:
        if len(token) > 500:
            raise LinkInvalid
        try:
            data = self._serializer(now).loads(token, max_age=LINK_MAX_AGE_SECONDS)
        except SignatureExpired:
            raise LinkExpired from None
        except BadSignature:
            raise LinkInvalid from None
        try:
            claims = LinkClaims(int(data["p"]), str(data["k"]), int(data["s"]))
        except (KeyError, TypeError, ValueError):
            raise LinkInvalid from None
        if claims.kind not in LETTER_TITLES and claims.kind not in EVIDENCE_KINDS:
            raise LinkInvalid
        return claims
