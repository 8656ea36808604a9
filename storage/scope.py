"""Which rows a query may return: plain types that bot/rules/policy.py fills in and the queries turn
into SQL.

They live in storage so that queries never import bot/: the rule is decided above, applied here.
"""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True)
class TotalsScope:
    """Whose school totals a person may see: their own school (SENCO, head, admin) and, for a trust
    lead, the schools listed for them in trust_school. Totals only: no pupil-level access follows."""

    staff_id: int
    own_school_id: int | None
    via_trust: bool
