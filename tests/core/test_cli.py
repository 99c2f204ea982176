"""The `openward` command run the way an operator runs it: as a separate process, configured
only through OPENWARD_* variables, on a SQLite file (and on PostgreSQL)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from openward.app import create_app
from openward.config import ROLES, Settings
from openward.migrate import head_revision
from tests.live_server import VENV_BIN

OPENWARD = str(VENV_BIN / "openward")
PG_SECRET = "cli-test-secret-" + "k" * 32


def environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWARD_")}
    env.update(OPENWARD_DATABASE_URL=database_url, OPENWARD_LOG_LEVEL="WARNING", COLUMNS="200")
    env.update(extra)
    return env


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run from `cwd` so no stray .env is read and nothing lands in the repository."""
    return subprocess.run(
        [OPENWARD, *args],
        check=False,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def migrated_copy(template: Path, directory: Path) -> Path:
    """A migrated database file (copied: `db upgrade` itself has its own test)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "openward.db"
    shutil.copy(template, path)
    return path


async def login_status(database_url: str, username: str, password: str, **settings) -> int:
    """Sign in through the API of an app running on that database."""
    app = create_app(Settings(_env_file=None, database_url=database_url, **settings))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://cli") as http:
            response = await http.post(
                "/api/v1/auth/login", json={"username": username, "password": password}
            )
    finally:
        await app.state.engine.dispose()
    return response.status_code


def shown_password(result: subprocess.CompletedProcess[str]) -> str:
    match = re.search(r"Password \(shown once, store it safely\): (\S+)", result.stdout)
    assert match, output(result)
    return match.group(1)


def read_logins(path: Path) -> list[tuple[str, str, str]]:
    lines = path.read_text().splitlines()
    assert lines[0].startswith("#")
    return [tuple(line.split("\t")) for line in lines[1:]]


# ---------------------------------------------------------------- db


async def test_db_upgrade_builds_the_schema_and_is_safe_to_run_again(tmp_path):
    env = environment(sqlite_url(tmp_path / "openward.db"))
    before = run(env, tmp_path, "db", "current")
    assert before.returncode == 0 and "current: empty database" in before.stdout

    for _ in range(2):
        result = run(env, tmp_path, "db", "upgrade")
        assert result.returncode == 0, output(result)
        assert "Database schema is at head" in result.stdout

    current = run(env, tmp_path, "db", "current")
    head = head_revision()
    assert re.search(rf"current: {head}\s+head: {head}", current.stdout), current.stdout
    assert (tmp_path / "openward.db.secret").stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- users create-admin


async def test_create_admin_prints_a_strong_password_once_and_it_signs_in(
    tmp_path, sqlite_template
):
    db = migrated_copy(sqlite_template, tmp_path)
    env = environment(sqlite_url(db))

    result = run(env, tmp_path, "users", "create-admin", "--username", "boss")
    assert result.returncode == 0, output(result)
    assert "Created administrator boss" in result.stdout
    password = shown_password(result)
    assert len(password) >= 16
    assert await login_status(sqlite_url(db), "boss", password) == 200
    assert await login_status(sqlite_url(db), "boss", password + "x") == 401
    # Shown once: not written to any file beside the database.
    for path in tmp_path.iterdir():
        if path.is_file() and not path.name.startswith("openward.db"):
            assert password not in path.read_text(errors="ignore"), path

    # An empty --password (say, an unset shell variable) must not make an admin whose
    # password nobody was told.
    empty = run(env, tmp_path, "users", "create-admin", "--username", "deputy", "--password", "")
    assert empty.returncode == 0, output(empty)
    assert await login_status(sqlite_url(db), "deputy", shown_password(empty)) == 200

    again = run(env, tmp_path, "users", "create-admin", "--username", "boss")
    assert again.returncode == 1
    assert "already in use" in again.stdout and "Traceback" not in output(again)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--password", "password123"], "too common"),
        (["--password", "Sh0rt-pw!"], "Use at least 10 characters"),
        (["--username", "ab"], "--username: String should have at least 3 characters"),
        (["--email", "boss-at-hospital"], "--email: value is not a valid email address"),
    ],
    ids=["common-password", "short-password", "short-username", "bad-email"],
)
async def test_create_admin_refuses_bad_input_with_a_clear_message(
    tmp_path, sqlite_template, args, message
):
    db = migrated_copy(sqlite_template, tmp_path)
    env = environment(sqlite_url(db))
    command = ["users", "create-admin", "--username", "boss", *args]

    result = run(env, tmp_path, *command)
    assert result.returncode == 1
    assert message in " ".join(result.stdout.split()), output(result)
    assert "Traceback" not in output(result)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


# ---------------------------------------------------------------- demo


@pytest.fixture(scope="module")
def demo_install(tmp_path_factory, sqlite_template) -> tuple[Path, subprocess.CompletedProcess]:
    """One installation with the demo loaded (demo hashes 15 passwords: slow-ish)."""
    directory = tmp_path_factory.mktemp("demo")
    db = migrated_copy(sqlite_template, directory)
    result = run(environment(sqlite_url(db)), directory, "demo")
    assert result.returncode == 0, output(result)
    return db, result


# One login per role, six more doctors, and a second lab technician and radiologist (results
# and reports are verified by a second person).
DEMO_ROLES = sorted([*ROLES, *["doctor"] * 6, "lab_technician", "radiologist"])


async def test_demo_creates_one_login_per_role_and_prints_them(demo_install):
    db, result = demo_install
    logins_file = db.with_name("openward.db.demo-logins")
    logins = read_logins(logins_file)
    assert sorted(role for role, _, _ in logins) == DEMO_ROLES
    assert logins_file.stat().st_mode & 0o777 == 0o600
    assert "Demo logins" in result.stdout
    for role, username, password in logins:
        assert any(
            role in line and username in line and password in line
            for line in result.stdout.splitlines()
        ), (role, result.stdout)
    with sqlite3.connect(db) as conn:
        roles = sorted(r for (r,) in conn.execute("SELECT role FROM users"))
        assert roles == DEMO_ROLES
        assert conn.execute("SELECT count(*) FROM patients").fetchone() == (48,)
        assert conn.execute("SELECT count(*) FROM doctors").fetchone() == (7,)
        statuses = dict(conn.execute("SELECT status, count(*) FROM appointments GROUP BY 1"))
        assert statuses["completed"] > 100 and statuses["booked"] > 100
        # Every visit seen was completed by signing its encounter, with a coded diagnosis.
        (visit_records,) = conn.execute(
            "SELECT count(DISTINCT e.appointment_id) FROM encounters e JOIN encounter_diagnoses d"
            " ON d.encounter_id = e.id WHERE e.status = 'signed' AND e.appointment_id IS NOT NULL"
        ).fetchone()
        assert visit_records == statuses["completed"]
    doctor = next(login for login in logins if login[1] == "doctor")
    assert await login_status(sqlite_url(db), doctor[1], doctor[2]) == 200


async def test_demo_again_creates_nothing_and_the_logins_can_be_shown_again(demo_install):
    db, _ = demo_install
    logins_file = db.with_name("openward.db.demo-logins")
    logins = read_logins(logins_file)
    env = environment(sqlite_url(db))
    with sqlite3.connect(db) as conn:
        events_before = conn.execute("SELECT count(*) FROM audit_events").fetchone()

    again = run(env, db.parent, "demo")
    shown = run(env, db.parent, "demo-logins")

    assert again.returncode == 0 and shown.returncode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (len(DEMO_ROLES),)
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone() == events_before
    assert read_logins(logins_file) == logins
    for _, username, password in logins:
        assert username in again.stdout and password in again.stdout
        assert username in shown.stdout and password in shown.stdout


async def test_demo_passwords_are_generated_fresh_for_every_installation(
    demo_install, tmp_path, sqlite_template
):
    db, _ = demo_install
    other = migrated_copy(sqlite_template, tmp_path / "other")
    result = run(environment(sqlite_url(other)), other.parent, "demo")
    assert result.returncode == 0, output(result)

    first = {
        username: password
        for _, username, password in read_logins(db.with_name(db.name + ".demo-logins"))
    }
    second = {
        username: password
        for _, username, password in read_logins(other.with_name(other.name + ".demo-logins"))
    }
    assert first.keys() == second.keys()
    assert not set(first.values()) & set(second.values())
    assert len(set(first.values())) == len(DEMO_ROLES)  # no two logins share a password


# ---------------------------------------------------------------- audit verify


async def test_audit_verify_passes_an_intact_trail_and_names_the_altered_row(
    demo_install, tmp_path
):
    source, _ = demo_install
    db = tmp_path / "openward.db"
    with sqlite3.connect(source) as src, sqlite3.connect(db) as dst:
        src.backup(dst)  # includes anything still in the WAL
    # The audit chain is keyed from the secret beside the database: a copy needs it too.
    shutil.copy(source.with_name("openward.db.secret"), tmp_path / "openward.db.secret")
    env = environment(sqlite_url(db))
    with sqlite3.connect(db) as conn:
        (events,) = conn.execute("SELECT count(*) FROM audit_events").fetchone()
        ids = [i for (i,) in conn.execute("SELECT id FROM audit_events ORDER BY id")]
    assert events >= len(ROLES)

    intact = run(env, tmp_path, "audit", "verify")
    assert intact.returncode == 0, output(intact)
    assert f"Audit trail intact: {events} events verified" in intact.stdout

    victim = ids[len(ids) // 2]
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("UPDATE audit_events SET outcome = 'failure' WHERE id = ?", (victim,))
    conn.commit()
    conn.close()

    broken = run(env, tmp_path, "audit", "verify")
    assert broken.returncode == 1
    said = " ".join(broken.stdout.split())
    assert f"Audit trail broken at event id {victim}" in said
    assert f"({ids.index(victim)} events before it verified)" in said


# ---------------------------------------------------------------- PostgreSQL


async def test_on_postgresql_an_admin_is_created_and_the_trail_checked(fresh_pg_database, tmp_path):
    env = environment(fresh_pg_database, OPENWARD_SECRET_KEY=PG_SECRET)
    upgraded = run(env, tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, output(upgraded)
    created = run(env, tmp_path, "users", "create-admin", "--username", "boss")
    assert created.returncode == 0, output(created)
    password = shown_password(created)
    assert await login_status(fresh_pg_database, "boss", password, secret_key=PG_SECRET) == 200
    intact = run(env, tmp_path, "audit", "verify")
    assert intact.returncode == 0 and "Audit trail intact: 2 events verified" in intact.stdout

    engine = create_async_engine(fresh_pg_database)
    try:
        async with engine.begin() as conn:
            first = await conn.scalar(text("SELECT min(id) FROM audit_events"))
            await conn.execute(
                text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            )
            await conn.execute(
                text("UPDATE audit_events SET actor_username = 'someone' WHERE id = :id"),
                {"id": first},
            )
    finally:
        await engine.dispose()
    broken = run(env, tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert f"Audit trail broken at event id {first}" in " ".join(broken.stdout.split())
    # Nothing written into the working directory but the audit checkpoints (PostgreSQL's
    # default place for them), readable by the operator only.
    assert [p.name for p in tmp_path.iterdir()] == ["openward.audit-checkpoints"]
    assert (tmp_path / "openward.audit-checkpoints").stat().st_mode & 0o777 == 0o600


async def test_on_postgresql_without_a_secret_key_the_command_refuses_to_start(
    fresh_pg_database, tmp_path
):
    result = run(
        environment(fresh_pg_database), tmp_path, "users", "create-admin", "--username", "boss"
    )
    assert result.returncode == 2
    assert "OPENWARD_SECRET_KEY" in result.stdout and "Traceback" not in output(result)
