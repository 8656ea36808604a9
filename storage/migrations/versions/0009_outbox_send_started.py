"""Outbox: when a row's send started, and 'unknown' for a send a crash left in doubt.

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-01 20:00:00

A row whose dispatcher died after its send started may or may not have reached Teams: a reminder is sent
again, a digest is marked 'unknown' for an operator (bot/jobs/outbox.py). The status CHECK is widened (on
SQLite that rebuilds the outbox table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'dead')"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'unknown')"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_outbox_status_known"), type_="check")
        batch.create_check_constraint("status_known", NEW_STATUSES)


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'dead' WHERE status = 'unknown'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_status_known"), type_="check")
        batch.create_check_constraint("status_known", OLD_STATUSES)
        batch.drop_column("send_started_at")
