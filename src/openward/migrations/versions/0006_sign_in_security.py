"""sign-in security: activation codes, throttles per address, API sign-ins with an end

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "patient_activation_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("failed_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.Column("used_by_user_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_patient_activation_codes_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_activation_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_patient_activation_codes_code_hash")),
    )
    op.create_index(
        op.f("ix_patient_activation_codes_patient_id"),
        "patient_activation_codes",
        ["patient_id"],
        unique=False,
    )

    op.create_table(
        "api_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("last_used_at", _TS, nullable=False),
        sa.Column("mfa", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("ended_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_api_sign_ins_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_sign_ins")),
        sa.UniqueConstraint("family_id", name=op.f("uq_api_sign_ins_family_id")),
    )
    op.create_index(op.f("ix_api_sign_ins_user_id"), "api_sign_ins", ["user_id"], unique=False)
    # Sign-ins made before this release start when their first refresh token was issued, so
    # the absolute lifetime applies to them too.
    op.execute(
        "INSERT INTO api_sign_ins (family_id, user_id, started_at, last_used_at, mfa) "
        "SELECT family_id, min(user_id), min(created_at), max(created_at), false "
        "FROM refresh_tokens GROUP BY family_id"
    )

    # Plain ADD COLUMN: a batch copy of tables on SQLite is not needed for these.
    op.add_column(
        "login_attempts",
        sa.Column("kind", sa.String(length=16), server_default="login", nullable=False),
    )
    op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "at"], unique=False)
    op.create_index("ix_login_attempts_kind_at", "login_attempts", ["kind", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_attempts_kind_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_ip_at", table_name="login_attempts")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_column("kind")
    op.drop_index(op.f("ix_api_sign_ins_user_id"), table_name="api_sign_ins")
    op.drop_table("api_sign_ins")
    op.drop_index(
        op.f("ix_patient_activation_codes_patient_id"), table_name="patient_activation_codes"
    )
    op.drop_table("patient_activation_codes")
