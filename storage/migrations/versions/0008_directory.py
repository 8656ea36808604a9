"""Directory: staff and classes are upserted by their MIS (or Graph) ids, so those ids are unique per school.

Revision ID: 0007
Revises: 0009
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_staff_school_mis", ["school_id", "mis_id"])
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_class_school_external", ["school_id", "external_id"])


def downgrade() -> None:
    with op.batch_alter_table("school_class", schema=None) as batch_op:
        batch_op.drop_constraint("uq_class_school_external", type_="unique")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint("uq_staff_school_mis", type_="unique")
