"""Staff upserted by MIS id, else email, with their roles; the configured administrators; Entra object ids
matched by email."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Role, Staff, StaffRole
from storage.queries.roster.records import Changes, Roster, RosterConflict, Source, chunks, write_people


async def upsert_staff(  # noqa: PLR0915 (one pass over the staff list reads best whole)
    session: AsyncSession,
    *,
    school_id: int,
    roster: Roster,
    today: dt.date,
    now: dt.datetime,
    write: bool,
    changes: Changes,
    actor_id: int | None,
) -> dict[str, int | None]:
    """Upsert staff (by MIS id, else email); return MIS id and email → staff id for current staff."""
    rows = (
        await session.execute(
            select(
                Staff.id, Staff.mis_id, Staff.email, Staff.display_name, Staff.aad_object_id, Staff.left_on
            ).where(Staff.school_id == school_id)
        )
    ).all()
    by_mis = {r.mis_id: r for r in rows if r.mis_id}
    by_email = {r.email.lower(): r for r in rows}
    role_rows = (
        await session.execute(
            select(StaffRole.staff_id, StaffRole.role)
            .join(Staff, Staff.id == StaffRole.staff_id)
            .where(Staff.school_id == school_id)
        )
    ).all()
    held = {(r.staff_id, r.role) for r in role_rows}

    def lookup(current: bool) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for r in rows:
            if current and r.left_on is not None:
                continue
            if r.mis_id:
                out[r.mis_id] = r.id
            out[r.email.lower()] = r.id
        return out

    if roster.staff is None:
        return lookup(current=True)

    # Object ids are unique across schools: one already held by someone else is not taken over.
    wanted_aad = [s.aad_object_id for s in roster.staff if s.aad_object_id]
    taken: dict[str, int] = {}
    for ids in chunks(wanted_aad):
        taken.update(
            {
                a: i
                for a, i in (
                    await session.execute(
                        select(Staff.aad_object_id, Staff.id).where(Staff.aad_object_id.in_(ids))
                    )
                ).all()
                if a
            }
        )

    inserts: list[dict[str, Any]] = []
    new_roles: list[tuple[str, Role]] = []
    updates: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    matched: set[int] = set()
    unchanged = 0
    for rec in roster.staff:
        row = (by_mis.get(rec.mis_id) if rec.mis_id else None) or by_email.get(rec.email)
        aad = (
            rec.aad_object_id
            if rec.aad_object_id and taken.get(rec.aad_object_id) in (None, row and row.id)
            else None
        )
        if row is None:
            inserts.append(
                {
                    "school_id": school_id,
                    "mis_id": rec.mis_id,
                    "email": rec.email,
                    "display_name": rec.display_name,
                    "aad_object_id": aad,
                    "created_at": now,
                }
            )
            new_roles.extend((rec.email, role) for role in rec.roles)
            continue
        other = by_email.get(rec.email)
        if other is not None and other.id != row.id:
            raise RosterConflict(
                f"{_where(rec.source)}the email of staff {rec.key} is already used by another member of staff"
            )
        matched.add(row.id)
        values: dict[str, Any] = {}
        if rec.mis_id and row.mis_id != rec.mis_id:
            values["mis_id"] = rec.mis_id
        if row.email != rec.email:
            values["email"] = rec.email
        if row.display_name != rec.display_name:
            values["display_name"] = rec.display_name
        if aad and row.aad_object_id != aad:
            values["aad_object_id"] = aad
        if row.left_on is not None:
            values["left_on"] = None
        if values:
            updates.append({"id": row.id, **values})
        missing = [r for r in rec.roles if (row.id, r.value) not in held]
        grants.extend(
            {"staff_id": row.id, "role": r.value, "granted_at": now, "granted_by": actor_id} for r in missing
        )
        if not values and not missing:
            unchanged += 1
    present_keys = {rec.key for rec in roster.staff} | roster.keep_staff
    leavers = []
    if roster.staff_complete:
        leavers = [
            r
            for r in rows
            if r.left_on is None
            and r.id not in matched
            and (r.mis_id or "") not in present_keys
            and r.email.lower() not in present_keys
        ]

    changes.add("staff", "created", len(inserts), (i["mis_id"] or i["email"] for i in inserts))
    changes.add("staff", "updated", len(updates), (str(u["id"]) for u in updates))
    changes.add("staff", "left", len(leavers), (r.mis_id or r.email for r in leavers))
    changes.add("staff", "roles granted", len(grants) + len(new_roles))
    changes.add("staff", "unchanged", unchanged)
    if not write:
        out = lookup(current=True)
        for r in leavers:
            out.pop(r.email.lower(), None)
            if r.mis_id:
                out.pop(r.mis_id, None)
        for i in inserts:
            out[i["email"]] = None
            if i["mis_id"]:
                out[i["mis_id"]] = None
        for rec in roster.staff:
            if rec.mis_id and rec.mis_id not in out:
                out[rec.mis_id] = out.get(rec.email)
        return out

    await write_people(
        session, Staff, inserts=inserts, updates=updates, leaver_ids=[r.id for r in leavers], today=today
    )
    if new_roles:
        emails = {e for e, _ in new_roles}
        ids_by_email = dict(
            (
                await session.execute(
                    select(Staff.email, Staff.id).where(Staff.school_id == school_id, Staff.email.in_(emails))
                )
            ).all()
        )
        grants.extend(
            {"staff_id": ids_by_email[e], "role": r.value, "granted_at": now, "granted_by": actor_id}
            for e, r in new_roles
        )
    for chunk in chunks(grants):
        await session.execute(insert(StaffRole), list(chunk))
    rows = (
        await session.execute(
            select(
                Staff.id, Staff.mis_id, Staff.email, Staff.display_name, Staff.aad_object_id, Staff.left_on
            ).where(Staff.school_id == school_id)
        )
    ).all()
    return lookup(current=True)


def _where(source: Source | None) -> str:
    return f"{source.file}:{source.line}: " if source else ""


async def grant_configured_admins(
    session: AsyncSession, emails: Iterable[str], *, now: dt.datetime
) -> list[tuple[int, int]]:
    """Give the admin role to current staff whose email is configured (SENBOT_ADMINS) and lacks it.

    Returns (school id, staff id) of each grant this call made, for the audit trail. Every serving
    process runs this as it starts, at the same moment: a grant another process made in between is
    skipped by the database (ON CONFLICT DO NOTHING) rather than failing the start, and is not
    returned, so each grant is audited once.
    """
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return []
    has_admin = select(StaffRole.staff_id).where(StaffRole.role == Role.ADMIN.value)
    rows = (
        await session.execute(
            select(Staff.id, Staff.school_id).where(
                Staff.email.in_(wanted), Staff.left_on.is_(None), Staff.id.not_in(has_admin)
            )
        )
    ).all()
    if not rows:
        return []
    school_of = dict(rows)
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    granted = await session.execute(
        insert_(StaffRole)
        .values([{"staff_id": sid, "role": Role.ADMIN.value, "granted_at": now} for sid in school_of])
        .on_conflict_do_nothing(index_elements=[StaffRole.staff_id, StaffRole.role])
        .returning(StaffRole.staff_id)
    )
    return sorted((school_of[sid], sid) for sid in granted.scalars())


async def link_object_ids(session: AsyncSession, school_id: int, object_ids: dict[str, str]) -> int:
    """Fill Staff.aad_object_id from Entra users matched by email; an id held by someone else is left."""
    if not object_ids:
        return 0
    rows = (
        await session.execute(
            select(Staff.id, Staff.email, Staff.aad_object_id).where(
                Staff.school_id == school_id, Staff.left_on.is_(None)
            )
        )
    ).all()
    wanted = {
        r.id: object_ids[r.email.lower()]
        for r in rows
        if r.email.lower() in object_ids and r.aad_object_id != object_ids[r.email.lower()]
    }
    if not wanted:
        return 0
    taken = set(
        (
            await session.execute(
                select(Staff.aad_object_id).where(Staff.aad_object_id.in_(list(wanted.values())))
            )
        ).scalars()
    )
    updates = [{"id": sid, "aad_object_id": aad} for sid, aad in wanted.items() if aad not in taken]
    for chunk in chunks(updates):
        await session.execute(update(Staff), list(chunk))
    return len(updates)
