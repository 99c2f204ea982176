"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL when configured),
the app on it, an HTTP client, and factories that build data through the services."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import fast_hashing

fast_hashing.install()  # before anything hashes a password: argon2's strong cost is for production

from openward.app import assemble_app, configure
from openward.config import Settings
from openward.core.actors import Actor
from openward.db import session_scope
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.migrate import upgrade

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("OPENWARD_TEST_POSTGRES_URL")
STRONG_PASSWORD = "Correct-Horse-Battery-42"


def need(condition: bool, why: str) -> None:
    """Skip on a laptop that lacks a service; in CI a missing service is a failure."""
    if condition:
        return
    if CI:
        pytest.fail(f"CI must run this test: {why}")
    pytest.skip(why)


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _pg_admin_conninfo() -> tuple[str, str]:
    """(libpq conninfo of the maintenance database, name of the configured test database)."""
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL or "")
    conninfo = (
        f"host={url.host or '127.0.0.1'} port={url.port or 5432} "
        f"user={url.username or 'postgres'} dbname=postgres"
    )
    if url.password:
        conninfo += f" password={url.password}"
    return conninfo, url.database or "test"


def _pg_execute(*statements: str) -> None:
    import psycopg

    conninfo, _ = _pg_admin_conninfo()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def pg_url_for(database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL or "").set(database=database).render_as_string(hide_password=False)


class PgDatabases:
    """Fresh copies of the migrated template, one made ahead in a background thread while a
    test runs (a copy takes PostgreSQL a few hundred milliseconds of disk work) and each
    dropped in the background after its test."""

    def __init__(self, template: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.template = template
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-databases")
        self.ahead = self.worker.submit(self._create)

    def _create(self) -> str:
        _, base = _pg_admin_conninfo()
        name = f"{base}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    @staticmethod
    def _drop(name: str) -> None:
        _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def take(self) -> str:
        name = self.ahead.result()
        self.ahead = self.worker.submit(self._create)
        return name

    def give_back(self, name: str) -> None:
        self.worker.submit(self._drop, name)

    def close(self) -> None:
        self.worker.submit(lambda: self._drop(self.ahead.result()))
        self.worker.shutdown(wait=True)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    _, base = _pg_admin_conninfo()
    name = f"{base}_tpl_{os.getpid()}"
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    upgrade(pg_url_for(name))
    yield name
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_databases(pg_template: str | None) -> Iterator[PgDatabases | None]:
    if pg_template is None:
        yield None
        return
    databases = PgDatabases(pg_template)
    yield databases
    databases.close()


@pytest.fixture
def fresh_pg_database(pg_databases: PgDatabases | None) -> Iterator[str]:
    need(pg_databases is not None, "OPENWARD_TEST_POSTGRES_URL is not set: PostgreSQL run skipped")
    assert pg_databases is not None
    name = pg_databases.take()
    yield pg_url_for(name)
    pg_databases.give_back(name)


@pytest.fixture(scope="module")
def module_pg_database(pg_databases: PgDatabases | None) -> Iterator[str]:
    """One fresh database for a whole module (the live servers of the race tests)."""
    need(pg_databases is not None, "OPENWARD_TEST_POSTGRES_URL is not set: PostgreSQL run skipped")
    assert pg_databases is not None
    name = pg_databases.take()
    yield pg_url_for(name)
    pg_databases.give_back(name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Every test that touches the database runs on SQLite and on PostgreSQL."""
    if request.param == "postgres":
        return request.getfixturevalue("fresh_pg_database")
    path = tmp_path / "openward.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings_factory(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "media_dir": tmp_path / "media",  # uploads never land in the checkout
            "secret_key": "test-secret-key-" + "x" * 32,
            "log_level": "WARNING",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


# ---------------------------------------------------------------- app and client


@pytest.fixture(scope="session")
def assembled_app() -> Any:
    """One app per test process, configured afresh for each test: assembling it costs a
    quarter of a second (FastAPI analyses every route's dependencies) and depends on no
    setting, which requests read from `app.state`."""
    return assemble_app()


@pytest.fixture
async def app(assembled_app: Any, settings: Settings) -> AsyncIterator[Any]:
    configure(assembled_app, settings)
    yield assembled_app
    await assembled_app.state.engine.dispose()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def make_user(app: Any) -> Callable[..., Any]:
    """Create an account through the identity service; returns the User."""

    async def make(
        role: str = "nurse",
        username: str | None = None,
        password: str = STRONG_PASSWORD,
        approved: bool = True,
        **fields: Any,
    ) -> Any:
        username = username or f"{role}-{uuid.uuid4().hex[:6]}"
        data = schemas.UserCreate(
            username=username,
            password=password,
            role=role,
            full_name=fields.pop("full_name", f"Test {role.title()}"),
            **fields,
        )
        async with session_scope(app.state.sessionmaker) as db:
            return await identity_service.create_user(
                db, Actor.system("test"), data, approved=approved
            )

    return make


async def login(client: httpx.AsyncClient, username: str, password: str = STRONG_PASSWORD):
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    return response


async def bearer(
    client: httpx.AsyncClient, username: str, password: str = STRONG_PASSWORD
) -> dict[str, str]:
    response = await login(client, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def as_role(client: httpx.AsyncClient, make_user: Callable[..., Any]) -> Callable[..., Any]:
    """Headers of a freshly created, signed-in user of the given role."""

    async def headers(role: str, **fields: Any) -> dict[str, str]:
        user = await make_user(role, **fields)
        return await bearer(client, user.username)

    return headers


class Authenticator:
    """The phone app: a fresh code each time, as a person waiting for the next one would get.

    The server accepts a code once, from the current 30-second step or a neighbour, so up to
    three codes can be used back to back without waiting.
    """

    def __init__(self, secret: str) -> None:
        import pyotp

        self.totp = pyotp.TOTP(secret)
        self.last_step: int | None = None

    def code(self) -> str:
        from datetime import UTC, datetime

        current = self.totp.timecode(datetime.now(UTC))
        step = current - 1 if self.last_step is None else max(self.last_step + 1, current - 1)
        assert step <= current + 1, "more than three codes in one step: wait for the next"
        self.last_step = step
        return self.totp.generate_otp(step)


_authenticators: dict[str, Authenticator] = {}


def totp_code(secret: str) -> str:
    """The next unused code for this secret (one Authenticator per secret)."""
    return _authenticators.setdefault(secret, Authenticator(secret)).code()
