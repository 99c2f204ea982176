"""care relationships: why a doctor may open a patient's record, fed by appointments

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "care_relationships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.CheckConstraint(
            "source IN ('appointment', 'admission', 'referral')",
            name=op.f("ck_care_relationships_source"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_care_relationships_doctor_id_doctors")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_care_relationships_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_relationships")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_care_relationships_source")),
    )
    op.create_index(
        "ix_care_relationships_doctor_patient",
        "care_relationships",
        ["doctor_id", "patient_id"],
        unique=False,
    )
    op.create_index(
        "ix_care_relationships_patient_id", "care_relationships", ["patient_id"], unique=False
    )
    # Every appointment booked before this release: a cancelled one as an ended relationship.
    op.execute(
        "INSERT INTO care_relationships "
        "(patient_id, doctor_id, source, source_id, is_active, started_at, ended_at) "
        "SELECT patient_id, doctor_id, 'appointment', id, status != 'cancelled', created_at, "
        "CASE WHEN status = 'cancelled' THEN coalesce(cancelled_at, updated_at) END "
        "FROM appointments"
    )


def downgrade() -> None:
    op.drop_index("ix_care_relationships_patient_id", table_name="care_relationships")
    op.drop_index("ix_care_relationships_doctor_patient", table_name="care_relationships")
    op.drop_table("care_relationships")
