"""A small, explicit school week for the digest: every figure can be worked out by hand from this file.

The week is 2026-W03 (Monday 12 to Sunday 18 January 2026). Elm Tree Primary has eight pupils on roll
(p1..p8; p1..p4 in Class A, taught by the teacher) and one who left (p9). Birch Academy, the second school
of the trust, has one pupil. The expected figures are worked out in tests/storage/test_digest.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from storage.demo import DEMO_TENANT
from storage.models import (
    Attendance,
    ClassPupil,
    ClassStaff,
    DigestRecipient,
    InterventionSession,
    ProvisionType,
    Pupil,
    Referral,
    ReferralService,
    RegisterEntry,
    Review,
    Role,
    School,
    SchoolClass,
    Staff,
    StaffRole,
    TrustSchool,
)
from storage.queries.digest import IsoWeek
from tests.support.activities import User

WEEK = IsoWeek(2026, 3)
D = dt.date
HEAD = User("e1000000-0000-4000-8000-000000000001", "Hana Head")
SENCO = User("e1000000-0000-4000-8000-000000000002", "Sara Senco")
TEACHER = User("e1000000-0000-4000-8000-000000000003", "Tariq Teacher")
GOVERNOR = User("e1000000-0000-4000-8000-000000000004", "Gwen Governor")
TRUST_LEAD = User("e1000000-0000-4000-8000-000000000005", "Lou Lead")
BIRCH_HEAD = User("e1000000-0000-4000-8000-000000000006", "Ben Birch")
BUDGET = 5_000_000


@dataclass
class DigestFixture:
    elm: int
    birch: int
    staff: dict[str, int] = field(default_factory=dict)
    pupils: dict[str, int] = field(default_factory=dict)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=dt.UTC)


async def seed_digest_fixture(session: AsyncSession) -> DigestFixture:
    keys = itertools.count(1)
    elm = School(
        tenant_id=DEMO_TENANT, name="Elm Tree Primary", urn="990101", notional_sen_budget_pence=BUDGET
    )
    birch = School(tenant_id=DEMO_TENANT, name="Birch Academy", urn="990102")
    session.add_all([elm, birch])
    await session.flush()
    fx = DigestFixture(elm.id, birch.id)

    def person(user: User, school: School, roles: tuple[Role, ...]) -> Staff:
        staff = Staff(
            school_id=school.id,
            aad_object_id=user.aad_object_id,
            display_name=user.name,
            email=user.name.lower().replace(" ", ".") + "@example.org",
        )
        staff.roles = [StaffRole(role=r.value) for r in roles]
        return staff

    people = {
        "head": person(HEAD, elm, (Role.HEAD,)),
        "senco": person(SENCO, elm, (Role.SENCO,)),
        "teacher": person(TEACHER, elm, (Role.TEACHER,)),
        "governor": person(GOVERNOR, elm, ()),
        "lead": person(TRUST_LEAD, elm, (Role.TRUST_LEAD,)),
        "birch_head": person(BIRCH_HEAD, birch, (Role.HEAD,)),
    }
    session.add_all(people.values())
    await session.flush()
    fx.staff = {k: v.id for k, v in people.items()}
    session.add(DigestRecipient(school_id=elm.id, staff_id=fx.staff["governor"]))
    session.add_all(TrustSchool(staff_id=fx.staff["lead"], school_id=s) for s in (elm.id, birch.id))

    class_a = SchoolClass(school_id=elm.id, name="Class A", year_group=3)
    class_b = SchoolClass(school_id=elm.id, name="Class B", year_group=4)
    session.add_all([class_a, class_b])
    await session.flush()
    session.add(ClassStaff(class_id=class_a.id, staff_id=fx.staff["teacher"]))

    pupils: dict[str, Pupil] = {}
    for n in range(1, 10):
        pupils[f"p{n}"] = Pupil(
            school_id=elm.id,
            mis_id=f"ELM{n}",
            given_name=f"Pupil{n}",
            family_name="Elm",
            year_group=3,
            date_of_birth=D(2018, 1, n),
            left_on=D(2026, 1, 5) if n == 9 else None,
        )
    pupils["b1"] = Pupil(
        school_id=birch.id,
        mis_id="BIR1",
        given_name="Pupil1",
        family_name="Birch",
        year_group=5,
        date_of_birth=D(2016, 3, 1),
    )
    session.add_all(pupils.values())
    await session.flush()
    fx.pupils = {k: v.id for k, v in pupils.items()}
    p = fx.pupils
    session.add_all(ClassPupil(class_id=class_a.id, pupil_id=p[f"p{n}"]) for n in range(1, 5))
    session.add_all(ClassPupil(class_id=class_b.id, pupil_id=p[f"p{n}"]) for n in range(5, 10))

    def entry(pupil: str, status: str, need: str | None, start: dt.date, end: dt.date | None = None) -> None:
        session.add(
            RegisterEntry(
                pupil_id=p[pupil], status=status, need_rank1=need, started_on=start, ended_on=end, reason="t"
            )
        )

    entry("p1", "K", "SPLD", D(2025, 9, 10))
    entry("p2", "K", "SLCN", D(2025, 10, 1))
    entry("p3", "E", "ASD", D(2024, 5, 1))
    entry("p4", "N", None, D(2025, 9, 1), D(2026, 1, 14))
    entry("p4", "K", "MLD", D(2026, 1, 14))  # added this week
    entry("p5", "K", "SEMH", D(2025, 9, 1), D(2026, 1, 15))
    entry("p5", "N", None, D(2026, 1, 15))  # removed this week
    entry("p6", "K", "SEMH", D(2025, 9, 1), D(2026, 1, 13))
    entry("p6", "E", "SEMH", D(2026, 1, 13))  # K to E this week
    entry("p7", "K", "NSA", D(2025, 11, 1))  # no broad area: "Other/not assessed"
    entry("p9", "K", "SPLD", D(2025, 9, 1))  # left the school: never counted
    entry("b1", "K", "HI", D(2025, 9, 1))

    phonics = ProvisionType(school_id=elm.id, name="Phonics", staff_hourly_cost_pence=1500)
    lego = ProvisionType(school_id=elm.id, name="Lego therapy", staff_hourly_cost_pence=1500)
    listening = ProvisionType(school_id=birch.id, name="Listening group", staff_hourly_cost_pence=1500)
    session.add_all([phonics, lego, listening])
    await session.flush()

    def held(
        provision: ProvisionType,
        day: dt.date,
        minutes: int,
        attendance: dict[str, int | None],
        *,
        undone: bool = False,
    ) -> None:
        """attendance: pupil → cost in pence when present, None when absent."""
        s = InterventionSession(
            school_id=provision.school_id,
            provision_type_id=provision.id,
            held_on=day,
            minutes=minutes,
            staff_id=fx.staff["senco"] if provision.school_id == elm.id else fx.staff["birch_head"],
            idempotency_key=f"k{next(keys)}",
            staff_hourly_cost_pence=1500,
            per_pupil_cost_pence=0,
            undone_at=_at(day) if undone else None,
        )
        s_att = [
            Attendance(pupil_id=p[k], present=cost is not None, cost_pence=cost or 0)
            for k, cost in attendance.items()
        ]
        session.add(s)
        pending.append((s, s_att))

    pending: list[tuple[InterventionSession, list[Attendance]]] = []
    # This week.
    held(phonics, D(2026, 1, 12), 30, {"p1": 1000, "p4": 1000, "p8": 1000, "p2": None})
    held(lego, D(2026, 1, 14), 45, {"p2": 2000, "p3": 2000})
    held(phonics, D(2026, 1, 16), 30, {"p1": 9999}, undone=True)
    held(listening, D(2026, 1, 15), 60, {"b1": 1000})
    # Next week: not in this week's figures.
    held(phonics, D(2026, 1, 19), 30, {"p1": 5000})
    # Earlier: the chart, the 4-week window (22 Dec to 18 Jan) and the financial year (from 1 April 2025).
    held(lego, D(2025, 12, 22), 45, {"p7": 700})
    held(phonics, D(2025, 12, 21), 30, {"p6": 500})
    held(phonics, D(2025, 6, 1), 600, {"p1": 600_000})
    held(lego, D(2025, 10, 1), 600, {"p3": 480_000, "p9": 100})
    held(lego, D(2025, 3, 31), 600, {"p2": 700_000})  # last financial year
    await session.flush()
    for s, atts in pending:
        for a in atts:
            a.session_id = s.id
        session.add_all(atts)

    def review(pupil: str, due: dt.date, held_on: dt.date | None = None, parent: bool | None = None) -> None:
        session.add(Review(pupil_id=p[pupil], due_on=due, held_on=held_on, parent_attended=parent))

    review("p1", D(2025, 11, 10), D(2025, 11, 10), True)
    review("p2", D(2026, 1, 13), D(2026, 1, 13), False)
    review("p4", D(2026, 1, 21))
    review("p7", D(2026, 1, 5))
    review("p3", D(2026, 1, 18), D(2026, 1, 20), True)
    review("p7", D(2025, 8, 20), D(2025, 8, 20), True)
    review("p3", D(2026, 1, 12), D(2026, 1, 12), True)

    service = ReferralService(school_id=None, name="Educational psychology (digest fixture)")
    session.add(service)
    await session.flush()

    def referral(pupil: str, status: str, created: dt.date) -> None:
        session.add(
            Referral(
                school_id=elm.id,
                pupil_id=p[pupil],
                service_id=service.id,
                requested_by=fx.staff["teacher"],
                concern="c",
                consent_on=created,
                consent_by="parent",
                status=status,
                idempotency_key=f"r{next(keys)}",
                created_at=_at(created),
                updated_at=_at(created),
            )
        )

    referral("p1", "requested", D(2026, 1, 10))
    referral("p2", "more_info", D(2025, 12, 19))
    referral("p3", "sent", D(2025, 11, 18))
    referral("p5", "approved", D(2026, 1, 8))
    referral("p6", "declined", D(2025, 12, 1))
    referral("p7", "closed", D(2025, 10, 1))
    await session.flush()
    return fx
