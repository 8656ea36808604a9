"""Typed ORM models for every entity in docs/design.md.

Why this shape:
- money is stored in pence (integers) so provision-map sums are exact;
- every status/code column has a CHECK constraint so bad data cannot arrive by another door;
- history is kept by appending rows (register entries, referral events, audit), never by overwriting;
- timestamps are timezone-aware UTC on both SQLite and PostgreSQL (see UTCDateTime).
The schema changes only through Alembic migrations; tests check the two agree.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A big integer id on PostgreSQL; SQLite only auto-increments a plain INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Always timezone-aware UTC in Python, whatever the backend stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class Role(StrEnum):
    TEACHER = "teacher"
    TA = "ta"
    SENCO = "senco"
    HEAD = "head"
    ADMIN = "admin"
    TRUST_LEAD = "trust_lead"
    # The data protection officer: handles subject access requests and legal holds, sees no other pupil data.
    DPO = "dpo"


class SenStatus(StrEnum):
    NO_SEN = "N"
    SEN_SUPPORT = "K"
    EHC_PLAN = "E"


class ReferralStatus(StrEnum):
    REQUESTED = "requested"
    MORE_INFO = "more_info"
    APPROVED = "approved"
    DECLINED = "declined"
    SENT = "sent"
    ACCEPTED = "accepted"
    ASSESSED = "assessed"
    REPORT_RECEIVED = "report_received"
    CLOSED = "closed"


class Urgency(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


class OutcomeResult(StrEnum):
    PENDING = "pending"
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    # The dispatcher died after this row's send started: it may have reached Teams. Not resent by itself.
    UNKNOWN = "unknown"
    # The person has no conversation with the bot and it could not be installed for them: sent when they
    # open the bot (storage.queries.outbox.wake_waiting), unless it expires first.
    WAITING = "waiting"
    # Past its expiry before it could be sent: never sent late.
    EXPIRED = "expired"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


# ---------------------------------------------------------------------------------------------
# Schools, people, classes


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    urn: Mapped[str | None] = mapped_column(String(16), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    # The notional SEN budget threshold per pupil per financial year (£6,000 by default).
    notional_threshold_pence: Mapped[int] = mapped_column(Integer, default=600_000)
    review_interval_weeks: Mapped[int] = mapped_column(Integer, default=13)
    referral_stall_weeks: Mapped[int] = mapped_column(Integer, default=6)
    # Local time (in time_zone) after which the day's review reminders go out (bot/jobs/reminders.py).
    reminder_time: Mapped[dt.time] = mapped_column(Time, default=dt.time(7, 30), server_default="07:30:00")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The school's notional SEN budget for the financial year; NULL until the school sets it.
    notional_sen_budget_pence: Mapped[int | None] = mapped_column(BigInteger)
    # When the weekly digest goes out, in the school's time zone: ISO weekday (1 = Monday) and time.
    digest_weekday: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    digest_time: Mapped[dt.time] = mapped_column(Time, default=dt.time(7, 0), server_default="07:00:00")

    __table_args__ = (
        CheckConstraint("notional_threshold_pence >= 0", name="threshold_non_negative"),
        CheckConstraint("review_interval_weeks BETWEEN 1 AND 52", name="review_interval_range"),
        CheckConstraint(
            "notional_sen_budget_pence IS NULL OR notional_sen_budget_pence >= 0", name="budget_non_negative"
        ),
        CheckConstraint("digest_weekday BETWEEN 1 AND 7", name="digest_weekday_range"),
    )


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    # Entra object id: the only key we trust for a person (never from.id or a display name).
    aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    mis_id: Mapped[str | None] = mapped_column(String(64))
    # Hourly cost used to cost interventions; visible to SENCO/admin only.
    hourly_cost_pence: Mapped[int | None] = mapped_column(Integer)
    # Set when Teams says the app is gone for this person (403/404 on a proactive send).
    unreachable_since: Mapped[dt.datetime | None] = mapped_column()
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    school: Mapped[School] = relationship(lazy="raise")
    roles: Mapped[list[StaffRole]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        back_populates="staff",
        foreign_keys="StaffRole.staff_id",
    )

    __table_args__ = (
        UniqueConstraint("school_id", "email", name="uq_staff_school_email"),
        # Roster imports upsert staff by their MIS id (NULLs, e.g. staff added by hand, never clash).
        UniqueConstraint("school_id", "mis_id", name="uq_staff_school_mis"),
        CheckConstraint("hourly_cost_pence IS NULL OR hourly_cost_pence >= 0", name="cost_non_negative"),
    )


class StaffRole(Base):
    __tablename__ = "staff_role"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    staff: Mapped[Staff] = relationship(back_populates="roles", foreign_keys=[staff_id], lazy="raise")

    __table_args__ = (CheckConstraint(_in("role", Role), name="role_known"),)


class TrustSchool(Base):
    """Which schools a trust or local-authority lead may see totals for."""

    __tablename__ = "trust_school"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), primary_key=True)


class DigestRecipient(Base):
    """Staff the school opts in to the weekly digest besides its heads (a deputy, the SEN governor)."""

    __tablename__ = "digest_recipient"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)


class Pupil(Base):
    __tablename__ = "pupil"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    mis_id: Mapped[str] = mapped_column(String(64))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    year_group: Mapped[int] = mapped_column(Integer)
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("school_id", "mis_id", name="uq_pupil_school_mis"),
        # Reception is year 0, nursery -1; sixth form up to 14.
        CheckConstraint("year_group BETWEEN -1 AND 14", name="year_group_range"),
    )

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class SchoolClass(Base):
    __tablename__ = "school_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    year_group: Mapped[int | None] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        UniqueConstraint("school_id", "name", name="uq_class_school_name"),
        # The MIS class id (CSV import) or the Graph class id (sync): the key rosters upsert by.
        UniqueConstraint("school_id", "external_id", name="uq_class_school_external"),
    )


class ClassPupil(Base):
    __tablename__ = "class_pupil"

    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), primary_key=True, index=True)


class ClassStaff(Base):
    """The caseload: a teacher or TA sees the pupils of the classes they are attached to."""

    __tablename__ = "class_staff"

    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True, index=True)


# ---------------------------------------------------------------------------------------------
# The SEN register


class NeedType(Base):
    """A versioned lookup (docs/design.md): the DfE changes codes, so no hard-coded enum."""

    __tablename__ = "need_type"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    broad_area: Mapped[str | None] = mapped_column(String(80))
    only_with_sen_support: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    census_version: Mapped[str] = mapped_column(String(16))


class RegisterEntry(Base):
    """One row per status/need period; the current entry has ended_on NULL. History is never rewritten."""

    __tablename__ = "register_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    status: Mapped[str] = mapped_column(String(1))
    need_rank1: Mapped[str | None] = mapped_column(ForeignKey("need_type.code"))
    need_rank2: Mapped[str | None] = mapped_column(ForeignKey("need_type.code"))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Travels in the register card: a double submit or a Teams retry finds the change already made.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)

    __table_args__ = (
        CheckConstraint(_in("status", SenStatus), name="status_known"),
        CheckConstraint("status = 'N' OR need_rank1 IS NOT NULL", name="need_required_for_k_e"),
        CheckConstraint("need_rank2 IS NULL OR need_rank2 <> need_rank1", name="needs_distinct"),
        Index("ix_register_current", "pupil_id", "ended_on"),
        # At most one current entry per pupil, whatever two writers do at once.
        Index(
            "uq_register_entry_current",
            "pupil_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )


class ConcernStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Concern(Base):
    """A teacher's concern about a pupil not on the register, for the SENCO to accept onto it or decline.

    Decided like a referral: UPDATE ... WHERE version = :v, so exactly one decision is recorded.
    """

    __tablename__ = "concern"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    raised_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    suggested_need: Mapped[str | None] = mapped_column(ForeignKey("need_type.code"))
    parents_spoken: Mapped[bool | None] = mapped_column(Boolean)
    parents_spoken_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ConcernStatus.REQUESTED.value)
    version: Mapped[int] = mapped_column(Integer, default=1)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decision_note: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint(_in("status", ConcernStatus), name="status_known"),)


# ---------------------------------------------------------------------------------------------
# Provision and interventions


class ProvisionType(Base):
    __tablename__ = "provision_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    broad_area: Mapped[str | None] = mapped_column(String(80))
    default_minutes: Mapped[int] = mapped_column(Integer, default=30)
    default_group_size: Mapped[int] = mapped_column(Integer, default=1)
    staff_hourly_cost_pence: Mapped[int] = mapped_column(Integer, default=0)
    per_pupil_cost_pence: Mapped[int] = mapped_column(Integer, default=0)
    retired_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("school_id", "name", name="uq_provision_school_name"),
        CheckConstraint("default_minutes BETWEEN 1 AND 600", name="minutes_range"),
        CheckConstraint("default_group_size BETWEEN 1 AND 30", name="group_range"),
        CheckConstraint(
            "staff_hourly_cost_pence >= 0 AND per_pupil_cost_pence >= 0", name="costs_non_negative"
        ),
    )


class InterventionSession(Base):
    __tablename__ = "intervention_session"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    provision_type_id: Mapped[int] = mapped_column(ForeignKey("provision_type.id"))
    held_on: Mapped[dt.date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # Travels in the card: a double click or a Teams retry finds the row already there.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The rates in force on the day, stored so later price changes do not rewrite history.
    staff_hourly_cost_pence: Mapped[int] = mapped_column(Integer)
    per_pupil_cost_pence: Mapped[int] = mapped_column(Integer)
    undone_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("minutes BETWEEN 1 AND 600", name="minutes_range"),
        Index("ix_session_school_date", "school_id", "held_on"),
        # The digest's week and financial-year sums of one school: an index-only scan of live sessions
        # (a school's sessions are scattered among every other school's; see benchmarks/digest.py).
        Index(
            "ix_session_school_live",
            "school_id",
            "held_on",
            postgresql_include=["id", "minutes", "provision_type_id"],
            postgresql_where=text("undone_at IS NULL"),
            sqlite_where=text("undone_at IS NULL"),
        ),
    )


class Attendance(Base):
    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("intervention_session.id", ondelete="CASCADE"), primary_key=True
    )
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), primary_key=True, index=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    # Computed once when logged: hourly × hours ÷ present pupils + per-pupil cost; 0 when absent.
    cost_pence: Mapped[int] = mapped_column(Integer, default=0)

    # Digest sums read attendance by session without visiting the table (PostgreSQL INCLUDE).
    __table_args__ = (
        Index(
            "ix_attendance_session_cover",
            "session_id",
            postgresql_include=["pupil_id", "present", "cost_pence"],
        ),
    )


# ---------------------------------------------------------------------------------------------
# Plans and reviews (the APDR cycle)


class SupportPlan(Base):
    __tablename__ = "support_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=PlanStatus.DRAFT.value)
    strategies: Mapped[str | None] = mapped_column(Text)
    pupil_views: Mapped[str | None] = mapped_column(Text)
    parent_views: Mapped[str | None] = mapped_column(Text)
    # A plan without a review date cannot exist (issue: reviews are what SENCOs fear missing).
    review_on: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Set when a plan is first drafted from a card, so a double submit creates one plan.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(_in("status", PlanStatus), name="status_known"),
        # One active plan per pupil: a new cycle closes the old plan before the new one is written.
        Index(
            "uq_support_plan_active",
            "pupil_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class PlanOutcome(Base):
    __tablename__ = "plan_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("plan_id", "position", name="uq_outcome_plan_position"),
        CheckConstraint("position BETWEEN 1 AND 4", name="position_range"),
    )


class PlanProvision(Base):
    __tablename__ = "plan_provision"

    plan_id: Mapped[int] = mapped_column(ForeignKey("support_plan.id", ondelete="CASCADE"), primary_key=True)
    provision_type_id: Mapped[int] = mapped_column(ForeignKey("provision_type.id"), primary_key=True)
    sessions_per_week: Mapped[int | None] = mapped_column(Integer)


class Review(Base):
    __tablename__ = "review"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("support_plan.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    parent_attended: Mapped[bool | None] = mapped_column(Boolean)
    parent_who: Mapped[str | None] = mapped_column(String(200))
    next_steps: Mapped[str | None] = mapped_column(Text)
    next_due_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set when the review is recorded from a card: a double submit records it once.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)

    # The reminder planner scans reviews not yet held by due date. The partial index holds only open
    # reviews (a handful per pupil at most, against years of held ones), with the columns the planner
    # needs, so its scan is an index-only range over what is due (benchmarks/reminders_planner.py).
    __table_args__ = (
        Index("ix_review_due_open", "due_on", "held_on"),
        Index(
            "ix_review_open_due",
            "due_on",
            "pupil_id",
            "id",
            postgresql_where=text("held_on IS NULL"),
            sqlite_where=text("held_on IS NULL"),
        ),
        # Exactly one open review per plan (the one the reminders chase).
        Index(
            "uq_review_open_plan",
            "plan_id",
            unique=True,
            sqlite_where=text("held_on IS NULL"),
            postgresql_where=text("held_on IS NULL"),
        ),
    )


class ReviewOutcome(Base):
    __tablename__ = "review_outcome"

    review_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("review.id", ondelete="CASCADE"), primary_key=True
    )
    outcome_id: Mapped[int] = mapped_column(ForeignKey("plan_outcome.id"), primary_key=True)
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint(_in("result", OutcomeResult), name="result_known"),)


# ---------------------------------------------------------------------------------------------
# Referrals to specialist services


class ReferralService(Base):
    __tablename__ = "referral_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL school: a service offered to every school (the default list).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    retired_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_service_school_name"),)


class Referral(Base):
    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("referral_service.id"))
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    concern: Mapped[str] = mapped_column(Text)
    tried_so_far: Mapped[str | None] = mapped_column(Text)
    consent_on: Mapped[dt.date] = mapped_column(Date)
    consent_by: Mapped[str] = mapped_column(String(200))
    urgency: Mapped[str] = mapped_column(String(16), default=Urgency.ROUTINE.value)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=ReferralStatus.REQUESTED.value)
    # Optimistic concurrency: decisions apply with UPDATE ... WHERE version = :v.
    version: Mapped[int] = mapped_column(Integer, default=1)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Moved on every status change: the stalled-referral reminder reads it.
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The latest decline reason; every earlier one stays in referral_event.note.
    decision_note: Mapped[str | None] = mapped_column(Text)
    # "Ask for more information": the latest question and its answer (history in referral_event).
    info_question: Mapped[str | None] = mapped_column(Text)
    info_answer: Mapped[str | None] = mapped_column(Text)
    sent_on: Mapped[dt.date | None] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    waiting_weeks: Mapped[int | None] = mapped_column(Integer)
    assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    report_on: Mapped[dt.date | None] = mapped_column(Date)
    report_summary: Mapped[str | None] = mapped_column(Text)
    report_recommendations: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("status", ReferralStatus), name="status_known"),
        CheckConstraint(_in("urgency", Urgency), name="urgency_known"),
        # The open-referrals list and the stalled-referral planner scan by school, status and age.
        Index("ix_referral_open", "school_id", "status", "updated_at"),
    )


class ReferralEvent(Base):
    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint(_in("status", ReferralStatus), name="status_known"),)


# ---------------------------------------------------------------------------------------------
# Messaging: conversation references and the notification outbox


class ConversationRef(Base):
    """Where to reach a person proactively; refreshed on every inbound activity."""

    __tablename__ = "conversation_ref"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(32))
    service_url: Mapped[str] = mapped_column(String(500))
    conversation_id: Mapped[str] = mapped_column(String(500))
    bot_id: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Outbox(Base):
    """Every notification is a row here before anything is sent (docs/design.md, "Nothing lost")."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(64))
    # e.g. review_due:<review id>:<stage>, weekly_digest:<staff id>:<ISO week>; the exactly-once key.
    period_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    # Set (with a renewed lease) immediately before the send: after a crash, whether a send may have happened.
    send_started_at: Mapped[dt.datetime | None] = mapped_column()
    sent_activity_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Past this the notification is no use (a digest after its week): marked expired, never sent late.
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    # When it first had to wait for the person to open the bot: a late send says so.
    waiting_since: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(_in("status", OutboxStatus), name="status_known"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )


