"""Retention: which pupils' records have passed their date, legal holds, and deleting a batch of records.

What a pupil's record is comes from the models, not from a list kept by hand: every table with a foreign
key to `pupil`, then every table with a foreign key to one of those, and so on (children deleted before
their parents). A table added later with a pupil column is deleted with the pupil without anyone
remembering to add it here. Three things the foreign keys do not say are handled by name:
- an intervention session belongs to all the pupils who attended it: it goes when its last attendance does;
- a reminder (`reminder_sent`) names its review, referral or parent task by kind and id, without a key;
- the audit trail is append-only and holds ids only (docs/design.md, "Logs"): it stays.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Delete,
    Select,
    Table,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    Base,
    InterventionSession,
    LegalHold,
    ParentTask,
    Pupil,
    PupilTransfer,
    RecordPolicy,
    Referral,
    ReminderSent,
    Review,
    School,
)
from storage.queries import audit

DEFAULT_KEEP_UNTIL_AGE = 31
DEFAULT_TRANSFERRED_KEEP_DAYS = 90
# Session ids go into IN (...) lists; well under SQLite's and asyncpg's parameter limits.
ID_CHUNK = 5000

AGE_RULE = "age"
TRANSFER_RULE = "transferred"


@dataclass(frozen=True)
class Policy:
    school_id: int
    keep_until_age: int = DEFAULT_KEEP_UNTIL_AGE
    transferred_keep_days: int = DEFAULT_TRANSFERRED_KEEP_DAYS

    def born_on_or_before(self, today: dt.date) -> dt.date:
        """A pupil born on or before this day has reached `keep_until_age` by `today`.

        Someone born on 29 February reaches it on 1 March in a year without one.
        """
        year = today.year - self.keep_until_age
        try:
            return today.replace(year=year)
        except ValueError:  # today is 29 February and that year has none
            return dt.date(year, 2, 28)

    def transferred_on_or_before(self, today: dt.date) -> dt.date:
        return today - dt.timedelta(days=self.transferred_keep_days)


async def policies(session: AsyncSession) -> list[Policy]:
    """Every school's policy (the defaults where it has not set one), by school id."""
    rows = await session.execute(
        select(School.id, RecordPolicy.keep_until_age, RecordPolicy.transferred_keep_days)
        .outerjoin(RecordPolicy, RecordPolicy.school_id == School.id)
        .order_by(School.id)
    )
    return [
        Policy(
            school_id, age or DEFAULT_KEEP_UNTIL_AGE, DEFAULT_TRANSFERRED_KEEP_DAYS if days is None else days
        )
        for school_id, age, days in rows
    ]


async def policy_of(session: AsyncSession, school_id: int) -> Policy:
    row = await session.get(RecordPolicy, school_id)
    if row is None:
        return Policy(school_id)
    return Policy(school_id, row.keep_until_age, row.transferred_keep_days)


async def set_policy(
    session: AsyncSession,
    school_id: int,
    *,
    keep_until_age: int | None,
    transferred_keep_days: int | None,
    by: int | None,
    now: dt.datetime,
) -> Policy:
    row = await session.get(RecordPolicy, school_id)
    if row is None:
        row = RecordPolicy(
            school_id=school_id,
            keep_until_age=DEFAULT_KEEP_UNTIL_AGE,
            transferred_keep_days=DEFAULT_TRANSFERRED_KEEP_DAYS,
        )
        session.add(row)
    if keep_until_age is not None:
        row.keep_until_age = keep_until_age
    if transferred_keep_days is not None:
        row.transferred_keep_days = transferred_keep_days
    row.updated_by = by
    row.updated_at = now
    audit.record(
        session,
        action="retention_policy_changed",
        at=now,
        school_id=school_id,
        actor_id=by,
        entity="school",
        entity_id=school_id,
    )
    await session.flush()
    return Policy(school_id, row.keep_until_age, row.transferred_keep_days)


# ---------------------------------------------------------------------------------------------
# What is due


def _open_hold() -> ColumnElement[bool]:
    return exists().where(LegalHold.pupil_id == Pupil.id, LegalHold.released_at.is_(None))


