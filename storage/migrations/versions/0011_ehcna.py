"""EHC needs assessment requests and EHC plans; reminders of their deadlines and of threshold crossings.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:00:00

reminder_sent may record an EHCNA deadline or a threshold crossing as announced (its CHECKs widened: on
SQLite that rebuilds the small reminder_sent table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "subject_kind IN ('review', 'referral', 'parent_task')"
NEW_KINDS = "subject_kind IN ('review', 'referral', 'parent_task', 'ehcna', 'threshold')"
OLD_STAGES = "stage IN ('due_soon', 'due_today', 'overdue', 'stalled')"
NEW_STAGES = "stage IN ('due_soon', 'due_today', 'overdue', 'stalled', 'threshold_80', 'threshold_100')"
STATUSES = (
    "status IN ('requested', 'assessing', 'not_assessing', 'assessed', 'draft', 'issued', 'not_issued', "
    "'withdrawn')"
)
OPEN = "status IN ('requested', 'assessing', 'assessed', 'draft')"


def _reminder_checks(kinds: str, stages: str) -> None:
    with op.batch_alter_table("reminder_sent") as batch:
        batch.drop_constraint(op.f("ck_reminder_sent_subject_kind_known"), type_="check")
        batch.drop_constraint(op.f("ck_reminder_sent_stage_known"), type_="check")
        batch.create_check_constraint("subject_kind_known", kinds)
        batch.create_check_constraint("stage_known", stages)


def upgrade() -> None:
    _reminder_checks(NEW_KINDS, NEW_STAGES)
    op.create_table(
        "ehcna_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("local_authority", sa.String(length=120), nullable=False),
        sa.Column("requested_by", sa.String(length=8), nullable=False),
        sa.Column("evidence_attached", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("draft_on", sa.Date(), nullable=True),
        sa.Column("final_on", sa.Date(), nullable=True),
        sa.Column("final_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(STATUSES, name=op.f("ck_ehcna_request_status_known")),
        sa.CheckConstraint(
            "requested_by IN ('school', 'parent')", name=op.f("ck_ehcna_request_requester_known")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_ehcna_request_created_by_staff")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_ehcna_request_pupil_id_pupil")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_ehcna_request_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehcna_request")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ehcna_request_idempotency_key")),
    )
    with op.batch_alter_table("ehcna_request") as batch:
        batch.create_index(batch.f("ix_ehcna_request_pupil_id"), ["pupil_id"], unique=False)
        batch.create_index(batch.f("ix_ehcna_request_school_id"), ["school_id"], unique=False)
        batch.create_index(
            "uq_ehcna_request_open",
            ["pupil_id"],
            unique=True,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )
    op.create_table(
        "ehc_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_ehc_plan_pupil_id_pupil")),
        sa.ForeignKeyConstraint(["recorded_by"], ["staff.id"], name=op.f("fk_ehc_plan_recorded_by_staff")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["ehcna_request.id"], name=op.f("fk_ehc_plan_request_id_ehcna_request")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehc_plan")),
        sa.UniqueConstraint("request_id", name=op.f("uq_ehc_plan_request_id")),
    )
    with op.batch_alter_table("ehc_plan") as batch:
        batch.create_index(batch.f("ix_ehc_plan_pupil_id"), ["pupil_id"], unique=False)
    # Pupils already at E had their plan issued before the bot: one record each, dated from the entry.
    op.execute(
        "INSERT INTO ehc_plan (pupil_id, issued_on, created_at) "
        "SELECT pupil_id, started_on, created_at FROM register_entry WHERE status = 'E' AND ended_on IS NULL"
    )


def downgrade() -> None:
    op.drop_table("ehc_plan")
    op.drop_table("ehcna_request")
    op.execute("DELETE FROM reminder_sent WHERE subject_kind IN ('ehcna', 'threshold')")
    _reminder_checks(OLD_KINDS, OLD_STAGES)
