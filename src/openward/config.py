"""Settings: every knob of OpenWard, read from OPENWARD_* variables or a `.env` file."""

from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


class ConfigError(RuntimeError):
    """The configuration cannot run a hospital safely; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENWARD_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./openward.db"
    redis_url: str | None = None
    secret_key: str | None = None
    timezone: str = "UTC"
    hospital_name: str = "OpenWard Hospital"

    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    session_idle_minutes: int = Field(default=15, ge=1, le=720)
    session_max_hours: int = Field(default=12, ge=1, le=168)
    mfa_token_minutes: int = Field(default=5, ge=1, le=30)
    require_mfa_for: Annotated[list[str], NoDecode] = Field(default_factory=list)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_window_minutes: int = Field(default=15, ge=1, le=1440)
    cookie_secure: bool = False

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "openward@localhost"
    smtp_starttls: bool = True

    log_level: str = "INFO"

    # Imaging attachments live here, outside the database (relative to the working dir).
    media_dir: Path = Path("media")
    upload_max_mb: int = Field(default=25, ge=1, le=2048)
    # Pharmacy: lots expiring within this many days are flagged on the alerts list.
    expiry_alert_days: int = Field(default=90, ge=1, le=730)

    @field_validator("require_mfa_for", mode="before")
    @classmethod
    def _split_roles(cls, value: object) -> object:
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
        key_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
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


@lru_cache
def get_settings() -> Settings:
    return Settings()
