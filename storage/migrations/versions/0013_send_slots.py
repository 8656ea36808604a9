"""Send slots: the per-tenant send pace shared by every replica.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:00:00

Teams limits an app per tenant, not per replica, so each tenant's next free send slot is a row every
dispatcher reserves from with one atomic upsert (storage/queries/outbox.py, reserve_send_slot). SQLite
runs one process and keeps the pace in memory; the table exists there too so the schema is one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_slot",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_send_slot")),
    )


def downgrade() -> None:
    op.drop_table("send_slot")
