"""audit sealing: requests append audit rows without a lock; a sealer chains them after

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00

Rows are written unsealed (`seq`, `prev_hash` and `hash` empty) and sealed shortly after, in
the order the sealer finds them committed: `seq` is their place in the chain. The database
still refuses any change to a row except that one sealing, and any delete. Rows written
before this release are the chain's first stretch, in id order (`seq` = `id`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Every column but the three the sealer fills: none of them may ever change.
_CONTENT = (
    "id, at, actor_id, actor_username, actor_role, action, object_type, object_id, "
    "patient_id, ip, user_agent, outcome, reason, detail"
)
_REFUSE = "SELECT RAISE(ABORT, 'audit_events is append-only')"


def _sealing_only(old: str, new: str) -> str:
    """The one update allowed: an unsealed row gets its place, link and hash, nothing else."""
    same = " AND ".join(f"{new}.{c} IS {old}.{c}" for c in _CONTENT.split(", "))
    return (
        f"{old}.seq IS NULL AND {old}.hash IS NULL AND {old}.prev_hash IS NULL "
        f"AND {new}.seq IS NOT NULL AND {new}.hash IS NOT NULL AND {new}.prev_hash IS NOT NULL "
        f"AND {same}"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.add_column("audit_events", sa.Column("seq", sa.BigInteger(), nullable=True))
        op.execute("UPDATE audit_events SET seq = id")
        op.alter_column("audit_events", "prev_hash", existing_type=sa.String(64), nullable=True)
        op.alter_column("audit_events", "hash", existing_type=sa.String(64), nullable=True)
        op.create_index("uq_audit_events_seq", "audit_events", ["seq"], unique=True)
        op.create_index(
            "ix_audit_events_unsealed",
            "audit_events",
            ["id"],
            postgresql_where=sa.text("seq IS NULL"),
        )
        condition = _sealing_only("OLD", "NEW").replace(" IS OLD.", " IS NOT DISTINCT FROM OLD.")
        _pg_guard(f"IF TG_OP = 'UPDATE' AND {condition} THEN RETURN NEW; END IF;")
        return
    for name in ("update", "delete", "replace"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{name}")
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=True)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=True)
    op.execute("UPDATE audit_events SET seq = id")
    op.create_index("uq_audit_events_seq", "audit_events", ["seq"], unique=True)
    op.create_index(
        "ix_audit_events_unsealed", "audit_events", ["id"], sqlite_where=sa.text("seq IS NULL")
    )
    _sqlite_guards(_sealing_only("OLD", "NEW"))


def _pg_guard(allowed: str) -> None:
    """The append-only function (also behind 0001's TRUNCATE trigger), letting through what
    `allowed` returns early for, and its row trigger."""
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
        BEGIN
            {allowed}
            RAISE EXCEPTION 'audit_events is append-only';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    )


def _sqlite_guards(update_allowed: str | None) -> None:
    when = f"WHEN NOT ({update_allowed}) " if update_allowed else ""
    op.execute(
        f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events {when}"
        f"BEGIN {_REFUSE}; END"
    )
    op.execute(
        f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN {_REFUSE}; END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
        "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
        f"BEGIN {_REFUSE}; END"
    )


def downgrade() -> None:
    # Rows never sealed get a link and hash that cannot verify: the old release reports them
    # instead of taking them for part of the chain.
    unsealed = (
        "UPDATE audit_events SET prev_hash = '', hash = 'unsealed-' || CAST(id AS TEXT) "
        "WHERE seq IS NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute(unsealed)
        op.drop_index("ix_audit_events_unsealed", table_name="audit_events")
        op.drop_index("uq_audit_events_seq", table_name="audit_events")
        op.alter_column("audit_events", "hash", existing_type=sa.String(64), nullable=False)
        op.alter_column("audit_events", "prev_hash", existing_type=sa.String(64), nullable=False)
        op.drop_column("audit_events", "seq")
        _pg_guard("")
        return
    for name in ("update", "delete", "replace"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{name}")
    op.execute(unsealed)
    op.drop_index("ix_audit_events_unsealed", table_name="audit_events")
    op.drop_index("uq_audit_events_seq", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.drop_column("seq")
    _sqlite_guards(None)