class SendSlot(Base):
    """Each tenant's next free send slot, shared by every replica's dispatcher (bot/jobs/outbox.py, "Rate").

    Teams' limit is per app per tenant, not per replica: the slot lives here so replicas stay stateless.
    """

    __tablename__ = "send_slot"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[dt.datetime] = mapped_column()


class ReminderStage(StrEnum):
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    STALLED = "stalled"
    # A pupil's costed provision this financial year passed 80 % / 100 % of the notional threshold.
    THRESHOLD_80 = "threshold_80"
    THRESHOLD_100 = "threshold_100"


class SchoolClosure(Base):
    """A day the school is closed (holidays, INSET): no reminders, and not counted as a school day."""

    __tablename__ = "school_closure"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    closed_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class ReminderSent(Base):
    """What each person has been told: one row per (subject, stage, as-of date, recipient).

    The UNIQUE key is what makes a reminder once-only: the planner inserts these rows in the same
    transaction as the day's outbox row (outbox key `reminders:<staff id>:<local date>`), so a stage is
    announced to a person once, whichever replica plans it. `as_of` is the review's due date (a moved
    review is announced again) or the day a referral last moved (a referral that moves and stalls again
    is announced again).
    """

    __tablename__ = "reminder_sent"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Denormalised so the planner reads one school's announcements through an index, whatever the
    # statistics say about a table that has just grown by a morning's worth of rows.
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    stage: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[dt.date] = mapped_column(Date)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    outbox_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "subject_kind", "subject_id", "stage", "as_of", "recipient_id", name="uq_reminder_sent_key"
        ),
        Index("ix_reminder_sent_school", "school_id", "subject_kind", "subject_id"),
        CheckConstraint(
            "subject_kind IN ('review', 'referral', 'parent_task', 'ehcna', 'threshold')",
            name="subject_kind_known",
        ),
        CheckConstraint(_in("stage", ReminderStage), name="stage_known"),
    )


