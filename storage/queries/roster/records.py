"""What a school's systems say (the records of a roster), what applying it changed, and the bulk writes
the pupil and staff upserts share: chunks of executemany, never a statement per person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Pupil, Role, Staff

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


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def write_people(
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
    for chunk in chunks(inserts):
        await session.execute(insert(model), list(chunk))
    for chunk in chunks(updates):
        await session.execute(update(model), list(chunk))
    for ids in chunks(leaver_ids):
        await session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(left_on=today)
            .execution_options(synchronize_session=False)
        )
