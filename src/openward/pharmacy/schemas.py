"""Pharmacy and prescribing API shapes. Money travels as Decimal strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer

from openward.core.dates import Day
from openward.core.params import MAX_ID
from openward.core.schemas import InputModel

Money = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]
Severity = Literal["minor", "moderate", "severe"]
PrescriptionStatus = Literal["active", "partially_dispensed", "dispensed", "cancelled"]
RenewalStatus = Literal["pending", "approved", "declined"]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# The most of one medicine a prescription line may ask for, or one dispense hand out.
MAX_QUANTITY = 100_000
Price = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)]

# ---------------------------------------------------------------- catalogue


class MedicineCreate(InputModel):
    name: str = Field(min_length=2, max_length=200)
    generic_name: str = Field(min_length=2, max_length=200)
    form: str = Field(min_length=2, max_length=40)
    strength: str = Field(default="", max_length=60)
    unit: str = Field(min_length=1, max_length=30)
    unit_price: Price = Decimal(0)
    reorder_level: int = Field(default=0, ge=0, le=10_000_000)
    is_supply: bool = False


class MedicineUpdate(InputModel):
    name: str | None = Field(default=None, min_length=2, max_length=200)
    generic_name: str | None = Field(default=None, min_length=2, max_length=200)
    form: str | None = Field(default=None, min_length=2, max_length=40)
    strength: str | None = Field(default=None, max_length=60)
    unit: str | None = Field(default=None, min_length=1, max_length=30)
    unit_price: Price | None = None
    reorder_level: int | None = Field(default=None, ge=0, le=10_000_000)
    is_supply: bool | None = None
    is_active: bool | None = None


class MedicineOut(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    name: str
    generic_name: str
    form: str
    strength: str
    unit: str
    unit_price: Money
    reorder_level: int
    is_supply: bool
    is_active: bool
    label: str
    usual_route: str | None = Field(
        default=None, description="The route its form implies (tablet: oral), if any"
    )
    last_prescribed_at: datetime | None = Field(
        default=None, description="When the caller last prescribed it (order=recent only)"
    )


class MedicineList(BaseModel):
    items: list[MedicineOut]
    total: int


# ---------------------------------------------------------------- stock


class ReceiptIn(InputModel):
    medicine_id: Id
    batch_number: str = Field(min_length=1, max_length=60)
    expiry_date: Day
    quantity: int = Field(ge=1, le=10_000_000)
    unit_cost: Price
    supplier: str | None = Field(default=None, max_length=200)


class AdjustmentIn(InputModel):
    lot_id: Id
    quantity: int = Field(ge=-10_000_000, le=10_000_000, description="Signed change; not zero")
    reason: str = Field(min_length=3, max_length=500)


class LotOut(BaseModel):
    id: int
    medicine_id: int
    batch_number: str
    expiry_date: date
    quantity_received: int
    quantity: int
    unit_cost: Money
    supplier: str | None
    received_at: datetime
    expired: bool
    expires_soon: bool


class MovementOut(BaseModel):
    id: int
    lot_id: int
    medicine_id: int
    kind: str
    quantity: int
    reason: str | None
    created_at: datetime


class StockLine(BaseModel):
    medicine: MedicineOut
    on_hand: int  # usable: non-expired lots
    expired_on_hand: int
    below_reorder: bool
    lots: list[LotOut]


class StockList(BaseModel):
    items: list[StockLine]
    total: int


class AlertLot(BaseModel):
    lot: LotOut
    medicine: MedicineOut


class LowStock(BaseModel):
    medicine: MedicineOut
    on_hand: int


class Alerts(BaseModel):
    days: int
    low_stock: list[LowStock]
    expiring: list[AlertLot]
    expired: list[AlertLot]


class ValueLine(BaseModel):
    medicine: MedicineOut
    quantity: int
    value_at_cost: Money
    value_at_price: Money
    expired_quantity: int
    expired_value_at_cost: Money


class InventoryValue(BaseModel):
    items: list[ValueLine]
    total_quantity: int
    total_at_cost: Money
    total_at_price: Money
    expired_quantity: int
    expired_at_cost: Money


# ---------------------------------------------------------------- prescribing


class ItemIn(InputModel):
    medicine_id: Id
    dose: str = Field(min_length=1, max_length=100)
    route: str = Field(min_length=1, max_length=40)
    frequency: str = Field(min_length=1, max_length=100)
    duration_days: int | None = Field(default=None, ge=1, le=3650)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    instructions: str | None = Field(default=None, max_length=2000)


class PrescriptionCreate(InputModel):
    patient_id: Id
    encounter_id: Id | None = None
    items: list[ItemIn] = Field(min_length=1, max_length=30)
    notes: str | None = Field(default=None, max_length=4000)
    override_reason: str | None = Field(default=None, min_length=5, max_length=500)


class Warning(BaseModel):
    type: Literal["allergy", "duplicate", "interaction"]
    severity: Severity
    message: str


class ItemOut(BaseModel):
    id: int
    medicine_id: int
    medicine: str
    generic_name: str
    dose: str
    route: str
    frequency: str
    duration_days: int | None
    quantity: int
    quantity_dispensed: int
    remaining: int
    instructions: str | None


class PrescriptionOut(BaseModel):
    id: int
    status: PrescriptionStatus
    patient_id: int
    patient_name: str
    patient_mrn: str
    encounter_id: int | None
    prescriber_id: int
    prescriber_name: str
    notes: str | None
    override_reason: str | None
    renewed_from_id: int | None
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    items: list[ItemOut]
    warnings: list[Warning]


class PrescriptionList(BaseModel):
    items: list[PrescriptionOut]
    total: int


class CancelIn(InputModel):
    reason: str = Field(min_length=3, max_length=500)


# ---------------------------------------------------------------- dispensing


class DispenseItemIn(InputModel):
    item_id: Id
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class DispenseIn(InputModel):
    items: list[DispenseItemIn] | None = Field(default=None, min_length=1, max_length=30)


class DispensedLot(BaseModel):
    lot_id: int
    batch_number: str
    expiry_date: date
    quantity: int


class DispensedLine(BaseModel):
    item_id: int
    medicine: str
    requested: int
    dispensed: int
    remaining: int
    lots: list[DispensedLot]


class DispenseOut(BaseModel):
    prescription_id: int
    status: PrescriptionStatus
    complete: bool
    lines: list[DispensedLine]


class QueueItem(BaseModel):
    item_id: int
    medicine_id: int
    medicine: str
    remaining: int
    in_stock: int


class QueueEntry(BaseModel):
    prescription_id: int
    status: PrescriptionStatus
    patient_id: int
    patient_name: str
    patient_mrn: str
    prescriber_name: str
    created_at: datetime
    items: list[QueueItem]


class Queue(BaseModel):
    items: list[QueueEntry]
    total: int


# ---------------------------------------------------------------- renewals


class RenewalRequestIn(InputModel):
    note: str | None = Field(default=None, max_length=1000)


class RenewalApproveIn(InputModel):
    note: str | None = Field(default=None, max_length=1000)
    override_reason: str | None = Field(default=None, min_length=5, max_length=500)


class RenewalDeclineIn(InputModel):
    note: str = Field(min_length=3, max_length=1000)


class RenewalOut(BaseModel):
    id: int
    prescription_id: int
    patient_id: int
    patient_name: str
    status: RenewalStatus
    note: str | None
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    new_prescription_id: int | None
    medicines: list[str]


class RenewalList(BaseModel):
    items: list[RenewalOut]
    total: int
