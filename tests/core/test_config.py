"""Configuration as an operator sets it: OPENWARD_* variables (or a .env file), with a
signing key that is never a shipped default and settings that are checked at start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from openward.app import create_app
from openward.config import ROLES, ConfigError, Settings

PG_URL = "postgresql+asyncpg://openward@db.hospital.internal:5432/openward"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Only what each test sets: the developer's own OPENWARD_* variables must not leak in."""
    for name in ("DATABASE_URL", "SECRET_KEY", "REQUIRE_MFA_FOR", "TIMEZONE"):
        monkeypatch.delenv(f"OPENWARD_{name}", raising=False)


def embedded(monkeypatch, directory, name: str = "openward.db") -> Settings:
    monkeypatch.setenv("OPENWARD_DATABASE_URL", f"sqlite+aiosqlite:///{directory / name}")
    return Settings(_env_file=None)


# ---------------------------------------------------------------- the signing key


def test_embedded_mode_generates_a_secret_once_and_reuses_it(monkeypatch, tmp_path):
    first = embedded(monkeypatch, tmp_path).resolved_secret_key()
    key_file = tmp_path / "openward.db.secret"

    assert len(first) >= 32
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o777 == 0o600  # only the service account may read it
    again = embedded(monkeypatch, tmp_path)  # as after a restart
    assert again.resolved_secret_key() == first
    assert again.resolved_secret_key() == first
    assert key_file.read_text().strip() == first


def test_each_embedded_database_gets_its_own_secret(monkeypatch, tmp_path):
    ward = embedded(monkeypatch, tmp_path, "ward.db").resolved_secret_key()
    clinic = embedded(monkeypatch, tmp_path, "clinic.db").resolved_secret_key()
    assert ward != clinic
    assert (tmp_path / "ward.db.secret").exists() and (tmp_path / "clinic.db.secret").exists()


def test_a_configured_secret_is_used_and_no_key_file_is_written(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENWARD_SECRET_KEY", "k" * 40)
    settings = embedded(monkeypatch, tmp_path)
    assert settings.resolved_secret_key() == "k" * 40
    assert not (tmp_path / "openward.db.secret").exists()


def test_postgresql_without_a_secret_refuses_to_start_and_says_what_to_set(monkeypatch):
    monkeypatch.setenv("OPENWARD_DATABASE_URL", PG_URL)
    settings = Settings(_env_file=None)
    with pytest.raises(ConfigError, match="OPENWARD_SECRET_KEY") as refused:
        settings.resolved_secret_key()
    assert "32" in str(refused.value)  # says how long it must be
    with pytest.raises(ConfigError, match="OPENWARD_SECRET_KEY"):
        create_app(settings)


def test_postgresql_with_a_secret_starts(monkeypatch):
    monkeypatch.setenv("OPENWARD_DATABASE_URL", PG_URL)
    monkeypatch.setenv("OPENWARD_SECRET_KEY", "s" * 32)
    assert Settings(_env_file=None).resolved_secret_key() == "s" * 32


@pytest.mark.parametrize("database_url", [PG_URL, "sqlite+aiosqlite:///./openward.db"])
def test_a_short_secret_is_refused(monkeypatch, database_url):
    monkeypatch.setenv("OPENWARD_DATABASE_URL", database_url)
    monkeypatch.setenv("OPENWARD_SECRET_KEY", "s" * 31)
    settings = Settings(_env_file=None)
    with pytest.raises(ConfigError, match="OPENWARD_SECRET_KEY must be at least 32 characters"):
        settings.resolved_secret_key()
    with pytest.raises(ConfigError):
        create_app(settings)


# ---------------------------------------------------------------- other settings


def test_require_mfa_for_reads_a_comma_separated_list_of_roles(monkeypatch):
    monkeypatch.setenv("OPENWARD_REQUIRE_MFA_FOR", "admin, doctor")
    assert Settings(_env_file=None).require_mfa_for == ["admin", "doctor"]
    monkeypatch.setenv("OPENWARD_REQUIRE_MFA_FOR", ",".join(ROLES))
    assert Settings(_env_file=None).require_mfa_for == list(ROLES)
    monkeypatch.setenv("OPENWARD_REQUIRE_MFA_FOR", "")
    assert Settings(_env_file=None).require_mfa_for == []
    monkeypatch.delenv("OPENWARD_REQUIRE_MFA_FOR")
    assert Settings(_env_file=None).require_mfa_for == []


def test_require_mfa_for_names_an_unknown_role_and_the_valid_ones(monkeypatch):
    monkeypatch.setenv("OPENWARD_REQUIRE_MFA_FOR", "admin,surgeon")
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)
    message = str(refused.value)
    assert "unknown role(s) surgeon" in message
    assert "lab_technician" in message  # the roles that would be accepted


def test_the_hospital_time_zone_is_checked(monkeypatch):
    monkeypatch.setenv("OPENWARD_TIMEZONE", "Africa/Nairobi")
    assert Settings(_env_file=None).zone.key == "Africa/Nairobi"
    for wrong in ("Mars/Olympus_Mons", "GMT+25", ""):
        monkeypatch.setenv("OPENWARD_TIMEZONE", wrong)
        with pytest.raises(ValidationError, match="unknown time zone"):
            Settings(_env_file=None)


def test_settings_come_from_a_dotenv_file_too(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "OPENWARD_DATABASE_URL=sqlite+aiosqlite:///ward.db\n"
        "OPENWARD_REQUIRE_MFA_FOR=admin,pharmacist\n"
        "OPENWARD_TIMEZONE=Asia/Kolkata\n"
        "DATABASE_URL=postgresql+asyncpg://somewhere-else/db\n"  # no prefix: not ours
    )
    settings = Settings(_env_file=env_file)
    assert settings.database_url == "sqlite+aiosqlite:///ward.db"
    assert settings.require_mfa_for == ["admin", "pharmacist"]
    assert settings.zone.key == "Asia/Kolkata"
    monkeypatch.setenv("OPENWARD_TIMEZONE", "Europe/Lisbon")  # the environment wins
    assert Settings(_env_file=env_file).timezone == "Europe/Lisbon"
