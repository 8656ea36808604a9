"""Parents: duties as tracked tasks, parent contacts, letter templates, emailed letters.

Revision ID: 0009
Revises: 0010
Create Date: 2026-11-28 09:31:03

New tables, and reminder_sent may record a duty to parents as announced (its CHECK widened: on SQLite
that rebuilds the small reminder_sent table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_KINDS = "subject_kind IN ('review', 'referral')"
NEW_KINDS = "subject_kind IN ('review', 'referral', 'parent_task')"


def _subject_kinds(check: str) -> None:
    with op.batch_alter_table("reminder_sent") as batch:
        batch.drop_constraint(op.f("ck_reminder_sent_subject_kind_known"), type_="check")
        batch.create_check_constraint("subject_kind_known", check)


def upgrade() -> None:
    _subject_kinds(NEW_KINDS)

    op.create_table(
        "letter_template",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('sen_support', 'plan_summary', 'review_summary')",
            name=op.f("ck_letter_template_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_letter_template_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff.id"], name=op.f("fk_letter_template_updated_by_staff")
        ),
        sa.PrimaryKeyConstraint("school_id", "kind", name=op.f("pk_letter_template")),
    )
    op.create_table(
        "parent_contact",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relationship", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("preferred", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_parent_contact_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_contact")),
    )
    with op.batch_alter_table("parent_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parent_contact_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "parent_task",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source_entity", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("trigger_key", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.Date(), nullable=True),
        sa.Column("done_how", sa.String(length=16), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("done_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "done_how IS NULL OR done_how IN ('meeting', 'letter', 'email', 'phone')",
            name=op.f("ck_parent_task_how_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('inform_sen_support', 'inform_plan_change', 'share_review_outcome')",
            name=op.f("ck_parent_task_kind_known"),
        ),
        sa.CheckConstraint(
            "(done_at IS NULL) = (done_how IS NULL)", name=op.f("ck_parent_task_done_complete")
        ),
        sa.ForeignKeyConstraint(["done_by"], ["staff.id"], name=op.f("fk_parent_task_done_by_staff")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_parent_task_pupil_id_pupil")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_parent_task_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_task")),
        sa.UniqueConstraint("trigger_key", name=op.f("uq_parent_task_trigger_key")),
    )
    with op.batch_alter_table("parent_task", schema=None) as batch_op:
        batch_op.create_index("ix_parent_task_open", ["school_id", "done_at", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_parent_task_pupil_id"), ["pupil_id"], unique=False)

    op.create_table(
        "parent_email",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("send_key", sa.String(length=64), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'unknown')",
            name=op.f("ck_parent_email_status_known"),
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_parent_email_pupil_id_pupil")),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["staff.id"], name=op.f("fk_parent_email_requested_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["parent_task.id"], name=op.f("fk_parent_email_task_id_parent_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parent_email")),
        sa.UniqueConstraint("send_key", name=op.f("uq_parent_email_send_key")),
    )
    with op.batch_alter_table("parent_email", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parent_email_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index("ix_parent_email_pending", ["status", "created_at"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM reminder_sent WHERE subject_kind = 'parent_task'")
    _subject_kinds(OLD_KINDS)

    with op.batch_alter_table("parent_email", schema=None) as batch_op:
        batch_op.drop_index("ix_parent_email_pending")
        batch_op.drop_index(batch_op.f("ix_parent_email_pupil_id"))

    op.drop_table("parent_email")
    with op.batch_alter_table("parent_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parent_task_pupil_id"))
        batch_op.drop_index("ix_parent_task_open")

    op.drop_table("parent_task")
    with op.batch_alter_table("parent_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parent_contact_pupil_id"))

    op.drop_table("parent_contact")
    op.drop_table("letter_template")
