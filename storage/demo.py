"""The demo school for `make run`: a realistic small primary, entirely fictional.

Why deterministic: the same names and numbers every time, so the README, screenshots and tests agree.
The people of the Microsoft 365 Agents Playground are staff here (see PLAYGROUND_USERS), so a newcomer
can try every flow without editing anything.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ClassPupil,
    ClassStaff,
    EhcPlan,
    ProvisionType,
    Pupil,
    ReferralService,
    RegisterEntry,
    Role,
    School,
    SchoolClass,
    Staff,
    StaffRole,
    utcnow,
)

DEMO_URN = "999001"
# The tenant id the Agents Playground puts in channelData.tenant.id.
DEMO_TENANT = "00000000-0000-0000-0000-0000000000001"


@dataclass(frozen=True)
class DemoStaff:
    aad_object_id: str
    display_name: str
    email: str
    roles: tuple[Role, ...]
    classes: tuple[str, ...] = ()
    hourly_cost_pence: int | None = None


# The Playground's default user ("Alex Wilber") is the SENCO and a Year 3 teacher, so every flow works
# for them out of the box; the other users are there to try the view of each role.
PLAYGROUND_USERS = (
    DemoStaff(
        "00000000-0000-0000-0000-0000000000020",
        "Alex Wilber",
        "alex.wilber@oakfield.example",
        (Role.SENCO, Role.TEACHER, Role.ADMIN),
        ("Year 3 Kestrels",),
        3200,
    ),
    DemoStaff(
        "00000000-0000-0000-0000-0000000000021", "Megan Bowen", "megan.bowen@oakfield.example", (Role.HEAD,)
    ),
    DemoStaff(
        "00000000-0000-0000-0000-0000000000022",
        "Adele Vance",
        "adele.vance@oakfield.example",
        (Role.TEACHER,),
        ("Year 4 Falcons",),
        3100,
    ),
    DemoStaff(
        "00000000-0000-0000-0000-0000000000023",
        "Isaiah Langer",
        "isaiah.langer@oakfield.example",
        (Role.TA,),
        # Reception too: the Playground user whose pickers list the two Yusuf Begums there.
        ("Reception Robins", "Year 3 Kestrels", "Year 4 Falcons"),
        1500,
    ),
    DemoStaff(
        "00000000-0000-0000-0000-0000000000024",
        "Patti Fernandez",
        "patti.fernandez@oakfield.example",
        (Role.TEACHER,),
        ("Year 1 Wrens",),
        2900,
    ),
    DemoStaff(
        "00000000-0000-0000-0000-0000000000025",
        "Lynne Robbins",
        "lynne.robbins@oakfield.example",
        (Role.ADMIN,),
    ),
)
DEMO_STAFF = (
    # Deputy head: receives the head's view.
    DemoStaff(
        "d0000000-0000-4000-8000-000000000001", "Priya Shah", "priya.shah@oakfield.example", (Role.HEAD,)
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000002",
        "Tom Hughes",
        "tom.hughes@oakfield.example",
        (Role.TEACHER,),
        ("Reception Robins",),
        2900,
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000003",
        "Grace Okafor",
        "grace.okafor@oakfield.example",
        (Role.TEACHER,),
        ("Year 1 Wrens",),
        2900,
    ),  # job-shares Year 1 with Patti Fernandez
    DemoStaff(
        "d0000000-0000-4000-8000-000000000004",
        "Sam Patel",
        "sam.patel@oakfield.example",
        (Role.TEACHER,),
        ("Year 2 Owls",),
        3000,
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000005",
        "Ellie Brooks",
        "ellie.brooks@oakfield.example",
        (Role.TEACHER,),
        ("Year 4 Falcons",),
        3100,
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000006",
        "Ben Carter",
        "ben.carter@oakfield.example",
        (Role.TEACHER,),
        ("Year 5 Herons",),
        3300,
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000007",
        "Nadia Rahman",
        "nadia.rahman@oakfield.example",
        (Role.TEACHER,),
        ("Year 6 Eagles",),
        3400,
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000008",
        "Jo Evans",
        "jo.evans@oakfield.example",
        (Role.TA,),
        ("Reception Robins", "Year 1 Wrens", "Year 2 Owls"),
        1500,
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000009",
        "Chris Lee",
        "chris.lee@oakfield.example",
        (Role.TA,),
        ("Year 3 Kestrels", "Year 4 Falcons"),
        1500,
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000010",
        "Maria Silva",
        "maria.silva@oakfield.example",
        (Role.TA,),
        ("Year 5 Herons", "Year 6 Eagles"),
        1550,
    ),
    DemoStaff(
        "d0000000-0000-4000-8000-000000000011", "Dan Wright", "dan.wright@oakfield.example", (Role.ADMIN,)
    ),
)
CLASSES = (
    ("Reception Robins", 0),
    ("Year 1 Wrens", 1),
    ("Year 2 Owls", 2),
    ("Year 3 Kestrels", 3),
    ("Year 4 Falcons", 4),
    ("Year 5 Herons", 5),
    ("Year 6 Eagles", 6),
)
PUPILS_PER_CLASS = 28
# (name, broad area, default minutes, group size, staff £/hour in pence, per-pupil materials in pence)
PROVISIONS = (
    ("Phonics catch-up", "Cognition and learning", 20, 4, 1500, 0),
    ("1:1 reading", "Cognition and learning", 15, 1, 1500, 0),
    ("Precision teaching", "Cognition and learning", 10, 1, 1500, 0),
    ("Maths intervention", "Cognition and learning", 30, 4, 1550, 50),
    ("Speech and language programme", "Communication and interaction", 30, 3, 1500, 0),
    ("Lego therapy", "Communication and interaction", 45, 3, 1500, 100),
    ("ELSA session", "Social, emotional and mental health", 30, 1, 1700, 0),
    ("Fine motor skills group", "Sensory and/or physical", 20, 6, 1500, 75),
)
SERVICES = (
    "Educational psychology",
    "Speech and language therapy",
    "Behaviour support",
    "Outreach from a special school",
    "Occupational therapy",
    "CAMHS",
    "Sensory support",
    "School nursing",
    "Early Help",
)
GIVEN = (
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Freya",
    "Arthur",
    "Ivy",
    "Muhammad",
    "Florence",
    "Oscar",
    "Willow",
    "Harry",
    "Sophia",
    "Jack",
    "Lily",
    "Theo",
    "Grace",
    "Finley",
    "Evie",
    "Alfie",
    "Ruby",
    "Charlie",
    "Aisha",
    "Henry",
    "Zara",
    "Archie",
    "Maya",
    "Jacob",
    "Poppy",
    "Ethan",
    "Rosie",
    "Yusuf",
)
FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Hughes",
    "Edwards",
    "Turner",
    "Hill",
    "Moore",
    "Cooper",
    "Ward",
    "Morris",
    "King",
    "Begum",
    "Lewis",
    "Baker",
)
# 40 pupils on the register: (status, need rank 1, need rank 2).
REGISTER = (
    [("K", "SPLD", None)] * 7
    + [("K", "SLCN", None)] * 6
    + [("K", "SEMH", None)] * 6
    + [("K", "MLD", None)] * 4
    + [("K", "ASD", "SLCN")] * 3
    + [("K", "NSA", None)] * 3
    + [("K", "PD", None)]
    + [("K", "HI", None)]
    + [("K", "SEMH", "SPLD")] * 2
    + [("E", "ASD", None)] * 3
    + [("E", "SLD", None)]
    + [("E", "SEMH", None)]
    + [("E", "PD", "VI")]
    + [("E", "SLCN", "MLD")]
)


async def seed_demo(session: AsyncSession, *, today: dt.date | None = None) -> bool:
    """Create the demo school unless it exists; True when it was created."""
    exists = await session.scalar(select(func.count()).select_from(School).where(School.urn == DEMO_URN))
    if exists:
        return False
    today = today or dt.date.today()
    now = utcnow()
    rng = random.Random(2026)

    school = School(tenant_id=DEMO_TENANT, name="Oakfield Primary School", urn=DEMO_URN)
    session.add(school)
    await session.flush()

    classes = {name: SchoolClass(school_id=school.id, name=name, year_group=year) for name, year in CLASSES}
    session.add_all(classes.values())
    for name, area, minutes, group, hourly, per_pupil in PROVISIONS:
        session.add(
            ProvisionType(
                school_id=school.id,
                name=name,
                broad_area=area,
                default_minutes=minutes,
                default_group_size=group,
                staff_hourly_cost_pence=hourly,
                per_pupil_cost_pence=per_pupil,
            )
        )
    for service in SERVICES:
        session.add(ReferralService(school_id=school.id, name=service))
    await session.flush()

    senco_id = None
    for person in PLAYGROUND_USERS + DEMO_STAFF:
        staff = Staff(
            school_id=school.id,
            aad_object_id=person.aad_object_id,
            display_name=person.display_name,
            email=person.email,
            hourly_cost_pence=person.hourly_cost_pence,
        )
        staff.roles = [StaffRole(role=r.value, granted_at=now) for r in person.roles]
        session.add(staff)
        await session.flush()
        if Role.SENCO in person.roles and senco_id is None:
            senco_id = staff.id
        session.add_all(ClassStaff(class_id=classes[c].id, staff_id=staff.id) for c in person.classes)

    pupils: list[tuple[str, Pupil]] = []
    # Age on 1 September of this academic year is year group + 5.
    academic_start = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    for class_name, year in CLASSES:
        born_year = academic_start.year - (year + 5)
        for n in range(PUPILS_PER_CLASS):
            pupil = Pupil(
                school_id=school.id,
                mis_id=f"OAK{year + 1:02d}{n + 1:03d}",
                given_name=rng.choice(GIVEN),
                family_name=rng.choice(FAMILY),
                year_group=year,
                date_of_birth=dt.date(born_year, 9, 1) + dt.timedelta(days=rng.randrange(365)),
            )
            pupils.append((class_name, pupil))
    session.add_all(p for _, p in pupils)
    await session.flush()
    session.add_all(ClassPupil(class_id=classes[c].id, pupil_id=p.id) for c, p in pupils)

    for pupil, (status, need1, need2) in zip(
        rng.sample([p for _, p in pupils], len(REGISTER)), REGISTER, strict=True
    ):
        started = today - dt.timedelta(days=rng.randrange(30, 700))
        session.add(
            RegisterEntry(
                pupil_id=pupil.id,
                status=status,
                need_rank1=need1,
                need_rank2=need2,
                started_on=started,
                changed_by=senco_id,
                reason="Demo data: placed on the register after assessment",
                created_at=now,
            )
        )
        if status == "E":
            # The register refuses E without the plan the local authority issued (docs/ehcna.md).
            session.add(EhcPlan(pupil_id=pupil.id, issued_on=started, recorded_by=senco_id, created_at=now))
    await session.flush()
    return True
