"""Patient API shapes: what the front desk types in and what comes back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from openward.core.schemas import InputModel
from openward.identity.schemas import Password

Sex = Literal["female", "male", "other", "unknown"]
BloodGroup = Literal["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"]
SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}
BLOOD_GROUPS = ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-")


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def national_id_key(value: str) -> str:
    """National ids are kept upper-case without spaces, so ' ab 12 34 ' and 'AB1234' are
    one id: the unique index then catches duplicates however they were typed."""
    return "".join(value.split()).upper()


def _national_id(value: str | None) -> str | None:
    return national_id_key(value) if value else value


def _born_already(value: date | None) -> date | None:
    # A day of slack: the hospital's calendar may be ahead of the server's UTC date.
    if value is not None and value > datetime.now(UTC).date() + timedelta(days=1):
        raise ValueError("The date of birth cannot be in the future.")
    if value is not None and value.year < 1880:
        raise ValueError("Enter a real date of birth.")
    return value


class _Contact(InputModel):
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+() .\-]*$")
    email: EmailStr | None = None
    address: str | None = Field(default=None, max_length=500)
    emergency_contact_name: str | None = Field(default=None, max_length=200)
    emergency_contact_phone: str | None = Field(
        default=None, max_length=40, pattern=r"^[0-9+() .\-]*$"
    )

    _blank = field_validator(
        "phone",
        "email",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
        mode="before",
    )(_blank_to_none)


AllergySeverity = Literal["unknown", "mild", "moderate", "severe", "life_threatening"]
MAX_REPORTED_ALLERGIES = 20


class AllergyReported(InputModel):
    """An allergy told at registration: it joins the chart's allergy list, unconfirmed until
    a clinician confirms it."""

    substance: str = Field(min_length=2, max_length=200, examples=["Penicillin"])
    reaction: str | None = Field(default=None, max_length=500, examples=["Rash"])
    severity: AllergySeverity = Field(
        default="unknown", description="'unknown' when the patient cannot say"
    )

    _blank = field_validator("reaction", mode="before")(_blank_to_none)


class AllergiesTold(InputModel):
    allergies: list[AllergyReported] = Field(
        default_factory=list,
        max_length=MAX_REPORTED_ALLERGIES,
        description="Allergies the patient reports; they become entries of "
        "GET /api/v1/patients/{id}/allergies",
    )
    no_known_allergies: bool = Field(
        default=False,
        description="The patient was asked and knows of no allergies (recorded with who and "
        "when). Leave false and the list empty when it was not asked: 'not yet recorded'.",
    )

    @field_validator("no_known_allergies", mode="after")
    @classmethod
    def _none_or_some(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("allergies"):
            raise ValueError("List the allergies or say none are known, not both.")
        return value


class MyContactUpdate(_Contact):
    """What patients may change themselves: how to reach them."""


class PatientCreate(_Contact, AllergiesTold):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date  # bounded by _born_already, with a plainer message than Day's
    sex: Sex
    blood_group: BloodGroup | None = None
    national_id: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)
    allow_duplicate: bool = Field(
        default=False, description="Save although possible duplicates were found."
    )

    _blank2 = field_validator("blood_group", "national_id", "notes", mode="before")(_blank_to_none)
    _dob = field_validator("date_of_birth")(_born_already)
    _nid = field_validator("national_id")(_national_id)


class PatientUpdate(_Contact):
    given_name: str | None = Field(default=None, min_length=1, max_length=100)
    family_name: str | None = Field(default=None, min_length=1, max_length=100)
    date_of_birth: date | None = None
    sex: Sex | None = None
    blood_group: BloodGroup | None = None
    national_id: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)

    _blank2 = field_validator("blood_group", "national_id", "notes", mode="before")(_blank_to_none)
    _dob = field_validator("date_of_birth")(_born_already)
    _nid = field_validator("national_id")(_national_id)


class PatientBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mrn: str
    full_name: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    phone: str | None
    is_active: bool


class PatientOut(PatientBrief):
    email: str | None
    address: str | None
    blood_group: str | None
    national_id: str | None
    emergency_contact_name: str | None
    emergency_contact_phone: str | None
    notes: str | None
    deactivated_reason: str | None
    created_at: datetime
    updated_at: datetime


class PatientList(BaseModel):
    items: list[PatientBrief]
    total: int = Field(description="Matches, counted up to 1000.")
    total_is_capped: bool = Field(
        default=False, description="True when there are 1000 matches or more: refine the query."
    )


class DuplicateList(BaseModel):
    items: list[PatientBrief]


class DeactivateIn(InputModel):
    reason: str = Field(min_length=3, max_length=500)
    disable_login: bool = Field(
        default=False,
        description="Also deactivate the patient's online login (ending its sign-ins), in the "
        "same transaction; a record without a login has none to disable.",
    )


class CareTeamIn(InputModel):
    doctor_id: int = Field(ge=1, le=2_147_483_647)


class CareTeamMemberOut(BaseModel):
    doctor_id: int
    doctor_name: str
    department_name: str
    specialization: str
    assigned_at: datetime


class CareTeamOut(BaseModel):
    items: list[CareTeamMemberOut]


class ActivationCodeOut(BaseModel):
    patient_id: int
    mrn: str
    code: str = Field(description="Shown once: give it to the patient (it is not stored).")
    expires_at: datetime


class RegisterPatientIn(AllergiesTold):
    username: str = Field(min_length=3, max_length=150)
    password: Password = Field(min_length=1, max_length=1024)
    full_name: str = Field(min_length=2, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    date_of_birth: date  # bounded by _born_already, with a plainer message than Day's
    sex: Sex
    mrn: str | None = Field(
        default=None,
        max_length=20,
        description="The medical record number the front desk gave you: the account is "
        "linked to that record (with the date of birth and the activation code) instead of a "
        "new one.",
    )
    activation_code: str | None = Field(
        default=None,
        validate_default=True,
        max_length=32,
        description="The one-time code the front desk issued with the MRN (printed or read "
        "out to you); it expires and works once.",
    )

    _blank = field_validator("email", "phone", "mrn", "activation_code", mode="before")(
        _blank_to_none
    )
    _dob = field_validator("date_of_birth")(_born_already)

    @field_validator("activation_code", mode="after")
    @classmethod
    def _code_with_mrn(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("mrn") and not value:
            raise ValueError(
                "Enter the activation code the front desk gave you with your MRN, or leave "
                "the MRN empty to open a new record."
            )
        return value


class RegisteredPatientOut(BaseModel):
    id: int = Field(description="The new user's id.")
    username: str
    patient_id: int
    mrn: str
