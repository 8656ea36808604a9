"""The job that emails queued letters (parent_email rows) through Microsoft Graph, once each.

Why a job and not the turn: a Graph call can take seconds; the person pressing Send gets an answer at
once and a message in their chat when it has gone (through the outbox). Exactly once: a row is claimed
(pending → sending) and committed before Graph is called, so no other replica and no second press can
send it; a refusal (429, 403...) records 'failed' (nothing sent), a timeout 'unknown' (never resent by
itself). Recipients are read at send time: the pupil's recorded contacts with an email, nobody else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.letters import wording as letters
from bot.letters.graph_mail import MailRefused, MailUnknown, Recipient
from bot.letters.service import letter_html, school_today
from cards import texts
from storage.models import School
from storage.queries import audit, outbox, parents
from storage.queries.register import pupil_name

log = structlog.get_logger(__name__)
Clock = Callable[[], dt.datetime]
KIND = "letter_email"


class Mailer(Protocol):
    async def send(self, mailbox: str, to: list[Recipient], subject: str, html: str) -> None: ...


class MailSender:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], mailer: Mailer, mailbox: str, clock: Clock
    ) -> None:
        self.sessions = sessions
        self.mailer = mailer
        self.mailbox = mailbox
        self.clock = clock

    async def run_once(self, limit: int = 20) -> int:
        """Send up to `limit` queued letters; returns how many were attempted."""
        done = 0
        while done < limit:
            if not await self._one():
                break
            done += 1
        return done

    async def _one(self) -> bool:
        now = self.clock()
        async with self.sessions.begin() as session:
            job = await parents.claim_email(session)
            if job is None:
                return False
            today = await school_today(session, job.school_id, now)
            html = await letter_html(
                session, school_id=job.school_id, pupil_id=job.pupil_id, kind=job.kind, today=today
            )
            to = [
                Recipient(c.name, c.email) for c in await parents.contacts(session, job.pupil_id) if c.email
            ]
            name = await pupil_name(session, job.pupil_id)
            school = await session.get_one(School, job.school_id)
            subject = texts.MAIL_SUBJECT.format(
                letter=letters.LETTER_TITLES[job.kind], pupil=name.split(" ")[0], school=school.name
            )
        # Committed as 'sending' before the call: whatever happens next, it is not sent twice.
        status, error, message = "sent", None, ""
        if html is None or not to:
            status, message = "failed", texts.MAIL_NO_CONTACT.format(pupil=name)
            error = "no contact"
        else:
            try:
                await self.mailer.send(self.mailbox, to, subject, html)
                message = texts.MAIL_SENT.format(
                    letter=texts.LETTER_KIND_WORDS[job.kind], pupil=name, count=len(to)
                )
            except MailRefused as exc:
                status, error = "failed", f"refused {exc.status}"
                message = texts.MAIL_REFUSED.format(pupil=name)
            except MailUnknown:
                status, error = "unknown", "timeout"
                message = texts.MAIL_UNKNOWN.format(pupil=name)
        done_at = self.clock()
        async with self.sessions.begin() as session:
            await parents.finish_email(session, email_id=job.id, status=status, now=done_at, error=error)
            if status == "sent":
                await parents.close_task_by_email(
                    session,
                    pupil_id=job.pupil_id,
                    kind=job.kind,
                    by=job.requested_by,
                    today=today,
                    now=done_at,
                )
            audit.record(
                session,
                action=f"letter_email_{status}",
                at=done_at,
                school_id=job.school_id,
                actor_id=job.requested_by,
                entity="parent_email",
                entity_id=job.id,
                pupil_id=job.pupil_id,
                outcome="ok" if status == "sent" else status,
            )
            await outbox.enqueue(
                session,
                kind=KIND,
                period_key=f"{KIND}:{job.id}",
                recipient_id=job.requested_by,
                payload=outbox.message_payload(text=message),
                now=done_at,
            )
        log.info("letter_email", status=status)
        return True
