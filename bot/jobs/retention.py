"""Retention: delete the pupils' records whose date has passed (docs/retention.md), in batches.

Why batches, each its own transaction: a run over a local authority's database deletes hundreds of
thousands of rows; one transaction would hold its locks for minutes and, interrupted, undo everything.
A batch is all or nothing for its pupils (their rows, then one audit event each), so a run stopped
half-way leaves whole records deleted or whole records kept, and the next run takes up what is left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.queries import retention as q

log = structlog.get_logger(__name__)

BATCH_SIZE = 500


@dataclass
class RetentionReport:
    dry_run: bool
    due: list[q.DueCounts] = field(default_factory=list)
    deleted: q.Deleted = field(default_factory=q.Deleted)

    def summary(self) -> str:
        due_age = sum(d.by_age for d in self.due)
        due_transfer = sum(d.transferred for d in self.due)
        held = sum(d.held for d in self.due)
        lines = [
            f"due: {due_age + due_transfer} records ({due_age} past the age in the policy, "
            f"{due_transfer} transferred), {held} more kept by a legal hold"
        ]
        if self.dry_run:
            lines.append("dry run: nothing deleted")
        else:
            d = self.deleted
            lines.append(f"deleted: {d.pupils} records in {d.batches} batches")
            lines += [f"  {table}: {n}" for table, n in sorted(d.rows.items()) if n]
        return "\n".join(lines)


async def run_retention(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: dt.datetime,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
) -> RetentionReport:
    today = now.date()
    report = RetentionReport(dry_run=dry_run)
    async with sessions() as session:
        policies = await q.policies(session)
        report.due = [await q.due_counts(session, p, today) for p in policies]
    run_id = f"retention:{now.strftime('%Y%m%dT%H%M%S')}"
    for policy, due in zip(policies, report.due, strict=True):
        if dry_run or not (due.by_age or due.transferred):
            continue
        while max_batches is None or report.deleted.batches < max_batches:
            async with sessions.begin() as session:
                batch = await q.next_batch(session, policy, today, batch_size)
                if not batch:
                    break
                await q.delete_records(
                    session, policy.school_id, batch, now=now, run_id=run_id, into=report.deleted
                )
    log.info(
        "retention_run",
        dry_run=dry_run,
        deleted=report.deleted.pupils,
        batches=report.deleted.batches,
    )
    return report


class RetentionJob:
    """The daily run the scheduler wakes (bot/jobs/scheduler.py); every replica may run it at once."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], dt.datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    async def run(self) -> RetentionReport:
        return await run_retention(self._sessions, now=self._clock())
