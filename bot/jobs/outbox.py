"""The outbox dispatcher: delivers notification rows exactly once where it can, at least once where it must.

Why this shape (docs/design.md, "Nothing lost" and "Scheduled work across replicas"):
- every replica runs a dispatcher; the database decides who sends what. A row is claimed under a lease
  (storage.queries.outbox.claim_due) in one short transaction; immediately before its send the lease is
  renewed and the send's start recorded (start_send); it is settled in its own transaction right after
  the send. So a second send needs a crash (or a lost answer) between a send's start and its settling;
- a dispatcher that dies loses nothing: its lease runs out and another dispatcher takes the row (the
  claim counts as an attempt, so a row that kills dispatchers still ends dead). A row whose send had
  started may have arrived: a reminder is sent again (a duplicate is harmless), a digest or the notice
  that a parent email went (NO_BLIND_RESEND) becomes 'unknown' for an operator (`senbot outbox`);
- retries are data, not sleeps: a failed row gets `next_attempt_at` (exponential backoff with full jitter,
  never earlier than Retry-After) and waits for a later tick; 403/404 mean the app is gone for that person:
  the row is dead and the person marked unreachable;
- a person with no conversation yet is reached by installing the app for them through Graph (an
  `Installer`): the row waits for the conversation Teams then opens; where installing is not permitted
  (or not configured) it waits until they open the bot. Waiting is not dead: the first conversation wakes
  it (storage.queries.outbox.wake_waiting), and a row sent after waiting says it is late. A row past its
  `expires_at` is marked expired instead of being sent late;
- sends run with bounded concurrency and a per-tenant pacing cap (Teams allows ~50 requests/s per app per
  tenant; the budget is 25, docs/design.md), shared by every replica through PostgreSQL. Time, sleep and
  randomness are injected so tests never sleep.
The send itself goes through anything with `send_proactive` (the seam in production); no SDK import here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import math
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.roster.graph_install import InstallOutcome, InstallResult
from bot.settings import Settings
from bot.turn.core import ConversationAddress, Message, SendFailed
from cards import texts
from storage.queries import outbox as queries

log = structlog.get_logger(__name__)

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]

WAITING_FOR_PERSON = "no conversation and no way to install the app: waits for them to open senbot"
WAITING_FOR_TEAMS = "installed through Graph: waits for the conversation Teams opens"
INSTALL_REFUSED = "installation not permitted (HTTP {status}): waits for them to open senbot"
NO_ENTRA_ID = "no Entra object id for this person yet (roster sync): waits for them to open senbot"
GONE = "the app is not installed for this person any more (HTTP {status})"
# Teams throttling (429), precondition races on the conversation (412), timeouts and server errors.
RETRYABLE = frozenset({408, 412, 429})
GONE_STATUSES = frozenset({403, 404})
# Kinds not sent again when a crash leaves it unknown whether their send arrived: a second weekly digest,
# or a second "your letter was emailed" (which reads as a second email to the parents), misleads. The
# kinds are named here, not imported, so the dispatcher does not depend on the planners.
NO_BLIND_RESEND = frozenset({"weekly_digest", "letter_email"})


class Sender(Protocol):
    """Something that can deliver one message to a stored conversation (bot.teams.seam.TeamsSeam)."""

    async def send_proactive(self, address: ConversationAddress, message: Message) -> str | None: ...


class Installer(Protocol):
    """Installs the Teams app for a person (bot.roster.graph_install.GraphInstaller in production)."""

    async def install(self, tenant_id: str, aad_object_id: str) -> InstallResult: ...


@dataclass(frozen=True)
class DispatchConfig:
    batch_size: int = 50
    concurrency: int = 4
    rate_per_tenant: float = 25.0
    # Sends allowed back to back before pacing starts; 1 = strict pacing (never more than `rate` in a second).
    burst: int = 1
    lease_seconds: float = 120.0
    max_attempts: int = 8
    backoff_base_seconds: float = 2.0
    backoff_cap_seconds: float = 3600.0


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost_lease: int = 0
    unknown: int = 0
    waiting: int = 0
    expired: int = 0


class TenantPacer:
    """A token bucket per tenant, as the generic cell rate algorithm: each send reserves the next free slot.

    Reserving before awaiting means concurrent senders never share a slot, without a lock. On PostgreSQL
    the slot is a row every replica reserves from (storage.queries.outbox.reserve_send_slot), because
    Teams' limit is per app per tenant: three replicas must share one budget, not have one each. SQLite
    is one process, so the slots stay in memory there.
    """

    def __init__(self, rate: float, burst: int) -> None:
        # Whole microseconds (rounded up), so slots never drift into one more send per second.
        self._interval = dt.timedelta(microseconds=math.ceil(1_000_000 / rate))
        self._tolerance = self._interval * (burst - 1)
        self._next: dict[str, dt.datetime] = {}

    async def reserve(self, session: AsyncSession, tenant_id: str, now: dt.datetime) -> dt.datetime:
        """The moment the caller may send to this tenant (possibly already past)."""
        if session.get_bind().dialect.name == "postgresql":
            slot = await queries.reserve_send_slot(session, tenant_id, now=now, interval=self._interval)
        else:
            slot = max(self._next.get(tenant_id, now), now)
            self._next[tenant_id] = slot + self._interval
        return slot - self._tolerance


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """Retry-After as seconds (RFC 9110: delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(attempts: int, config: DispatchConfig, rng: random.Random) -> float:
    """Full jitter (uniform over 0..base·2^(n-1), capped), so retries of a burst spread out."""
    ceiling = min(config.backoff_cap_seconds, config.backoff_base_seconds * 2 ** max(0, attempts - 1))
    return rng.uniform(0, ceiling)


@dataclass
class OutboxDispatcher:
    sessions: async_sessionmaker[AsyncSession]
    sender: Sender
    clock: Clock
    config: DispatchConfig = field(default_factory=DispatchConfig)
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    owner: str = field(default_factory=lambda: f"dispatcher-{uuid.uuid4().hex[:12]}")
    # None: nobody is installed for; a person without a conversation waits until they open the bot.
    installer: Installer | None = None

    def __post_init__(self) -> None:
        self._pacer = TenantPacer(self.config.rate_per_tenant, self.config.burst)
        self._slots = asyncio.Semaphore(self.config.concurrency)

    async def run_once(self) -> DispatchReport:
        """Claim one batch and deliver it. Returns what happened (for the job log and tests)."""
        report = DispatchReport()
        async with self.sessions.begin() as session:
            now = self.clock()
            in_doubt = await queries.mark_in_doubt(session, now=now, kinds=NO_BLIND_RESEND)
            expired = await queries.expire_due(session, now)
            batch = await queries.claim_due(
                session,
                owner=self.owner,
                now=now,
                lease_seconds=self.config.lease_seconds,
                limit=self.config.batch_size,
                no_blind_resend=NO_BLIND_RESEND,
            )
        if in_doubt:
            report.unknown = len(in_doubt)
            log.warning("outbox_unknown", outbox_ids=in_doubt)
        if expired:
            report.expired = len(expired)
            log.warning("outbox_expired", outbox_ids=expired)
        report.claimed = len(batch)
        if batch:
            await asyncio.gather(*(self._deliver(row, report) for row in batch))
            log.info(
                "outbox_dispatched",
                claimed=report.claimed,
                sent=report.sent,
                retried=report.retried,
                dead=report.dead,
                waiting=report.waiting,
                lost_lease=report.lost_lease,
            )
        return report

    async def drain(self, max_batches: int = 1000) -> DispatchReport:
        """Run batches until nothing is due now (the job calls run_once; tests and the CLI may drain)."""
        total = DispatchReport()
        for _ in range(max_batches):
            report = await self.run_once()
            for name in ("claimed", "sent", "retried", "dead", "lost_lease", "unknown", "waiting", "expired"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            if report.claimed == 0:
                break
        return total

    async def _deliver(self, row: queries.Claimed, report: DispatchReport) -> None:
        ref = row.reference
        if row.attempts > self.config.max_attempts:
            # Claimed again and again without settling: something kills dispatchers on this row.
            await self._settle_dead(row, f"gave up after {row.attempts - 1} attempts", report)
            return
        if ref is None:
            await self._no_conversation(row, report)
            return
        address = ConversationAddress(
            tenant_id=ref.tenant_id,
            channel_id=ref.channel_id,
            service_url=ref.service_url,
            conversation_id=ref.conversation_id,
            bot_id=ref.bot_id,
            user_id=ref.user_id,
        )
        message = Message(card=row.payload.get("card"), text=_late(row, self.clock()))
        # The slot first, then the pace: a send that waited for a slot must not go out in a bunch.
        async with self._slots:
            # The lease is renewed just before the pace's wait (a fraction of a second per tenant), not
            # between the wait and the send, where the database round trip would bunch paced sends. The
            # send slot is reserved in the same transaction, last, so its row is locked only for the commit.
            async with self.sessions.begin() as session:
                now = self.clock()
                ours = await queries.start_send(
                    session, row.id, owner=self.owner, now=now, lease_seconds=self.config.lease_seconds
                )
                if ours:
                    # The clock read again: a slot from before the renewal's round trip (a new connection
                    # can take 100 ms) would be late already, and the next slot's send would bunch with it.
                    send_at = await self._pacer.reserve(session, ref.tenant_id, self.clock())
            if not ours:
                # The lease ran out while the row waited and another dispatcher has it: do not send.
                report.lost_lease += 1
                log.warning("outbox_lease_lost", outbox_id=row.id)
                return
            # Measured after the commit, so the round trip is not slept on top of the wait.
            delay = (send_at - self.clock()).total_seconds()
            if delay > 0:
                await self.sleep(delay)
            try:
                activity_id = await self.sender.send_proactive(address, message)
            except SendFailed as failure:
                await self._failed(row, failure, report)
                return
            except Exception as exc:  # anything unexpected from the send is treated as "no answer"
                log.warning("outbox_send_error", outbox_id=row.id, error=type(exc).__name__)
                await self._failed(row, SendFailed(None, None, type(exc).__name__), report)
                return
        async with self.sessions.begin() as session:
            kept = await queries.mark_sent(
                session, row.id, owner=self.owner, activity_id=activity_id, now=self.clock()
            )
        if kept:
            report.sent += 1
        else:
            # Our lease ran out during the send and another dispatcher took the row: it may send again.
            report.lost_lease += 1
            log.warning("outbox_lease_lost", outbox_id=row.id)

    async def _failed(self, row: queries.Claimed, failure: SendFailed, report: DispatchReport) -> None:
        status = failure.status
        if status in GONE_STATUSES:
            async with self.sessions.begin() as session:
                if await queries.mark_dead(
                    session, row.id, owner=self.owner, error=GONE.format(status=status), now=self.clock()
                ):
                    await queries.mark_unreachable(session, row.recipient_id, self.clock())
                    report.dead += 1
            return
        retryable = status is None or status in RETRYABLE or status >= 500
        what = f"HTTP {status}" if status is not None else f"no answer ({failure.reason or 'error'})"
        if not retryable:
            await self._settle_dead(row, f"refused: {what}", report)
            return
        if row.attempts >= self.config.max_attempts:
            await self._settle_dead(row, f"gave up after {row.attempts} attempts: {what}", report)
            return
        now = self.clock()
        delay = backoff_seconds(row.attempts, self.config, self.rng)
        wait = retry_after_seconds(failure.retry_after, now)
        if wait is not None:
            delay = max(delay, min(wait, self.config.backoff_cap_seconds))
        async with self.sessions.begin() as session:
            if await queries.mark_retry(
                session,
                row.id,
                owner=self.owner,
                error=what,
                next_attempt_at=now + dt.timedelta(seconds=delay),
                now=now,
            ):
                report.retried += 1

    async def _no_conversation(self, row: queries.Claimed, report: DispatchReport) -> None:
        """Install the app for the person if we can, else park the row until they open the bot."""
        async with self.sessions() as session:
            target = await queries.install_target(session, row.recipient_id)
        if self.installer is None or target is None:
            await self._settle_waiting(row, WAITING_FOR_PERSON, report)
            return
        if not target.aad_object_id:
            await self._settle_waiting(row, NO_ENTRA_ID, report)
            return
        try:
            result = await self.installer.install(target.tenant_id, target.aad_object_id)
        except Exception as exc:  # an unexpected failure of the Graph call: like no answer, retried
            log.warning("outbox_install_error", outbox_id=row.id, error=type(exc).__name__)
            result = InstallResult(InstallOutcome.RETRY, reason=type(exc).__name__)
        if result.outcome is InstallOutcome.INSTALLED:
            await self._settle_waiting(row, WAITING_FOR_TEAMS, report)
        elif result.outcome is InstallOutcome.REFUSED:
            await self._settle_waiting(row, INSTALL_REFUSED.format(status=result.status), report)
        else:
            # Throttled or failing past the SDK's own retries: the outbox's backoff, honouring Retry-After.
            await self._failed(row, SendFailed(result.status, result.retry_after, result.reason), report)

    async def _settle_waiting(self, row: queries.Claimed, reason: str, report: DispatchReport) -> None:
        async with self.sessions.begin() as session:
            if await queries.mark_waiting(session, row.id, owner=self.owner, reason=reason, now=self.clock()):
                report.waiting += 1
        log.info("outbox_waiting", outbox_id=row.id, kind=row.kind, reason=reason)

    async def _settle_dead(self, row: queries.Claimed, error: str, report: DispatchReport) -> None:
        async with self.sessions.begin() as session:
            if await queries.mark_dead(session, row.id, owner=self.owner, error=error, now=self.clock()):
                report.dead += 1
        log.warning("outbox_dead", outbox_id=row.id, kind=row.kind, error=error)


# A wait shorter than this (Teams opening the conversation after an install) is not worth a word.
LATE_AFTER = dt.timedelta(hours=1)


def _late(row: queries.Claimed, now: dt.datetime) -> str | None:
    """The row's text, led by a note that it is late when it waited long for the person to open the bot."""
    text = row.payload.get("text")
    if row.waiting_since is None or now - row.waiting_since < LATE_AFTER:
        return text if isinstance(text, str) else None
    day = row.waiting_since
    note = texts.SENT_LATE.format(day=f"{day.day} {day:%b %Y}")
    return f"{note}\n\n{text}" if isinstance(text, str) and text else note


def config_from_settings(settings: Settings) -> DispatchConfig:
    return DispatchConfig(
        batch_size=settings.outbox_batch_size,
        concurrency=settings.outbox_concurrency,
        rate_per_tenant=settings.outbox_rate_per_tenant,
        lease_seconds=settings.outbox_lease_seconds,
        max_attempts=settings.outbox_max_attempts,
    )
