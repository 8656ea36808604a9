"""Register, plans and reviews: idempotency keys and the one-current-row rules.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:10:00

Adds an idempotency key to register entries, support plans and reviews (a double submit writes once),
and partial unique indexes: one current register entry per pupil, one active plan per pupil, one open
review per plan. Columns are nullable and indexes are plain CREATE INDEX, so SQLite needs no table rebuild.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYED = ("register_entry", "support_plan", "review")


def upgrade() -> None:
    for table in KEYED:
        op.add_column(table, sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        op.create_index(f"ix_{table}_idempotency_key", table, ["idempotency_key"], unique=True)
    op.add_column("support_plan", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    _partial_unique("uq_register_entry_current", "register_entry", "pupil_id", "ended_on IS NULL")
    _partial_unique("uq_support_plan_active", "support_plan", "pupil_id", "status = 'active'")
    _partial_unique("uq_review_open_plan", "review", "plan_id", "held_on IS NULL")


def downgrade() -> None:
    op.drop_index("uq_review_open_plan", table_name="review")
    op.drop_index("uq_support_plan_active", table_name="support_plan")
    op.drop_index("uq_register_entry_current", table_name="register_entry")
    with op.batch_alter_table("support_plan") as batch:
        batch.drop_column("updated_at")
    for table in KEYED:
        op.drop_index(f"ix_{table}_idempotency_key", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("idempotency_key")


def _partial_unique(name: str, table: str, column: str, where: str) -> None:
    op.create_index(
        name,
        table,
        [column],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )
