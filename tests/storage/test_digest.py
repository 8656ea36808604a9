"""The digest's figures on a fixture week checked by hand, and each figure equal to its detail list."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.queries import digest as q
from storage.queries.digest import (
    OTHER_AREA,
    AreaCount,
    IsoWeek,
    ProvisionLine,
    RegisterChanges,
    ReviewFigures,
    Target,
)
from storage.scope import PupilScope
from tests.support.digest_fixture import BUDGET, WEEK, DigestFixture, seed_digest_fixture

AS_OF = WEEK.end


async def seeded(sessions: async_sessionmaker[AsyncSession]) -> DigestFixture:
    async with sessions.begin() as session:
        return await seed_digest_fixture(session)


async def test_the_fixture_week_by_hand(sessions: async_sessionmaker[AsyncSession]) -> None:
    fx = await seeded(sessions)
    async with sessions() as session:
        d = await q.school_digest(session, PupilScope(fx.elm, fx.staff["head"], True), WEEK, as_of=AS_OF)
    assert (WEEK.start, WEEK.end) == (dt.date(2026, 1, 12), dt.date(2026, 1, 18))
    # Register at Sunday 18 January: p1 K SPLD, p2 K SLCN, p3 E ASD, p4 K MLD (added Wednesday),
    # p6 E SEMH (K to E Tuesday), p7 K NSA; p5 came off on Thursday; p9 left on 5 January.
    assert d.register == [
        AreaCount("Cognition and learning", k=2, e=0),
        AreaCount("Communication and interaction", k=1, e=1),
        AreaCount("Social, emotional and mental health", k=0, e=1),
        AreaCount(OTHER_AREA, k=1, e=0),
    ]
    assert (d.k_total, d.e_total) == (4, 2)
    assert d.changes == RegisterChanges(added=1, removed=1, status_changed=1)
    # Phonics on Monday: 30 min × 3 present (p2 absent); Lego on Wednesday: 45 min × 2; Friday's phonics
    # was undone; next Monday's is next week's.
    assert d.provisions == [ProvisionLine("Lego therapy", 1, 90), ProvisionLine("Phonics", 1, 90)]
    assert (d.sessions, d.pupil_minutes) == (2, 180)
    # 22 Dec to 18 Jan: everyone on the register had a session except p6 (21 December: a day too early).
    assert d.no_support == 1
    # Held this week: p2 (13th), p3 (12th). Due next week: p4 (21st). Overdue at Sunday: p7 (due 5th),
    # p3's review due the 18th and held the 20th. One review with parents expected by January (autumn term
    # over); of the K pupils p1, p2, p4, p7 only p1 had one (p7's was last academic year).
    assert d.reviews == ReviewFigures(
        held_this_week=2, due_next_week=1, overdue=2, k_pupils=4, k_on_track=1, expected_so_far=1
    )
    # Waiting for a decision: p1 (10 Jan, 8 days), p2 (19 Dec, 30 days); for a service: p3 (sent, 18 Nov,
    # 61 days), p5 (approved, 8 Jan, 10 days). Declined and closed ones are not waiting.
    r = d.referrals
    assert (r.awaiting_decision, r.oldest_decision_days) == (2, 30)
    assert (r.awaiting_service, r.oldest_service_days) == (2, 61)
    # Since 1 April 2025: p1 600,000 + 1,000; p3 480,000 + 2,000; p2 2,000; p4, p8 1,000 each; p6 500;
    # p7 700. Not the undone 9,999, not next week's 5,000, not March 2025's 700,000, not p9 (left).
    m = d.money
    assert m is not None
    assert m.fy_start == dt.date(2025, 4, 1)
    assert m.spent_pence == 1_088_200
    assert (m.budget_pence, m.threshold_pence) == (BUDGET, 600_000)
    assert (m.at_80, m.at_100) == (2, 1)
    # Chart: W51 p6 30 min, W52 p7 45 min, W03 180 min; the other weeks nothing.
    assert [(w.week.label, w.pupil_minutes) for w in d.hours_by_week] == [
        ("2025-W48", 0),
        ("2025-W49", 0),
        ("2025-W50", 0),
        ("2025-W51", 30),
        ("2025-W52", 45),
        ("2026-W01", 0),
        ("2026-W02", 0),
        ("2026-W03", 180),
    ]
    assert not d.is_empty


async def test_a_teachers_digest_covers_their_classes_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    fx = await seeded(sessions)
    async with sessions() as session:
        d = await q.school_digest(session, PupilScope(fx.elm, fx.staff["teacher"], False), WEEK, as_of=AS_OF)
    # Class A is p1..p4.
    assert (d.k_total, d.e_total) == (3, 1)
    assert d.changes == RegisterChanges(added=1)
    assert d.provisions == [ProvisionLine("Lego therapy", 1, 90), ProvisionLine("Phonics", 1, 60)]
    assert d.no_support == 0
    assert d.reviews == ReviewFigures(2, 1, 1, 3, 1, 1)
    assert (d.referrals.awaiting_decision, d.referrals.awaiting_service) == (2, 1)
    assert d.referrals.oldest_service_days == 61


async def test_every_figure_equals_its_detail_list(sessions: async_sessionmaker[AsyncSession]) -> None:
    fx = await seeded(sessions)
    for scope in (
        PupilScope(fx.elm, fx.staff["head"], True),
        PupilScope(fx.elm, fx.staff["teacher"], False),
        PupilScope(fx.birch, fx.staff["birch_head"], True),
    ):
        target = Target.of_scope(scope)
        for week in (WEEK, WEEK.shifted(-1), WEEK.shifted(1)):
            async with sessions() as session:
                d = await q.school_digest(session, scope, week, as_of=week.end)
                changes = await q.register_changes(session, target, week)
                unsupported = await q.pupils_without_support(session, target, week)
                parents = await q.parent_review_status(session, target, week)
                costs = await q.fy_costs(session, target, week)
                referrals = await q.referrals_waiting(session, target, as_of=week.end)
            kinds = [c.kind for c in changes]
            assert d.changes == RegisterChanges(
                kinds.count("added"), kinds.count("removed"), kinds.count("status_changed")
            )
            assert d.no_support == len(unsupported)
            assert d.reviews.k_pupils == len(parents)
            assert d.reviews.k_on_track == sum(1 for line in parents if line.on_track)
            assert d.money is not None
            assert d.money.spent_pence == sum(c.spent_pence for c in costs)
            threshold = d.money.threshold_pence
            assert d.money.at_80 == sum(1 for c in costs if c.spent_pence >= threshold * 0.8)
            assert d.money.at_100 == sum(1 for c in costs if c.spent_pence >= threshold)
            assert d.money.at_80 == len(await _at_least(sessions, target, week, threshold * 4 // 5))
            decision = [r for r in referrals if r.waiting == "decision"]
            service = [r for r in referrals if r.waiting == "service"]
            assert d.referrals.awaiting_decision == len(decision)
            assert d.referrals.awaiting_service == len(service)
            assert d.referrals.oldest_decision_days == max((r.age_days for r in decision), default=None)
            assert d.referrals.oldest_service_days == max((r.age_days for r in service), default=None)
    # The detail lists name the right pupils.
    async with sessions() as session:
        target = Target((fx.elm,))
        assert [p.pupil_id for p in await q.pupils_without_support(session, target, WEEK)] == [
            fx.pupils["p6"]
        ]
        changes = {
            c.pupil.pupil_id: (c.before, c.after) for c in await q.register_changes(session, target, WEEK)
        }
        assert changes == {
            fx.pupils["p4"]: ("N", "K"),
            fx.pupils["p5"]: ("K", "N"),
            fx.pupils["p6"]: ("K", "E"),
        }
        top = await q.fy_costs(session, target, WEEK, at_least_pence=480_000)
        assert [(c.pupil.pupil_id, c.spent_pence) for c in top] == [
            (fx.pupils["p1"], 601_000),
            (fx.pupils["p3"], 482_000),
        ]


async def _at_least(
    sessions: async_sessionmaker[AsyncSession], target: Target, week: IsoWeek, pence: int
) -> list[q.CostLine]:
    async with sessions() as session:
        return await q.fy_costs(session, target, week, at_least_pence=pence)


async def test_the_trust_variant_equals_each_school_alone(sessions: async_sessionmaker[AsyncSession]) -> None:
    fx = await seeded(sessions)
    async with sessions() as session:
        both = await q.digests_for(session, Target((fx.elm, fx.birch)), WEEK, as_of=AS_OF)
        elm = await q.digests_for(session, Target((fx.elm,)), WEEK, as_of=AS_OF)
        birch = await q.digests_for(session, Target((fx.birch,)), WEEK, as_of=AS_OF)
    assert both == {**elm, **birch}
    b = both[fx.birch]
    assert (b.k_total, b.sessions, b.pupil_minutes, b.no_support) == (1, 1, 60, 0)
    assert b.money is not None and b.money.budget_pence is None and b.money.spent_pence == 1000


async def test_a_school_with_nothing_recorded_is_empty(sessions: async_sessionmaker[AsyncSession]) -> None:
    fx = await seeded(sessions)
    async with sessions() as session:
        d = await q.school_digest(
            session, PupilScope(fx.elm, fx.staff["head"], True), IsoWeek(2024, 10), as_of=dt.date(2024, 3, 10)
        )
    assert d.is_empty and d.register == [] and d.sessions == 0
    assert d.money is not None and d.money.spent_pence == 0


def test_iso_weeks_parse_strictly() -> None:
    assert IsoWeek.parse("2026-w47") == IsoWeek(2026, 47)
    assert IsoWeek.parse("2026-W53") == IsoWeek(2026, 53)  # 2026 has 53 ISO weeks
    for bad in (
        "2025-W53",
        "2026-W00",
        "2026-W7",
        "26-W07",
        "2026W07",
        "2026-W07x",
        "",
        "last",
        "２０２６-W01",
    ):
        assert IsoWeek.parse(bad) is None, bad
    assert IsoWeek(2026, 1).shifted(-1) == IsoWeek(2025, 52)
    assert q.parent_reviews_expected(dt.date(2025, 12, 31)) == 0
    assert q.parent_reviews_expected(dt.date(2026, 1, 1)) == 1
    assert q.parent_reviews_expected(dt.date(2026, 4, 1)) == 2
    assert q.parent_reviews_expected(dt.date(2026, 8, 1)) == 3
    assert q.parent_reviews_expected(dt.date(2026, 9, 1)) == 0
