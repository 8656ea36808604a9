"""The record's lifecycle: the retention policy, legal holds, transfers, and the DPO role.

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-10 09:00:00

Retention (docs/retention.md) deletes a pupil's record when its date has passed, never while a legal hold
is open; a transfer to the next school shortens how long this school keeps its copy. The DPO handles
subject access requests: the role CHECK is widened (on SQLite that rebuilds staff_role).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = "role IN ('teacher', 'ta', 'senco', 'head', 'admin', 'trust_lead')"
NEW_ROLES = "role IN ('teacher', 'ta', 'senco', 'head', 'admin', 'trust_lead', 'dpo')"


def upgrade() -> None:
    with op.batch_alter_table("staff_role") as batch:
        batch.drop_constraint(op.f("ck_staff_role_role_known"), type_="check")
        batch.create_check_constraint("role_known", NEW_ROLES)

    op.create_table(
        "record_policy",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("keep_until_age", sa.Integer(), server_default="31", nullable=False),
        sa.Column("transferred_keep_days", sa.Integer(), server_default="90", nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("keep_until_age BETWEEN 18 AND 100", name=op.f("ck_record_policy_keep_age_range")),
        sa.CheckConstraint(
            "transferred_keep_days BETWEEN 0 AND 3650", name=op.f("ck_record_policy_transferred_days_range")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_record_policy_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["updated_by"], ["staff.id"], name=op.f("fk_record_policy_updated_by_staff")),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_record_policy")),
    )

    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_legal_hold_school_id_school")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_legal_hold_pupil_id_pupil")),
        sa.ForeignKeyConstraint(["placed_by"], ["staff.id"], name=op.f("fk_legal_hold_placed_by_staff")),
        sa.ForeignKeyConstraint(["released_by"], ["staff.id"], name=op.f("fk_legal_hold_released_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    with op.batch_alter_table("legal_hold") as batch:
        batch.create_index(batch.f("ix_legal_hold_school_id"), ["school_id"], unique=False)
        batch.create_index(batch.f("ix_legal_hold_pupil_id"), ["pupil_id"], unique=False)
        batch.create_index(
            "uq_legal_hold_open",
            ["pupil_id"],
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )

    op.create_table(
        "pupil_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("to_school", sa.String(length=200), nullable=False),
        sa.Column("to_urn", sa.String(length=16), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("how", sa.String(length=32), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_pupil_transfer_school_id_school")
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"], name=op.f("fk_pupil_transfer_pupil_id_pupil")),
        sa.ForeignKeyConstraint(["sent_by"], ["staff.id"], name=op.f("fk_pupil_transfer_sent_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_transfer")),
    )
    with op.batch_alter_table("pupil_transfer") as batch:
        batch.create_index(batch.f("ix_pupil_transfer_school_id"), ["school_id"], unique=False)
        batch.create_index(batch.f("ix_pupil_transfer_pupil_id"), ["pupil_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pupil_transfer")
    op.drop_table("legal_hold")
    op.drop_table("record_policy")
    op.execute("DELETE FROM staff_role WHERE role = 'dpo'")
    with op.batch_alter_table("staff_role") as batch:
        batch.drop_constraint(op.f("ck_staff_role_role_known"), type_="check")
        batch.create_check_constraint("role_known", OLD_ROLES)
