"""Rosters from the school's systems: CSV files exported from the MIS, checked row by row.

Why here: the checks are the contract with the school's MIS export (docs/roster.md lists the
headers), and both sources of a roster (these files, and Microsoft Graph in bot/roster/graph_sync.py) end
in the
same storage.queries.roster.apply, so they upsert, mark leavers and stay idempotent the same way.
Nothing is written unless every row is good, or `partial` says to skip the bad ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.models import Role
from storage.queries import audit, roster
from storage.queries.roster import staff as roster_staff
from storage.queries.roster.records import (
    Changes,
    ClassRecord,
    Enrolment,
    Problem,
    PupilRecord,
    Roster,
    Source,
    StaffRecord,
)

log = structlog.get_logger(__name__)

Kind = Literal["pupils", "staff", "classes", "enrolments"]
# Required and optional columns of each kind of file; a file's kind is told by its header row.
HEADERS: dict[Kind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pupils": (("mis_id", "given_name", "family_name", "year_group", "date_of_birth"), ()),
    "staff": (("mis_id", "display_name", "email"), ("roles",)),
    "classes": (("class_id", "name"), ("year_group",)),
    "enrolments": (("class_id", "member_type", "mis_id"), ()),
}
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 500_000
# Roles a roster file may give; admin and trust_lead are granted in chat (`roles grant`) or by SENBOT_ADMINS.
CSV_ROLES = frozenset({Role.TEACHER, Role.TA, Role.SENCO, Role.HEAD})

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^-?\d{1,2}$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FileProblem(Exception):
    """A whole file is unusable (unreadable, not UTF-8, unknown header): nothing can be imported."""


@dataclass
class Parsed:
    kind: Kind
    name: str
    records: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Keys seen on rows with errors: never treated as missing (so never marked left).
    kept: set[str] = field(default_factory=set)


class _Bad(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _text(row: dict[str, str], column: str, limit: int) -> str:
    value = row.get(column, "").strip()
    if not value:
        raise _Bad(column, "is empty")
    if len(value) > limit:
        raise _Bad(column, f"is longer than {limit} characters")
    if _CONTROL.search(value):
        raise _Bad(column, "contains control characters")
    return value


def _ident(row: dict[str, str], column: str) -> str:
    value = row.get(column, "").strip()
    if not _ID.match(value):
        raise _Bad(column, f"{_shown(value)} is not an id (letters, digits, . _ / -; up to 64)")
    return value


def _year(row: dict[str, str], column: str, *, optional: bool = False) -> int | None:
    value = row.get(column, "").strip()
    if not value and optional:
        return None
    if not _INT.match(value) or not -1 <= int(value) <= 14:
        raise _Bad(column, f"{_shown(value)} is not a year group from -1 (nursery) to 14")
    return int(value)


def _date(row: dict[str, str], column: str) -> dt.date:
    value = row.get(column, "").strip()
    try:
        if not _DATE.match(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Bad(column, f"{_shown(value)} is not an ISO date (YYYY-MM-DD)") from None


def _email(row: dict[str, str], column: str) -> str:
    value = row.get(column, "").strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise _Bad(column, f"{_shown(value)} is not an email address")
    return value


def _pupil(row: dict[str, str], src: Source, today: dt.date) -> PupilRecord:
    mis_id = _ident(row, "mis_id")
    year = _year(row, "year_group")
    born = _date(row, "date_of_birth")
    # Nursery pupils are about 3, sixth formers up to 19: anything far outside is a typo.
    if not today.replace(year=today.year - 25) <= born <= today.replace(year=today.year - 2):
        raise _Bad("date_of_birth", f"{born.isoformat()} is not the birth date of a pupil of school age")
    assert year is not None
    return PupilRecord(
        mis_id=mis_id,
        given_name=_text(row, "given_name", 100),
        family_name=_text(row, "family_name", 100),
        year_group=year,
        date_of_birth=born,
        source=src,
    )


def _staff(row: dict[str, str], src: Source, today: dt.date) -> StaffRecord:
    roles: set[Role] = set()
    for word in re.split(r"[;\s]+", row.get("roles", "").strip().lower()):
        if not word:
            continue
        if word not in {r.value for r in Role}:
            raise _Bad("roles", f"{_shown(word)} is not a role (teacher, ta, senco, head)")
        if Role(word) not in CSV_ROLES:
            raise _Bad("roles", f"{word} is granted in Teams with `roles grant`, not by import")
        roles.add(Role(word))
    return StaffRecord(
        mis_id=_ident(row, "mis_id"),
        display_name=_text(row, "display_name", 200),
        email=_email(row, "email"),
        roles=frozenset(roles),
        source=src,
    )


def _class(row: dict[str, str], src: Source, today: dt.date) -> ClassRecord:
    return ClassRecord(
        external_id=_ident(row, "class_id"),
        name=_text(row, "name", 100),
        year_group=_year(row, "year_group", optional=True),
        source=src,
    )


def _enrolment(row: dict[str, str], src: Source, today: dt.date) -> Enrolment:
    member = row.get("member_type", "").strip().lower()
    if member not in ("pupil", "staff"):
        raise _Bad("member_type", f"{_shown(member)} is not pupil or staff")
    return Enrolment(
        class_id=_ident(row, "class_id"),
        member="pupil" if member == "pupil" else "staff",
        key=_ident(row, "mis_id"),
        source=src,
    )


_PARSERS: dict[Kind, Callable[[dict[str, str], Source, dt.date], Any]] = {
    "pupils": _pupil,
    "staff": _staff,
    "classes": _class,
    "enrolments": _enrolment,
}


def _unique_keys(kind: Kind, record: Any) -> list[tuple[str, str]]:
    """(column, value) pairs that must not repeat within one file."""
    if kind == "pupils":
        return [("mis_id", record.mis_id)]
    if kind == "staff":
        return [("mis_id", record.mis_id), ("email", record.email)]
    if kind == "classes":
        return [("class_id", record.external_id), ("name", record.name.lower())]
    return [("enrolment", f"{record.class_id}|{record.member}|{record.key}")]


def _key_of_bad_row(kind: Kind, row: dict[str, str]) -> str | None:
    column = "class_id" if kind == "classes" else "mis_id"
    value = row.get(column, "").strip()
    return value if value and kind != "enrolments" else None


def detect_kind(header: Sequence[str]) -> Kind | None:
    columns = set(header)
    for kind, (required, optional) in HEADERS.items():
        if set(required) <= columns <= set(required) | set(optional):
            return kind
    return None


def parse(  # noqa: PLR0915 (the checks of one row read best in one loop)
    name: str, data: bytes, *, today: dt.date, kind: Kind | None = None
) -> Parsed:
    """Check every row of one file; the result holds the good records and an error per bad row."""
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem(f"{name}: not UTF-8 text (save it from the MIS as CSV UTF-8)") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise FileProblem(f"{name}: empty file (a header row is needed)") from None
    except csv.Error as exc:
        raise FileProblem(f"{name}:1: unreadable header ({exc})") from None
    detected = detect_kind(header)
    if kind is None:
        kind = detected
    if kind is None or detected != kind:
        expected = "; ".join(f"{k}: {','.join(r + o)}" for k, (r, o) in HEADERS.items())
        raise FileProblem(f"{name}:1: header {','.join(header)[:200]!r} is not one of: {expected}")
    if len(set(header)) != len(header):
        raise FileProblem(f"{name}:1: a column is named twice")

    parsed = Parsed(kind=kind, name=name)
    seen: dict[tuple[str, str], int] = {}
    build = _PARSERS[kind]
    count = 0
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.errors.append(RowError(name, reader.line_num, f"unreadable row ({exc})"))
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileProblem(f"{name}: more than {MAX_ROWS} rows")
        if len(cells) != len(header):
            parsed.errors.append(
                RowError(name, line, f"{len(cells)} fields where the header has {len(header)}")
            )
            continue
        row = dict(zip(header, cells, strict=True))
        try:
            record = build(row, Source(name, line), today)
        except _Bad as exc:
            parsed.errors.append(RowError(name, line, str(exc)))
            key = _key_of_bad_row(kind, row)
            if key:
                parsed.kept.add(key)
            continue
        duplicate = next(((c, v) for c, v in _unique_keys(kind, record) if (c, v) in seen), None)
        if duplicate is not None:
            column, value = duplicate
            parsed.errors.append(
                RowError(name, line, f"{column}: {_shown(value)} repeats line {seen[duplicate]}")
            )
            continue
        for pair in _unique_keys(kind, record):
            seen[pair] = line
        parsed.records.append(record)
    return parsed


# --- importing -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    school_id: int | None
    changes: Changes | None
    errors: list[str]
    written: bool


def build_roster(files: Iterable[Parsed]) -> Roster:
    result = Roster()
    for p in files:
        if p.kind == "pupils":
            result.pupils = p.records
            result.keep_pupils |= p.kept
        elif p.kind == "staff":
            result.staff = p.records
            result.keep_staff |= p.kept
        elif p.kind == "classes":
            result.classes = p.records
            result.keep_classes |= p.kept
        else:
            result.enrolments = p.records
    return result


def read_files(
    paths: Sequence[tuple[Kind | None, Path]], *, today: dt.date
) -> tuple[list[Parsed], list[str]]:
    """Parse each file; a file given twice for the same kind is refused."""
    parsed: list[Parsed] = []
    problems: list[str] = []
    kinds: set[Kind] = set()
    for kind, path in paths:
        try:
            p = parse(path.name, path.read_bytes(), today=today, kind=kind)
        except FileProblem as exc:
            problems.append(str(exc))
            continue
        except OSError as exc:
            problems.append(f"{path}: cannot be read ({exc.strerror})")
            continue
        if p.kind in kinds:
            problems.append(f"{path.name}: a second {p.kind} file (give one file of each kind)")
            continue
        kinds.add(p.kind)
        parsed.append(p)
    return parsed, problems


async def import_roster(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    parsed: Sequence[Parsed],
    *,
    school_urn: str | None,
    dry_run: bool,
    partial: bool,
    now: dt.datetime,
    today: dt.date,
    source: str = "csv",
) -> ImportReport:
    """Apply parsed files to a school in one transaction; nothing is written on any error unless `partial`."""
    errors = [str(e) for p in parsed for e in p.errors]
    async with sessions.begin() as session:
        school = await roster.school_by_urn(session, school_urn)
        if school is None:
            missing = (
                f"no school with URN {school_urn}" if school_urn else "several schools: give --school-urn"
            )
            if school_urn is None and not await roster.school_by_urn(session, None):
                missing = "no school yet: create the school first"
            return ImportReport(None, None, [missing], written=False)
        # First compare without writing: problems only the database can reveal (an enrolment naming
        # an unknown class) are found before anything is written, and a dry run stops here.
        dry = await roster.apply(session, school.id, build_roster(parsed), today=today, now=now, write=False)
        errors += [_problem(p) for p in dry.problems]
        if dry_run or (errors and not partial) or dry.total == 0:
            return ImportReport(school.id, dry, errors, written=False)
        changes = await roster.apply(
            session, school.id, build_roster(parsed), today=today, now=now, write=True
        )
        await grant_configured_admins(session, settings, now=now)
        audit.record(
            session,
            action=f"roster_{source}",
            at=now,
            tenant_id=school.tenant_id,
            school_id=school.id,
            entity="school",
            entity_id=school.id,
            outcome="partial" if errors else "ok",
        )
        log.info("roster_imported", school_id=school.id, source=source, changes=changes.total)
        return ImportReport(school.id, changes, errors, written=True)


def _problem(p: Problem) -> str:
    return f"{p.source.file}:{p.source.line}: {p.message}" if p.source else p.message


async def grant_configured_admins(session: AsyncSession, settings: Settings, *, now: dt.datetime) -> int:
    """Staff whose email is in SENBOT_ADMINS get the admin role, each grant audited; idempotent.

    Run after every import and sync (a new admin may just have arrived) and at start-up."""
    granted = await roster_staff.grant_configured_admins(session, settings.admin_emails, now=now)
    for school_id, staff_id in granted:
        audit.record(
            session,
            action="role_granted",
            at=now,
            school_id=school_id,
            entity="staff_role",
            entity_id=f"{staff_id}:admin",
            correlation_id="SENBOT_ADMINS",
        )
    return len(granted)


async def apply_configured_admins(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, *, now: dt.datetime
) -> int:
    """Start-up hook: grant_configured_admins in its own transaction."""
    async with sessions.begin() as session:
        return await grant_configured_admins(session, settings, now=now)


def format_report(report: ImportReport, *, dry_run: bool) -> str:
    """What the CLI prints: counts per kind, the first few ids of each change, then the errors."""
    lines: list[str] = []
    if report.changes is not None:
        total = report.changes.total
        if total == 0:
            lines.append("0 changes: the school already matches these files")
        elif report.written:
            lines.append(f"{total} changes written")
        elif dry_run:
            lines.append(f"{total} changes would be made (dry run: nothing written)")
        else:
            lines.append(f"{total} changes found, nothing written because of the problems below")
        for kind, counts in report.changes.counts.items():
            lines.append(f"  {kind}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        for label, sample in report.changes.samples.items():
            lines.append(f"  first {label}: {', '.join(sample)}")
    if report.errors:
        lines.append(f"{len(report.errors)} problems:")
        lines.extend(f"  {e}" for e in report.errors[:200])
        if len(report.errors) > 200:
            lines.append(f"  … and {len(report.errors) - 200} more")
    return "\n".join(lines)
