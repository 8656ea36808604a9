"""Cost per pupil: rounding half up once, shares that add up exactly, absent pupils cost nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.rules.costs import split_costs, staff_cost_pence


def test_staff_cost_rounds_half_up() -> None:
    assert staff_cost_pence(1500, 20) == 500
    assert staff_cost_pence(1550, 30) == 775
    assert staff_cost_pence(1, 30) == 1  # 0.5p rounds up
    assert staff_cost_pence(1, 29) == 0  # 0.483p rounds down
    assert staff_cost_pence(1700, 45) == 1275


def test_split_gives_the_left_over_pence_to_the_first_pupils_by_id() -> None:
    costs = split_costs(hourly_pence=1500, per_pupil_pence=0, minutes=20, present_ids=[30, 10, 20])
    assert costs == {10: 167, 20: 167, 30: 166}
    costs = split_costs(hourly_pence=1550, per_pupil_pence=50, minutes=30, present_ids=[2, 1])
    assert costs == {1: 438, 2: 437}


def test_nobody_present_costs_nothing() -> None:
    assert split_costs(hourly_pence=1500, per_pupil_pence=100, minutes=30, present_ids=[]) == {}


@given(
    hourly=st.integers(0, 100_000),
    per_pupil=st.integers(0, 10_000),
    minutes=st.integers(1, 600),
    ids=st.sets(st.integers(1, 10_000), min_size=1, max_size=30),
)
def test_shares_add_up_to_the_session_cost(hourly: int, per_pupil: int, minutes: int, ids: set[int]) -> None:
    costs = split_costs(
        hourly_pence=hourly, per_pupil_pence=per_pupil, minutes=minutes, present_ids=list(ids)
    )
    assert set(costs) == ids
    assert sum(costs.values()) == staff_cost_pence(hourly, minutes) + per_pupil * len(ids)
    assert max(costs.values()) - min(costs.values()) <= 1
