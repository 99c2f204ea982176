"""Appointment API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from openward.core.dates import Day, Moment
from openward.core.schemas import InputModel
from openward.scheduling.models import STATUSES

Status = Literal[STATUSES]  # type: ignore[valid-type]
MAX_ID = 2_147_483_647


class AppointmentCreate(InputModel):
    patient_id: int = Field(ge=1, le=MAX_ID)
    doctor_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    department_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    specialization: str | None = Field(default=None, min_length=2, max_length=120)
    start: Moment = Field(
        description="ISO 8601; without an offset it is the hospital's local time. With a "
        "department or specialization instead of a doctor, the earliest free slot at or "
        "after this time is booked."
    )
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_way_to_choose(self) -> AppointmentCreate:
        given = [self.doctor_id, self.department_id, self.specialization]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of doctor_id, department_id or specialization")
        return self


class RescheduleIn(InputModel):
    start: Moment


class CancelIn(InputModel):
    reason: str = Field(min_length=3, max_length=500)


class CompleteIn(InputModel):
    diagnosis: str = Field(min_length=2, max_length=4000)
    treatment_notes: str | None = Field(default=None, max_length=8000)
    prescription: str | None = Field(default=None, max_length=4000)
    next_visit_date: Day | None = None


class TreatmentOut(BaseModel):
    diagnosis: str
    treatment_notes: str | None
    prescription: str | None
    next_visit_date: date | None
    recorded_at: datetime


class AppointmentOut(BaseModel):
    id: int
    status: Status
    patient_id: int
    patient_name: str
    patient_mrn: str
    doctor_id: int
    doctor_name: str
    department_id: int
    department_name: str
    start: datetime
    end: datetime
    reason: str | None
    created_at: datetime
    checked_in_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None


class AppointmentList(BaseModel):
    items: list[AppointmentOut]
    total: int


class HistoryItem(AppointmentOut):
    treatment: TreatmentOut | None


class PatientHistory(BaseModel):
    patient: dict
    items: list[HistoryItem]
    total: int
    # True when the reader may see the visits but not their treatment records (front desk).
    treatments_withheld: bool = False


class DeactivatedDoctorOut(BaseModel):
    doctor: dict
    future_appointments: list[AppointmentOut]
