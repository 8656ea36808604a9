"""Who may see and do what: the one place the access rules live (DESIGN.md, "Who may see what").

Flows never test roles themselves; they call these functions, and routes declare the roles they need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.models import Role

# Roles that see every pupil of their school; teachers and TAs see their classes only.
WHOLE_SCHOOL = frozenset({Role.SENCO, Role.HEAD, Role.ADMIN})
# Costs and staff pay rates are for the SENCO and admin only.
COST_VIEWERS = frozenset({Role.SENCO, Role.ADMIN})
# Who logs intervention sessions: the people who deliver or oversee them.
LOGGERS = frozenset({Role.TEACHER, Role.TA, Role.SENCO})
STAFF = frozenset({Role.TEACHER, Role.TA, Role.SENCO, Role.HEAD, Role.ADMIN})
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Actor:
    """The person behind a request, as the directory knows them."""

    staff_id: int
    school_id: int
    tenant_id: str
    display_name: str
    roles: frozenset[Role]

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles & frozenset(roles))


@dataclass(frozen=True)
class PupilScope:
    """Which pupils a person may see: their school's, narrowed to their classes unless `whole_school`.

    storage/queries/pupils.py turns this into SQL; flows never build the rule themselves.
    """

    school_id: int
    staff_id: int
    whole_school: bool


def pupil_scope(actor: Actor) -> PupilScope:
    return PupilScope(
        school_id=actor.school_id, staff_id=actor.staff_id, whole_school=sees_whole_school(actor)
    )


def may_use(actor: Actor, allowed: frozenset[Role]) -> bool:
    return actor.has_any(allowed)


def sees_whole_school(actor: Actor) -> bool:
    return actor.has_any(WHOLE_SCHOOL)


def sees_costs(actor: Actor) -> bool:
    return actor.has_any(COST_VIEWERS)


def same_school(actor: Actor, school_id: int) -> bool:
    return actor.school_id == school_id


def manages_provisions(actor: Actor) -> bool:
    """The provision catalogue carries pay rates, so it is managed by those who see costs."""
    return sees_costs(actor)
