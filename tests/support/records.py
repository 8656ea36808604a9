"""A pupil's record with a row in every table that holds pupil data, for the retention and subject access
tests. `RECORD_TABLES_FILLED` is checked against the models: a new table with a pupil column fails those
tests until it is filled here (and so proven deleted by retention and exported by subject access)."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Attendance,
    ClassPupil,
    Concern,
    EhcnaRequest,
    EhcPlan,
    InterventionSession,
    LegalHold,
    ParentContact,
    ParentEmail,
    ParentTask,
    PlanOutcome,
    PlanProvision,
    ProvisionType,
    Pupil,
    PupilTransfer,
    Referral,
    ReferralEvent,
    ReferralService,
    RegisterEntry,
    ReminderSent,
    Review,
    ReviewOutcome,
    SchoolClass,
    Staff,
    SupportPlan,
    utcnow,
)

_keys = itertools.count(1)


async def demo_refs(session: AsyncSession) -> tuple[int, int, int, int]:
    """(staff id, provision type id, service id, class id) of the demo school."""
    staff_id = await session.scalar(select(func.min(Staff.id)))
    provision_id = await session.scalar(select(func.min(ProvisionType.id)))
    service_id = await session.scalar(select(func.min(ReferralService.id)))
    class_id = await session.scalar(select(func.min(SchoolClass.id)))
    assert staff_id and provision_id and service_id and class_id
    return staff_id, provision_id, service_id, class_id


async def new_pupil(
    session: AsyncSession,
    school_id: int,
    *,
    born: dt.date = dt.date(2018, 3, 1),
    left_on: dt.date | None = None,
    given: str = "Zebedee",
    family: str = "Quill",
) -> Pupil:
    n = next(_keys)
    pupil = Pupil(
        school_id=school_id,
        mis_id=f"REC{n:06d}",
        given_name=given,
        family_name=family,
        year_group=3,
        date_of_birth=born,
        left_on=left_on,
    )
    session.add(pupil)
    await session.flush()
    return pupil


async def fill_record(
    session: AsyncSession,
    pupil: Pupil,
    *,
    shared_with: int | None = None,
    transferred_on: dt.date = dt.date(2025, 7, 20),
) -> None:
    """A row about `pupil` in every table of a pupil's record; one session is shared with another pupil."""
    staff_id, provision_id, service_id, class_id = await demo_refs(session)
    now = utcnow()
    n = next(_keys)
    session.add(ClassPupil(class_id=class_id, pupil_id=pupil.id))
    session.add(
        RegisterEntry(
            pupil_id=pupil.id,
            status="K",
            need_rank1="SLCN",
            started_on=dt.date(2025, 9, 1),
            reason="Assessed",
        )
    )
    session.add(
        Concern(
            school_id=pupil.school_id,
            pupil_id=pupil.id,
            raised_by=staff_id,
            text="Struggles with phonics",
            idempotency_key=f"c{n}",
        )
    )
    plan = SupportPlan(pupil_id=pupil.id, review_on=dt.date(2026, 1, 10), strategies="Visual timetable")
    session.add(plan)
    await session.flush()
    outcome = PlanOutcome(plan_id=plan.id, position=1, text="Reads 20 words")
    session.add(outcome)
    session.add(PlanProvision(plan_id=plan.id, provision_type_id=provision_id, sessions_per_week=2))
    review = Review(pupil_id=pupil.id, plan_id=plan.id, due_on=dt.date(2026, 1, 10))
    session.add(review)
    await session.flush()
    session.add(ReviewOutcome(review_id=review.id, outcome_id=outcome.id, result="met"))
    own, shared = (
        InterventionSession(
            school_id=pupil.school_id,
            provision_type_id=provision_id,
            held_on=dt.date(2025, 11, 2),
            minutes=20,
            staff_id=staff_id,
            idempotency_key=f"s{n}-{k}",
            staff_hourly_cost_pence=1500,
            per_pupil_cost_pence=0,
        )
        for k in (1, 2)
    )
    session.add_all([own, shared])
    await session.flush()
    session.add(Attendance(session_id=own.id, pupil_id=pupil.id, cost_pence=500))
    session.add(Attendance(session_id=shared.id, pupil_id=pupil.id, cost_pence=250))
    if shared_with is not None:
        session.add(Attendance(session_id=shared.id, pupil_id=shared_with, cost_pence=250))
    referral = Referral(
        school_id=pupil.school_id,
        pupil_id=pupil.id,
        service_id=service_id,
        requested_by=staff_id,
        concern="Speech",
        consent_on=dt.date(2025, 10, 1),
        consent_by="Parent",
        idempotency_key=f"r{n}",
    )
    session.add(referral)
    task = ParentTask(
        school_id=pupil.school_id,
        pupil_id=pupil.id,
        kind="inform_sen_support",
        source_entity="register_entry",
        source_id=n,
        trigger_key=f"t{n}",
        due_on=dt.date(2025, 9, 15),
    )
    session.add(task)
    session.add(
        ParentContact(pupil_id=pupil.id, name="Pat Quill", relationship="mother", email="p@example.org")
    )
    await session.flush()
    session.add(ReferralEvent(referral_id=referral.id, status="requested", actor_id=staff_id))
    session.add(
        ParentEmail(
            send_key=f"e{n}", pupil_id=pupil.id, task_id=task.id, kind="sen_support", requested_by=staff_id
        )
    )
    for kind, subject in (("review", review.id), ("referral", referral.id), ("parent_task", task.id)):
        session.add(
            ReminderSent(
                school_id=pupil.school_id,
                subject_kind=kind,
                subject_id=subject,
                stage="due_soon",
                as_of=dt.date(2026, 1, 1),
                recipient_id=staff_id,
                outbox_key=f"reminders:{staff_id}:{n}",
            )
        )
    session.add(
        LegalHold(
            school_id=pupil.school_id,
            pupil_id=pupil.id,
            reason="Complaint, since closed",
            placed_by=staff_id,
            placed_at=now,
            released_by=staff_id,
            released_at=now,
            release_reason="Closed",
        )
    )
    session.add(
        PupilTransfer(
            school_id=pupil.school_id,
            pupil_id=pupil.id,
            to_school="Elm Park Primary",
            to_urn="100001",
            sent_on=transferred_on,
            how="secure email",
            sent_by=staff_id,
        )
    )
    request = EhcnaRequest(
        school_id=pupil.school_id,
        pupil_id=pupil.id,
        requested_on=transferred_on,
        local_authority="Oakfield County Council",
        requested_by="school",
        status="issued",
        final_on=transferred_on,
        created_by=staff_id,
        idempotency_key=f"ehcna-{pupil.id}-{now.timestamp()}",
    )
    session.add(request)
    await session.flush()
    session.add(
        EhcPlan(pupil_id=pupil.id, request_id=request.id, issued_on=transferred_on, recorded_by=staff_id)
    )
    await session.flush()


# Every table fill_record writes to, besides pupil itself.
RECORD_TABLES_FILLED = frozenset(
    {
        "class_pupil",
        "register_entry",
        "concern",
        "support_plan",
        "plan_outcome",
        "plan_provision",
        "review",
        "review_outcome",
        "intervention_session",
        "attendance",
        "referral",
        "referral_event",
        "parent_task",
        "parent_contact",
        "parent_email",
        "reminder_sent",
        "legal_hold",
        "pupil_transfer",
        "ehcna_request",
        "ehc_plan",
    }
)
