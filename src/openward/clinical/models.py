"""The clinical record: encounters with ICD-10 diagnoses, vital signs, allergies, problems
and care plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openward.db import Base, UTCDateTime, utcnow


class Encounter(Base):
    """A doctor's record of one consultation. Draft until signed; signed ones only amended."""

    __tablename__ = "encounters"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'signed')", name="status"),
        CheckConstraint("origin IN ('recorded', 'migrated')", name="origin"),
        # One encounter per appointment (an admission may have several: appointment is null).
        Index("uq_encounters_appointment_id", "appointment_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    chief_complaint: Mapped[str] = mapped_column(Text)
    history: Mapped[str | None] = mapped_column(Text)
    examination: Mapped[str | None] = mapped_column(Text)
    assessment: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[str | None] = mapped_column(Text)
    next_visit_date: Mapped[date | None] = mapped_column(Date)
    # 'migrated': a free-text treatment record from before encounters (migration 0011),
    # its text kept verbatim; a free-text prescription is a note, never a medication order.
    origin: Mapped[str] = mapped_column(String(16), default="recorded", server_default="recorded")
    prescription_note: Mapped[str | None] = mapped_column(Text)
    legacy_treatment_id: Mapped[int | None] = mapped_column(Integer)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EncounterDiagnosis(Base):
    __tablename__ = "encounter_diagnoses"
    __table_args__ = (Index("uq_encounter_diagnoses_code", "encounter_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class EncounterAmendment(Base):
    """An addendum to a signed encounter: the original text stays as it was signed."""

    __tablename__ = "encounter_amendments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VitalSigns(Base):
    """One set of observations; any subset may be recorded. Flags name out-of-range fields."""

    __tablename__ = "vital_signs"
    __table_args__ = (
        CheckConstraint("systolic IS NULL OR systolic BETWEEN 0 AND 350", name="systolic"),
        CheckConstraint("diastolic IS NULL OR diastolic BETWEEN 0 AND 250", name="diastolic"),
        CheckConstraint("pulse IS NULL OR pulse BETWEEN 0 AND 350", name="pulse"),
        CheckConstraint("spo2 IS NULL OR spo2 BETWEEN 0 AND 100", name="spo2"),
        Index("ix_vital_signs_patient_taken", "patient_id", "taken_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    systolic: Mapped[int | None] = mapped_column(Integer)
    diastolic: Mapped[int | None] = mapped_column(Integer)
    pulse: Mapped[int | None] = mapped_column(Integer)
    respiratory_rate: Mapped[int | None] = mapped_column(Integer)
    temperature: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    spo2: Mapped[int | None] = mapped_column(Integer)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    height_cm: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    bmi: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    flags: Mapped[str] = mapped_column(String(200), default="")  # comma-separated field names
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Allergy(Base):
    """The one allergy list: every check, page, export and PDF reads it. Entries typed at
    registration are `unconfirmed` until a clinician confirms them."""

    __tablename__ = "allergies"
    __table_args__ = (
        CheckConstraint(
            "severity IN ('unknown', 'mild', 'moderate', 'severe', 'life_threatening')",
            name="severity",
        ),
        CheckConstraint("status IN ('active', 'inactive', 'resolved', 'refuted')", name="status"),
        CheckConstraint("verification IN ('confirmed', 'unconfirmed')", name="verification"),
        CheckConstraint("source IN ('chart', 'registration')", name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    substance: Mapped[str] = mapped_column(String(200))
    reaction: Mapped[str | None] = mapped_column(String(500))
    severity: Mapped[str] = mapped_column(String(20), default="moderate")
    status: Mapped[str] = mapped_column(String(20), default="active")
    verification: Mapped[str] = mapped_column(
        String(16), default="confirmed", server_default="confirmed"
    )
    source: Mapped[str] = mapped_column(String(16), default="chart", server_default="chart")
    # The free text an entry came from (a registration summary before migration 0011).
    source_text: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AllergyAssessment(Base):
    """Whether the patient was asked: "no known allergies" with who and when. No row (and no
    active allergy) means not yet recorded."""

    __tablename__ = "allergy_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), unique=True)
    no_known_allergies: Mapped[bool] = mapped_column(Boolean)
    assessed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Problem(Base):
    """The problem list (current) and past medical history (kind='history')."""

    __tablename__ = "problems"
    __table_args__ = (
        CheckConstraint("kind IN ('problem', 'history')", name="kind"),
        CheckConstraint("status IN ('active', 'resolved', 'inactive')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="problem")
    code: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    onset_date: Mapped[date | None] = mapped_column(Date)
    resolved_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CarePlan(Base):
    __tablename__ = "care_plans"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'active', 'on_hold', 'completed', 'cancelled')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    goals: Mapped[str] = mapped_column(Text)
    activities: Mapped[str | None] = mapped_column(Text)
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    review_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
