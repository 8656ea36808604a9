"""Who may see and do what: the one place the access rules live (docs/design.md, "Who may see what").

Flows never test roles themselves; they call these functions, and routes declare the roles they need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from storage.models import Role
from storage.scope import PupilScope, TotalsScope

# Roles that see every pupil of their school; teachers and TAs see their classes only.
WHOLE_SCHOOL = frozenset({Role.SENCO, Role.HEAD, Role.ADMIN})
# Costs and staff pay rates are for the SENCO and admin only.
COST_VIEWERS = frozenset({Role.SENCO, Role.ADMIN})
# Who logs intervention sessions: the people who deliver or oversee them.
LOGGERS = frozenset({Role.TEACHER, Role.TA, Role.SENCO})
STAFF = frozenset({Role.TEACHER, Role.TA, Role.SENCO, Role.HEAD, Role.ADMIN})
# Who may list and change roles (`roles`), and what each may grant or revoke: the SENCO organises the
# school's SEN staff but may not make administrators or trust leads; an admin may do everything.
ROLE_MANAGERS = frozenset({Role.SENCO, Role.ADMIN})
SENCO_GRANTABLE = frozenset({Role.TEACHER, Role.TA, Role.SENCO, Role.HEAD})
# Who sees school totals (never pupil rows): their own school, or for a trust lead every school the
# trust_school table gives them.
TOTALS_VIEWERS = frozenset({Role.SENCO, Role.HEAD, Role.ADMIN, Role.TRUST_LEAD})
EVERYONE = frozenset(Role)
# Who may place and release a legal hold on a pupil's record (docs/retention.md): it stops retention.
HOLD_KEEPERS = frozenset({Role.SENCO, Role.DPO})


def may_hold_records(roles: Iterable[str]) -> bool:
    return bool({r.value for r in HOLD_KEEPERS} & set(roles))


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


def may_decide_referral(actor: Actor, school_id: int) -> bool:
    """Only a SENCO of the pupil's school approves, declines or moves a referral on."""
    return Role.SENCO in actor.roles and same_school(actor, school_id)


def may_view_referral(actor: Actor, school_id: int, requested_by: int) -> bool:
    """The requester sees their own referrals; the school's SENCO sees all of the school's."""
    return may_decide_referral(actor, school_id) or (
        same_school(actor, school_id) and actor.staff_id == requested_by
    )


def may_manage_services(actor: Actor) -> bool:
    return Role.SENCO in actor.roles


# --- digest ---
# The digest's money section (totals and counts) is for those who answer for the budget.
DIGEST_MONEY_VIEWERS = frozenset({Role.HEAD, Role.SENCO, Role.ADMIN, Role.TRUST_LEAD})
# Names of pupils at or above the notional threshold: the SENCO and the head, and only in a 1:1 chat.
DIGEST_NAME_VIEWERS = frozenset({Role.HEAD, Role.SENCO})


def digest_for_trust(roles: frozenset[Role]) -> bool:
    """A trust or local-authority lead gets one digest across their schools, totals only."""
    return Role.TRUST_LEAD in roles


def digest_shows_money(roles: frozenset[Role]) -> bool:
    return bool(roles & DIGEST_MONEY_VIEWERS)


def digest_names_pupils(roles: frozenset[Role], *, personal_chat: bool) -> bool:
    return personal_chat and not digest_for_trust(roles) and bool(roles & DIGEST_NAME_VIEWERS)


# The SEN register: the SENCO keeps it; the head and admin read it (docs/design.md, "People").
REGISTER_READERS = frozenset({Role.SENCO, Role.HEAD, Role.ADMIN})
REGISTER_WRITERS = frozenset({Role.SENCO})
# Plans and reviews: the SENCO and the pupil's class teacher write; TAs read their pupils' plans.
PLAN_READERS = frozenset({Role.SENCO, Role.TEACHER, Role.TA})
PLAN_WRITERS = frozenset({Role.SENCO, Role.TEACHER})
# The reviews list: anyone who works with pupils, in their own pupil scope.
REVIEW_LIST_READERS = frozenset({Role.SENCO, Role.TEACHER, Role.TA, Role.HEAD})


