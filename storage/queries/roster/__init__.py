"""Rosters in bulk: pupils, staff, classes and memberships upserted from a whole file or a Graph sync.

Why this shape: a school of 50,000 pupils must import in seconds, so nothing here runs a query per
row. The current roster of the school is read once (one query per table), the difference with the
incoming roster is computed in Python, and the changes are written with executemany in chunks
(INSERT for new rows, UPDATE by primary key for changed ones, one UPDATE … WHERE id IN (…) per chunk
for leavers). A second run of the same roster finds no difference and writes nothing: that is what
makes imports idempotent. Pupils and staff are never deleted, only marked left.

The records are in records.py; the upserts in pupils.py, staff.py and classes.py, in the order `apply`
runs them (staff before enrolments, which need both pupils' and staff's ids).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import School
from storage.queries.roster.classes import replace_enrolments, upsert_classes
from storage.queries.roster.pupils import upsert_pupils
from storage.queries.roster.records import Changes, Roster
from storage.queries.roster.staff import upsert_staff


async def school_by_urn(session: AsyncSession, urn: str | None) -> School | None:
    """The school with this URN; without a URN, the only school (None when there are several)."""
    if urn is not None:
        return (await session.execute(select(School).where(School.urn == urn))).scalar_one_or_none()
    schools = list((await session.execute(select(School).limit(2))).scalars())
    return schools[0] if len(schools) == 1 else None


async def apply(
    session: AsyncSession,
    school_id: int,
    roster: Roster,
    *,
    today: dt.date,
    now: dt.datetime,
    write: bool,
    actor_id: int | None = None,
) -> Changes:
    """Compare `roster` with the school's data and, when `write`, make the school match it.

    Problems found against the database (unknown class or pupil in an enrolment) are returned in
    `Changes.problems` with their records left out; the caller decides whether to commit.
    """
    changes = Changes()
    pupil_ids = await upsert_pupils(
        session, school_id=school_id, roster=roster, today=today, now=now, write=write, changes=changes
    )
    staff_ids = await upsert_staff(
        session,
        school_id=school_id,
        roster=roster,
        today=today,
        now=now,
        write=write,
        changes=changes,
        actor_id=actor_id,
    )
    class_ids = await upsert_classes(session, school_id, roster, write, changes)
    if roster.enrolments is not None:
        await replace_enrolments(
            session,
            school_id=school_id,
            enrolments=roster.enrolments,
            pupil_ids=pupil_ids,
            staff_ids=staff_ids,
            class_ids=class_ids,
            write=write,
            changes=changes,
        )
    return changes
