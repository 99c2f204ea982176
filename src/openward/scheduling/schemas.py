"""Appointment API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from openward.core.dates import Moment
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
    # What the clock allows now (scheduling.timing), for the pages' buttons and the queue.
    may_check_in: bool = False
    may_mark_no_show: bool = False
    waiting_minutes: int | None = Field(
        default=None, description="Minutes since check-in, while the patient is waiting"
    )
    overdue: bool = Field(
        default=False, description="Booked, its start passed more than 15 minutes ago"
    )


class AppointmentList(BaseModel):
    items: list[AppointmentOut]
    total: int


class DeactivatedDoctorOut(BaseModel):
    doctor: dict
    future_appointments: list[AppointmentOut]
