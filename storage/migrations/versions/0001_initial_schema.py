"""Initial schema, the append-only audit trigger and the census need types (Jan 2025).

Revision ID: 0001
Revises:
Create Date: 2026-11-28 08:30:22.905266
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_aad", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "need_type",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("broad_area", sa.String(length=80), nullable=True),
        sa.Column("only_with_sen_support", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("census_version", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_need_type")),
    )
    op.create_table(
        "school",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("urn", sa.String(length=16), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("notional_threshold_pence", sa.Integer(), nullable=False),
        sa.Column("review_interval_weeks", sa.Integer(), nullable=False),
        sa.Column("referral_stall_weeks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("notional_threshold_pence >= 0", name=op.f("ck_school_threshold_non_negative")),
        sa.CheckConstraint(
            "review_interval_weeks BETWEEN 1 AND 52", name=op.f("ck_school_review_interval_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school")),
        sa.UniqueConstraint("urn", name=op.f("uq_school_urn")),
    )
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "provision_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("broad_area", sa.String(length=80), nullable=True),
        sa.Column("default_minutes", sa.Integer(), nullable=False),
        sa.Column("default_group_size", sa.Integer(), nullable=False),
        sa.Column("staff_hourly_cost_pence", sa.Integer(), nullable=False),
        sa.Column("per_pupil_cost_pence", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("default_group_size BETWEEN 1 AND 30", name=op.f("ck_provision_type_group_range")),
        sa.CheckConstraint("default_minutes BETWEEN 1 AND 600", name=op.f("ck_provision_type_minutes_range")),
        sa.CheckConstraint(
            "staff_hourly_cost_pence >= 0 AND per_pupil_cost_pence >= 0",
            name=op.f("ck_provision_type_costs_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_provision_type_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provision_type")),
        sa.UniqueConstraint("school_id", "name", name="uq_provision_school_name"),
    )
    with op.batch_alter_table("provision_type", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provision_type_school_id"), ["school_id"], unique=False)

    op.create_table(
        "pupil",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("mis_id", sa.String(length=64), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("year_group", sa.Integer(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("year_group BETWEEN -1 AND 14", name=op.f("ck_pupil_year_group_range")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_pupil_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil")),
        sa.UniqueConstraint("school_id", "mis_id", name="uq_pupil_school_mis"),
    )
    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pupil_school_id"), ["school_id"], unique=False)

    op.create_table(
        "referral_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_referral_service_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_service")),
        sa.UniqueConstraint("school_id", "name", name="uq_service_school_name"),
    )
    with op.batch_alter_table("referral_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_service_school_id"), ["school_id"], unique=False)

    op.create_table(
        "school_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("year_group", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_school_class_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_class")),
        sa.UniqueConstraint("school_id", "name", name="uq_class_school_name"),
    )
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_class_school_id"), ["school_id"], unique=False)

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("aad_object_id", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("mis_id", sa.String(length=64), nullable=True),
        sa.Column("hourly_cost_pence", sa.Integer(), nullable=True),
        sa.Column("unreachable_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "hourly_cost_pence IS NULL OR hourly_cost_pence >= 0", name=op.f("ck_staff_cost_non_negative")
        ),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_staff_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("aad_object_id", name=op.f("uq_staff_aad_object_id")),
        sa.UniqueConstraint("school_id", "email", name="uq_staff_school_email"),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_school_id"), ["school_id"], unique=False)

    op.create_table(
        "class_pupil",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["school_class.id"],
            name=op.f("fk_class_pupil_class_id_school_class"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_class_pupil_pupil_id_pupil")),
        sa.PrimaryKeyConstraint("class_id", "pupil_id", name=op.f("pk_class_pupil")),
    )
    with op.batch_alter_table("class_pupil", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_class_pupil_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "class_staff",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["school_class.id"],
            name=op.f("fk_class_staff_class_id_school_class"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_class_staff_staff_id_staff")),
        sa.PrimaryKeyConstraint("class_id", "staff_id", name=op.f("pk_class_staff")),
    )
    with op.batch_alter_table("class_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_class_staff_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "conversation_ref",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("service_url", sa.String(length=500), nullable=False),
        sa.Column("conversation_id", sa.String(length=500), nullable=False),
        sa.Column("bot_id", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_conversation_ref_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_conversation_ref")),
    )
    op.create_table(
        "intervention_session",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("provision_type_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("staff_hourly_cost_pence", sa.Integer(), nullable=False),
        sa.Column("per_pupil_cost_pence", sa.Integer(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("minutes BETWEEN 1 AND 600", name=op.f("ck_intervention_session_minutes_range")),
        sa.ForeignKeyConstraint(
            ["provision_type_id"],
            ["provision_type.id"],
            name=op.f("fk_intervention_session_provision_type_id_provision_type"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_intervention_session_school_id_school")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_intervention_session_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intervention_session")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_intervention_session_idempotency_key")),
    )
    with op.batch_alter_table("intervention_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intervention_session_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index("ix_session_school_date", ["school_id", "held_on"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("period_key", sa.String(length=200), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_activity_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'dead')", name=op.f("ck_outbox_status_known")
        ),
        sa.ForeignKeyConstraint(["recipient_id"], ["staff.id"], name=op.f("fk_outbox_recipient_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("period_key", name=op.f("uq_outbox_period_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("concern", sa.Text(), nullable=False),
        sa.Column("tried_so_far", sa.Text(), nullable=True),
        sa.Column("consent_on", sa.Date(), nullable=False),
        sa.Column("consent_by", sa.String(length=200), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'more_info', 'approved', 'declined', 'sent', 'accepted', 'assessed', 'report_received', 'closed')",
            name=op.f("ck_referral_status_known"),
        ),
        sa.CheckConstraint(
            "urgency IN ('routine', 'soon', 'urgent')", name=op.f("ck_referral_urgency_known")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["staff.id"], name=op.f("fk_referral_decided_by_staff")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_referral_pupil_id_pupil")),
        sa.ForeignKeyConstraint(["requested_by"], ["staff.id"], name=op.f("fk_referral_requested_by_staff")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_referral_school_id_school")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["referral_service.id"], name=op.f("fk_referral_service_id_referral_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_referral_idempotency_key")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_school_id"), ["school_id"], unique=False)

    op.create_table(
        "register_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("need_rank1", sa.String(length=8), nullable=True),
        sa.Column("need_rank2", sa.String(length=8), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status = 'N' OR need_rank1 IS NOT NULL", name=op.f("ck_register_entry_need_required_for_k_e")
        ),
        sa.CheckConstraint("status IN ('N', 'K', 'E')", name=op.f("ck_register_entry_status_known")),
        sa.CheckConstraint(
            "need_rank2 IS NULL OR need_rank2 <> need_rank1", name=op.f("ck_register_entry_needs_distinct")
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["staff.id"], name=op.f("fk_register_entry_changed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["need_rank1"], ["need_type.code"], name=op.f("fk_register_entry_need_rank1_need_type")
        ),
        sa.ForeignKeyConstraint(
            ["need_rank2"], ["need_type.code"], name=op.f("fk_register_entry_need_rank2_need_type")
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_register_entry_pupil_id_pupil")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entry")),
    )
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.create_index("ix_register_current", ["pupil_id", "ended_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_register_entry_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "staff_role",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "role IN ('teacher', 'ta', 'senco', 'head', 'admin', 'trust_lead')",
            name=op.f("ck_staff_role_role_known"),
        ),
        sa.ForeignKeyConstraint(["granted_by"], ["staff.id"], name=op.f("fk_staff_role_granted_by_staff")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_role_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", "role", name=op.f("pk_staff_role")),
    )
    op.create_table(
        "support_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("strategies", sa.Text(), nullable=True),
        sa.Column("pupil_views", sa.Text(), nullable=True),
        sa.Column("parent_views", sa.Text(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'closed')", name=op.f("ck_support_plan_status_known")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_support_plan_created_by_staff")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_support_plan_pupil_id_pupil")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_plan")),
    )
    with op.batch_alter_table("support_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_plan_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "trust_school",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_trust_school_school_id_school")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_trust_school_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", "school_id", name=op.f("pk_trust_school")),
    )
    op.create_table(
        "attendance",
        sa.Column("session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("cost_pence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_attendance_pupil_id_pupil")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["intervention_session.id"],
            name=op.f("fk_attendance_session_id_intervention_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "pupil_id", name=op.f("pk_attendance")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "plan_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("position BETWEEN 1 AND 4", name=op.f("ck_plan_outcome_position_range")),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["support_plan.id"],
            name=op.f("fk_plan_outcome_plan_id_support_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_outcome")),
        sa.UniqueConstraint("plan_id", "position", name="uq_outcome_plan_position"),
    )
    with op.batch_alter_table("plan_outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_outcome_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "plan_provision",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("provision_type_id", sa.Integer(), nullable=False),
        sa.Column("sessions_per_week", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["support_plan.id"],
            name=op.f("fk_plan_provision_plan_id_support_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provision_type_id"],
            ["provision_type.id"],
            name=op.f("fk_plan_provision_provision_type_id_provision_type"),
        ),
        sa.PrimaryKeyConstraint("plan_id", "provision_type_id", name=op.f("pk_plan_provision")),
    )
    op.create_table(
        "referral_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'more_info', 'approved', 'declined', 'sent', 'accepted', 'assessed', 'report_received', 'closed')",
            name=op.f("ck_referral_event_status_known"),
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["staff.id"], name=op.f("fk_referral_event_actor_id_staff")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_referral_event_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_event")),
    )
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_event_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("parent_attended", sa.Boolean(), nullable=True),
        sa.Column("parent_who", sa.String(length=200), nullable=True),
        sa.Column("next_steps", sa.Text(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["support_plan.id"], name=op.f("fk_review_plan_id_support_plan")
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_review_pupil_id_pupil")),
        sa.ForeignKeyConstraint(["recorded_by"], ["staff.id"], name=op.f("fk_review_recorded_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index("ix_review_due_open", ["due_on", "held_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "review_outcome",
        sa.Column("review_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "result IN ('pending', 'met', 'partly_met', 'not_met')",
            name=op.f("ck_review_outcome_result_known"),
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"], ["plan_outcome.id"], name=op.f("fk_review_outcome_outcome_id_plan_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_review_outcome_review_id_review"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("review_id", "outcome_id", name=op.f("pk_review_outcome")),
    )

    _seed_need_types()
    _audit_append_only()


def downgrade() -> None:
    _drop_audit_triggers()
    op.drop_table("review_outcome")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_pupil_id"))
        batch_op.drop_index("ix_review_due_open")

    op.drop_table("review")
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_event_referral_id"))

    op.drop_table("referral_event")
    op.drop_table("plan_provision")
    with op.batch_alter_table("plan_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_outcome_plan_id"))

    op.drop_table("plan_outcome")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_pupil_id"))

    op.drop_table("attendance")
    op.drop_table("trust_school")
    with op.batch_alter_table("support_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_plan_pupil_id"))

    op.drop_table("support_plan")
    op.drop_table("staff_role")
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_entry_pupil_id"))
        batch_op.drop_index("ix_register_current")

    op.drop_table("register_entry")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_school_id"))
        batch_op.drop_index(batch_op.f("ix_referral_pupil_id"))

    op.drop_table("referral")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    with op.batch_alter_table("intervention_session", schema=None) as batch_op:
        batch_op.drop_index("ix_session_school_date")
        batch_op.drop_index(batch_op.f("ix_intervention_session_staff_id"))

    op.drop_table("intervention_session")
    op.drop_table("conversation_ref")
    with op.batch_alter_table("class_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_staff_staff_id"))

    op.drop_table("class_staff")
    with op.batch_alter_table("class_pupil", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_pupil_pupil_id"))

    op.drop_table("class_pupil")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_school_id"))

    op.drop_table("staff")
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_class_school_id"))

    op.drop_table("school_class")
    with op.batch_alter_table("referral_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_service_school_id"))

    op.drop_table("referral_service")
    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pupil_school_id"))

    op.drop_table("pupil")
    with op.batch_alter_table("provision_type", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provision_type_school_id"))

    op.drop_table("provision_type")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_tenant_id"))

    op.drop_table("school")
    op.drop_table("need_type")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_pupil_id"))
        batch_op.drop_index("ix_audit_at")

    op.drop_table("audit_event")


# The need types of the January 2025 school census (docs/design.md). Frozen here: later census changes
# arrive as new migrations that add rows or set valid_to, never by editing this list.
NEED_TYPES = [
    ("SPLD", "Specific learning difficulty", "Cognition and learning", False),
    ("MLD", "Moderate learning difficulty", "Cognition and learning", False),
    ("SLD", "Severe learning difficulty", "Cognition and learning", False),
    ("PMLD", "Profound and multiple learning difficulty", "Cognition and learning", False),
    ("SEMH", "Social, emotional and mental health", "Social, emotional and mental health", False),
    ("SLCN", "Speech, language and communication needs", "Communication and interaction", False),
    ("ASD", "Autistic spectrum disorder", "Communication and interaction", False),
    ("HI", "Hearing impairment", "Sensory and/or physical", False),
    ("VI", "Vision impairment", "Sensory and/or physical", False),
    ("MSI", "Multi-sensory impairment", "Sensory and/or physical", False),
    ("PD", "Physical disability", "Sensory and/or physical", False),
    ("OTH", "Other difficulty or disability", None, False),
    ("NSA", "SEN support but no specialist assessment of type of need", None, True),
]


def _seed_need_types() -> None:
    table = sa.table(
        "need_type",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("broad_area", sa.String),
        sa.column("only_with_sen_support", sa.Boolean),
        sa.column("valid_from", sa.Date),
        sa.column("census_version", sa.String),
    )
    op.bulk_insert(
        table,
        [
            {
                "code": code,
                "name": name,
                "broad_area": area,
                "only_with_sen_support": k_only,
                "valid_from": date(2015, 1, 1),
                "census_version": "2025-01",
            }
            for code, name, area, k_only in NEED_TYPES
        ],
    )


def _audit_append_only() -> None:
    """The audit trail must survive a bug or a curious operator: the database refuses edits."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
