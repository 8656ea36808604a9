"""Weekly digest: per-school digest day and time, notional SEN budget, opted-in recipients, and the
indexes the digest queries need at local-authority scale.

Revision ID: 0008
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0001"
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


def downgrade() -> None:
    op.drop_table("digest_recipient")
    for name, _kind, _check in reversed(COLUMNS):
        op.execute(f"ALTER TABLE school DROP COLUMN {name}")
