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
STAFF = frozenset({Role.TEACHER, Role.TA, Role.SENCO, Role.HEAD, Role.ADMIN})
# Who may list and change roles (`roles`), and what each may grant or revoke: the SENCO organises the
# school's SEN staff but may not make administrators or trust leads; an admin may do everything.
ROLE_MANAGERS = frozenset({Role.SENCO, Role.ADMIN})
SENCO_GRANTABLE = frozenset({Role.TEACHER, Role.TA, Role.SENCO, Role.HEAD})
# Who sees school totals (never pupil rows): their own school, or for a trust lead every school the
# trust_school table gives them.
TOTALS_VIEWERS = frozenset({Role.SENCO, Role.HEAD, Role.ADMIN, Role.TRUST_LEAD})
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
    # Class membership gives a caseload only to teachers and TAs: a trust lead (or anyone without a
    # teaching role) attached to a class by a roster import still sees no pupil.
    by_class: bool = True


CLASS_ROLES = frozenset({Role.TEACHER, Role.TA})


def pupil_scope(actor: Actor) -> PupilScope:
    return PupilScope(
        school_id=actor.school_id,
        staff_id=actor.staff_id,
        whole_school=sees_whole_school(actor),
        by_class=actor.has_any(CLASS_ROLES),
    )


def may_use(actor: Actor, allowed: frozenset[Role]) -> bool:
    return actor.has_any(allowed)


def sees_whole_school(actor: Actor) -> bool:
    return actor.has_any(WHOLE_SCHOOL)


def sees_costs(actor: Actor) -> bool:
    return actor.has_any(COST_VIEWERS)


def same_school(actor: Actor, school_id: int) -> bool:
    return actor.school_id == school_id


def grantable_roles(actor: Actor) -> frozenset[Role]:
    """The roles this person may grant or revoke (to anyone in their school, themselves included)."""
    if actor.has_any({Role.ADMIN}):
        return EVERYONE
    if actor.has_any({Role.SENCO}):
        return SENCO_GRANTABLE
    return frozenset()


def may_revoke_admin(*, admins_left_after: int) -> bool:
    """A school is never left without an administrator, whoever asks (the last admin included)."""
    return admins_left_after >= 1


@dataclass(frozen=True)
class TotalsScope:
    """Whose school totals a person may see: their own school (SENCO, head, admin) and, for a trust
    lead, the schools listed for them in trust_school. Totals only: no pupil-level access follows."""

    staff_id: int
    own_school_id: int | None
    via_trust: bool


def totals_scope(actor: Actor) -> TotalsScope | None:
    if not actor.has_any(TOTALS_VIEWERS):
        return None
    own = actor.school_id if actor.has_any(TOTALS_VIEWERS - {Role.TRUST_LEAD}) else None
    return TotalsScope(staff_id=actor.staff_id, own_school_id=own, via_trust=actor.has_any({Role.TRUST_LEAD}))
