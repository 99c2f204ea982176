"""Lab API shapes: the catalogue, orders with their steps, results with flags, trends."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from openward.core.params import MAX_ID
from openward.core.schemas import InputModel
from openward.lab.models import FLAGS, ORDER_STATUSES, PRIORITIES

Status = Literal[ORDER_STATUSES]  # type: ignore[valid-type]
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]
Flag = Literal[FLAGS]  # type: ignore[valid-type]


# ---------------------------------------------------------------- catalogue


class AnalyteOut(BaseModel):
    code: str
    name: str
    unit: str
    low: float | None = Field(description="Default lower reference limit (adults, any sex)")
    high: float | None = Field(description="Default upper reference limit (adults, any sex)")
    critical_low: float | None
    critical_high: float | None
    normal_text: str | None = Field(
        default=None, description="Qualitative analytes: the expected answer, e.g. negative"
    )
    ranges: list[dict] = Field(
        default_factory=list,
        description="Ranges by sex and age band that replace the default (age max exclusive)",
    )


class LabTestOut(BaseModel):
    code: str
    name: str
    specimen: str
    price: Decimal
    turnaround_hours: int
    analytes: list[AnalyteOut]


class LabTestList(BaseModel):
    items: list[LabTestOut]
    total: int


# ---------------------------------------------------------------- orders in


class LabOrderCreate(InputModel):
    patient_id: int = Field(ge=1, le=MAX_ID)
    tests: list[Annotated[str, StringConstraints(max_length=20)]] = Field(
        min_length=1,
        max_length=30,
        description="Test codes from the catalogue (e.g. LIPID); repeated codes count once",
    )
    priority: Priority = "routine"
    clinical_notes: str | None = Field(default=None, max_length=2000)
    encounter_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    doctor_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The responsible doctor's profile id, when a nurse or receptionist orders",
    )
    doctor_user_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The responsible doctor's user id instead"
    )


class ResultEntry(InputModel):
    analyte_code: str = Field(min_length=1, max_length=20)
    value: Decimal | Annotated[str, StringConstraints(max_length=200)] = Field(
        description="A number for numeric analytes, text (e.g. negative, 1+) for qualitative"
    )
    comment: str | None = Field(default=None, max_length=500)


class ResultsIn(InputModel):
    results: list[ResultEntry] = Field(min_length=1, max_length=100)


class CancelIn(InputModel):
    reason: str = Field(min_length=3, max_length=500)


# ---------------------------------------------------------------- orders out


class StepOut(BaseModel):
    step: str  # ordered, collected, started, resulted, verified, cancelled
    at: datetime
    by_user_id: int | None
    by_name: str | None


class PreviousValue(BaseModel):
    order_id: int
    at: datetime
    value: float | None
    value_text: str | None
    flag: Flag


class ResultOut(BaseModel):
    analyte_code: str
    analyte_name: str
    test_code: str
    value: float | None
    value_text: str | None
    unit: str
    ref_low: float | None
    ref_high: float | None
    flag: Flag
    comment: str | None
    entered_at: datetime
    entered_by: int
    preliminary: bool = Field(
        description="Not yet verified: shown early only to the lab and, for critical values, "
        "to the responsible doctor"
    )


class OrderAnalyteOut(BaseModel):
    code: str
    name: str
    unit: str
    low: float | None = Field(description="The reference range for this patient's sex and age")
    high: float | None
    critical_low: float | None
    critical_high: float | None
    normal_text: str | None
    result: ResultOut | None
    previous: list[PreviousValue]


class OrderTestOut(BaseModel):
    code: str
    name: str
    specimen: str
    price: Decimal
    turnaround_hours: int
    analytes: list[OrderAnalyteOut]


class PersonRef(BaseModel):
    user_id: int | None
    name: str | None


class LabOrderOut(BaseModel):
    id: int
    status: Status
    priority: Priority
    patient_id: int
    patient_name: str
    patient_mrn: str
    patient_sex: str
    patient_date_of_birth: str
    encounter_id: int | None
    doctor: PersonRef
    doctor_user_id: int | None
    clinical_notes: str | None
    ordered_at: datetime
    ordered_by: int
    collected_at: datetime | None
    collected_by: int | None
    started_at: datetime | None
    started_by: int | None
    resulted_at: datetime | None
    resulted_by: int | None
    verified_at: datetime | None
    verified_by: int | None
    acknowledged_at: datetime | None = Field(
        default=None, description="When the ordering doctor acknowledged the results"
    )
    acknowledged_by: int | None = None
    acknowledged_by_name: str | None = None
    released_at: datetime | None = Field(
        default=None,
        description="When the results reach the patient: the acknowledgement, or the end of "
        "the release delay after verification",
    )
    released_to_patient: bool = False
    can_acknowledge: bool = Field(
        default=False, description="The reader is the ordering doctor and may acknowledge now"
    )
    cancelled_at: datetime | None
    cancelled_by: int | None
    cancel_reason: str | None
    steps: list[StepOut]
    total_price: Decimal
    tests: list[OrderTestOut]
    results: list[ResultOut] = Field(description="Every result the reader may see, flat")
    results_visible: bool = Field(description="False while results wait for verification")
    clinical_content_withheld: bool = Field(
        default=False,
        description="True for readers who see the order's status but not its values or notes",
    )
    flag: str | None = Field(description="None, abnormal or critical (of the visible results)")
    allowed: list[str] = Field(description="Steps the order may take next")


class LabOrderSummary(BaseModel):
    id: int
    status: Status
    priority: Priority
    patient_id: int
    patient_name: str
    patient_mrn: str
    tests: list[str]
    test_codes: list[str]
    doctor_name: str | None
    doctor_user_id: int | None
    ordered_at: datetime
    collected_at: datetime | None
    verified_at: datetime | None
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    released_to_patient: bool = False
    total_price: Decimal
    flag: str | None


class LabOrderList(BaseModel):
    items: list[LabOrderSummary]
    total: int


class TrendPoint(BaseModel):
    order_id: int
    at: datetime = Field(description="When the specimen was collected (else ordered)")
    verified_at: datetime | None
    value: float | None
    value_text: str | None
    unit: str
    ref_low: float | None
    ref_high: float | None
    flag: Flag


class LabTrend(BaseModel):
    patient_id: int
    analyte: str
    name: str | None
    unit: str | None
    items: list[TrendPoint]
    total: int


class AcknowledgementOut(BaseModel):
    """The ordering doctor's acknowledgement of an order's verified results."""

    order_id: int
    status: Status
    acknowledged_by: int
    acknowledged_by_name: str | None
    acknowledged_at: datetime
    released_at: datetime | None = Field(description="When the results reach the patient")
