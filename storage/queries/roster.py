"""Rosters in bulk: pupils, staff, classes and memberships upserted from a whole file or a Graph sync.

Why this shape: a school of 50,000 pupils must import in seconds, so nothing here runs a query per
row. The current roster of the school is read once (one query per table), the difference with the
incoming roster is computed in Python, and the changes are written with executemany in chunks
(INSERT for new rows, UPDATE by primary key for changed ones, one UPDATE … WHERE id IN (…) per chunk
for leavers). A second run of the same roster finds no difference and writes nothing: that is what
makes imports idempotent. Pupils and staff are never deleted, only marked left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ClassPupil, ClassStaff, Pupil, Role, School, SchoolClass, Staff, StaffRole

CHUNK = 5000
SAMPLE = 5
T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """Where a record came from, so a problem found against the database can name file and line."""

    file: str
    line: int


@dataclass(frozen=True)
class PupilRecord:
    mis_id: str
    given_name: str
    family_name: str
    year_group: int
    date_of_birth: dt.date
    source: Source | None = None


@dataclass(frozen=True)
class StaffRecord:
    display_name: str
    email: str  # lower case
    mis_id: str | None = None
    roles: frozenset[Role] = frozenset()
    aad_object_id: str | None = None
    source: Source | None = None

    @property
    def key(self) -> str:
        return self.mis_id or self.email


@dataclass(frozen=True)
class ClassRecord:
    external_id: str
    name: str
    year_group: int | None = None
    source: Source | None = None


@dataclass(frozen=True)
class Enrolment:
    """A pupil or a member of staff in a class. `key` is a pupil's MIS id, or a staff MIS id or email."""

    class_id: str
    member: Literal["pupil", "staff"]
    key: str
    source: Source | None = None


@dataclass
class Roster:
    """What a school's systems say. A list left as None was not supplied and is not touched.

    A supplied list of pupils, staff or classes is complete: whoever is missing has left (pupils,
    staff) or is removed (classes). `keep_*` hold ids seen on rows that were skipped for an error
    (--partial), so a typo never marks a pupil as left. Enrolments replace the memberships of the school.
    """

    pupils: list[PupilRecord] | None = None
    staff: list[StaffRecord] | None = None
    classes: list[ClassRecord] | None = None
    enrolments: list[Enrolment] | None = None
    keep_pupils: set[str] = field(default_factory=set)
    keep_staff: set[str] = field(default_factory=set)
    keep_classes: set[str] = field(default_factory=set)
    # A Graph sync sees only the teachers of classes, not every member of staff: no staff leavers then.
    staff_complete: bool = True


@dataclass(frozen=True)
class Problem:
    """A record that does not fit the school's data (an enrolment naming an unknown class...)."""

    source: Source | None
    message: str


@dataclass
class Changes:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, kind: str, what: str, n: int, sample: Iterable[str] = ()) -> None:
        self.counts.setdefault(kind, {})[what] = self.counts.get(kind, {}).get(what, 0) + n
        if n:
            shown = [s for _, s in zip(range(SAMPLE), sample, strict=False)]
            if shown:
                self.samples.setdefault(f"{kind} {what}", []).extend(shown)

    @property
    def total(self) -> int:
        return sum(n for per in self.counts.values() for what, n in per.items() if what != "unchanged")


