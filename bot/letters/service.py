"""Making a letter (or an evidence pack) for one pupil, and serving it at GET /letters/{token}.

Why a service the web edge calls: the download is not a Teams turn (a browser follows the link), so it
runs its own short transaction: read the signed token, check the person still may see the pupil, render,
audit the download. The letter is rendered again from the data at download (nothing is stored).
`download_url` is the one way a document reaches a person: letters and evidence packs both go through it
and through `LetterDownloads.download`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.letters import evidence
from bot.letters import wording as letters
from bot.rules import calendar
from bot.rules.policy import (
    EVIDENCE_READERS,
    LETTER_WRITERS,
    evidence_scope_of,
    evidence_shows_costs,
    plan_scope_of,
)
from bot.settings import Settings
from storage.queries import audit, parents, pupils, schools
from storage.queries import evidence as evidence_queries
from storage.queries import letters as letter_queries

Clock = Callable[[], dt.datetime]


def with_link_secret(settings: Settings) -> Settings:
    """Settings whose link secret is set: the configured one, else the app password, else one made now
    (local mode: links then last as long as the process, which is all a loopback bot needs)."""
    if settings.letter_link_secret.get_secret_value():
        return settings
    chosen = settings.app_password.get_secret_value() or secrets.token_urlsafe(32)
    return settings.model_copy(update={"letter_link_secret": SecretStr(chosen)})


def link_secret(settings: Settings) -> str:
    secret = settings.letter_link_secret.get_secret_value()
    if not secret:
        raise RuntimeError("create_app sets the letter link secret (with_link_secret)")
    return secret


def link_base(settings: Settings) -> str:
    if settings.public_host:
        return f"https://{settings.public_host}"
    return f"http://{settings.host}:{settings.port}"


def download_url(settings: Settings, claims: letters.LinkClaims, now: dt.datetime) -> str:
    """The signed, short-lived link to one pupil's document for one person (re-checked at download)."""
    token = letters.LinkSigner(link_secret(settings)).make(claims, now)
    return f"{link_base(settings)}/letters/{token}"


async def school_today(session: AsyncSession, school_id: int, now: dt.datetime) -> dt.date:
    return calendar.school_today(now, await schools.time_zone(session, school_id))


async def letter_html(
    session: AsyncSession, *, school_id: int, pupil_id: int, kind: str, today: dt.date
) -> str | None:
    """The letter for one pupil in the school's wording (or the default); None if the pupil is unknown."""
    facts = await letter_queries.letter_facts(session, pupil_id, today=today)
    if facts is None or facts.school_id != school_id:
        return None
    body = await parents.template(session, school_id, kind) or letters.default_template(kind)
    return letters.render_html(kind, body, letters.context(facts, today))


@dataclass(frozen=True)
class Download:
    status: int
    pdf: bytes | None = None
    filename: str = ""
    content_type: str = "application/pdf"


class LetterDownloads:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock) -> None:
        self.sessions = sessions
        self.signer = letters.LinkSigner(link_secret(settings))
        self.clock = clock

    async def download(self, token: str) -> Download:
        now = self.clock()
        try:
            claims = self.signer.read(token, now)
        except letters.LinkExpired:
            return Download(410)
        except letters.LinkInvalid:
            return Download(403)
        if claims.kind in letters.EVIDENCE_KINDS:
            return await self._evidence(claims, now)
        async with self.sessions.begin() as session:
            access = await letter_queries.staff_access(session, claims.staff_id, today=now.date())
            allowed = (
                access is not None
                and bool(access.roles & LETTER_WRITERS)
                and await pupils.allowed_ids(session, plan_scope_of(access), [claims.pupil_id])
            )
            if not allowed or access is None:
                audit.record(
                    session,
                    action="letter_download_refused",
                    at=now,
                    actor_id=claims.staff_id,
                    entity="letter",
                    entity_id=claims.kind,
                    pupil_id=claims.pupil_id,
                    outcome="refused",
                )
                return Download(403)
            today = await school_today(session, access.school_id, now)
            html = await letter_html(
                session, school_id=access.school_id, pupil_id=claims.pupil_id, kind=claims.kind, today=today
            )
            if html is None:
                return Download(403)
            audit.record(
                session,
                action="letter_downloaded",
                at=now,
                school_id=access.school_id,
                actor_id=claims.staff_id,
                entity="letter",
                entity_id=claims.kind,
                pupil_id=claims.pupil_id,
            )
        pdf = await asyncio.to_thread(letters.render_pdf, html)
        return Download(200, pdf, f"letter-{claims.kind}-{claims.pupil_id}.pdf")

    async def _evidence(self, claims: letters.LinkClaims, now: dt.datetime) -> Download:
        """An evidence pack (PDF or JSON): the SENCO or head of the pupil's school, checked again now."""
        async with self.sessions.begin() as session:
            access = await letter_queries.staff_access(session, claims.staff_id, today=now.date())
            allowed = (
                access is not None
                and bool(access.roles & EVIDENCE_READERS)
                and await pupils.allowed_ids(session, evidence_scope_of(access), [claims.pupil_id])
            )
            if not allowed or access is None:
                audit.record(
                    session,
                    action="evidence_download_refused",
                    at=now,
                    actor_id=claims.staff_id,
                    entity="evidence",
                    entity_id=claims.kind,
                    pupil_id=claims.pupil_id,
                    outcome="refused",
                )
                return Download(403)
            today = await school_today(session, access.school_id, now)
            pack = await evidence_queries.pack(session, claims.pupil_id, today=today)
            if pack is None or pack.school_id != access.school_id:
                return Download(403)
            audit.record(
                session,
                action="evidence_downloaded",
                at=now,
                school_id=access.school_id,
                actor_id=claims.staff_id,
                entity="evidence",
                entity_id=claims.kind,
                pupil_id=claims.pupil_id,
            )
        with_costs = evidence_shows_costs(access.roles)
        name = f"evidence-{claims.pupil_id}-{today.isoformat()}"
        if claims.kind == letters.EVIDENCE_JSON:
            return Download(
                200, evidence.to_json(pack, with_costs=with_costs), f"{name}.json", "application/json"
            )
        body = await asyncio.to_thread(evidence.pdf, pack, with_costs=with_costs)
        return Download(200, body, f"{name}.pdf")
