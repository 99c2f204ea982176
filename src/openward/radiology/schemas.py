"""Radiology API shapes: the catalogue, orders through their steps, reports and images."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from openward.core.dates import Moment
from openward.core.params import MAX_ID
from openward.core.schemas import InputModel
from openward.radiology.models import ORDER_STATUSES

Status = Literal[ORDER_STATUSES]  # type: ignore[valid-type]
Priority = Literal["routine", "urgent", "stat"]
PRIORITIES = ("stat", "urgent", "routine")


class ModalityOut(BaseModel):
    id: int
    code: str
    name: str
    exams: int


class ModalityList(BaseModel):
    items: list[ModalityOut]
    total: int


class ExamOut(BaseModel):
    id: int
    code: str
    name: str
    modality_code: str
    modality_name: str
    body_part: str | None
    price: Decimal
    duration_minutes: int
    preparation: str | None


class ExamList(BaseModel):
    items: list[ExamOut]
    total: int


class OrderCreate(InputModel):
    patient_id: int = Field(ge=1, le=MAX_ID)
    exam_code: str | None = Field(default=None, min_length=1, max_length=20)
    exam_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    priority: Priority = "routine"
    clinical_notes: str | None = Field(
        default=None, max_length=4000, description="The clinical question for the radiologist"
    )
    encounter_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    doctor_user_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The requesting doctor's user id (a doctor ordering: themselves)",
    )

    @model_validator(mode="after")
    def _one_exam(self) -> OrderCreate:
        if (self.exam_code is None) == (self.exam_id is None):
            raise ValueError("give exactly one of exam_code or exam_id")
        return self


class ScheduleIn(InputModel):
    scheduled_at: Moment = Field(
        description="ISO 8601, in the future; without an offset it is the hospital's local time"
    )


class ReportIn(InputModel):
    findings: str = Field(min_length=1, max_length=20000)
    impression: str = Field(min_length=1, max_length=4000)


class CancelIn(InputModel):
    reason: str = Field(min_length=3, max_length=500)


class AttachmentOut(BaseModel):
    id: int
    order_id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: int
    uploaded_by_name: str
    uploaded_at: datetime
    url: str
    is_image: bool


class AttachmentList(BaseModel):
    items: list[AttachmentOut]
    total: int


class OrderOut(BaseModel):
    id: int
    status: Status
    priority: Priority
    patient_id: int
    patient_name: str
    patient_mrn: str
    exam_id: int
    exam_code: str
    exam_name: str
    modality_code: str
    modality_name: str
    body_part: str | None
    preparation: str | None
    duration_minutes: int
    price: Decimal
    clinical_notes: str | None
    encounter_id: int | None
    doctor_user_id: int | None
    doctor_name: str | None
    ordered_by: int
    ordered_by_name: str
    ordered_at: datetime
    scheduled_at: datetime | None
    scheduled_by: int | None
    performed_at: datetime | None
    performed_by: int | None
    performed_by_name: str | None
    report_visible: bool = Field(
        description="False when the report exists but this reader may not see it yet "
        "(it is not verified, or the reader's role does not read reports)"
    )
    clinical_content_withheld: bool = Field(
        default=False,
        description="True for readers who see the order's status but not its notes, "
        "report or images",
    )
    findings: str | None
    impression: str | None
    reported_at: datetime | None
    reported_by: int | None
    reported_by_name: str | None
    verified_at: datetime | None
    verified_by: int | None
    verified_by_name: str | None
    acknowledged_at: datetime | None = Field(
        default=None, description="When the requesting doctor acknowledged the report"
    )
    acknowledged_by: int | None = None
    acknowledged_by_name: str | None = None
    released_at: datetime | None = Field(
        default=None,
        description="When the report reaches the patient: the acknowledgement, or the end of "
        "the release delay after verification",
    )
    released_to_patient: bool = False
    can_acknowledge: bool = Field(
        default=False, description="The reader requested the exam and may acknowledge now"
    )
    cancelled_at: datetime | None
    cancelled_by: int | None
    cancel_reason: str | None
    attachments: int


class OrderList(BaseModel):
    items: list[OrderOut]
    total: int


class AcknowledgementOut(BaseModel):
    """The requesting doctor's acknowledgement of a verified report."""

    order_id: int
    status: str
    acknowledged_by: int
    acknowledged_by_name: str | None
    acknowledged_at: datetime
    released_at: datetime | None = Field(description="When the report reaches the patient")