# ---------------------------------------------------------------------------------------------
# Audit


class AuditEvent(Base):
    """Append-only (a database trigger refuses UPDATE and DELETE). Ids only, never free text about a pupil."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    school_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_aad: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    pupil_id: Mapped[int | None] = mapped_column(Integer, index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    correlation_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_at", "at"),)


# ---------------------------------------------------------------------------------------------
# Parents: the school's duties to them, their contacts, the letters sent to them


class ParentTaskKind(StrEnum):
    INFORM_SEN_SUPPORT = "inform_sen_support"
    INFORM_PLAN_CHANGE = "inform_plan_change"
    SHARE_REVIEW_OUTCOME = "share_review_outcome"


class ParentContactHow(StrEnum):
    MEETING = "meeting"
    LETTER = "letter"
    EMAIL = "email"
    PHONE = "phone"


class ParentTask(Base):
    """A duty to parents, created in the same transaction as the change that gives rise to it.

    `trigger_key` (kind:entity:id) is UNIQUE: a trigger replayed by a retry or a second replica creates
    one task. Open until `done_at` is set (how, by whom)."""

    __tablename__ = "parent_task"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    source_entity: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    trigger_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_on: Mapped[dt.date] = mapped_column(Date)
    done_at: Mapped[dt.date | None] = mapped_column(Date)
    done_how: Mapped[str | None] = mapped_column(String(16))
    done_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    done_recorded_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(_in("kind", ParentTaskKind), name="kind_known"),
        CheckConstraint(f"done_how IS NULL OR {_in('done_how', ParentContactHow)}", name="how_known"),
        CheckConstraint("(done_at IS NULL) = (done_how IS NULL)", name="done_complete"),
        # Open tasks of a school by due date: the `tasks` list, the reminders and the digest read this.
        Index("ix_parent_task_open", "school_id", "done_at", "due_on"),
    )


class ParentContact(Base):
    """A pupil's parent or carer whom letters may go to (entered by the SENCO until roster import exists)."""

    __tablename__ = "parent_contact"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LetterKind(StrEnum):
    SEN_SUPPORT = "sen_support"
    PLAN_SUMMARY = "plan_summary"
    REVIEW_SUMMARY = "review_summary"


