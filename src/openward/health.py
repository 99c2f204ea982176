"""Liveness and readiness for load balancers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from openward.identity.access import public
from openward.migrate import head_revision

router = APIRouter(tags=["health"])


# GET and HEAD as two routes, not one: one route with two methods gives both operations
# the same OpenAPI operationId, which client generators refuse.
@router.get("/healthz", dependencies=[public], summary="The process is alive")
@router.head("/healthz", dependencies=[public], summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", dependencies=[public], summary="Database reachable, schema at head")
@router.head("/readyz", dependencies=[public], summary="Database reachable, schema at head")
async def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            try:
                current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            except DBAPIError:  # reachable, but `openward db upgrade` never ran
                current = None
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__},
            status_code=503,
        )
    head = head_revision()
    if current is None:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "ok",
                "migrations": "none",
                "detail": "The database has no schema yet: run `openward db upgrade`.",
                "head": head,
            },
            status_code=503,
        )
    if current != head:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "ok",
                "migrations": "behind",
                "current": current,
                "head": head,
            },
            status_code=503,
        )
    return JSONResponse(
        {"status": "ok", "database": "ok", "migrations": "head", "revision": current}
    )
