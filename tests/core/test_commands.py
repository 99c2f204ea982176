"""The `openward` command as an operator runs it."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.live_server import VENV_BIN, server_env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "openward"), *args],
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
    )


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'openward.db'}")
    env.pop("OPENWARD_SECRET_KEY")  # embedded mode generates its own
    env["COLUMNS"] = "200"
    assert run(env, "db", "upgrade").returncode == 0
    return env


def _login_works(env: dict[str, str], username: str, password: str) -> bool:
    import asyncio

    import httpx

    from openward.app import create_app
    from openward.config import Settings

    async def attempt() -> int:
        app = create_app(Settings(_env_file=None, database_url=env["OPENWARD_DATABASE_URL"]))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cli") as http:
            response = await http.post(
                "/api/v1/auth/login", json={"username": username, "password": password}
            )
        await app.state.engine.dispose()
        return response.status_code

    return asyncio.run(attempt()) == 200


def test_upgrade_twice_is_harmless_and_current_shows_head(sqlite_env):
    assert run(sqlite_env, "db", "upgrade").returncode == 0
    current = run(sqlite_env, "db", "current")
    assert re.search(r"current: (\w+)\s+head: \1", current.stdout), current.stdout


def test_create_admin_without_password_prints_a_strong_one_that_works(sqlite_env, tmp_path):
    result = run(sqlite_env, "users", "create-admin", "--username", "boss")
    assert result.returncode == 0, result.stderr
    password = re.search(r"Password \(shown once.*\): (\S+)", result.stdout).group(1)
    assert len(password) >= 16
    assert _login_works(sqlite_env, "boss", password)
    key_file = tmp_path / "openward.db.secret"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_create_admin_refuses_a_weak_password_with_a_clear_message(sqlite_env):
    result = run(
        sqlite_env, "users", "create-admin", "--username", "boss", "--password", "password123"
    )
    assert result.returncode == 1
    assert "too common" in result.stdout


def test_demo_creates_every_role_once_with_generated_passwords(sqlite_env, tmp_path):
    first = run(sqlite_env, "demo")
    assert first.returncode == 0, first.stderr
    for role in (
        "admin",
        "receptionist",
        "nurse",
        "doctor",
        "pharmacist",
        "lab_technician",
        "radiologist",
        "billing",
        "patient",
    ):
        assert role in first.stdout
    logins = (tmp_path / "openward.db.demo-logins").read_text().splitlines()[1:]
    assert len(logins) == 9
    role, username, password = logins[3].split("\t")
    assert role == "doctor" and _login_works(sqlite_env, username, password)

    again = run(sqlite_env, "demo")
    assert again.returncode == 0
    assert (tmp_path / "openward.db.demo-logins").read_text().splitlines()[1:] == logins
    assert password in again.stdout


def test_demo_passwords_differ_between_two_installations(tmp_path):
    passwords = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        env = server_env(f"sqlite+aiosqlite:///{tmp_path / name / 'openward.db'}")
        assert run(env, "db", "upgrade").returncode == 0
        assert run(env, "demo").returncode == 0
        text = (tmp_path / name / "openward.db.demo-logins").read_text()
        passwords.append([line.split("\t")[2] for line in text.splitlines()[1:]])
    assert not set(passwords[0]) & set(passwords[1])


def test_audit_verify_passes_when_intact_and_names_the_altered_row(sqlite_env, tmp_path):
    assert run(sqlite_env, "users", "create-admin", "--username", "boss").returncode == 0
    assert run(sqlite_env, "demo").returncode == 0
    intact = run(sqlite_env, "audit", "verify")
    assert intact.returncode == 0 and "intact" in intact.stdout

    db = sqlite3.connect(tmp_path / "openward.db")
    db.execute("DROP TRIGGER audit_events_no_update")
    db.execute("UPDATE audit_events SET outcome = 'success' WHERE id = 4")
    db.execute('UPDATE audit_events SET detail = \'{"role": "nurse"}\' WHERE id = 4')
    db.commit()
    db.close()
    broken = run(sqlite_env, "audit", "verify")
    assert broken.returncode == 1
    assert "event id 4" in broken.stdout


def test_a_postgresql_database_without_a_secret_key_refuses_to_start(fresh_pg_database):
    env = server_env(fresh_pg_database)
    env.pop("OPENWARD_SECRET_KEY")
    result = run(env, "db", "upgrade")
    assert result.returncode == 2
    assert "OPENWARD_SECRET_KEY" in result.stdout
