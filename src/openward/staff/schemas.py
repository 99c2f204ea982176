"""Staff API shapes. Public doctor listings carry no private fields."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, time
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from openward.core.dates import Day
from openward.core.schemas import InputModel
from openward.identity.schemas import Password


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class DepartmentCreate(InputModel):
    name: str = Field(min_length=2, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    location: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)

    _blank = field_validator("description", "location", "phone", mode="before")(_blank_to_none)


class DepartmentUpdate(InputModel):
    name: str | None = Field(default=None, min_length=2, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    location: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    is_active: bool | None = None


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    location: str | None
    phone: str | None
    is_active: bool
    doctor_count: int = 0


class DepartmentList(BaseModel):
    items: list[DepartmentOut]
    total: int


class DoctorProfileIn(InputModel):
    """The professional profile of a doctor whose login already exists."""

    department_id: int = Field(ge=1, le=2_147_483_647)
    specialization: str = Field(min_length=2, max_length=120)
    qualification: str | None = Field(default=None, max_length=200)
    experience_years: int = Field(default=0, ge=0, le=80)
    consultation_fee: Decimal = Field(
        default=Decimal(0), ge=0, le=Decimal("9999999999.99"), decimal_places=2
    )
    license_number: str = Field(min_length=2, max_length=60)

    _blank = field_validator("qualification", mode="before")(_blank_to_none)


class DoctorCreate(DoctorProfileIn):
    """A new doctor: the login and the profile together."""

    username: str = Field(min_length=3, max_length=150)
    password: Password = Field(min_length=1, max_length=1024)
    full_name: str = Field(min_length=2, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=40)

    _blank_phone = field_validator("phone", mode="before")(_blank_to_none)


class DoctorUpdate(InputModel):
    full_name: str | None = Field(default=None, min_length=2, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    department_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    specialization: str | None = Field(default=None, min_length=2, max_length=120)
    qualification: str | None = Field(default=None, max_length=200)
    experience_years: int | None = Field(default=None, ge=0, le=80)
    consultation_fee: Decimal | None = Field(
        default=None, ge=0, le=Decimal("9999999999.99"), decimal_places=2
    )
    license_number: str | None = Field(default=None, min_length=2, max_length=60)


class DoctorPublic(BaseModel):
    """What anyone signed in (patients included) may see of a doctor."""

    id: int
    full_name: str
    department_id: int
    department_name: str
    specialization: str
    qualification: str | None
    experience_years: int
    consultation_fee: Decimal
    slot_minutes: int
    is_active: bool


class DoctorOut(DoctorPublic):
    """The whole profile: for administrators and the doctor themself."""

    user_id: int
    username: str
    email: str | None
    phone: str | None
    license_number: str
    deactivated_reason: str | None = None


class DoctorList(BaseModel):
    items: list[DoctorPublic]
    total: int


class ReasonIn(InputModel):
    reason: str = Field(min_length=3, max_length=500)


class WeeklyBlock(InputModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyBlock:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class AvailabilityIn(InputModel):
    slot_minutes: int = Field(default=30, ge=5, le=240)
    weekly: list[WeeklyBlock] = Field(default_factory=list, max_length=70)


class ExceptionIn(InputModel):
    date: Day
    kind: Literal["leave", "extra"]
    start: time | None = None
    end: time | None = None
    reason: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _times(self) -> ExceptionIn:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither (a whole day of leave)")
        if self.kind == "extra" and self.start is None:
            raise ValueError("extra hours need a start and an end")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class ExceptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    date: dt.date = Field(validation_alias="day")
    kind: str
    start: time | None
    end: time | None
    reason: str | None


class WeeklyBlockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    weekday: int
    start: time
    end: time


class AvailabilityOut(BaseModel):
    slot_minutes: int
    weekly: list[WeeklyBlockOut]
    exceptions: list[ExceptionOut]


class SlotOut(BaseModel):
    start: datetime
    end: datetime