class LetterTemplate(Base):
    """A school's own wording of a letter (a Jinja2 template, validated when saved); else the default."""

    __tablename__ = "letter_template"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint(_in("kind", LetterKind), name="kind_known"),)


class ParentEmail(Base):
    """One letter emailed through Microsoft Graph: the row exists before the send, `send_key` is UNIQUE,
    so a second press of Send (or a retry) finds it and sends nothing. The sender job claims a row with
    UPDATE ... WHERE status = 'pending' and commits before calling Graph: at most one attempt per row; a
    timeout leaves it 'unknown' (never sent again automatically)."""

    __tablename__ = "parent_email"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    send_key: Mapped[str] = mapped_column(String(64), unique=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("parent_task.id"))
    kind: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'unknown')", name="status_known"),
        Index("ix_parent_email_pending", "status", "created_at"),
    )


# ---------------------------------------------------------------------------------------------
# EHC needs assessments and EHC plans (docs/ehcna.md)


class EhcnaStatus(StrEnum):
    REQUESTED = "requested"  # sent to the local authority; it decides within 6 weeks whether to assess
    ASSESSING = "assessing"  # the authority decided to assess
    NOT_ASSESSING = "not_assessing"  # the authority decided not to assess (parents may appeal); closed
    ASSESSED = "assessed"  # the assessment is done; the authority decides by week 16 whether to issue
    DRAFT = "draft"  # the draft plan is with the parents (15 days to comment)
    ISSUED = "issued"  # the final EHC plan was issued; closed
    NOT_ISSUED = "not_issued"  # the authority decided not to issue a plan (parents may appeal); closed
    WITHDRAWN = "withdrawn"  # the request was withdrawn, with a reason; closed


