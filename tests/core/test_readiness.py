"""Health checks a load balancer relies on."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from openward.app import create_app
from openward.config import Settings
from openward.db import session_scope
from openward.migrate import head_revision


async def test_healthz_and_readyz_when_all_is_well(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["revision"] == head_revision()
    assert (await client.head("/readyz")).status_code == 200


async def test_readyz_is_503_while_migrations_are_behind(client, app):
    async with session_scope(app.state.sessionmaker) as db:
        await db.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "behind"


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path):
    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        secret_key="s" * 40,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/readyz")
            alive = await http.get("/healthz")
    finally:
        await app.state.engine.dispose()
    assert response.status_code == 503 and response.json()["database"] == "unreachable"
    assert alive.status_code == 200
