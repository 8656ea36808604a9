"""Concerns: a teacher raises a concern about a pupil not on the register; the SENCO accepts or declines.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-28 09:30:45

One new table; decided with a version check like referrals (UPDATE ... WHERE version = :v).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("suggested_need", sa.String(length=8), nullable=True),
        sa.Column("parents_spoken", sa.Boolean(), nullable=True),
        sa.Column("parents_spoken_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'accepted', 'declined')", name=op.f("ck_concern_status_known")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["staff.id"], name=op.f("fk_concern_decided_by_staff")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_concern_pupil_id_pupil")),
        sa.ForeignKeyConstraint(["raised_by"], ["staff.id"], name=op.f("fk_concern_raised_by_staff")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_concern_school_id_school")),
        sa.ForeignKeyConstraint(
            ["suggested_need"], ["need_type.code"], name=op.f("fk_concern_suggested_need_need_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_concern_idempotency_key")),
    )
    op.create_index("ix_concern_pupil_id", "concern", ["pupil_id"], unique=False)
    op.create_index("ix_concern_school_id", "concern", ["school_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_concern_school_id", table_name="concern")
    op.drop_index("ix_concern_pupil_id", table_name="concern")
    op.drop_table("concern")