class EhcnaRequester(StrEnum):
    SCHOOL = "school"
    PARENT = "parent"


class EhcnaRequest(Base):
    """A request to the local authority for an EHC needs assessment, and each step it takes.

    The deadlines are not stored: they follow from `requested_on` (6, 16 and 20 weeks, the SEND Code of
    Practice). Steps carry the request's version (docs/design.md, "Exactly once")."""

    __tablename__ = "ehcna_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    requested_on: Mapped[dt.date] = mapped_column(Date)
    local_authority: Mapped[str] = mapped_column(String(120))
    requested_by: Mapped[str] = mapped_column(String(8))
    evidence_attached: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=EhcnaStatus.REQUESTED.value)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    draft_on: Mapped[dt.date | None] = mapped_column(Date)
    final_on: Mapped[dt.date | None] = mapped_column(Date)
    final_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(_in("status", EhcnaStatus), name="status_known"),
        CheckConstraint(_in("requested_by", EhcnaRequester), name="requester_known"),
        # One open request per pupil: a second `ehcna` for the same pupil shows the open one.
        Index(
            "uq_ehcna_request_open",
            "pupil_id",
            unique=True,
            sqlite_where=text("status IN ('requested', 'assessing', 'assessed', 'draft')"),
            postgresql_where=text("status IN ('requested', 'assessing', 'assessed', 'draft')"),
        ),
    )


