"""one allergy list and one visit record

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 01:00:00

Allergies lived in two places: the free-text summary typed at registration
(`patients.allergies_summary`, shown on the patient page) and the structured list in the
chart (read by the prescribing checks). Each summary becomes structured entries marked
unconfirmed and from registration, the original text kept verbatim beside them
(`source_text`), and the column goes. "Nil", "none", "NKDA" and the like become a "no known
allergies" statement instead. Whether a patient was asked is now recorded: `allergy_assessments`
(no known allergies, by whom and when), so "not yet recorded" is told apart from "none".

Visits lived in two places too: the free-text treatment record written when completing an
appointment (`treatments`) beside the structured encounter. Each treatment record becomes a
signed encounter of its appointment, marked `origin = 'migrated'`: the diagnosis text in the
assessment, the notes in the plan, a free-text prescription in `prescription_note` (a note,
never a medication order), all verbatim. Where the appointment already had an encounter, the
treatment record is added to it as an amendment. Then `treatments` goes. A signed encounter
whose checked-in appointment was never completed completes it (signing is completing now).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NO_KNOWN = re.compile(
    r"^\s*(none( known)?|nil( known)?|nka|nkda|n/?a|no( known)?( drug)? allergies( known)?)\s*\.?\s*$",
    re.IGNORECASE,
)
CHUNK = 1000

patients = sa.table(
    "patients", sa.column("id", sa.Integer), sa.column("allergies_summary", sa.Text)
)
allergies = sa.table(
    "allergies",
    sa.column("id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("substance", sa.String),
    sa.column("reaction", sa.String),
    sa.column("severity", sa.String),
    sa.column("status", sa.String),
    sa.column("verification", sa.String),
    sa.column("source", sa.String),
    sa.column("source_text", sa.Text),
    sa.column("recorded_by", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
assessments = sa.table(
    "allergy_assessments",
    sa.column("patient_id", sa.Integer),
    sa.column("no_known_allergies", sa.Boolean),
    sa.column("assessed_by", sa.Integer),
    sa.column("assessed_at", sa.DateTime(timezone=True)),
)
treatments = sa.table(
    "treatments",
    sa.column("id", sa.Integer),
    sa.column("appointment_id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("doctor_id", sa.Integer),
    sa.column("diagnosis", sa.Text),
    sa.column("treatment_notes", sa.Text),
    sa.column("prescription", sa.Text),
    sa.column("next_visit_date", sa.Date),
    sa.column("recorded_by", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
encounters = sa.table(
    "encounters",
    sa.column("id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("appointment_id", sa.Integer),
    sa.column("doctor_id", sa.Integer),
    sa.column("author_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("chief_complaint", sa.Text),
    sa.column("assessment", sa.Text),
    sa.column("plan", sa.Text),
    sa.column("next_visit_date", sa.Date),
    sa.column("prescription_note", sa.Text),
    sa.column("origin", sa.String),
    sa.column("legacy_treatment_id", sa.Integer),
    sa.column("signed_at", sa.DateTime(timezone=True)),
    sa.column("signed_by", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
amendments = sa.table(
    "encounter_amendments",
    sa.column("encounter_id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("author_id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
appointments = sa.table(
    "appointments",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("reason", sa.String),
    sa.column("checked_in_at", sa.DateTime(timezone=True)),
    sa.column("completed_at", sa.DateTime(timezone=True)),
)
doctors = sa.table("doctors", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer))


def split_summary(summary: str) -> list[tuple[str, str | None]]:
    """'Penicillin (rash); latex' -> [('Penicillin', 'rash'), ('latex', None)]."""
    entries = []
    for piece in re.split(r"[;,\n]+", summary):
        piece = " ".join(piece.split())
        if not piece:
            continue
        reaction = None
        found = re.match(r"^(.*?)\s*\((.*)\)\s*$", piece)
        if found and found.group(1):
            piece, reaction = found.group(1), found.group(2) or None
        entries.append((piece[:200], reaction[:500] if reaction else None))
    return entries


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def upgrade() -> None:
    with op.batch_alter_table("allergies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_allergies_severity"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_allergies_severity"),
            "severity IN ('unknown', 'mild', 'moderate', 'severe', 'life_threatening')",
        )
        batch_op.add_column(
            sa.Column(
                "verification", sa.String(length=16), nullable=False, server_default="confirmed"
            )
        )
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="chart")
        )
        batch_op.add_column(sa.Column("source_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("verified_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("recorded_by", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_allergies_verification"), "verification IN ('confirmed', 'unconfirmed')"
        )
        batch_op.create_check_constraint(
            op.f("ck_allergies_source"), "source IN ('chart', 'registration')"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_allergies_verified_by_users"), "users", ["verified_by"], ["id"]
        )

    op.create_table(
        "allergy_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("no_known_allergies", sa.Boolean(), nullable=False),
        sa.Column("assessed_by", sa.Integer(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_allergy_assessments_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["assessed_by"], ["users.id"], name=op.f("fk_allergy_assessments_assessed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allergy_assessments")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_allergy_assessments_patient_id")),
    )

    # Plain ADD COLUMN on both databases: a batch copy of `encounters` (or `patients`, below)
    # would drop a table other rows point at, which SQLite's foreign keys refuse.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE encounters ADD COLUMN origin VARCHAR(16) DEFAULT 'recorded' NOT NULL "
            "CONSTRAINT ck_encounters_origin CHECK (origin IN ('recorded', 'migrated'))"
        )
    else:
        op.add_column(
            "encounters",
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="recorded"),
        )
        op.create_check_constraint(
            op.f("ck_encounters_origin"), "encounters", "origin IN ('recorded', 'migrated')"
        )
    op.add_column("encounters", sa.Column("prescription_note", sa.Text(), nullable=True))
    op.add_column("encounters", sa.Column("legacy_treatment_id", sa.Integer(), nullable=True))

    bind = op.get_bind()
    _move_allergy_summaries(bind)
    _move_treatments(bind)
    _complete_signed_visits(bind)

    op.drop_column("patients", "allergies_summary")  # SQLite 3.35+ drops it in place
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatments_doctor_id"))
        batch_op.drop_index(batch_op.f("ix_treatments_patient_id"))
    op.drop_table("treatments")


def _move_allergy_summaries(bind) -> None:
    rows = bind.execute(
        sa.select(patients.c.id, patients.c.allergies_summary)
        .where(patients.c.allergies_summary.is_not(None))
        .order_by(patients.c.id)
    ).all()
    now = _now()
    new_allergies: list[dict] = []
    statements: list[dict] = []
    for patient_id, summary in rows:
        if not summary or not summary.strip():
            continue
        if NO_KNOWN.match(summary):
            statements.append(
                {
                    "patient_id": patient_id,
                    "no_known_allergies": True,
                    "assessed_by": None,
                    "assessed_at": now,
                }
            )
            continue
        for substance, reaction in split_summary(summary) or [(summary.strip()[:200], None)]:
            new_allergies.append(
                {
                    "patient_id": patient_id,
                    "substance": substance,
                    "reaction": reaction,
                    "severity": "unknown",
                    "status": "active",
                    "verification": "unconfirmed",
                    "source": "registration",
                    "source_text": summary,
                    "recorded_by": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for start in range(0, len(new_allergies), CHUNK):
        bind.execute(allergies.insert(), new_allergies[start : start + CHUNK])
    if statements:
        bind.execute(assessments.insert(), statements)


def _move_treatments(bind) -> None:
    doctor_users = dict(bind.execute(sa.select(doctors.c.id, doctors.c.user_id)).all())
    opened = dict(
        bind.execute(
            sa.select(encounters.c.appointment_id, encounters.c.id).where(
                encounters.c.appointment_id.is_not(None)
            )
        ).all()
    )
    reasons = dict(bind.execute(sa.select(appointments.c.id, appointments.c.reason)).all())
    last = 0
    while True:
        batch = bind.execute(
            sa.select(treatments)
            .where(treatments.c.id > last)
            .order_by(treatments.c.id)
            .limit(CHUNK)
        ).all()
        if not batch:
            return
        last = batch[-1].id
        new_encounters, new_amendments = [], []
        for t in batch:
            author = t.recorded_by or doctor_users.get(t.doctor_id)
            if t.appointment_id in opened:
                new_amendments.append(
                    {
                        "encounter_id": opened[t.appointment_id],
                        "text": _as_amendment(t),
                        "author_id": author,
                        "created_at": t.created_at,
                    }
                )
                continue
            new_encounters.append(
                {
                    "patient_id": t.patient_id,
                    "appointment_id": t.appointment_id,
                    "doctor_id": t.doctor_id,
                    "author_id": author,
                    "status": "signed",
                    "chief_complaint": reasons.get(t.appointment_id)
                    or "Not recorded (visit recorded before encounters)",
                    "assessment": t.diagnosis,
                    "plan": t.treatment_notes,
                    "next_visit_date": t.next_visit_date,
                    "prescription_note": t.prescription,
                    "origin": "migrated",
                    "legacy_treatment_id": t.id,
                    "signed_at": t.created_at,
                    "signed_by": author,
                    "created_at": t.created_at,
                    "updated_at": t.created_at,
                }
            )
        if new_encounters:
            bind.execute(encounters.insert(), new_encounters)
        if new_amendments:
            bind.execute(amendments.insert(), new_amendments)


def _as_amendment(t) -> str:
    lines = [
        "Treatment record written when the visit was completed (migrated, verbatim):",
        f"Diagnosis: {t.diagnosis}",
    ]
    if t.treatment_notes:
        lines.append(f"Treatment: {t.treatment_notes}")
    if t.prescription:
        lines.append(f"Prescription (free text, not a medication order): {t.prescription}")
    if t.next_visit_date:
        lines.append(f"Next visit: {t.next_visit_date.isoformat()}")
    return "\n".join(lines)


def _complete_signed_visits(bind) -> None:
    signed = sa.select(encounters.c.appointment_id).where(
        encounters.c.status == "signed", encounters.c.appointment_id.is_not(None)
    )
    bind.execute(
        appointments.update()
        .where(appointments.c.status == "checked_in", appointments.c.id.in_(signed))
        .values(status="completed", completed_at=_now())
    )


def downgrade() -> None:
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
    op.add_column("patients", sa.Column("allergies_summary", sa.Text(), nullable=True))

    bind = op.get_bind()
    # Migrated encounters go back to treatment records; encounters signed since stay.
    migrated = bind.execute(
        sa.select(encounters).where(
            encounters.c.origin == "migrated", encounters.c.appointment_id.is_not(None)
        )
    ).all()
    if migrated:
        bind.execute(
            treatments.insert(),
            [
                {
                    "appointment_id": e.appointment_id,
                    "patient_id": e.patient_id,
                    "doctor_id": e.doctor_id,
                    "diagnosis": e.assessment or "",
                    "treatment_notes": e.plan,
                    "prescription": e.prescription_note,
                    "next_visit_date": e.next_visit_date,
                    "recorded_by": e.author_id,
                    "created_at": e.created_at,
                }
                for e in migrated
            ],
        )
        bind.execute(encounters.delete().where(encounters.c.origin == "migrated"))
    # Entries typed at registration go back to the summary (their original text when kept).
    summaries: dict[int, list[str]] = {}
    for patient_id, substance, reaction, source_text in bind.execute(
        sa.select(
            allergies.c.patient_id,
            allergies.c.substance,
            allergies.c.reaction,
            allergies.c.source_text,
        )
        .where(allergies.c.source == "registration", allergies.c.status == "active")
        .order_by(allergies.c.id)
    ):
        text = source_text or (f"{substance} ({reaction})" if reaction else substance)
        if text not in summaries.setdefault(patient_id, []):
            summaries[patient_id].append(text)
    for patient_id, texts in summaries.items():
        bind.execute(
            patients.update()
            .where(patients.c.id == patient_id)
            .values(allergies_summary="; ".join(texts))
        )
    bind.execute(allergies.delete().where(allergies.c.recorded_by.is_(None)))
    bind.execute(
        allergies.update().where(allergies.c.severity == "unknown").values(severity="moderate")
    )

    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_encounters_origin"), "encounters", type_="check")
    for column in ("legacy_treatment_id", "prescription_note", "origin"):
        op.drop_column("encounters", column)
    op.drop_table("allergy_assessments")
    with op.batch_alter_table("allergies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_allergies_verified_by_users"), type_="foreignkey")
        batch_op.drop_constraint(op.f("ck_allergies_source"), type_="check")
        batch_op.drop_constraint(op.f("ck_allergies_verification"), type_="check")
        batch_op.drop_constraint(op.f("ck_allergies_severity"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_allergies_severity"),
            "severity IN ('mild', 'moderate', 'severe', 'life_threatening')",
        )
        batch_op.alter_column("recorded_by", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("verified_at")
        batch_op.drop_column("verified_by")
        batch_op.drop_column("source_text")
        batch_op.drop_column("source")
        batch_op.drop_column("verification")