def may_change_register(actor: Actor) -> bool:
    return actor.has_any(REGISTER_WRITERS)


def may_write_plans(actor: Actor) -> bool:
    return actor.has_any(PLAN_WRITERS)


def plan_scope(actor: Actor) -> PupilScope:
    """Plans are whole-school for the SENCO only: a head or admin who also teaches sees their classes."""
    return PupilScope(
        school_id=actor.school_id, staff_id=actor.staff_id, whole_school=actor.has_any({Role.SENCO})
    )


def manages_provisions(actor: Actor) -> bool:
    """The provision catalogue carries pay rates, so it is managed by those who see costs."""
    return sees_costs(actor)


# --- concern ---
# A concern about a pupil not on the register: raised by those who teach the pupil, or the SENCO.
CONCERN_RAISERS = frozenset({Role.TEACHER, Role.TA, Role.SENCO})


def may_raise_concern(actor: Actor) -> bool:
    return actor.has_any(CONCERN_RAISERS)


def may_decide_concern(actor: Actor, school_id: int) -> bool:
    """As for referrals: only a SENCO of the pupil's school accepts or declines."""
    return may_decide_referral(actor, school_id)


def may_view_concern(actor: Actor, school_id: int, raised_by: int) -> bool:
    return may_view_referral(actor, school_id, raised_by)


# --- parents ---
# Duties to parents: the class teacher (their pupils) and the SENCO (the school's) see and close them.
PARENT_TASK_USERS = frozenset({Role.TEACHER, Role.SENCO})
# Parent contacts and the school's letter wording are kept by the SENCO.
PARENT_CONTACT_KEEPERS = frozenset({Role.SENCO})


class StaffAccessLike(Protocol):
    @property
    def staff_id(self) -> int: ...
    @property
    def school_id(self) -> int: ...
    @property
    def roles(self) -> frozenset[Role]: ...


# Letters: the pupil's class teacher or the SENCO asks for one (plan_scope: whole school for the SENCO).
LETTER_WRITERS = frozenset({Role.TEACHER, Role.SENCO})


def plan_scope_of(access: StaffAccessLike) -> PupilScope:
    """plan_scope for a person known by id only (a download link), with their current roles."""
    return PupilScope(
        school_id=access.school_id, staff_id=access.staff_id, whole_school=Role.SENCO in access.roles
    )


def may_edit_letters(actor: Actor) -> bool:
    """The school's letter wording is the SENCO's."""
    return actor.has_any(PARENT_CONTACT_KEEPERS)


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


def totals_scope(actor: Actor) -> TotalsScope | None:
    if not actor.has_any(TOTALS_VIEWERS):
        return None
    own = actor.school_id if actor.has_any(TOTALS_VIEWERS - {Role.TRUST_LEAD}) else None
    return TotalsScope(staff_id=actor.staff_id, own_school_id=own, via_trust=actor.has_any({Role.TRUST_LEAD}))


# --- evidence packs and EHC needs assessments (docs/ehcna.md) ---
# The SENCO makes evidence packs for requests to the local authority; the head opens them for a case
# sample. Both see the whole school; the pack's money is shown to those who see costs (the SENCO).
EVIDENCE_READERS = frozenset({Role.SENCO, Role.HEAD})
# Requests to the local authority are the SENCO's: they record each step and are reminded of deadlines.
EHCNA_KEEPERS = frozenset({Role.SENCO})


def evidence_scope_of(access: StaffAccessLike) -> PupilScope:
    """The pupils whose evidence pack a person may make or download: their school's, for the SENCO or
    the head; nobody's for anyone else."""
    return PupilScope(
        school_id=access.school_id,
        staff_id=access.staff_id,
        whole_school=bool(access.roles & EVIDENCE_READERS),
        by_class=False,
    )


def evidence_shows_costs(roles: frozenset[Role]) -> bool:
    return bool(roles & COST_VIEWERS)
