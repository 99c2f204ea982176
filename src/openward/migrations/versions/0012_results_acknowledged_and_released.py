"""results acknowledged by the ordering doctor and released to the patient

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 01:00:00

Lab orders and imaging orders keep who acknowledged the result (the ordering doctor) and
when, and the moment the result reaches the patient: the acknowledgement or a delay after
verification (settings.result_release_hours), whichever comes first. Results verified before
this revision had already reached their patients: they keep doing so from their verification.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("lab_orders", "imaging_orders")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("acknowledged_by", sa.Integer(), nullable=True))
            batch_op.add_column(
                sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True)
            )
            batch_op.add_column(sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_acknowledged_by_users"),
                "users",
                ["acknowledged_by"],
                ["id"],
            )
        # A doctor's results still to acknowledge: verified, not acknowledged, theirs.
        op.create_index(
            f"ix_{table}_doctor_unacknowledged",
            table,
            ["doctor_user_id", "status", "acknowledged_at"],
        )
        op.execute(
            sa.text(
                f"UPDATE {table} SET released_at = verified_at "
                "WHERE status = 'verified' AND verified_at IS NOT NULL"
            )
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_doctor_unacknowledged", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_acknowledged_by_users"), type_="foreignkey"
            )
            batch_op.drop_column("released_at")
            batch_op.drop_column("acknowledged_at")
            batch_op.drop_column("acknowledged_by")
