"""Medicines and supplies, stock lots and their movements, prescriptions and dispensing.

Stock never goes negative: lot quantities carry a CHECK constraint and dispensing takes
with a conditional UPDATE (`quantity = quantity - n WHERE quantity >= n`)."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openward.db import Base, UTCDateTime, utcnow


class Medicine(Base):
    __tablename__ = "medicines"
    __table_args__ = (
        Index("uq_medicines_name_strength_form", "name", "strength", "form", unique=True),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("reorder_level >= 0", name="reorder_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    generic_name: Mapped[str] = mapped_column(String(200), index=True)
    form: Mapped[str] = mapped_column(String(40))  # tablet, capsule, syrup, injection, supply...
    strength: Mapped[str] = mapped_column(String(60), default="")
    unit: Mapped[str] = mapped_column(String(30))  # what one counted item is: tablet, vial, ml
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    reorder_level: Mapped[int] = mapped_column(Integer, default=0)
    is_supply: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StockLot(Base):
    __tablename__ = "stock_lots"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("quantity_received > 0", name="quantity_received"),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        Index("uq_stock_lots_batch", "medicine_id", "batch_number", unique=True),
        Index("ix_stock_lots_medicine_expiry", "medicine_id", "expiry_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    medicine_id: Mapped[int] = mapped_column(ForeignKey("medicines.id"))
    batch_number: Mapped[str] = mapped_column(String(60))
    expiry_date: Mapped[date] = mapped_column(Date)
    quantity_received: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)  # on hand
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    supplier: Mapped[str | None] = mapped_column(String(200))
    received_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockMovement(Base):
    """Every change of a lot's quantity: receipt (+), dispense (-), adjustment (±) with why."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("kind IN ('receipt', 'dispense', 'adjustment')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lots.id"), index=True)
    medicine_id: Mapped[int] = mapped_column(ForeignKey("medicines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)  # signed change
    reason: Mapped[str | None] = mapped_column(String(500))
    dispensation_id: Mapped[int | None] = mapped_column(ForeignKey("dispensations.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Prescription(Base):
    __tablename__ = "prescriptions"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'partially_dispensed', 'dispensed', 'cancelled')",
            name="status",
        ),
        Index("ix_prescriptions_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"), index=True)
    prescriber_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="active")
    notes: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(String(500))
    renewed_from_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PrescriptionItem(Base):
    __tablename__ = "prescription_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(
            "quantity_dispensed >= 0 AND quantity_dispensed <= quantity", name="dispensed"
        ),
        CheckConstraint("duration_days IS NULL OR duration_days > 0", name="duration_days"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    medicine_id: Mapped[int] = mapped_column(ForeignKey("medicines.id"), index=True)
    dose: Mapped[str] = mapped_column(String(100))
    route: Mapped[str] = mapped_column(String(40))
    frequency: Mapped[str] = mapped_column(String(100))
    duration_days: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_dispensed: Mapped[int] = mapped_column(Integer, default=0)
    instructions: Mapped[str | None] = mapped_column(Text)


class PrescriptionWarning(Base):
    """The safety warnings shown when the prescription was written, kept with it."""

    __tablename__ = "prescription_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))  # allergy | duplicate | interaction
    severity: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)


class Dispensation(Base):
    """Who handed out how much of one prescription item from which lot."""

    __tablename__ = "dispensations"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prescription_item_id: Mapped[int] = mapped_column(
        ForeignKey("prescription_items.id"), index=True
    )
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lots.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    dispensed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    dispensed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RenewalRequest(Base):
    __tablename__ = "renewal_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'declined')", name="status"),
        # One open request per prescription.
        Index(
            "uq_renewal_requests_pending",
            "prescription_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(1000))
    new_prescription_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
