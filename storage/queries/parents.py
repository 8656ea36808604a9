"""The school's duties to parents, kept as tasks until done; parents' contacts; the school's letter wording.

Why tasks are created here and nowhere else: the register, plan and review write paths each call
`add_task` in their own transaction, so a task exists exactly when the change that gives rise to it is
committed. `trigger_key` is UNIQUE (a replayed trigger creates nothing), and a pupil has at most one open
task of each kind: a second change while parents have not yet been told is covered by the open task
(they are told of the latest state), rather than piling up duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    LetterTemplate,
    ParentContact,
    ParentEmail,
    ParentTask,
    ParentTaskKind,
    Pupil,
    Staff,
)
from storage.queries.pupils import visible
from storage.scope import PupilScope

# A duty to parents is overdue two weeks after the change that gave rise to it.
DUE_AFTER_DAYS = 14
ON_REGISTER = ("K", "E")


def register_task_kind(old_status: str | None, new_status: str) -> ParentTaskKind | None:
    """Which duty a register change creates: placed on SEN support, or any other change of an SEN pupil."""
    if new_status == "K" and old_status != "K":
        return ParentTaskKind.INFORM_SEN_SUPPORT
    if (old_status or "N") in ON_REGISTER or new_status in ON_REGISTER:
        return ParentTaskKind.INFORM_PLAN_CHANGE
    return None


async def add_task(
    session: AsyncSession,
    *,
    pupil_id: int,
    kind: ParentTaskKind,
    source_entity: str,
    source_id: int,
    today: dt.date,
    now: dt.datetime,
    revision: int | None = None,
) -> bool:
    """Create the task for this trigger unless it exists or an open one of the kind covers it.

    One INSERT ... SELECT ... WHERE NOT EXISTS ... ON CONFLICT DO NOTHING: safe against a replay and a
    concurrent writer. True when a task was created."""
    key = f"{kind.value}:{source_entity}:{source_id}" + (f":{revision}" if revision is not None else "")
    open_same = exists(
        select(ParentTask.id).where(
            ParentTask.pupil_id == pupil_id, ParentTask.kind == kind.value, ParentTask.done_at.is_(None)
        )
    )
    source = select(
        Pupil.school_id,
        Pupil.id,
        literal(kind.value),
        literal(source_entity),
        literal(source_id),
        literal(key),
        literal(now, ParentTask.created_at.type),
        literal(today + dt.timedelta(days=DUE_AFTER_DAYS), ParentTask.due_on.type),
    ).where(Pupil.id == pupil_id, ~open_same)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(ParentTask)
        .from_select(
            [
                "school_id",
                "pupil_id",
                "kind",
                "source_entity",
                "source_id",
                "trigger_key",
                "created_at",
                "due_on",
            ],
            source,
        )
        .on_conflict_do_nothing(index_elements=[ParentTask.trigger_key])
    )
    result = await session.execute(stmt)
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


@dataclass(frozen=True)
class TaskRow:
    id: int
    pupil_id: int
    pupil_name: str
    kind: str
    created_on: dt.date
    due_on: dt.date


async def open_tasks(session: AsyncSession, scope: PupilScope, *, limit: int) -> list[TaskRow]:
    """Open tasks of the pupils in scope, most overdue first."""
    rows = await session.execute(
        select(
            ParentTask.id,
            ParentTask.pupil_id,
            Pupil.given_name,
            Pupil.family_name,
            ParentTask.kind,
            ParentTask.created_at,
            ParentTask.due_on,
        )
        .join(Pupil, Pupil.id == ParentTask.pupil_id)
        .where(
            ParentTask.school_id == scope.school_id,
            ParentTask.done_at.is_(None),
            ParentTask.pupil_id.in_(visible(scope)),
        )
        .order_by(ParentTask.due_on, ParentTask.id)
        .limit(limit)
    )
    return [TaskRow(i, p, f"{g} {f}", k, c.date(), d) for i, p, g, f, k, c, d in rows.all()]


async def pupil_tasks(session: AsyncSession, pupil_id: int) -> list[TaskRow]:
    """A pupil's open tasks (a handful at most: one per kind)."""
    rows = await session.execute(
        select(
            ParentTask.id,
            ParentTask.pupil_id,
            Pupil.given_name,
            Pupil.family_name,
            ParentTask.kind,
            ParentTask.created_at,
            ParentTask.due_on,
        )
        .join(Pupil, Pupil.id == ParentTask.pupil_id)
        .where(ParentTask.pupil_id == pupil_id, ParentTask.done_at.is_(None))
        .order_by(ParentTask.due_on, ParentTask.id)
    )
    return [TaskRow(i, p, f"{g} {f}", k, c.date(), d) for i, p, g, f, k, c, d in rows.all()]


