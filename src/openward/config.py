"""Settings: every knob of OpenWard, read from OPENWARD_* variables or a `.env` file."""

from __future__ import annotations

import hmac
import os
import re
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from openward.core.private_files import FILE_MODE, make_private_dirs, tighten

ROLES = (
    "admin",
    "receptionist",
    "nurse",
    "doctor",
    "pharmacist",
    "lab_technician",
    "radiologist",
    "billing",
    "patient",
)
STAFF_ROLES = tuple(role for role in ROLES if role != "patient")
SELF_SERVICE_STAFF_ROLES = tuple(role for role in STAFF_ROLES if role != "admin")
_ORIGIN = re.compile(r"https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")


class ConfigError(RuntimeError):
    """The configuration cannot run a hospital safely; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENWARD_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./openward.db"
    redis_url: str | None = None
    secret_key: str | None = None
    timezone: str = "UTC"
    hospital_name: str = "OpenWard Hospital"
    # The country a phone number written without its code belongs to ("07700 900123" is
    # +44 7700 900123 in GB), and which of 03/04/1984 is the day in a search (ISO 3166).
    phone_region: str = "GB"
    # how dates are typed in forms (dd/mm/yyyy for en-GB) and the pages' <html lang>
    locale: str = Field(default="en-GB", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")

    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    session_idle_minutes: int = Field(default=15, ge=1, le=720)
    session_max_hours: int = Field(default=12, ge=1, le=168)
    mfa_token_minutes: int = Field(default=5, ge=1, le=30)
    require_mfa_for: Annotated[list[str], NoDecode] = Field(default_factory=list)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_window_minutes: int = Field(default=15, ge=1, le=1440)
    # Throttles beside the per-account one (which locks only the address that failed):
    login_ip_max_failures: int = Field(default=20, ge=1, le=10_000)  # one address, any account
    # Failures on one account from any address: then only a known address or TOTP gets in.
    login_account_max_failures: int = Field(default=50, ge=1, le=100_000)
    # Failures hospital-wide: then addresses with no recent sign-in wait.
    login_global_max_failures: int = Field(default=1000, ge=1, le=1_000_000)
    # Linking an online account to a record: one-time codes from the front desk.
    activation_code_hours: int = Field(default=72, ge=1, le=24 * 60)
    link_max_failures: int = Field(default=5, ge=1, le=100)  # per record; then the code burns
    link_ip_max_failures: int = Field(default=10, ge=1, le=10_000)
    # An API sign-in ends this long after it started, however often it is refreshed.
    api_sign_in_max_days: int = Field(default=30, ge=1, le=365)
    cookie_secure: bool = False
    # Web origins (scheme://host[:port]) of separate front ends that may call /api/ from a
    # browser; "*" alone allows any. Never with credentials: those front ends send tokens.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "openward@localhost"
    smtp_starttls: bool = True

    log_level: str = "INFO"
    # JSON and form bodies larger than this are refused with 413 before they are read.
    body_max_bytes: int = Field(default=1_048_576, ge=1024, le=1024 * 1024 * 1024)

    # Imaging attachments live here, outside the database (relative to the working dir).
    media_dir: Path = Path("media")
    upload_max_mb: int = Field(default=25, ge=1, le=2048)
    # Pharmacy: lots expiring within this many days are flagged on the alerts list.
    expiry_alert_days: int = Field(default=90, ge=1, le=730)
    # Lab results and imaging reports reach the patient once the ordering doctor acknowledged
    # them, or this many hours after verification (0: at verification).
    result_release_hours: int = Field(default=72, ge=0, le=24 * 365)
    # One-person labs: the technician who entered results (the radiologist who wrote the
    # report) may verify them too; each such verification is audited as self-verified.
    allow_self_verification: bool = False

    # The audit chain's HMAC key (32+ characters); never stored in the database. Unset: derived
    # from the secret key. Signed checkpoints of the chain's head go to a file outside the
    # database (unset: beside the SQLite file, or openward.audit-checkpoints in the working dir).
    audit_key: str | None = None
    audit_checkpoint_path: Path | None = None
    audit_checkpoint_minutes: int = Field(default=60, ge=1, le=60)
    # How often the server seals new audit events into the chain (core/audit.py).
    audit_seal_seconds: float = Field(default=2.0, gt=0, le=60)
    _audit_key: bytes | None = PrivateAttr(default=None)

    @field_validator("require_mfa_for", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("require_mfa_for")
    @classmethod
    def _known_roles(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: list[str]) -> list[str]:
        if "*" in value and len(value) > 1:
            raise ValueError('"*" already allows every origin; list origins or "*" alone')
        for origin in value:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port], "
                    "with no path or trailing slash (for example https://app.example.org)"
                )
        return [origin.lower() for origin in value]  # browsers send the host in lower case

    @field_validator("phone_region")
    @classmethod
    def _known_phone_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"unknown phone region {value!r}: use a two-letter country code such as GB, "
                "US, FR or IN"
            )
        return region

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of the embedded mode (None for PostgreSQL or in-memory)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[-1]
        if not path or path == ":memory:":
            return None
        return Path(path)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def resolved_secret_key(self) -> str:
        """The signing key: configured, or (embedded mode only) generated once and kept."""
        if self.secret_key:
            if len(self.secret_key) < 32:
                raise ConfigError("OPENWARD_SECRET_KEY must be at least 32 characters long.")
            return self.secret_key
        db_file = self.sqlite_path
        if db_file is None:
            raise ConfigError(
                "OPENWARD_SECRET_KEY is not set. With PostgreSQL every web process must share "
                "one secret: set OPENWARD_SECRET_KEY to a random string of 32+ characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        key_file = db_file.with_name(db_file.name + ".secret")
        make_private_dirs(key_file.parent)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            tighten(key_file, FILE_MODE)  # a key left world-readable by an older install
            for _ in range(50):  # another process may be writing it this instant
                key = key_file.read_text().strip()
                if key:
                    return key
                time.sleep(0.02)
            raise ConfigError(f"{key_file} is empty; delete it to generate a new key.") from None
        key = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key

    def resolved_audit_key(self) -> bytes:
        """The audit chain's HMAC key: configured, or derived from the secret key (the derived
        key is domain-separated, so it signs nothing else)."""
        if self._audit_key is None:
            if self.audit_key:
                if len(self.audit_key) < 32:
                    raise ConfigError("OPENWARD_AUDIT_KEY must be at least 32 characters long.")
                self._audit_key = self.audit_key.encode()
            else:
                secret = self.resolved_secret_key().encode()
                self._audit_key = hmac.new(secret, b"openward audit chain v1", "sha256").digest()
        return self._audit_key

    @property
    def audit_checkpoint_file(self) -> Path:
        """Where the audit chain's signed checkpoints are appended."""
        if self.audit_checkpoint_path is not None:
            return self.audit_checkpoint_path
        db_file = self.sqlite_path
        if db_file is None:
            return Path("openward.audit-checkpoints")
        return db_file.with_name(db_file.name + ".audit-checkpoints")


@lru_cache
def get_settings() -> Settings:
    return Settings()