class EhcPlan(Base):
    """An EHC plan the local authority issued: the record the register requires before status E."""

    __tablename__ = "ehc_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("ehcna_request.id"), unique=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------------------
# The record's lifecycle: retention policy, legal holds, transfers to another school


class RecordPolicy(Base):
    """A school's retention policy; no row means the defaults (the IRMS schools toolkit, docs/retention.md).

    The last school keeps a pupil's SEN file until `keep_until_age` (their 31st birthday); a school that
    has transferred the file keeps its copy `transferred_keep_days` after the transfer, then deletes it.
    """

    __tablename__ = "record_policy"

    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    keep_until_age: Mapped[int] = mapped_column(Integer, default=31, server_default="31")
    transferred_keep_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("keep_until_age BETWEEN 18 AND 100", name="keep_age_range"),
        CheckConstraint("transferred_keep_days BETWEEN 0 AND 3650", name="transferred_days_range"),
    )


class LegalHold(Base):
    """While a hold is open (released_at NULL) retention never deletes the pupil's record."""

    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    placed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    released_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    released_at: Mapped[dt.datetime | None] = mapped_column()
    release_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # One open hold per pupil: a second `hold` finds the first.
        Index(
            "uq_legal_hold_open",
            "pupil_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )


class PupilTransfer(Base):
    """The SEN file sent to the pupil's next school: to whom, when, how, by whom."""

    __tablename__ = "pupil_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id"), index=True)
    to_school: Mapped[str] = mapped_column(String(200))
    to_urn: Mapped[str | None] = mapped_column(String(16))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    how: Mapped[str] = mapped_column(String(32))
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
