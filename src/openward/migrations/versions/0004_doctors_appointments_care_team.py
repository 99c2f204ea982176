"""departments, doctors, availability, appointments, treatments and the care team

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:15:22.360607

Doctors' and patients' time is guarded by the database: on PostgreSQL an exclusion
constraint (btree_gist) over the time range of every active appointment, per doctor and
per patient; on SQLite a trigger that refuses an overlapping active appointment. Patient
search gets trigram indexes on PostgreSQL (pg_trgm).
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "doctors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("specialization", sa.String(length=120), nullable=False),
        sa.Column("qualification", sa.String(length=200), nullable=True),
        sa.Column("experience_years", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "consultation_fee",
            sa.Numeric(precision=12, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column("license_number", sa.String(length=60), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), server_default="30", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivated_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("consultation_fee >= 0", name=op.f("ck_doctors_fee_not_negative")),
        sa.CheckConstraint(
            "experience_years >= 0", name=op.f("ck_doctors_experience_not_negative")
        ),
        sa.CheckConstraint(
            "slot_minutes BETWEEN 5 AND 240", name=op.f("ck_doctors_slot_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_doctors_department_id_departments")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_doctors_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctors")),
        sa.UniqueConstraint("license_number", name=op.f("uq_doctors_license_number")),
        sa.UniqueConstraint("user_id", name=op.f("uq_doctors_user_id")),
    )
    with op.batch_alter_table("doctors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doctors_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doctors_specialization"), ["specialization"], unique=False
        )

    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("booked_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("no_show_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rescheduled_from", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('booked', 'checked_in', 'completed', 'cancelled', 'no_show')",
            name=op.f("ck_appointments_status_known"),
        ),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_appointments_starts_before_end")),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_appointments_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_appointments_doctor_id_doctors")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_appointments_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointments_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            "ix_appointments_doctor_start", ["doctor_id", "start_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appointments_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_appointments_start_at"), ["start_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointments_status"), ["status"], unique=False)

    op.create_table(
        "care_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_care_team_members_doctor_id_doctors")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_care_team_members_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_team_members")),
    )
    with op.batch_alter_table("care_team_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_care_team_members_doctor_id"), ["doctor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_care_team_members_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            "uq_care_team_members_active",
            ["patient_id", "doctor_id"],
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )

    op.create_table(
        "doctor_availability_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Time(), nullable=True),
        sa.Column("end", sa.Time(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('leave', 'extra')", name=op.f("ck_doctor_availability_exceptions_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctors.id"],
            name=op.f("fk_doctor_availability_exceptions_doctor_id_doctors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_availability_exceptions")),
    )
    with op.batch_alter_table("doctor_availability_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doctor_availability_exceptions_day"), ["day"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doctor_availability_exceptions_doctor_id"), ["doctor_id"], unique=False
        )

    op.create_table(
        "doctor_weekly_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.CheckConstraint('start < "end"', name=op.f("ck_doctor_weekly_hours_starts_before_end")),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_doctor_weekly_hours_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_doctor_weekly_hours_doctor_id_doctors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_weekly_hours")),
    )
    with op.batch_alter_table("doctor_weekly_hours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doctor_weekly_hours_doctor_id"), ["doctor_id"], unique=False
        )

    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("diagnosis", sa.Text(), nullable=False),
        sa.Column("treatment_notes", sa.Text(), nullable=True),
        sa.Column("prescription", sa.Text(), nullable=True),
        sa.Column("next_visit_date", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_treatments_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"], ["doctors.id"], name=op.f("fk_treatments_doctor_id_doctors")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_treatments_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_treatments_appointment_id")),
    )
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_treatments_doctor_id"), ["doctor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_treatments_patient_id"), ["patient_id"], unique=False)

    # Plain ADD COLUMN and CREATE INDEX on both databases: no batch copy of `patients`.
    for column in (
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("blood_group", sa.String(length=3), nullable=True),
        sa.Column("national_id", sa.String(length=40), nullable=True),
        sa.Column("emergency_contact_name", sa.String(length=200), nullable=True),
        sa.Column("emergency_contact_phone", sa.String(length=40), nullable=True),
        sa.Column("allergies_summary", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivated_reason", sa.String(length=500), nullable=True),
        sa.Column("name_search", sa.String(length=220), server_default="", nullable=False),
        sa.Column("phone_digits", sa.String(length=40), nullable=True),
    ):
        op.add_column("patients", column)
    _fill_search_keys()
    op.create_index("ix_patients_dob_family", "patients", ["date_of_birth", "family_name"])
    op.create_index("ix_patients_name_search", "patients", ["name_search"])
    op.create_index("ix_patients_phone_digits", "patients", ["phone_digits"])
    op.create_index("uq_patients_national_id", "patients", ["national_id"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


def downgrade() -> None:
    _drop_guards()
    if op.get_bind().dialect.name == "postgresql":
        for name in ("ix_patients_name_trgm", "ix_patients_phone_trgm", "ix_patients_mrn_pattern"):
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for name in (
        "uq_patients_national_id",
        "ix_patients_phone_digits",
        "ix_patients_name_search",
        "ix_patients_dob_family",
    ):
        op.drop_index(name, table_name="patients")
    for column in (
        "phone_digits",
        "name_search",
        "deactivated_reason",
        "deactivated_at",
        "notes",
        "allergies_summary",
        "emergency_contact_phone",
        "emergency_contact_name",
        "national_id",
        "blood_group",
        "address",
    ):
        op.drop_column("patients", column)

    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatments_patient_id"))
        batch_op.drop_index(batch_op.f("ix_treatments_doctor_id"))

    op.drop_table("treatments")
    with op.batch_alter_table("doctor_weekly_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doctor_weekly_hours_doctor_id"))

    op.drop_table("doctor_weekly_hours")
    with op.batch_alter_table("doctor_availability_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doctor_availability_exceptions_doctor_id"))
        batch_op.drop_index(batch_op.f("ix_doctor_availability_exceptions_day"))

    op.drop_table("doctor_availability_exceptions")
    with op.batch_alter_table("care_team_members", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_care_team_members_active",
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        )
        batch_op.drop_index(batch_op.f("ix_care_team_members_patient_id"))
        batch_op.drop_index(batch_op.f("ix_care_team_members_doctor_id"))

    op.drop_table("care_team_members")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointments_status"))
        batch_op.drop_index(batch_op.f("ix_appointments_start_at"))
        batch_op.drop_index(batch_op.f("ix_appointments_patient_id"))
        batch_op.drop_index("ix_appointments_doctor_start")
        batch_op.drop_index(batch_op.f("ix_appointments_department_id"))

    op.drop_table("appointments")
    with op.batch_alter_table("doctors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doctors_specialization"))
        batch_op.drop_index(batch_op.f("ix_doctors_department_id"))

    op.drop_table("doctors")
    op.drop_table("departments")


ACTIVE = "('booked', 'checked_in', 'completed')"


_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)


def _search_name(given: str, family: str) -> str:
    """A copy of patients.service.search_name as it was at this revision."""
    text = unicodedata.normalize("NFKD", f"{given} {family}".casefold())
    plain = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(plain.translate(_UNDECOMPOSED).split())


def _fill_search_keys() -> None:
    """Existing patients (self-registered before this revision) get their search keys."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, given_name, family_name, phone FROM patients"))
    for row in rows.fetchall():
        digits = "".join(c for c in (row.phone or "") if c.isdigit()) or None
        bind.execute(
            sa.text(
                "UPDATE patients SET name_search = :name, phone_digits = :digits WHERE id = :id"
            ),
            {"name": _search_name(row.given_name, row.family_name), "digits": digits, "id": row.id},
        )


