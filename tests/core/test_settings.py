"""Configuration an operator sets through OPENWARD_* variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from openward.config import ConfigError, Settings


def test_embedded_mode_generates_a_secret_once_and_keeps_it(tmp_path):
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/ow.db")
    first = settings.resolved_secret_key()
    assert len(first) >= 32
    assert Settings(_env_file=None, database_url=settings.database_url).resolved_secret_key() == (
        first
    )
    assert (tmp_path / "ow.db.secret").stat().st_mode & 0o777 == 0o600


def test_postgresql_without_a_secret_refuses_to_start():
    settings = Settings(_env_file=None, database_url="postgresql+asyncpg://h/db")
    with pytest.raises(ConfigError, match="OPENWARD_SECRET_KEY"):
        settings.resolved_secret_key()


def test_a_short_secret_is_refused():
    settings = Settings(_env_file=None, database_url="postgresql+asyncpg://h/db", secret_key="abc")
    with pytest.raises(ConfigError, match="at least 32"):
        settings.resolved_secret_key()


def test_settings_come_from_openward_variables(monkeypatch):
    monkeypatch.setenv("OPENWARD_REQUIRE_MFA_FOR", "admin, doctor")
    monkeypatch.setenv("OPENWARD_TIMEZONE", "Africa/Nairobi")
    monkeypatch.setenv("OPENWARD_SESSION_IDLE_MINUTES", "5")
    settings = Settings(_env_file=None)
    assert settings.require_mfa_for == ["admin", "doctor"]
    assert settings.zone.key == "Africa/Nairobi"
    assert settings.session_idle_minutes == 5
    assert settings.database_url == "sqlite+aiosqlite:///./openward.db"


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("OPENWARD_REQUIRE_MFA_FOR", "admin,surgeon", "unknown role"),
        ("OPENWARD_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("OPENWARD_SESSION_IDLE_MINUTES", "0", "greater than or equal to 1"),
    ],
)
def test_bad_settings_say_what_is_wrong(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None)