class RosterConflict(Exception):
    """The roster cannot be applied as it is (e.g. an email already used by another member of staff)."""


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def _write_people(
    session: AsyncSession,
    model: type[Pupil] | type[Staff],
    *,
    inserts: Sequence[dict[str, Any]],
    updates: Sequence[dict[str, Any]],
    leaver_ids: Sequence[int],
    today: dt.date,
) -> None:
    """Pupils and staff are written alike: new rows, changed rows by primary key, leavers marked left
    (never deleted), each in chunks of executemany, never a statement per person."""
    for chunk in _chunks(inserts):
        await session.execute(insert(model), list(chunk))
    for chunk in _chunks(updates):
        await session.execute(update(model), list(chunk))
    for ids in _chunks(leaver_ids):
        await session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(left_on=today)
            .execution_options(synchronize_session=False)
        )


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
    pupil_ids = await _pupils(
        session, school_id=school_id, roster=roster, today=today, now=now, write=write, changes=changes
    )
    staff_ids = await _staff(
        session,
        school_id=school_id,
        roster=roster,
        today=today,
        now=now,
        write=write,
        changes=changes,
        actor_id=actor_id,
    )
    class_ids = await _classes(session, school_id, roster, write, changes)
    if roster.enrolments is not None:
        await _enrolments(
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


# --- pupils --------------------------------------------------------------------------------------

_PUPIL_FIELDS = ("given_name", "family_name", "year_group", "date_of_birth")


async def _pupils(
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
        await _write_people(
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


# --- staff ---------------------------------------------------------------------------------------


async def _staff(  # noqa: PLR0915 (one pass over the staff list reads best whole)
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
    for ids in _chunks(wanted_aad):
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

    await _write_people(
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
    for chunk in _chunks(grants):
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


# --- classes -------------------------------------------------------------------------------------


async def _classes(
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
    for ids in _chunks([r.id for r in removed]):
        await session.execute(delete(ClassPupil).where(ClassPupil.class_id.in_(ids)))
        await session.execute(delete(ClassStaff).where(ClassStaff.class_id.in_(ids)))
        await session.execute(delete(SchoolClass).where(SchoolClass.id.in_(ids)))
    for chunk in _chunks(updates):
        await session.execute(update(SchoolClass), list(chunk))
    for chunk in _chunks(inserts):
        await session.execute(insert(SchoolClass), list(chunk))
    if inserts:
        fresh = await session.execute(
            select(SchoolClass.external_id, SchoolClass.id).where(
                SchoolClass.school_id == school_id, SchoolClass.external_id.is_not(None)
            )
        )
        return {e: i for e, i in fresh.all() if e}
    return out


# --- memberships ---------------------------------------------------------------------------------


async def _enrolments(
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
    for chunk in _chunks(drop_p):
        await session.execute(
            delete(ClassPupil).where(tuple_(ClassPupil.class_id, ClassPupil.pupil_id).in_(list(chunk)))
        )
    for chunk in _chunks(drop_s):
        await session.execute(
            delete(ClassStaff).where(tuple_(ClassStaff.class_id, ClassStaff.staff_id).in_(list(chunk)))
        )
    for new_p in _chunks(add_p):
        await session.execute(insert(ClassPupil), [{"class_id": c, "pupil_id": p} for c, p in new_p])
    for new_s in _chunks(add_s):
        await session.execute(insert(ClassStaff), [{"class_id": c, "staff_id": s} for c, s in new_s])


# --- configured administrators -------------------------------------------------------------------


async def grant_configured_admins(
    session: AsyncSession, emails: Iterable[str], *, now: dt.datetime
) -> list[tuple[int, int]]:
    """Give the admin role to current staff whose email is configured (SENBOT_ADMINS) and lacks it.

    Returns (school id, staff id) of each grant, for the audit trail.
    """
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return []
    has_admin = select(StaffRole.staff_id).where(StaffRole.role == Role.ADMIN.value)
    rows = (
        await session.execute(
            select(Staff.school_id, Staff.id).where(
                Staff.email.in_(wanted), Staff.left_on.is_(None), Staff.id.not_in(has_admin)
            )
        )
    ).all()
    if rows:
        await session.execute(
            insert(StaffRole),
            [{"staff_id": sid, "role": Role.ADMIN.value, "granted_at": now} for _, sid in rows],
        )
    return [(school, sid) for school, sid in rows]


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
    for chunk in _chunks(updates):
        await session.execute(update(Staff), list(chunk))
    return len(updates)