def _postgresql_guards() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for who in ("doctor", "patient"):
        op.execute(
            f"ALTER TABLE appointments ADD CONSTRAINT ex_appointments_{who}_overlap "
            f"EXCLUDE USING gist ({who}_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
            f"WHERE (status IN {ACTIVE})"
        )
    op.execute(
        "CREATE INDEX ix_patients_name_trgm ON patients USING gin (name_search gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_patients_phone_trgm ON patients USING gin (phone_digits gin_trgm_ops)"
    )
    # MRN prefixes (LIKE '123%') use a btree only with pattern ops outside the C collation.
    op.execute("CREATE INDEX ix_patients_mrn_pattern ON patients (mrn varchar_pattern_ops)")


def _sqlite_guards() -> None:
    # Write transactions are already serialized (BEGIN IMMEDIATE); the triggers make the
    # rule the database's own, whichever code path writes the row.
    for who in ("doctor", "patient"):
        for event, when in (
            ("INSERT", f"NEW.status IN {ACTIVE}"),
            ("UPDATE", f"NEW.status IN {ACTIVE}"),
        ):
            op.execute(
                f"""
                CREATE TRIGGER appointments_{who}_overlap_{event.lower()}
                BEFORE {event} ON appointments
                WHEN {when}
                BEGIN
                    SELECT RAISE(ABORT, 'appointment overlap: {who}')
                    WHERE EXISTS (
                        SELECT 1 FROM appointments AS other
                        WHERE other.{who}_id = NEW.{who}_id
                          AND other.id IS NOT NEW.id
                          AND other.status IN {ACTIVE}
                          AND other.start_at < NEW.end_at
                          AND NEW.start_at < other.end_at
                    );
                END
                """
            )


def _drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for who in ("doctor", "patient"):
            op.execute(
                f"ALTER TABLE appointments DROP CONSTRAINT IF EXISTS ex_appointments_{who}_overlap"
            )
        return
    for who in ("doctor", "patient"):
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS appointments_{who}_overlap_{event}")
