"""Notifications that wait for their person or expire.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 09:00:00

- outbox: 'waiting' (the person has no conversation yet and the app could not be installed for them:
  sent when they open the bot) and 'expired' (past `expires_at`, never sent late); `waiting_since` so a
  late send says it is late. The status CHECK is widened (on SQLite that rebuilds the outbox table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'unknown')"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'unknown', 'waiting', 'expired')"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_outbox_status_known"), type_="check")
        batch.create_check_constraint("status_known", NEW_STATUSES)


def downgrade() -> None:
    # A waiting row goes back to what it was before this revision: dead, with its reason.
    op.execute("UPDATE outbox SET status = 'dead' WHERE status IN ('waiting', 'expired')")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_status_known"), type_="check")
        batch.create_check_constraint("status_known", OLD_STATUSES)
        batch.drop_column("waiting_since")
        batch.drop_column("expires_at")
