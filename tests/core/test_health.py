"""Liveness and readiness as a load balancer or orchestrator probes them: alive while the
process runs; ready only when the database answers and its schema is at the newest revision."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import text

from openward.app import create_app
from openward.config import Settings
from openward.db import session_scope
from openward.migrate import head_revision


@asynccontextmanager
async def probe(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as http:
            yield http
    finally:
        await app.state.engine.dispose()


async def test_healthz_answers_ok(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert (await client.head("/healthz")).status_code == 200


async def test_readyz_is_ok_with_the_schema_at_head(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "head",
        "revision": head_revision(),
    }
    assert (await client.head("/readyz")).status_code == 200


@pytest.mark.parametrize(
    "database_url",
    [
        "sqlite+aiosqlite:///{tmp}/no/such/directory/openward.db",
        "postgresql+asyncpg://openward:hunter2@127.0.0.1:1/openward",  # nothing listens there
    ],
    ids=["sqlite-missing-directory", "postgresql-closed-port"],
)
async def test_readyz_is_503_while_the_database_is_unreachable(tmp_path, database_url):
    settings = Settings(
        _env_file=None, database_url=database_url.format(tmp=tmp_path), secret_key="s" * 40
    )
    async with probe(settings) as http:
        ready = await http.get("/readyz")
        alive = await http.get("/healthz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and body["database"] == "unreachable"
    assert "hunter2" not in ready.text and "127.0.0.1" not in ready.text  # no secrets leak
    assert alive.status_code == 200  # alive but not ready: don't restart, don't route
    assert not (tmp_path / "no").exists()  # the probe does not create anything


async def test_readyz_is_503_while_migrations_are_behind(app, client):
    async with session_scope(app.state.sessionmaker) as db:
        await db.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "migrations": "behind",
        "current": "0000_older",
        "head": head_revision(),
    }
    assert (await client.get("/healthz")).status_code == 200


async def test_readyz_is_503_on_a_database_never_migrated(tmp_path):
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
        secret_key="s" * 40,
    )
    async with probe(settings) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "ok"  # reachable: the operator must migrate
    assert response.json()["migrations"] == "none"
    assert "openward db upgrade" in response.json()["detail"]
