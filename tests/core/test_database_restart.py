"""The pool does not ping a connection on every checkout: when PostgreSQL restarts under a
running server, the pooled connections are dead, and the next request still succeeds (its
BEGIN fails on the dead one, which is discarded, and the request runs on a fresh one)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from openward.app import create_app
from openward.config import Settings
from openward.core.actors import Actor
from openward.db import session_scope
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.migrate import upgrade
from tests.conftest import STRONG_PASSWORD, need

PG_BIN = Path(shutil.which("pg_ctl") or "/usr/lib/postgresql/15/bin/pg_ctl").resolve().parent


def _as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
    """PostgreSQL refuses to run as root; the tests may run as root in CI."""
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*runner, *args], capture_output=True, text=True, timeout=120, check=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_postgres():
    """A PostgreSQL cluster of this test's own (restarting the shared one would break the
    other tests running beside it), in a directory the postgres user can reach."""
    need((PG_BIN / "initdb").exists(), "PostgreSQL's initdb is not installed")
    home = Path(tempfile.mkdtemp(prefix="openward-pg-"))
    data = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    _as_postgres(
        str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"
    )
    port = _free_port()
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "-o", options]
    _as_postgres(*ctl, "start")
    try:
        yield ctl, f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _as_postgres(*ctl, "-m", "immediate", "stop")
        shutil.rmtree(home, ignore_errors=True)


async def test_a_request_after_postgresql_restarts_succeeds(own_postgres, tmp_path):
    ctl, url = own_postgres
    settings = Settings(
        _env_file=None,
        database_url=url,
        secret_key="s" * 40,
        media_dir=tmp_path / "media",
        log_level="WARNING",
    )
    await asyncio.to_thread(upgrade, url)
    app = create_app(settings)
    async with session_scope(app.state.sessionmaker) as db:
        await identity_service.create_user(
            db,
            Actor.system("test"),
            schemas.UserCreate(
                username="nadia", password=STRONG_PASSWORD, full_name="Nadia", role="nurse"
            ),
        )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

            async def sign_in() -> httpx.Response:
                return await client.post(
                    "/api/v1/auth/login", json={"username": "nadia", "password": STRONG_PASSWORD}
                )

            assert (await sign_in()).status_code == 200
            pool = app.state.engine.pool
            assert pool.checkedin() >= 1  # a connection waits in the pool

            await asyncio.to_thread(_as_postgres, *ctl, "-m", "fast", "restart")

            after = await sign_in()  # the pooled connection is dead; the request still works
            assert after.status_code == 200, after.text
            me = await client.get(
                "/api/v1/auth/me",
                headers={"Authorization": f"Bearer {after.json()['access_token']}"},
            )
            assert me.status_code == 200
            assert me.json()["username"] == "nadia"
    finally:
        await app.state.engine.dispose()
