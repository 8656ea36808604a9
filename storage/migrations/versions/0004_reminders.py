"""Reminders: school closures, what each person was told, the school's reminder time, open-review index.

Revision ID: 0005
Revises: 0008
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_time", sa.Time(), server_default="07:30:00", nullable=False))
    op.create_table(
        "school_closure",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_school_closure_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("school_id", "closed_on", name=op.f("pk_school_closure")),
    )
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("outbox_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "subject_kind IN ('review', 'referral')", name=op.f("ck_reminder_sent_subject_kind_known")
        ),
        sa.CheckConstraint(
            "stage IN ('due_soon', 'due_today', 'overdue', 'stalled')",
            name=op.f("ck_reminder_sent_stage_known"),
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_reminder_sent_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["staff.id"],
            name=op.f("fk_reminder_sent_recipient_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint(
            "subject_kind", "subject_id", "stage", "as_of", "recipient_id", name="uq_reminder_sent_key"
        ),
    )
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_sent_recipient_id"), ["recipient_id"], unique=False)
        batch_op.create_index(
            "ix_reminder_sent_school", ["school_id", "subject_kind", "subject_id"], unique=False
        )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_open_due",
            ["due_on", "pupil_id", "id"],
            unique=False,
            postgresql_where=sa.text("held_on IS NULL"),
            sqlite_where=sa.text("held_on IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_review_open_due",
            postgresql_where=sa.text("held_on IS NULL"),
            sqlite_where=sa.text("held_on IS NULL"),
        )
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_sent_school")
        batch_op.drop_index(batch_op.f("ix_reminder_sent_recipient_id"))
    op.drop_table("reminder_sent")
    op.drop_table("school_closure")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("reminder_time")
