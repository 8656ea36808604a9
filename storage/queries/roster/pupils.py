"""Pupils upserted by MIS id; whoever a complete list leaves out is marked left, never deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Pupil
from storage.queries.roster.records import Changes, Roster, write_people

_PUPIL_FIELDS = ("given_name", "family_name", "year_group", "date_of_birth")


async def upsert_pupils(
    session: AsyncSession,
    *,
    school_id: int,
    roster: Roster,
    today: dt.date,
    now: dt.datetime,
    write: bool,
    changes: Changes,
) -> dict[str, int | None]:
    """Upsert pupils; return MIS id → pupil id for every current pupil (None: created in a dry run)."""
    rows = (
        await session.execute(
            select(
                Pupil.id,
                Pupil.mis_id,
                Pupil.given_name,
                Pupil.family_name,
                Pupil.year_group,
                Pupil.date_of_birth,
                Pupil.left_on,
            ).where(Pupil.school_id == school_id)
        )
    ).all()
    existing = {r.mis_id: r for r in rows}
    if roster.pupils is None:
        return {r.mis_id: r.id for r in rows if r.left_on is None}

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    updated: list[str] = []
    returned: list[str] = []
    unchanged = 0
    for rec in roster.pupils:
        row = existing.get(rec.mis_id)
        values = {f: getattr(rec, f) for f in _PUPIL_FIELDS}
        if row is None:
            inserts.append({"school_id": school_id, "mis_id": rec.mis_id, "created_at": now, **values})
        elif row.left_on is not None or any(getattr(row, f) != v for f, v in values.items()):
            updates.append({"id": row.id, "left_on": None, **values})
            updated.append(rec.mis_id)
            if row.left_on is not None:
                returned.append(rec.mis_id)
        else:
            unchanged += 1
    present = {rec.mis_id for rec in roster.pupils} | roster.keep_pupils
    leavers = [r for r in rows if r.left_on is None and r.mis_id not in present]

    changes.add("pupils", "created", len(inserts), (i["mis_id"] for i in inserts))
    changes.add("pupils", "updated", len(updates), updated)
    changes.add("pupils", "returned", len(returned), returned)
    changes.add("pupils", "left", len(leavers), (r.mis_id for r in leavers))
    changes.add("pupils", "unchanged", unchanged)
    if write:
        await write_people(
            session, Pupil, inserts=inserts, updates=updates, leaver_ids=[r.id for r in leavers], today=today
        )
        if inserts:
            new = await session.execute(
                select(Pupil.mis_id, Pupil.id).where(Pupil.school_id == school_id, Pupil.left_on.is_(None))
            )
            return {m: i for m, i in new.all()}
    current: dict[str, int | None] = {rec.mis_id: None for rec in roster.pupils}
    for rec in roster.pupils:
        row = existing.get(rec.mis_id)
        if row is not None:
            current[rec.mis_id] = row.id
    return current
