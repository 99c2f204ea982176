"""What OpenWard writes to disk is readable by its own user only: 0600 files, 0700 folders,
whatever the umask (patient data and secrets must not be world-readable on a shared host)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openward.app import create_app
from openward.config import Settings
from tests.conftest import STRONG_PASSWORD
from tests.live_server import REPO


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common default umask, under which plain open() gives 644 and mkdir 755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def cli(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWARD_")}
    env.update(
        OPENWARD_DATABASE_URL=f"sqlite+aiosqlite:///{directory / 'openward.db'}",
        OPENWARD_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.live_cli", *args],
        env=env,
        cwd=directory,  # the demo's images go to ./media, as an operator's would
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


async def write_through_the_app(db: Path) -> list[Path]:
    """Sign in (a write) with the engine still open; the WAL companions then exist."""
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db}")
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ward") as http:
            response = await http.post(
                "/api/v1/auth/login", json={"username": "chief", "password": STRONG_PASSWORD}
            )
            assert response.status_code == 200, response.text
        companions = [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm")]
        assert all(path.exists() for path in companions)
        return [path for path in companions if mode(path) != 0o600]
    finally:
        await app.state.engine.dispose()


async def test_db_upgrade_and_a_write_leave_the_database_and_its_wal_private(tmp_path, open_umask):
    cli(tmp_path, "db", "upgrade")
    cli(tmp_path, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
    db = tmp_path / "openward.db"
    assert mode(db) == 0o600
    assert mode(tmp_path / "openward.db.secret") == 0o600
    assert await write_through_the_app(db) == []  # -wal and -shm are 0600 too


async def test_an_existing_world_readable_database_is_made_private_at_start_up(
    tmp_path, open_umask, sqlite_template
):
    db = tmp_path / "openward.db"
    db.write_bytes(sqlite_template.read_bytes())
    leftover = db.with_name(db.name + "-wal")
    leftover.write_bytes(b"")
    secret = db.with_name(db.name + ".secret")
    secret.write_text("an-older-install-secret-" + "k" * 32 + "\n")
    for path in (db, leftover, secret):
        path.chmod(0o644)
    app = create_app(Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db}"))
    await app.state.engine.dispose()
    assert (mode(db), mode(leftover), mode(secret)) == (0o600, 0o600, 0o600)


def test_the_demo_leaves_nothing_readable_by_other_users(tmp_path, open_umask, sqlite_template):
    (tmp_path / "openward.db").write_bytes(sqlite_template.read_bytes())
    (tmp_path / "openward.db").chmod(0o644)
    logins = tmp_path / "openward.db.demo-logins"
    logins.write_text("# OpenWard demo logins (role, username, password)\n")
    logins.chmod(0o644)  # left by an older version
    cli(tmp_path, "demo")
    images = list((tmp_path / "media" / "radiology").iterdir())
    assert images, "the demo attaches radiology images"
    too_open = {
        str(path.relative_to(tmp_path)): oct(mode(path))
        for path in [tmp_path / "media", *tmp_path.rglob("*")]
        if mode(path) != (0o700 if path.is_dir() else 0o600)
    }
    assert too_open == {}
