"""remember the last accepted TOTP time step so a code is never accepted twice

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 11:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: a batch copy of `users` on SQLite would lose the
    # expression index uq_users_email_lower, which SQLite cannot reflect.
    op.add_column("users", sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
    # The batch copy on SQLite drops the expression index; put it back.
    op.execute("CREATE UNIQUE INDEX IF NOT EXISTS uq_users_email_lower ON users (lower(email))")
