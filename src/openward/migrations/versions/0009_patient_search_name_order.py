"""patient search reads names in order: one index on (name_search, id, is_active)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00

A search for a common name ("garcia", 128k of a million patients) walks this index in name
order and stops at the page it shows instead of sorting every match; names beginning with
what was typed are a range of it. It replaces ix_patients_name_search (name_search alone),
which it serves too (the duplicate checks look names up by equality). On PostgreSQL the name
is indexed with varchar_pattern_ops: byte order, whatever the database collation, so that
prefixes (LIKE 'jose gar%') are ranges of the index and its order is the one the search
sorts by (USING ~<~). SQLite's BINARY collation already is byte order.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_patients_name_search_id",
        "patients",
        ["name_search", "id", "is_active"],
        postgresql_ops={"name_search": "varchar_pattern_ops"},
    )
    op.drop_index("ix_patients_name_search", table_name="patients")


def downgrade() -> None:
    op.create_index("ix_patients_name_search", "patients", ["name_search"])
    op.drop_index("ix_patients_name_search_id", table_name="patients")
