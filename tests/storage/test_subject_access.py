"""The subject access export holds every row about the pupil, their audit events, and is audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.subject_access import export
from storage.models import (
    Attendance,
    AuditEvent,
    InterventionSession,
    PlanOutcome,
    ProvisionType,
    Pupil,
    Referral,
    ReferralEvent,
    ReferralService,
    RegisterEntry,
    Review,
    Staff,
    SupportPlan,
    utcnow,
)
from storage.queries import audit


async def test_export_has_everything_and_is_audited(
    sessions: async_sessionmaker[AsyncSession], demo: None, tmp_path: Path
) -> None:
    now = utcnow()
    async with sessions.begin() as session:
        pupil_id = await session.scalar(select(RegisterEntry.pupil_id).order_by(RegisterEntry.id).limit(1))
        other_id = await session.scalar(select(Pupil.id).where(Pupil.id != pupil_id).limit(1))
        pupil = await session.get(Pupil, pupil_id)
        assert pupil is not None
        staff_id = await session.scalar(select(Staff.id).limit(1))
        provision_id = await session.scalar(select(ProvisionType.id).limit(1))
        service_id = await session.scalar(select(ReferralService.id).limit(1))
        plan = SupportPlan(pupil_id=pupil_id, review_on=dt.date(2027, 1, 10), strategies="Visual timetable")
        session.add(plan)
        await session.flush()
        session.add(PlanOutcome(plan_id=plan.id, position=1, text="Reads 20 words"))
        session.add(Review(pupil_id=pupil_id, plan_id=plan.id, due_on=dt.date(2027, 1, 10)))
        held = InterventionSession(
            school_id=pupil.school_id,
            provision_type_id=provision_id,
            held_on=dt.date(2026, 11, 2),
            minutes=20,
            staff_id=staff_id,
            idempotency_key="k1",
            staff_hourly_cost_pence=1500,
            per_pupil_cost_pence=0,
        )
        session.add(held)
        await session.flush()
        session.add(Attendance(session_id=held.id, pupil_id=pupil_id, cost_pence=500))
        session.add(Attendance(session_id=held.id, pupil_id=other_id, cost_pence=500))
        referral = Referral(
            school_id=pupil.school_id,
            pupil_id=pupil_id,
            service_id=service_id,
            requested_by=staff_id,
            concern="Speech",
            consent_on=dt.date(2026, 10, 1),
            consent_by="Parent",
            idempotency_key="r1",
        )
        session.add(referral)
        await session.flush()
        session.add(ReferralEvent(referral_id=referral.id, status="requested", actor_id=staff_id))
        audit.record(session, action="pupil_viewed", at=now, pupil_id=pupil_id, actor_id=staff_id)
        audit.record(session, action="pupil_viewed", at=now, pupil_id=other_id, actor_id=staff_id)

    out = tmp_path / "sar.json"
    assert await export(sessions, pupil_id, out, now=now)
    data = json.loads(out.read_text())
    assert data["pupil"]["id"] == pupil_id and data["pupil"]["given_name"] == pupil.given_name
    assert len(data["register_history"]) == 1 and len(data["classes"]) == 1
    assert data["support_plans"][0]["strategies"] == "Visual timetable"
    assert data["plan_outcomes"][0]["text"] == "Reads 20 words"
    assert len(data["reviews"]) == 1
    assert [a["pupil_id"] for a in data["attendance"]] == [pupil_id]  # not the other pupil's row
    assert data["intervention_sessions"][0]["minutes"] == 20
    assert data["referrals"][0]["concern"] == "Speech" and len(data["referral_events"]) == 1
    assert [e["pupil_id"] for e in data["audit_events"]] == [pupil_id]
    assert out.stat().st_mode & 0o077 == 0
    async with sessions() as session:
        [event] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "subject_access_export"))
        ).scalars()
    assert event.pupil_id == pupil_id and event.entity_id == str(pupil_id)


async def test_unknown_pupil_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    assert not await export(sessions, 999999, tmp_path / "x.json", now=utcnow())
    assert not (tmp_path / "x.json").exists()
