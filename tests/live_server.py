"""A real OpenWard server in a subprocess, for races and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def openward(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `openward` command (with the suite's cheap password hashing, see
    tests/live_cli.py) with this environment; fails loudly on a non-zero exit."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.live_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWARD_")}
    # Uploaded images go beside a SQLite test database, or to a fresh temporary folder:
    # never into the checkout.
    sqlite_file = database_url.split("///", 1)[1] if database_url.startswith("sqlite") else None
    media = (
        str(Path(sqlite_file).parent / "media")
        if sqlite_file
        else tempfile.mkdtemp(prefix="openward-media-")
    )
    env.update(
        OPENWARD_DATABASE_URL=database_url,
        OPENWARD_MEDIA_DIR=media,
        OPENWARD_SECRET_KEY="live-test-secret-" + "x" * 32,
        OPENWARD_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),  # tests.live_asgi and tests.live_cli
        **extra,
    )
    if sqlite_file is None and "OPENWARD_AUDIT_CHECKPOINT_PATH" not in extra:
        # Beside a SQLite file by default; on PostgreSQL it would be the working directory.
        checkpoints = Path(tempfile.mkdtemp(prefix="openward-audit-")) / "audit-checkpoints"
        env["OPENWARD_AUDIT_CHECKPOINT_PATH"] = str(checkpoints)
    return env


@contextmanager
def live_server(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """Migrate, then serve on a free port until the block ends; yields the base URL."""
    openward(env, "db", "upgrade")
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads would fill up and hang the server.
    log = tempfile.NamedTemporaryFile("w+", prefix="openward-server-", suffix=".log")  # noqa: SIM115
    command = [
        str(VENV_BIN / "uvicorn"),
        "tests.live_asgi:app",  # openward.asgi:app with the suite's cheap password hashing
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {Path(log.name).read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready within 30 s")
            time.sleep(0.2)
        yield base
    except BaseException:
        print("--- server log (tail) ---\n" + Path(log.name).read_text()[-5000:])
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class LiveApi:
    """A live server's JSON API for a test's set-up: sign in by password, send a body and
    insist that it succeeded (the answer's JSON)."""

    def __init__(self, http: httpx.Client, password: str) -> None:
        self.http = http
        self.password = password

    def headers_of(self, username: str) -> dict[str, str]:
        response = self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": self.password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def send(self, method: str, path: str, body: dict, headers: dict[str, str]) -> dict:
        response = self.http.request(method, path, json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        return response.json()
