"""audit rows cannot be overwritten by INSERT OR REPLACE on SQLite

SQLite fires no DELETE trigger for the row a REPLACE removes (unless recursive_triggers is
on), so the append-only triggers of 0001 did not stop `INSERT OR REPLACE` with an existing id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 11:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL has no REPLACE; its triggers already cover UPDATE and DELETE
    op.execute(
        "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
        "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_replace")
