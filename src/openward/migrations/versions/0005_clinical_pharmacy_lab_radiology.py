"""clinical record, pharmacy, laboratory, radiology and notifications

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 20:55:55.158641

Encounters with ICD-10 diagnoses and amendments, vital signs, allergies, problems and care
plans; the medicine catalogue, stock lots (quantity never below zero, by CHECK), movements,
prescriptions, dispensing and renewal requests (one pending per prescription); the lab
catalogue, orders and results; imaging exams, orders and attachments; notifications.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lab_tests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("specimen", sa.String(length=60), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("turnaround_hours", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_tests")),
        sa.UniqueConstraint("code", name=op.f("uq_lab_tests_code")),
    )
    op.create_table(
        "medicines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("generic_name", sa.String(length=200), nullable=False),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("strength", sa.String(length=60), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("is_supply", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reorder_level >= 0", name=op.f("ck_medicines_reorder_level")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_medicines_unit_price")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medicines")),
    )
    with op.batch_alter_table("medicines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_medicines_generic_name"), ["generic_name"], unique=False
        )
        batch_op.create_index(
            "uq_medicines_name_strength_form", ["name", "strength", "form"], unique=True
        )

    op.create_table(
        "modalities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_modalities")),
        sa.UniqueConstraint("code", name=op.f("uq_modalities_code")),
    )
    op.create_table(
        "imaging_exams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("modality_id", sa.Integer(), nullable=False),
        sa.Column("body_part", sa.String(length=100), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("preparation", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["modality_id"], ["modalities.id"], name=op.f("fk_imaging_exams_modality_id_modalities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_exams")),
        sa.UniqueConstraint("code", name=op.f("uq_imaging_exams_code")),
    )
    with op.batch_alter_table("imaging_exams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imaging_exams_modality_id"), ["modality_id"], unique=False
        )

    op.create_table(
        "lab_analytes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("low", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("high", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("critical_low", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("critical_high", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("normal_text", sa.String(length=60), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["test_id"], ["lab_tests.id"], name=op.f("fk_lab_analytes_test_id_lab_tests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_analytes")),
    )
    with op.batch_alter_table("lab_analytes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lab_analytes_code"), ["code"], unique=False)
        batch_op.create_index("uq_lab_analytes_test_code", ["test_id", "code"], unique=True)

    op.create_table(
        "stock_lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("medicine_id", sa.Integer(), nullable=False),
        sa.Column("batch_number", sa.String(length=60), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=True),
        sa.Column("received_by", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_lots_quantity_not_negative")),
        sa.CheckConstraint("quantity_received > 0", name=op.f("ck_stock_lots_quantity_received")),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_stock_lots_unit_cost")),
        sa.ForeignKeyConstraint(
            ["medicine_id"], ["medicines.id"], name=op.f("fk_stock_lots_medicine_id_medicines")
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["users.id"], name=op.f("fk_stock_lots_received_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_lots")),
    )
    with op.batch_alter_table("stock_lots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_lots_medicine_expiry", ["medicine_id", "expiry_date"], unique=False
        )
        batch_op.create_index("uq_stock_lots_batch", ["medicine_id", "batch_number"], unique=True)

    op.create_table(
        "allergies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("substance", sa.String(length=200), nullable=False),
        sa.Column("reaction", sa.String(length=500), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "severity IN ('mild', 'moderate', 'severe', 'life_threatening')",
            name=op.f("ck_allergies_severity"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'resolved', 'refuted')",
            name=op.f("ck_allergies_status"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_allergies_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_allergies_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allergies")),
    )
    with op.batch_alter_table("allergies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allergies_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "care_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("activities", sa.Text(), nullable=True),
        sa.Column("responsible_user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'on_hold', 'completed', 'cancelled')",
            name=op.f("ck_care_plans_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_care_plans_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_care_plans_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["responsible_user_id"],
            ["users.id"],
            name=op.f("fk_care_plans_responsible_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_plans")),
    )
    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_plans_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "lab_reference_ranges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analyte_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("age_min_years", sa.Integer(), nullable=True),
        sa.Column("age_max_years", sa.Integer(), nullable=True),
        sa.Column("low", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("high", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["analyte_id"],
            ["lab_analytes.id"],
            name=op.f("fk_lab_reference_ranges_analyte_id_lab_analytes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_reference_ranges")),
    )
    with op.batch_alter_table("lab_reference_ranges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lab_reference_ranges_analyte_id"), ["analyte_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_notifications_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_user_created", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("resolved_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('problem', 'history')", name=op.f("ck_problems_kind")),
        sa.CheckConstraint(
            "status IN ('active', 'resolved', 'inactive')", name=op.f("ck_problems_status")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_problems_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_problems_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
    )
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problems_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "encounters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("doctor_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("chief_complaint", sa.Text(), nullable=False),
        sa.Column("history", sa.Text(), nullable=True),
        sa.Column("examination", sa.Text(), nullable=True),
        sa.Column("assessment", sa.Text(), nullable=True),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("next_visit_date", sa.Date(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'signed')", name=op.f("ck_encounters_status")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_encounters_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_encounters_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_encounters_doctor_id_doctors")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_encounters_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"], ["users.id"], name=op.f("fk_encounters_signed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounters")),
    )
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_encounters_doctor_id"), ["doctor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_encounters_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index("uq_encounters_appointment_id", ["appointment_id"], unique=True)

    op.create_table(
        "encounter_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_encounter_amendments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_encounter_amendments_encounter_id_encounters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounter_amendments")),
    )
    with op.batch_alter_table("encounter_amendments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_encounter_amendments_encounter_id"), ["encounter_id"], unique=False
        )

    op.create_table(
        "encounter_diagnoses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_encounter_diagnoses_encounter_id_encounters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounter_diagnoses")),
    )
    with op.batch_alter_table("encounter_diagnoses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_encounter_diagnoses_encounter_id"), ["encounter_id"], unique=False
        )
        batch_op.create_index("uq_encounter_diagnoses_code", ["encounter_id", "code"], unique=True)

    op.create_table(
        "imaging_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("doctor_user_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("clinical_notes", sa.Text(), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ordered_by", sa.Integer(), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_by", sa.Integer(), nullable=True),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("performed_by", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("impression", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_by", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "priority IN ('routine', 'urgent', 'stat')", name=op.f("ck_imaging_orders_priority")
        ),
        sa.CheckConstraint(
            "status IN ('ordered', 'scheduled', 'performed', 'reported', 'verified', 'cancelled')",
            name=op.f("ck_imaging_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["users.id"], name=op.f("fk_imaging_orders_cancelled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["doctor_user_id"], ["users.id"], name=op.f("fk_imaging_orders_doctor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_imaging_orders_encounter_id_encounters"),
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["imaging_exams.id"], name=op.f("fk_imaging_orders_exam_id_imaging_exams")
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by"], ["users.id"], name=op.f("fk_imaging_orders_ordered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_imaging_orders_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["performed_by"], ["users.id"], name=op.f("fk_imaging_orders_performed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["users.id"], name=op.f("fk_imaging_orders_reported_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["scheduled_by"], ["users.id"], name=op.f("fk_imaging_orders_scheduled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by"], ["users.id"], name=op.f("fk_imaging_orders_verified_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_orders")),
    )
    with op.batch_alter_table("imaging_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imaging_orders_doctor_user_id"), ["doctor_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_imaging_orders_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            "ix_imaging_orders_status_ordered", ["status", "ordered_at"], unique=False
        )

    op.create_table(
        "lab_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("doctor_user_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("clinical_notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ordered_by", sa.Integer(), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collected_by", sa.Integer(), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resulted_by", sa.Integer(), nullable=True),
        sa.Column("resulted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "priority IN ('routine', 'urgent', 'stat')", name=op.f("ck_lab_orders_priority")
        ),
        sa.CheckConstraint(
            "status IN ('ordered', 'collected', 'in_progress', 'resulted', 'verified', 'cancelled')",
            name=op.f("ck_lab_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["users.id"], name=op.f("fk_lab_orders_cancelled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["collected_by"], ["users.id"], name=op.f("fk_lab_orders_collected_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["doctor_user_id"], ["users.id"], name=op.f("fk_lab_orders_doctor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounters.id"], name=op.f("fk_lab_orders_encounter_id_encounters")
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by"], ["users.id"], name=op.f("fk_lab_orders_ordered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_lab_orders_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["resulted_by"], ["users.id"], name=op.f("fk_lab_orders_resulted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["users.id"], name=op.f("fk_lab_orders_started_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by"], ["users.id"], name=op.f("fk_lab_orders_verified_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_orders")),
    )
    with op.batch_alter_table("lab_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lab_orders_doctor_user_id"), ["doctor_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lab_orders_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(
            "ix_lab_orders_status_ordered", ["status", "ordered_at"], unique=False
        )

    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("prescriber_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("override_reason", sa.String(length=500), nullable=True),
        sa.Column("renewed_from_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'partially_dispensed', 'dispensed', 'cancelled')",
            name=op.f("ck_prescriptions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["users.id"], name=op.f("fk_prescriptions_cancelled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounters.id"],
            name=op.f("fk_prescriptions_encounter_id_encounters"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_prescriptions_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["prescriber_id"], ["users.id"], name=op.f("fk_prescriptions_prescriber_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["renewed_from_id"],
            ["prescriptions.id"],
            name=op.f("fk_prescriptions_renewed_from_id_prescriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescriptions")),
    )
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prescriptions_encounter_id"), ["encounter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_prescriptions_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_prescriptions_prescriber_id"), ["prescriber_id"], unique=False
        )
        batch_op.create_index(
            "ix_prescriptions_status_created", ["status", "created_at"], unique=False
        )

    op.create_table(
        "vital_signs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("systolic", sa.Integer(), nullable=True),
        sa.Column("diastolic", sa.Integer(), nullable=True),
        sa.Column("pulse", sa.Integer(), nullable=True),
        sa.Column("respiratory_rate", sa.Integer(), nullable=True),
        sa.Column("temperature", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("spo2", sa.Integer(), nullable=True),
        sa.Column("weight_kg", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("height_cm", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("bmi", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("flags", sa.String(length=200), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "diastolic IS NULL OR diastolic BETWEEN 0 AND 250",
            name=op.f("ck_vital_signs_diastolic"),
        ),
        sa.CheckConstraint(
            "pulse IS NULL OR pulse BETWEEN 0 AND 350", name=op.f("ck_vital_signs_pulse")
        ),
        sa.CheckConstraint(
            "spo2 IS NULL OR spo2 BETWEEN 0 AND 100", name=op.f("ck_vital_signs_spo2")
        ),
        sa.CheckConstraint(
            "systolic IS NULL OR systolic BETWEEN 0 AND 350", name=op.f("ck_vital_signs_systolic")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounters.id"], name=op.f("fk_vital_signs_encounter_id_encounters")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_vital_signs_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_vital_signs_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vital_signs")),
    )
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vital_signs_patient_taken", ["patient_id", "taken_at"], unique=False
        )

    op.create_table(
        "imaging_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["imaging_orders.id"],
            name=op.f("fk_imaging_attachments_order_id_imaging_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_imaging_attachments_uploaded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_imaging_attachments_storage_key")),
    )
    with op.batch_alter_table("imaging_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imaging_attachments_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "lab_order_tests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["lab_orders.id"], name=op.f("fk_lab_order_tests_order_id_lab_orders")
        ),
        sa.ForeignKeyConstraint(
            ["test_id"], ["lab_tests.id"], name=op.f("fk_lab_order_tests_test_id_lab_tests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_order_tests")),
    )
    with op.batch_alter_table("lab_order_tests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lab_order_tests_order_id"), ["order_id"], unique=False)
        batch_op.create_index("uq_lab_order_tests_test", ["order_id", "test_id"], unique=True)

    op.create_table(
        "lab_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("analyte_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("analyte_code", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("value_text", sa.String(length=200), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("ref_low", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("ref_high", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("flag", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("entered_by", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "flag IN ('normal', 'low', 'high', 'critical_low', 'critical_high')",
            name=op.f("ck_lab_results_flag"),
        ),
        sa.ForeignKeyConstraint(
            ["analyte_id"], ["lab_analytes.id"], name=op.f("fk_lab_results_analyte_id_lab_analytes")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["users.id"], name=op.f("fk_lab_results_entered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["lab_orders.id"], name=op.f("fk_lab_results_order_id_lab_orders")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_lab_results_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_results")),
    )
    with op.batch_alter_table("lab_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lab_results_patient_analyte", ["patient_id", "analyte_code"], unique=False
        )
        batch_op.create_index("uq_lab_results_analyte", ["order_id", "analyte_id"], unique=True)

    op.create_table(
        "prescription_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=False),
        sa.Column("medicine_id", sa.Integer(), nullable=False),
        sa.Column("dose", sa.String(length=100), nullable=False),
        sa.Column("route", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.String(length=100), nullable=False),
        sa.Column("duration_days", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_dispensed", sa.Integer(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "duration_days IS NULL OR duration_days > 0",
            name=op.f("ck_prescription_items_duration_days"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_prescription_items_quantity")),
        sa.CheckConstraint(
            "quantity_dispensed >= 0 AND quantity_dispensed <= quantity",
            name=op.f("ck_prescription_items_dispensed"),
        ),
        sa.ForeignKeyConstraint(
            ["medicine_id"],
            ["medicines.id"],
            name=op.f("fk_prescription_items_medicine_id_medicines"),
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_prescription_items_prescription_id_prescriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescription_items")),
    )
    with op.batch_alter_table("prescription_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prescription_items_medicine_id"), ["medicine_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_prescription_items_prescription_id"), ["prescription_id"], unique=False
        )

    op.create_table(
        "prescription_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_prescription_warnings_prescription_id_prescriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescription_warnings")),
    )
    with op.batch_alter_table("prescription_warnings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prescription_warnings_prescription_id"),
            ["prescription_id"],
            unique=False,
        )

    op.create_table(
        "renewal_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        sa.Column("new_prescription_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'declined')", name=op.f("ck_renewal_requests_status")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_renewal_requests_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["new_prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_renewal_requests_new_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_renewal_requests_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_renewal_requests_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_renewal_requests_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal_requests")),
    )
    with op.batch_alter_table("renewal_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_renewal_requests_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_renewal_requests_prescription_id"), ["prescription_id"], unique=False
        )
        batch_op.create_index(
            "uq_renewal_requests_pending",
            ["prescription_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "dispensations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prescription_item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("dispensed_by", sa.Integer(), nullable=False),
        sa.Column("dispensed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_dispensations_quantity")),
        sa.ForeignKeyConstraint(
            ["dispensed_by"], ["users.id"], name=op.f("fk_dispensations_dispensed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["stock_lots.id"], name=op.f("fk_dispensations_lot_id_stock_lots")
        ),
        sa.ForeignKeyConstraint(
            ["prescription_item_id"],
            ["prescription_items.id"],
            name=op.f("fk_dispensations_prescription_item_id_prescription_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispensations")),
    )
    with op.batch_alter_table("dispensations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispensations_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dispensations_prescription_item_id"),
            ["prescription_item_id"],
            unique=False,
        )

    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("medicine_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("dispensation_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('receipt', 'dispense', 'adjustment')", name=op.f("ck_stock_movements_kind")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_stock_movements_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["dispensation_id"],
            ["dispensations.id"],
            name=op.f("fk_stock_movements_dispensation_id_dispensations"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["stock_lots.id"], name=op.f("fk_stock_movements_lot_id_stock_lots")
        ),
        sa.ForeignKeyConstraint(
            ["medicine_id"], ["medicines.id"], name=op.f("fk_stock_movements_medicine_id_medicines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_movements_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stock_movements_medicine_id"), ["medicine_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_movements_medicine_id"))
        batch_op.drop_index(batch_op.f("ix_stock_movements_lot_id"))

    op.drop_table("stock_movements")
    with op.batch_alter_table("dispensations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispensations_prescription_item_id"))
        batch_op.drop_index(batch_op.f("ix_dispensations_lot_id"))

    op.drop_table("dispensations")
    with op.batch_alter_table("renewal_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_renewal_requests_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_renewal_requests_prescription_id"))
        batch_op.drop_index(batch_op.f("ix_renewal_requests_patient_id"))

    op.drop_table("renewal_requests")
    with op.batch_alter_table("prescription_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prescription_warnings_prescription_id"))

    op.drop_table("prescription_warnings")
    with op.batch_alter_table("prescription_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prescription_items_prescription_id"))
        batch_op.drop_index(batch_op.f("ix_prescription_items_medicine_id"))

    op.drop_table("prescription_items")
    with op.batch_alter_table("lab_results", schema=None) as batch_op:
        batch_op.drop_index("uq_lab_results_analyte")
        batch_op.drop_index("ix_lab_results_patient_analyte")

    op.drop_table("lab_results")
    with op.batch_alter_table("lab_order_tests", schema=None) as batch_op:
        batch_op.drop_index("uq_lab_order_tests_test")
        batch_op.drop_index(batch_op.f("ix_lab_order_tests_order_id"))

    op.drop_table("lab_order_tests")
    with op.batch_alter_table("imaging_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imaging_attachments_order_id"))

    op.drop_table("imaging_attachments")
    with op.batch_alter_table("vital_signs", schema=None) as batch_op:
        batch_op.drop_index("ix_vital_signs_patient_taken")

    op.drop_table("vital_signs")
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_prescriptions_status_created")
        batch_op.drop_index(batch_op.f("ix_prescriptions_prescriber_id"))
        batch_op.drop_index(batch_op.f("ix_prescriptions_patient_id"))
        batch_op.drop_index(batch_op.f("ix_prescriptions_encounter_id"))

    op.drop_table("prescriptions")
    with op.batch_alter_table("lab_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_lab_orders_status_ordered")
        batch_op.drop_index(batch_op.f("ix_lab_orders_patient_id"))
        batch_op.drop_index(batch_op.f("ix_lab_orders_doctor_user_id"))

    op.drop_table("lab_orders")
    with op.batch_alter_table("imaging_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_imaging_orders_status_ordered")
        batch_op.drop_index(batch_op.f("ix_imaging_orders_patient_id"))
        batch_op.drop_index(batch_op.f("ix_imaging_orders_doctor_user_id"))

    op.drop_table("imaging_orders")
    with op.batch_alter_table("encounter_diagnoses", schema=None) as batch_op:
        batch_op.drop_index("uq_encounter_diagnoses_code")
        batch_op.drop_index(batch_op.f("ix_encounter_diagnoses_encounter_id"))

    op.drop_table("encounter_diagnoses")
    with op.batch_alter_table("encounter_amendments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounter_amendments_encounter_id"))

    op.drop_table("encounter_amendments")
    with op.batch_alter_table("encounters", schema=None) as batch_op:
        batch_op.drop_index("uq_encounters_appointment_id")
        batch_op.drop_index(batch_op.f("ix_encounters_patient_id"))
        batch_op.drop_index(batch_op.f("ix_encounters_doctor_id"))

    op.drop_table("encounters")
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problems_patient_id"))

    op.drop_table("problems")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_created")

    op.drop_table("notifications")
    with op.batch_alter_table("lab_reference_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lab_reference_ranges_analyte_id"))

    op.drop_table("lab_reference_ranges")
    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_plans_patient_id"))

    op.drop_table("care_plans")
    with op.batch_alter_table("allergies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allergies_patient_id"))

    op.drop_table("allergies")
    with op.batch_alter_table("stock_lots", schema=None) as batch_op:
        batch_op.drop_index("uq_stock_lots_batch")
        batch_op.drop_index("ix_stock_lots_medicine_expiry")

    op.drop_table("stock_lots")
    with op.batch_alter_table("lab_analytes", schema=None) as batch_op:
        batch_op.drop_index("uq_lab_analytes_test_code")
        batch_op.drop_index(batch_op.f("ix_lab_analytes_code"))

    op.drop_table("lab_analytes")
    with op.batch_alter_table("imaging_exams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imaging_exams_modality_id"))

    op.drop_table("imaging_exams")
    op.drop_table("modalities")
    with op.batch_alter_table("medicines", schema=None) as batch_op:
        batch_op.drop_index("uq_medicines_name_strength_form")
        batch_op.drop_index(batch_op.f("ix_medicines_generic_name"))

    op.drop_table("medicines")
    op.drop_table("lab_tests")
