"""Classes upserted by external id, and the memberships (enrolments) of pupils and staff in them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ClassPupil, ClassStaff, SchoolClass
from storage.queries.roster.records import Changes, Enrolment, Problem, Roster, chunks


async def upsert_classes(
    session: AsyncSession, school_id: int, roster: Roster, write: bool, changes: Changes
) -> dict[str, int | None]:
    """Upsert classes by external id (adopting a class of the same name that has none)."""
    rows = (
        await session.execute(
            select(SchoolClass.id, SchoolClass.external_id, SchoolClass.name, SchoolClass.year_group).where(
                SchoolClass.school_id == school_id
            )
        )
    ).all()
    if roster.classes is None:
        return {r.external_id: r.id for r in rows if r.external_id}
    by_ext = {r.external_id: r for r in rows if r.external_id}
    by_name = {r.name: r for r in rows if not r.external_id}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    matched: set[int] = set()
    out: dict[str, int | None] = {}
    unchanged = 0
    for rec in roster.classes:
        row = by_ext.get(rec.external_id) or by_name.get(rec.name)
        if row is None:
            inserts.append(
                {
                    "school_id": school_id,
                    "external_id": rec.external_id,
                    "name": rec.name,
                    "year_group": rec.year_group,
                }
            )
            out[rec.external_id] = None
            continue
        matched.add(row.id)
        out[rec.external_id] = row.id
        if (row.external_id, row.name, row.year_group) != (rec.external_id, rec.name, rec.year_group):
            updates.append(
                {"id": row.id, "external_id": rec.external_id, "name": rec.name, "year_group": rec.year_group}
            )
        else:
            unchanged += 1
    kept = {rec.external_id for rec in roster.classes} | roster.keep_classes
    removed = [r for r in rows if r.id not in matched and (r.external_id or r.name) not in kept]
    changes.add("classes", "created", len(inserts), (i["external_id"] for i in inserts))
    changes.add("classes", "updated", len(updates), (u["external_id"] for u in updates))
    changes.add("classes", "removed", len(removed), (r.external_id or r.name for r in removed))
    changes.add("classes", "unchanged", unchanged)
    if not write:
        return out
    # Removed first, so a new class may take the name of one that went.
    for ids in chunks([r.id for r in removed]):
        await session.execute(delete(ClassPupil).where(ClassPupil.class_id.in_(ids)))
        await session.execute(delete(ClassStaff).where(ClassStaff.class_id.in_(ids)))
        await session.execute(delete(SchoolClass).where(SchoolClass.id.in_(ids)))
    for chunk in chunks(updates):
        await session.execute(update(SchoolClass), list(chunk))
    for chunk in chunks(inserts):
        await session.execute(insert(SchoolClass), list(chunk))
    if inserts:
        fresh = await session.execute(
            select(SchoolClass.external_id, SchoolClass.id).where(
                SchoolClass.school_id == school_id, SchoolClass.external_id.is_not(None)
            )
        )
        return {e: i for e, i in fresh.all() if e}
    return out


async def replace_enrolments(
    session: AsyncSession,
    *,
    school_id: int,
    enrolments: list[Enrolment],
    pupil_ids: dict[str, int | None],
    staff_ids: dict[str, int | None],
    class_ids: dict[str, int | None],
    write: bool,
    changes: Changes,
) -> None:
    """Make the school's memberships exactly the enrolments given (pupils and staff separately)."""
    want_pupils: set[tuple[int, int]] = set()
    want_staff: set[tuple[int, int]] = set()
    new_pupil_links = new_staff_links = 0
    for e in enrolments:
        if e.class_id not in class_ids:
            changes.problems.append(Problem(e.source, f"class_id: unknown class {e.class_id!r}"))
            continue
        ids = pupil_ids if e.member == "pupil" else staff_ids
        if e.key not in ids:
            what = "pupil" if e.member == "pupil" else "member of staff"
            changes.problems.append(Problem(e.source, f"mis_id: unknown or departed {what} {e.key!r}"))
            continue
        cid, mid = class_ids[e.class_id], ids[e.key]
        if cid is None or mid is None:  # a class or person created by this (dry) run
            if e.member == "pupil":
                new_pupil_links += 1
            else:
                new_staff_links += 1
            continue
        (want_pupils if e.member == "pupil" else want_staff).add((cid, mid))

    have_pupils = set(
        (
            await session.execute(
                select(ClassPupil.class_id, ClassPupil.pupil_id)
                .join(SchoolClass, SchoolClass.id == ClassPupil.class_id)
                .where(SchoolClass.school_id == school_id)
            )
        ).all()
    )
    have_staff = set(
        (
            await session.execute(
                select(ClassStaff.class_id, ClassStaff.staff_id)
                .join(SchoolClass, SchoolClass.id == ClassStaff.class_id)
                .where(SchoolClass.school_id == school_id)
            )
        ).all()
    )
    add_p = sorted(want_pupils - have_pupils)
    drop_p = sorted(have_pupils - want_pupils)
    add_s = sorted(want_staff - have_staff)
    drop_s = sorted(have_staff - want_staff)
    changes.add("pupil enrolments", "created", len(add_p) + new_pupil_links)
    changes.add("pupil enrolments", "removed", len(drop_p))
    changes.add("pupil enrolments", "unchanged", len(want_pupils & have_pupils))
    changes.add("staff enrolments", "created", len(add_s) + new_staff_links)
    changes.add("staff enrolments", "removed", len(drop_s))
    changes.add("staff enrolments", "unchanged", len(want_staff & have_staff))
    if not write:
        return
    for chunk in chunks(drop_p):
        await session.execute(
            delete(ClassPupil).where(tuple_(ClassPupil.class_id, ClassPupil.pupil_id).in_(list(chunk)))
        )
    for chunk in chunks(drop_s):
        await session.execute(
            delete(ClassStaff).where(tuple_(ClassStaff.class_id, ClassStaff.staff_id).in_(list(chunk)))
        )
    for new_p in chunks(add_p):
        await session.execute(insert(ClassPupil), [{"class_id": c, "pupil_id": p} for c, p in new_p])
    for new_s in chunks(add_s):
        await session.execute(insert(ClassStaff), [{"class_id": c, "staff_id": s} for c, s in new_s])
