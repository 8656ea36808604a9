"""The cost of a session per pupil, computed once when it is logged (docs/design.md, provision maps).

cost per present pupil = staff hourly cost × hours ÷ present pupils + per-pupil material cost.

Why integers and this split: money is whole pence everywhere so provision-map sums are exact. The staff
cost of the session is rounded once (half up) to whole pence, then shared so the shares add up to exactly
that total: everyone gets the floor of the share, and the pence left over go one each to the first
present pupils in id order (deterministic, so a replay computes the same figures). Absent pupils cost 0.
"""

from __future__ import annotations

from collections.abc import Sequence


def staff_cost_pence(hourly_pence: int, minutes: int) -> int:
    """hourly × minutes ÷ 60, rounded half up to whole pence."""
    return (hourly_pence * minutes * 2 + 60) // 120


def split_costs(
    *, hourly_pence: int, per_pupil_pence: int, minutes: int, present_ids: Sequence[int]
) -> dict[int, int]:
    """Pupil id → cost in pence for each present pupil (absent pupils are not in the result)."""
    present = sorted(set(present_ids))
    if not present:
        return {}
    total = staff_cost_pence(hourly_pence, minutes)
    share, left_over = divmod(total, len(present))
    return {
        pupil_id: share + (1 if i < left_over else 0) + per_pupil_pence for i, pupil_id in enumerate(present)
    }