@dataclass(frozen=True)
class TaskState:
    id: int
    pupil_id: int
    kind: str
    done_at: dt.date | None
    done_how: str | None
    done_by: str | None


async def task(session: AsyncSession, task_id: int) -> TaskState | None:
    row = (
        await session.execute(
            select(
                ParentTask.id,
                ParentTask.pupil_id,
                ParentTask.kind,
                ParentTask.done_at,
                ParentTask.done_how,
                Staff.display_name,
            )
            .outerjoin(Staff, Staff.id == ParentTask.done_by)
            .where(ParentTask.id == task_id)
        )
    ).first()
    return None if row is None else TaskState(*row)


async def mark_done(
    session: AsyncSession, *, task_id: int, done_at: dt.date, how: str, by: int, now: dt.datetime
) -> bool:
    """Mark the task done, only if it is still open (a replayed card changes nothing)."""
    result = await session.execute(
        update(ParentTask)
        .where(ParentTask.id == task_id, ParentTask.done_at.is_(None))
        .values(done_at=done_at, done_how=how, done_by=by, done_recorded_at=now)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def overdue_count(session: AsyncSession, school_ids: Sequence[int], today: dt.date) -> int:
    """Open tasks past their due date in these schools (one aggregate)."""
    if not school_ids:
        return 0
    n = await session.scalar(
        select(func.count())
        .select_from(ParentTask)
        .where(
            and_(
                ParentTask.school_id.in_(list(school_ids)),
                ParentTask.done_at.is_(None),
                ParentTask.due_on < today,
            )
        )
    )
    return int(n or 0)


# --- contacts ---


@dataclass(frozen=True)
class ContactRow:
    id: int
    name: str
    relationship: str
    email: str
    phone: str
    preferred: bool


async def contacts(session: AsyncSession, pupil_id: int) -> list[ContactRow]:
    rows = await session.execute(
        select(
            ParentContact.id,
            ParentContact.name,
            ParentContact.relationship,
            func.coalesce(ParentContact.email, ""),
            func.coalesce(ParentContact.phone, ""),
            ParentContact.preferred,
        )
        .where(ParentContact.pupil_id == pupil_id)
        .order_by(ParentContact.preferred.desc(), ParentContact.id)
    )
    return [ContactRow(*r) for r in rows.all()]


async def save_contact(
    session: AsyncSession,
    *,
    pupil_id: int,
    contact_id: int,
    name: str,
    relationship: str,
    email: str,
    phone: str,
    preferred: bool,
    now: dt.datetime,
) -> int | None:
    """Add (contact_id 0) or change a contact of this pupil; None when the contact is not the pupil's."""
    if preferred:
        await session.execute(
            update(ParentContact).where(ParentContact.pupil_id == pupil_id).values(preferred=False)
        )
    values = {
        "name": name,
        "relationship": relationship,
        "email": email or None,
        "phone": phone or None,
        "preferred": preferred,
        "updated_at": now,
    }
    if contact_id == 0:
        contact = ParentContact(pupil_id=pupil_id, **values)
        session.add(contact)
        await session.flush()
        return contact.id
    result = await session.execute(
        update(ParentContact)
        .where(ParentContact.id == contact_id, ParentContact.pupil_id == pupil_id)
        .values(**values)
    )
    assert isinstance(result, CursorResult)
    return contact_id if result.rowcount == 1 else None


async def remove_contact(session: AsyncSession, *, pupil_id: int, contact_id: int) -> bool:
    result = await session.execute(
        delete(ParentContact).where(ParentContact.id == contact_id, ParentContact.pupil_id == pupil_id)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


# --- letter templates ---


async def template(session: AsyncSession, school_id: int, kind: str) -> str | None:
    """The school's own wording of a letter, or None (the default applies)."""
    return await session.scalar(
        select(LetterTemplate.body).where(LetterTemplate.school_id == school_id, LetterTemplate.kind == kind)
    )


async def save_template(
    session: AsyncSession, *, school_id: int, kind: str, body: str, by: int, now: dt.datetime
) -> None:
    existing = await session.get(LetterTemplate, (school_id, kind))
    if existing is None:
        session.add(LetterTemplate(school_id=school_id, kind=kind, body=body, updated_by=by, updated_at=now))
    else:
        existing.body, existing.updated_by, existing.updated_at = body, by, now
    await session.flush()


# --- letters emailed through Microsoft Graph ---

LETTER_TASK = {
    "sen_support": ParentTaskKind.INFORM_SEN_SUPPORT,
    "plan_summary": ParentTaskKind.INFORM_PLAN_CHANGE,
    "review_summary": ParentTaskKind.SHARE_REVIEW_OUTCOME,
}


async def request_email(
    session: AsyncSession, *, key: str, pupil_id: int, kind: str, by: int, now: dt.datetime
) -> bool:
    """Queue one letter for sending; False when this key was used already (a second press)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(ParentEmail)
        .values(send_key=key, pupil_id=pupil_id, kind=kind, requested_by=by, status="pending", created_at=now)
        .on_conflict_do_nothing(index_elements=[ParentEmail.send_key])
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def email_status(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(ParentEmail.status).where(ParentEmail.send_key == key))


@dataclass(frozen=True)
class EmailJob:
    id: int
    pupil_id: int
    school_id: int
    kind: str
    requested_by: int


async def claim_email(session: AsyncSession) -> EmailJob | None:
    """Take the oldest pending letter (pending → sending); None when there is none or another took it."""
    row = (
        await session.execute(
            select(
                ParentEmail.id,
                ParentEmail.pupil_id,
                Pupil.school_id,
                ParentEmail.kind,
                ParentEmail.requested_by,
            )
            .join(Pupil, Pupil.id == ParentEmail.pupil_id)
            .where(ParentEmail.status == "pending")
            .order_by(ParentEmail.created_at, ParentEmail.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    result = await session.execute(
        update(ParentEmail)
        .where(ParentEmail.id == row[0], ParentEmail.status == "pending")
        .values(status="sending")
    )
    assert isinstance(result, CursorResult)
    return EmailJob(*row) if result.rowcount == 1 else None


async def finish_email(
    session: AsyncSession, *, email_id: int, status: str, now: dt.datetime, error: str | None = None
) -> None:
    await session.execute(
        update(ParentEmail)
        .where(ParentEmail.id == email_id, ParentEmail.status == "sending")
        .values(status=status, sent_at=now if status == "sent" else None, last_error=error)
    )


async def close_task_by_email(
    session: AsyncSession, *, pupil_id: int, kind: str, by: int, today: dt.date, now: dt.datetime
) -> int | None:
    """Mark the pupil's open task for this letter done by email (sent time in done_recorded_at)."""
    task_id = await session.scalar(
        select(ParentTask.id).where(
            ParentTask.pupil_id == pupil_id,
            ParentTask.kind == LETTER_TASK[kind].value,
            ParentTask.done_at.is_(None),
        )
    )
    if task_id is None:
        return None
    await mark_done(session, task_id=task_id, done_at=today, how="email", by=by, now=now)
    await session.execute(
        update(ParentEmail)
        .where(
            ParentEmail.pupil_id == pupil_id,
            ParentEmail.status == "sent",
            ParentEmail.task_id.is_(None),
            ParentEmail.kind == kind,
        )
        .values(task_id=task_id)
    )
    return task_id
