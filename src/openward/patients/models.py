"""The patient record: demographics, the medical record number (MRN), the care team and the
care relationships that decide which doctors may open it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openward.db import Base, UTCDateTime, utcnow


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mrn: Mapped[str] = mapped_column(String(16), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Demographics beyond the minimum a self-registration gives.
    address: Mapped[str | None] = mapped_column(Text)
    blood_group: Mapped[str | None] = mapped_column(String(3))
    national_id: Mapped[str | None] = mapped_column(String(40))
    emergency_contact_name: Mapped[str | None] = mapped_column(String(200))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_reason: Mapped[str | None] = mapped_column(String(500))
    # Search keys kept beside the record: the name lower-cased without accents, the phone as
    # digits only. PostgreSQL indexes both with trigrams (migration 0004); the name is also
    # indexed in byte order with the id, which search pages walk (migration 0009).
    name_search: Mapped[str] = mapped_column(String(220), server_default="")
    phone_digits: Mapped[str | None] = mapped_column(String(40), index=True)
    # The phone in E.164 (+447700900123) however it was written, national numbers read in
    # the hospital's region (OPENWARD_PHONE_REGION): "07700 900123" finds "+44 7700 900123".
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    __table_args__ = (
        Index("ix_patients_dob_family", "date_of_birth", "family_name"),
        Index("ix_patients_created_at_id", "created_at", "id"),  # the newest first
        # Unique when given; many patients have none (NULLs never collide).
        Index("uq_patients_national_id", "national_id", unique=True),
        Index(
            "ix_patients_name_search_id",
            "name_search",
            "id",
            "is_active",
            postgresql_ops={"name_search": "varchar_pattern_ops"},
        ),
    )


class CareTeamMember(Base):
    """A doctor following a patient up. Removal ends the membership; the row stays."""

    __tablename__ = "care_team_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by: Mapped[int | None] = mapped_column(Integer)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index(
            "uq_care_team_members_active",
            "patient_id",
            "doctor_id",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )


class CareRelationship(Base):
    """A doctor in a patient's care because of something that happened elsewhere: one row per
    appointment (later: admission, referral), written when it starts and ended when it is
    cancelled. The access check reads these and the care team, nothing else."""

    __tablename__ = "care_relationships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"))
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint("source IN ('appointment', 'admission', 'referral')", name="source"),
        Index("ix_care_relationships_doctor_patient", "doctor_id", "patient_id"),
        Index("ix_care_relationships_patient_id", "patient_id"),
    )


class ActivationCode(Base):
    """A one-time code the front desk gives a patient to link an online account to their
    record. Only its digest is kept; it expires, is used once, and burns after a few wrong
    tries."""

    __tablename__ = "patient_activation_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[int | None] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_user_id: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
