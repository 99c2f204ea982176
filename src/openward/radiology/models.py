"""Imaging modalities and exams, orders through their steps, reports and attached images.

An order moves ordered -> scheduled -> performed -> reported -> verified (or cancelled).
Image files live outside the database (settings.media_dir); the rows keep their metadata."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openward.db import Base, UTCDateTime, utcnow

ORDER_STATUSES = ("ordered", "scheduled", "performed", "reported", "verified", "cancelled")


class Modality(Base):
    __tablename__ = "modalities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # DICOM: CR, CT, MR, US...
    name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ImagingExam(Base):
    __tablename__ = "imaging_exams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    modality_id: Mapped[int] = mapped_column(ForeignKey("modalities.id"), index=True)
    body_part: Mapped[str | None] = mapped_column(String(100))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    preparation: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class ImagingOrder(Base):
    __tablename__ = "imaging_orders"
    __table_args__ = (
        CheckConstraint(
            "status IN ('ordered', 'scheduled', 'performed', 'reported', 'verified', 'cancelled')",
            name="status",
        ),
        CheckConstraint("priority IN ('routine', 'urgent', 'stat')", name="priority"),
        Index("ix_imaging_orders_status_ordered", "status", "ordered_at"),
        Index(
            "ix_imaging_orders_doctor_unacknowledged",
            "doctor_user_id",
            "status",
            "acknowledged_at",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("imaging_exams.id"))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    doctor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="routine")
    clinical_notes: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(16), default="ordered")
    ordered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    performed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    performed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    findings: Mapped[str | None] = mapped_column(Text)
    impression: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # The ordering doctor has seen the result (the results inbox's "Acknowledge").
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the result reaches the patient: set at verification to the end of the release
    # delay, brought forward to the acknowledgement.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImagingAttachment(Base):
    __tablename__ = "imaging_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("imaging_orders.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
