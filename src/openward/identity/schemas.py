"""Identity API shapes: what comes in and what goes out (never a hash or a secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from openward.config import ROLES, SELF_SERVICE_STAFF_ROLES
from openward.core import domains
from openward.core.schemas import InputModel

# The same names as config.ROLES (a tuple subscript gives one Literal member per role).
Role = Literal[ROLES]  # type: ignore[valid-type]
# Roles a person may ask for at /auth/register-staff (admins are made by admins).
StaffRole = Literal[SELF_SERVICE_STAFF_ROLES]  # type: ignore[valid-type]


class _In(InputModel):
    pass


# A password is exactly what was typed: the pages pass it on untrimmed, so the API must not
# trim it either, or a password with an outer space set in one place fails in the other.
Password = Annotated[str, StringConstraints(strip_whitespace=False)]


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=150)
    password: Password = Field(min_length=1, max_length=1024)


class MfaIn(_In):
    mfa_token: str = Field(min_length=1, max_length=2000)
    code: str = Field(min_length=6, max_length=10)


class RefreshIn(_In):
    refresh_token: str = Field(min_length=1, max_length=200)


class UserBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    role: Role


class UserOut(UserBrief):
    email: str | None
    phone: str | None
    is_active: bool
    is_approved: bool
    totp_enabled: bool
    created_at: datetime
    last_login_at: datetime | None
    locked: bool = False
    profile_missing: bool = Field(
        default=False,
        description="The role needs a profile this account lacks (a doctor's account made "
        "before profiles were required): complete it with POST /users/{id}/profile.",
    )


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserBrief


class MfaChallengeOut(BaseModel):
    mfa_required: Literal[True] = True
    mfa_setup_required: bool = Field(
        default=False,
        description="True when the role requires a second factor the user has not set up yet: "
        "call /auth/mfa/setup and /auth/mfa/enable with this mfa_token.",
    )
    mfa_token: str
    expires_in: int


class MfaSetupIn(_In):
    mfa_token: str | None = Field(
        default=None, max_length=2000, description="Only when enrolling during sign-in."
    )


class MfaSetupOut(BaseModel):
    secret: str
    otpauth_uri: str


class MfaEnableIn(_In):
    code: str = Field(min_length=6, max_length=10)
    mfa_token: str | None = Field(
        default=None, max_length=2000, description="Only when enrolling during sign-in."
    )


class MfaEnabledOut(BaseModel):
    totp_enabled: Literal[True] = True
    tokens: TokenOut | None = Field(default=None, description="Given when enrolling at sign-in.")


class UserCreate(_In):
    username: str = Field(min_length=3, max_length=150)
    password: Password = Field(min_length=1, max_length=1024)
    full_name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    role: Role

    _blank = field_validator("email", "phone", mode="before")(_blank_to_none)


class UserUpdate(_In):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40)
    role: Role | None = None
    password: Password | None = Field(default=None, min_length=1, max_length=1024)

    _blank = field_validator("email", "phone", mode="before")(_blank_to_none)


_PROFILE_FIELDS = (
    "An account whose role needs a profile takes its fields beside these: a doctor's are "
    "those of POST /api/v1/doctors (department_id, specialization, license_number, "
    "qualification, experience_years, consultation_fee); without them the answer is 422 "
    "naming each missing field. Other roles take no more fields."
)


# Extension point (core.domains.Domain.extends): a function () -> role_profiles.RoleProfile,
# one per role whose accounts need a profile (staff adds the doctor's). Named here so the
# API document can list the profile fields; role_profiles says what a RoleProfile holds.
ROLE_PROFILE = "identity.role_profile"


def _document_profile_fields(schema: dict[str, Any]) -> None:
    """The API document lists each role's profile fields beside the account's (they are
    read from the installed domains when the document is written) and no others."""
    for declared in domains.extensions(ROLE_PROFILE):
        profile = declared()
        fields = profile.schema.model_json_schema()
        required = set(fields.get("required", ()))
        for name, field_schema in fields.get("properties", {}).items():
            need = "required" if name in required else "optional"
            schema.setdefault("properties", {}).setdefault(
                name,
                {
                    **field_schema,
                    "description": f"{profile.label} ({need} for role "
                    f"{profile.role}; refused for other roles).",
                },
            )
    schema["additionalProperties"] = False
    schema.setdefault("description", _PROFILE_FIELDS)


class _WithProfile:
    """The fields a higher domain's profile adds (kept aside by `extra="allow"`; the
    profile's own schema checks them and refuses unknown ones)."""

    def profile_fields(self) -> dict[str, Any]:
        return dict(getattr(self, "model_extra", None) or {})


class AccountCreate(_WithProfile, UserCreate):
    model_config = ConfigDict(extra="allow", json_schema_extra=_document_profile_fields)

    def account(self) -> UserCreate:
        return UserCreate(**self.model_dump(exclude=set(self.profile_fields())))


class AccountUpdate(_WithProfile, UserUpdate):
    model_config = ConfigDict(extra="allow", json_schema_extra=_document_profile_fields)

    def account(self) -> UserUpdate:
        return UserUpdate(**self.model_dump(exclude_unset=True, exclude=set(self.profile_fields())))


class ProfileFieldsIn(_WithProfile, _In):
    """The profile's fields alone: approving a self-registered doctor, or completing the
    profile of a doctor's account made without one (the fields of POST /api/v1/doctors:
    department_id, specialization, license_number, ...). Other roles take none."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_document_profile_fields)


class DeactivateIn(_In):
    reason: str | None = Field(default=None, max_length=500)


class UserList(BaseModel):
    items: list[UserOut]
    total: int


class SignInOut(BaseModel):
    id: str = Field(description='"web-<n>" for a browser session, "api-<n>" for an API sign-in.')
    kind: Literal["web", "api"]
    started_at: datetime
    last_used_at: datetime
    ends_at: datetime = Field(description="When it ends unless used or ended before.")
    ip: str | None
    user_agent: str | None
    current: bool = Field(description="The sign-in this request came from.")


class RegisterStaffIn(_In):
    username: str = Field(min_length=3, max_length=150)
    password: Password = Field(min_length=1, max_length=1024)
    full_name: str = Field(min_length=2, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=40)
    role: StaffRole

    _blank = field_validator("phone", mode="before")(_blank_to_none)


class RegisteredStaffOut(BaseModel):
    id: int
    username: str
    role: StaffRole
    status: Literal["pending_approval"] = "pending_approval"
    detail: str = "An administrator must approve this account before it can sign in."
