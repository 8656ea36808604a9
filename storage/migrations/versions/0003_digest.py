"""Weekly digest: per-school digest day and time, notional SEN budget, opted-in recipients, and two
covering indexes the digest queries need at local-authority scale.

Revision ID: 0008
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Column-level CHECKs: SQLite can add those with ALTER TABLE ADD COLUMN, where a table-level
# constraint would need the table rebuilt (which foreign keys pointing at `school` forbid).
COLUMNS = (
    (
        "notional_sen_budget_pence",
        "BIGINT",
        "CONSTRAINT ck_school_budget_non_negative CHECK "
        "(notional_sen_budget_pence IS NULL OR notional_sen_budget_pence >= 0)",
    ),
    (
        "digest_weekday",
        "INTEGER DEFAULT 1 NOT NULL",
        "CONSTRAINT ck_school_digest_weekday_range CHECK (digest_weekday BETWEEN 1 AND 7)",
    ),
    ("digest_time", "TIME DEFAULT '07:00:00' NOT NULL", ""),
)


def upgrade() -> None:
    for name, kind, check in COLUMNS:
        op.execute(f"ALTER TABLE school ADD COLUMN {name} {kind} {check}")
    op.create_table(
        "digest_recipient",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_digest_recipient_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_digest_recipient_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("school_id", "staff_id", name=op.f("pk_digest_recipient")),
    )
    # Index-only scans for the digest's sums of one school (benchmarks/digest.py: 149 ms → 56 ms).
    op.create_index(
        "ix_session_school_live",
        "intervention_session",
        ["school_id", "held_on"],
        postgresql_include=["id", "minutes", "provision_type_id"],
        postgresql_where=sa.text("undone_at IS NULL"),
        sqlite_where=sa.text("undone_at IS NULL"),
    )
    op.create_index(
        "ix_attendance_session_cover",
        "attendance",
        ["session_id"],
        postgresql_include=["pupil_id", "present", "cost_pence"],
    )


def downgrade() -> None:
    op.drop_index("ix_attendance_session_cover", table_name="attendance")
    op.drop_index("ix_session_school_live", table_name="intervention_session")
    op.drop_table("digest_recipient")
    if op.get_bind().dialect.name == "sqlite":
        # A later migration's batch rebuild of `school` turns the column CHECKs into table CHECKs,
        # which SQLite's DROP COLUMN refuses; a batch rebuild drops column and CHECK together.
        with op.batch_alter_table("school", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_school_digest_weekday_range"), type_="check")
            batch_op.drop_constraint(op.f("ck_school_budget_non_negative"), type_="check")
            for name, _kind, _check in reversed(COLUMNS):
                batch_op.drop_column(name)
        return
    for name, _kind, _check in reversed(COLUMNS):
        op.execute(f"ALTER TABLE school DROP COLUMN {name}")
