"""Clinical record API shapes: encounters, vital signs, allergies, problems, care plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from openward.clinical.vitals import PLAUSIBLE
from openward.core.dates import Day, Moment
from openward.core.params import MAX_ID
from openward.core.schemas import InputModel
from openward.scheduling.schemas import AppointmentOut

EncounterStatus = Literal["draft", "signed"]
Severity = Literal["unknown", "mild", "moderate", "severe", "life_threatening"]
Verification = Literal["confirmed", "unconfirmed"]
AllergySource = Literal["chart", "registration"]
AllergyStatus = Literal["active", "inactive", "resolved", "refuted"]
ProblemKind = Literal["problem", "history"]
ProblemStatus = Literal["active", "resolved", "inactive"]
CarePlanStatus = Literal["draft", "active", "on_hold", "completed", "cancelled"]

SEVERITIES = ("unknown", "mild", "moderate", "severe", "life_threatening")
ALLERGY_STATUSES = ("active", "inactive", "resolved", "refuted")
PROBLEM_STATUSES = ("active", "resolved", "inactive")
CARE_PLAN_STATUSES = ("draft", "active", "on_hold", "completed", "cancelled")
MAX_DIAGNOSES = 20


# ---------------------------------------------------------------- ICD-10


class Icd10Out(BaseModel):
    code: str
    description: str
    billable: bool


class Icd10List(BaseModel):
    items: list[Icd10Out]
    total: int


# ---------------------------------------------------------------- encounters


class DiagnosisIn(InputModel):
    code: str = Field(min_length=1, max_length=16, examples=["E78.5"])
    primary: bool = False


class EncounterCreate(InputModel):
    patient_id: int = Field(ge=1, le=MAX_ID)
    appointment_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    chief_complaint: str = Field(min_length=2, max_length=2000)
    history: str | None = Field(default=None, max_length=8000)
    examination: str | None = Field(default=None, max_length=8000)
    assessment: str | None = Field(default=None, max_length=8000)
    plan: str | None = Field(default=None, max_length=8000)
    next_visit_date: Day | None = None
    diagnoses: list[DiagnosisIn] = Field(default_factory=list, max_length=MAX_DIAGNOSES)


class EncounterUpdate(InputModel):
    """Only the fields sent change; `diagnoses`, when sent, replaces the list."""

    chief_complaint: str | None = Field(default=None, min_length=2, max_length=2000)
    history: str | None = Field(default=None, max_length=8000)
    examination: str | None = Field(default=None, max_length=8000)
    assessment: str | None = Field(default=None, max_length=8000)
    plan: str | None = Field(default=None, max_length=8000)
    next_visit_date: Day | None = None
    diagnoses: list[DiagnosisIn] | None = Field(default=None, max_length=MAX_DIAGNOSES)


class AmendmentIn(InputModel):
    text: str = Field(min_length=2, max_length=8000)


class DiagnosisOut(BaseModel):
    code: str
    description: str
    primary: bool


class AmendmentOut(BaseModel):
    id: int
    text: str
    author_id: int
    author_name: str
    created_at: datetime


class EncounterOut(BaseModel):
    id: int
    status: EncounterStatus
    patient_id: int
    patient_name: str
    appointment_id: int | None
    doctor_id: int | None
    doctor_name: str | None
    author_id: int
    author_name: str
    chief_complaint: str
    history: str | None
    examination: str | None
    assessment: str | None
    plan: str | None
    next_visit_date: date | None
    origin: Literal["recorded", "migrated"] = "recorded"
    prescription_note: str | None = None
    diagnoses: list[DiagnosisOut]
    amendments: list[AmendmentOut]
    signed_at: datetime | None
    signed_by_name: str | None
    created_at: datetime
    updated_at: datetime


class EncounterList(BaseModel):
    items: list[EncounterOut]
    total: int


# ---------------------------------------------------------------- vital signs


def _bounds(name: str) -> dict[str, float]:
    low, high = PLAUSIBLE[name]
    return {"ge": low, "le": high}


class VitalsIn(InputModel):
    """Any subset, at least one value. A value outside what a body can show is refused."""

    systolic: int | None = Field(default=None, **_bounds("systolic"), description="mmHg")
    diastolic: int | None = Field(default=None, **_bounds("diastolic"), description="mmHg")
    pulse: int | None = Field(default=None, **_bounds("pulse"), description="beats/min")
    respiratory_rate: int | None = Field(
        default=None, **_bounds("respiratory_rate"), description="breaths/min"
    )
    temperature: Decimal | None = Field(default=None, **_bounds("temperature"), description="°C")
    spo2: int | None = Field(default=None, **_bounds("spo2"), description="%")
    weight_kg: Decimal | None = Field(default=None, **_bounds("weight_kg"))
    height_cm: Decimal | None = Field(default=None, **_bounds("height_cm"))
    taken_at: Moment | None = Field(
        default=None, description="When measured (default: now); not in the future"
    )
    encounter_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    @field_validator("temperature", "weight_kg", "height_cm")
    @classmethod
    def _one_decimal(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if not value.is_finite():
            raise ValueError("must be a number")
        return value.quantize(Decimal("0.1"))


class VitalsOut(BaseModel):
    id: int
    patient_id: int
    encounter_id: int | None
    systolic: int | None
    diastolic: int | None
    pulse: int | None
    respiratory_rate: int | None
    temperature: float | None
    spo2: int | None
    weight_kg: float | None
    height_cm: float | None
    bmi: float | None
    flags: list[str]
    taken_at: datetime
    recorded_by: int
    recorded_by_name: str
    created_at: datetime


class VitalsList(BaseModel):
    items: list[VitalsOut]
    total: int


# ---------------------------------------------------------------- allergies


class AllergyIn(InputModel):
    substance: str = Field(min_length=2, max_length=200)
    reaction: str | None = Field(default=None, max_length=500)
    severity: Severity = "moderate"


class AllergyUpdate(InputModel):
    reaction: str | None = Field(default=None, max_length=500)
    severity: Severity | None = None
    status: AllergyStatus | None = None
    verification: Literal["confirmed"] | None = Field(
        default=None, description="A clinician confirms an entry told at registration"
    )


class AllergyOut(BaseModel):
    id: int
    patient_id: int
    substance: str
    reaction: str | None
    severity: Severity
    status: AllergyStatus
    verification: Verification
    source: AllergySource
    source_text: str | None = Field(
        default=None, description="The free text the entry came from (older registrations)"
    )
    recorded_by: int | None
    recorded_by_name: str
    verified_by_name: str | None = None
    verified_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


AllergyState = Literal["recorded", "no_known_allergies", "not_recorded"]


class AllergyAssessmentOut(BaseModel):
    """Whether the patient was asked: 'no_known_allergies' says by whom and when;
    'not_recorded' means nobody has asked yet."""

    state: AllergyState
    no_known_allergies: bool
    assessed_by_name: str | None = None
    assessed_at: datetime | None = None


class AllergyList(BaseModel):
    items: list[AllergyOut]
    total: int
    state: AllergyState
    no_known_allergies: bool
    assessment: AllergyAssessmentOut


# ---------------------------------------------------------------- problems and history


class ProblemIn(InputModel):
    kind: ProblemKind = "problem"
    code: str | None = Field(default=None, max_length=16, description="ICD-10, optional")
    description: str | None = Field(
        default=None, min_length=2, max_length=300, description="Default: the code's description"
    )
    onset_date: Day | None = None
    notes: str | None = Field(default=None, max_length=4000)


class ProblemUpdate(InputModel):
    status: ProblemStatus | None = None
    resolved_date: Day | None = None
    description: str | None = Field(default=None, min_length=2, max_length=300)
    notes: str | None = Field(default=None, max_length=4000)


class ProblemOut(BaseModel):
    id: int
    patient_id: int
    kind: ProblemKind
    code: str | None
    description: str
    onset_date: date | None
    resolved_date: date | None
    status: ProblemStatus
    notes: str | None
    recorded_by: int
    recorded_by_name: str
    created_at: datetime
    updated_at: datetime


class ProblemList(BaseModel):
    items: list[ProblemOut]
    total: int


# ---------------------------------------------------------------- care plans


class CarePlanIn(InputModel):
    title: str = Field(min_length=2, max_length=200)
    goals: str = Field(min_length=2, max_length=8000)
    activities: str | None = Field(default=None, max_length=8000)
    responsible_user_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: Literal["draft", "active"] = "active"
    review_date: Day | None = None


class CarePlanUpdate(InputModel):
    title: str | None = Field(default=None, min_length=2, max_length=200)
    goals: str | None = Field(default=None, min_length=2, max_length=8000)
    activities: str | None = Field(default=None, max_length=8000)
    responsible_user_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: CarePlanStatus | None = None
    review_date: Day | None = None


class CarePlanOut(BaseModel):
    id: int
    patient_id: int
    title: str
    goals: str
    activities: str | None
    responsible_user_id: int | None
    responsible_name: str | None
    status: CarePlanStatus
    review_date: date | None
    created_by: int
    created_by_name: str
    created_at: datetime
    updated_at: datetime


class CarePlanList(BaseModel):
    items: list[CarePlanOut]
    total: int


# ---------------------------------------------------------------- visit history


class VisitRecord(BaseModel):
    """What was found and done at a visit: its encounter."""

    encounter_id: int
    status: EncounterStatus
    origin: Literal["recorded", "migrated"] = Field(
        description="'migrated': a free-text treatment record from before encounters"
    )
    diagnoses: list[DiagnosisOut]
    assessment: str | None
    plan: str | None
    prescriptions: list[str] = Field(description="Prescriptions written from this encounter")
    prescription_note: str | None = Field(
        default=None,
        description="A free-text prescription written before prescribing went through the "
        "pharmacy (migrated records only): a note, never a medication order",
    )
    next_visit_date: date | None
    signed_at: datetime | None
    signed_by_name: str | None


class HistoryItem(AppointmentOut):
    encounter: VisitRecord | None


class PatientHistory(BaseModel):
    patient: dict
    items: list[HistoryItem]
    total: int
    # True when the reader may see the visits but not their clinical record (front desk).
    treatments_withheld: bool = False
