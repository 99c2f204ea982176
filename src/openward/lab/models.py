"""Lab tests (each with its analytes and reference ranges), orders and results.

An order moves ordered -> collected -> in_progress -> resulted -> verified (or cancelled),
and every step keeps who and when."""

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

ORDER_STATUSES = ("ordered", "collected", "in_progress", "resulted", "verified", "cancelled")
PRIORITIES = ("routine", "urgent", "stat")
FLAGS = ("normal", "low", "high", "critical_low", "critical_high")


class LabTest(Base):
    __tablename__ = "lab_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    specimen: Mapped[str] = mapped_column(String(60))  # blood (EDTA), serum, urine...
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    turnaround_hours: Mapped[int] = mapped_column(Integer, default=24)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LabAnalyte(Base):
    """One measured value of a test (haemoglobin of the blood count). Numeric analytes have a
    default reference range and critical limits; qualitative ones an expected text."""

    __tablename__ = "lab_analytes"
    __table_args__ = (Index("uq_lab_analytes_test_code", "test_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("lab_tests.id"))
    code: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30), default="")
    low: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    high: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    critical_low: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    critical_high: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    normal_text: Mapped[str | None] = mapped_column(String(60))  # qualitative: "negative"
    position: Mapped[int] = mapped_column(Integer, default=0)


class LabReferenceRange(Base):
    """A range that replaces the analyte's default for one sex and/or age band."""

    __tablename__ = "lab_reference_ranges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analyte_id: Mapped[int] = mapped_column(ForeignKey("lab_analytes.id"), index=True)
    sex: Mapped[str | None] = mapped_column(String(16))  # None: any
    age_min_years: Mapped[int | None] = mapped_column(Integer)  # inclusive
    age_max_years: Mapped[int | None] = mapped_column(Integer)  # exclusive
    low: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    high: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))


class LabOrder(Base):
    __tablename__ = "lab_orders"
    __table_args__ = (
        CheckConstraint(
            "status IN ('ordered', 'collected', 'in_progress', 'resulted', 'verified', "
            "'cancelled')",
            name="status",
        ),
        CheckConstraint("priority IN ('routine', 'urgent', 'stat')", name="priority"),
        Index("ix_lab_orders_status_ordered", "status", "ordered_at"),
        Index("ix_lab_orders_doctor_unacknowledged", "doctor_user_id", "status", "acknowledged_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    # The doctor responsible for the order (told of critical values); the orderer otherwise.
    doctor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="routine")
    clinical_notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="ordered")
    ordered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    collected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resulted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resulted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # The ordering doctor has seen the result (the results inbox's "Acknowledge").
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the result reaches the patient: set at verification to the end of the release
    # delay, brought forward to the acknowledgement.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LabOrderTest(Base):
    __tablename__ = "lab_order_tests"
    __table_args__ = (Index("uq_lab_order_tests_test", "order_id", "test_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("lab_orders.id"), index=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("lab_tests.id"))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # the price when ordered


class LabResult(Base):
    __tablename__ = "lab_results"
    __table_args__ = (
        CheckConstraint(
            "flag IN ('normal', 'low', 'high', 'critical_low', 'critical_high')", name="flag"
        ),
        Index("uq_lab_results_analyte", "order_id", "analyte_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("lab_orders.id"))
    analyte_id: Mapped[int] = mapped_column(ForeignKey("lab_analytes.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))  # for trends
    analyte_code: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    value_text: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30), default="")
    ref_low: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    ref_high: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    flag: Mapped[str] = mapped_column(String(16), default="normal")
    comment: Mapped[str | None] = mapped_column(String(500))
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_lab_results_patient_analyte", LabResult.patient_id, LabResult.analyte_code)
