"""Referrals: decision note, the more-information question and answer, and the dates of the referral's life.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS = ("decision_note", "info_question", "info_answer", "report_summary", "report_recommendations")
DATE_COLUMNS = ("sent_on", "accepted_on", "assessed_on", "report_on")


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        for name in TEXT_COLUMNS[:3]:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("accepted_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("waiting_weeks", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("assessed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("report_on", sa.Date(), nullable=True))
        for name in TEXT_COLUMNS[3:]:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.create_index("ix_referral_open", ["school_id", "status", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_open")
        for name in (*TEXT_COLUMNS, *DATE_COLUMNS, "waiting_weeks"):
            batch_op.drop_column(name)