def _rules(policy: Policy, today: dt.date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    by_age = Pupil.date_of_birth <= policy.born_on_or_before(today)
    # Only a pupil who has left: a transfer recorded for a pupil still on roll deletes nothing.
    transferred = and_(
        Pupil.left_on.is_not(None),
        exists().where(
            PupilTransfer.pupil_id == Pupil.id,
            PupilTransfer.sent_on <= policy.transferred_on_or_before(today),
        ),
    )
    return by_age, transferred


def _due(policy: Policy, today: dt.date) -> Select[int, bool]:
    by_age, transferred = _rules(policy, today)
    return (
        select(Pupil.id, by_age.label("by_age"))
        .where(Pupil.school_id == policy.school_id, or_(by_age, transferred), ~_open_hold())
        .order_by(Pupil.id)
    )


@dataclass(frozen=True)
class DueCounts:
    school_id: int
    by_age: int
    transferred: int
    held: int


async def due_counts(session: AsyncSession, policy: Policy, today: dt.date) -> DueCounts:
    """How many records are due under each rule, and how many more would be but for a legal hold."""
    by_age, transferred = _rules(policy, today)
    held = _open_hold()
    row = (
        await session.execute(
            select(
                func.count().filter(by_age, ~held),
                func.count().filter(~by_age, transferred, ~held),
                func.count().filter(held),
            ).where(Pupil.school_id == policy.school_id, or_(by_age, transferred))
        )
    ).one()
    return DueCounts(policy.school_id, int(row[0]), int(row[1]), int(row[2]))


# ---------------------------------------------------------------------------------------------
# What a pupil's record is, walked from the models

# Not part of a pupil's record although they name pupils: handled by name (see the module docstring).
NOT_WALKED = frozenset({"pupil", "audit_event", "intervention_session"})


def record_tables() -> list[Table]:
    """The tables a pupil's record spans, children before parents (the order to delete in)."""
    pupil = Base.metadata.tables["pupil"]
    found: set[Table] = set()
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_WALKED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is pupil or fk.column.table in found:
                found.add(table)
    return [t for t in reversed(Base.metadata.sorted_tables) if t in found]


def record_selections(pupil_ids: Sequence[int]) -> dict[Table, ColumnElement[bool]]:
    """For each table of the record, which of its rows belong to these pupils."""
    pupil = Base.metadata.tables["pupil"]
    conditions: dict[Table, list[ColumnElement[bool]]] = {}
    tables = set(record_tables())
    # sorted_tables lists parents first: a table's condition is complete before its children read it.
    for table in Base.metadata.sorted_tables:
        if table not in tables:
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent is pupil:
                conditions.setdefault(table, []).append(fk.parent.in_(pupil_ids))
            elif parent in conditions:
                owned = select(fk.column).where(or_(*conditions[parent]))
                conditions.setdefault(table, []).append(fk.parent.in_(owned))
    return {table: or_(*conds) for table, conds in conditions.items()}


def _reminders(pupil_ids: Sequence[int]) -> Delete:
    subjects = (
        ("review", select(Review.id).where(Review.pupil_id.in_(pupil_ids))),
        ("referral", select(Referral.id).where(Referral.pupil_id.in_(pupil_ids))),
        ("parent_task", select(ParentTask.id).where(ParentTask.pupil_id.in_(pupil_ids))),
    )
    return delete(ReminderSent).where(
        or_(
            *(
                and_(ReminderSent.subject_kind == kind, ReminderSent.subject_id.in_(ids))
                for kind, ids in subjects
            )
        )
    )


async def _delete(session: AsyncSession, stmt: Delete) -> int:
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class Deleted:
    """What one run deleted: pupils by school and rule, rows by table."""

    pupils: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    batches: int = 0


async def next_batch(
    session: AsyncSession, policy: Policy, today: dt.date, limit: int
) -> list[tuple[int, bool]]:
    """Up to `limit` due pupils (id, due by age). On PostgreSQL the rows are locked, and rows another
    run has locked are skipped, so two replicas running at once take different pupils."""
    stmt = _due(policy, today).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Pupil, skip_locked=True)
    return [(int(row[0]), bool(row[1])) for row in await session.execute(stmt)]


async def delete_records(
    session: AsyncSession,
    school_id: int,
    batch: Sequence[tuple[int, bool]],
    *,
    now: dt.datetime,
    run_id: str,
    into: Deleted,
) -> None:
    """Delete these pupils' records and write one audit event per pupil deleted (ids only)."""
    pupil_ids = [pid for pid, _ in batch]
    sessions = list(
        (
            await session.execute(
                select(Attendance.session_id).where(Attendance.pupil_id.in_(pupil_ids)).distinct()
            )
        ).scalars()
    )
    into.rows["reminder_sent"] += await _delete(session, _reminders(pupil_ids))
    selections = record_selections(pupil_ids)
    for table in record_tables():
        into.rows[table.name] += await _delete(session, delete(table).where(selections[table]))
    for start in range(0, len(sessions), ID_CHUNK):
        chunk = sessions[start : start + ID_CHUNK]
        orphaned = delete(InterventionSession).where(
            InterventionSession.id.in_(chunk),
            ~exists().where(Attendance.session_id == InterventionSession.id),
        )
        into.rows["intervention_session"] += await _delete(session, orphaned)
    gone = set(
        (await session.execute(delete(Pupil).where(Pupil.id.in_(pupil_ids)).returning(Pupil.id))).scalars()
    )
    into.rows["pupil"] += len(gone)
    rule_of = dict(batch)
    events = []
    for pid in sorted(gone):
        rule = AGE_RULE if rule_of[pid] else TRANSFER_RULE
        into.by_rule[rule] += 1
        events.append(
            audit.row(
                action="record_deleted",
                at=now,
                school_id=school_id,
                entity=f"retention:{rule}",
                entity_id=pid,
                pupil_id=pid,
                correlation_id=run_id,
            )
        )
    await audit.record_rows(session, events)
    into.pupils += len(gone)
    into.batches += 1


# ---------------------------------------------------------------------------------------------
# Legal holds


async def open_hold(session: AsyncSession, pupil_id: int) -> LegalHold | None:
    return await session.scalar(
        select(LegalHold).where(LegalHold.pupil_id == pupil_id, LegalHold.released_at.is_(None))
    )


async def place_hold(
    session: AsyncSession, *, school_id: int, pupil_id: int, reason: str, by: int, now: dt.datetime
) -> tuple[LegalHold, bool]:
    """The pupil's open hold, and whether this call placed it (False: one was already open)."""
    existing = await open_hold(session, pupil_id)
    if existing is not None:
        return existing, False
    hold = LegalHold(school_id=school_id, pupil_id=pupil_id, reason=reason, placed_by=by, placed_at=now)
    session.add(hold)
    await session.flush()
    return hold, True


async def release_hold(
    session: AsyncSession, hold: LegalHold, *, reason: str, by: int, now: dt.datetime
) -> None:
    hold.released_at = now
    hold.released_by = by
    hold.release_reason = reason
    await session.flush()
