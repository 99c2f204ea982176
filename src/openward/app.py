"""create_app(): the one FastAPI application serving the API, the pages and health checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from openward import __version__
from openward.audit import api as audit_api
from openward.clinical import api as clinical_api
from openward.config import Settings, get_settings
from openward.core import audit_checkpoints, private_files, problems
from openward.core.body_limit import BodyLimitMiddleware
from openward.core.cors import ApiCorsMiddleware
from openward.core.middleware import RequestContextMiddleware
from openward.core.permissions import undeclared_routes
from openward.db import create_engine, session_factory
from openward.health import router as health_router
from openward.identity import api as identity_api
from openward.lab import api as lab_api
from openward.notifications import api as notifications_api
from openward.notifications import subscribers
from openward.patients import api as patients_api
from openward.pharmacy import api as pharmacy_api
from openward.radiology import api as radiology_api
from openward.reports import api as reports_api
from openward.scheduling import api as scheduling_api
from openward.staff import api as staff_api


def create_app(settings: Settings | None = None) -> FastAPI:
    app = assemble_app()
    configure(app, settings or get_settings())
    return app


def assemble_app() -> FastAPI:
    """The routes, middleware and error handlers: nothing here depends on the settings, which
    every request reads from `app.state` (so one assembled app can be configured again)."""

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[None]:
        checkpoints = start_audit_checkpoints(running)
        yield
        checkpoints.cancel()
        with suppress(asyncio.CancelledError):
            await checkpoints
        await running.state.engine.dispose()

    app = FastAPI(
        title="OpenWard",
        version=__version__,
        summary="Hospital management: patients, scheduling, clinical care, pharmacy, wards.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimitMiddleware)  # inside the request context: ids and headers
    app.add_middleware(ApiCorsMiddleware)  # /api/ only; inside the request context
    app.add_middleware(RequestContextMiddleware)
    problems.install(app)

    app.include_router(health_router)
    app.include_router(identity_api.router)
    app.include_router(audit_api.router)
    app.include_router(reports_api.router)
    app.include_router(patients_api.router)
    app.include_router(staff_api.router)
    app.include_router(scheduling_api.router)
    app.include_router(clinical_api.router)
    app.include_router(pharmacy_api.router)
    app.include_router(lab_api.router)
    app.include_router(radiology_api.router)
    app.include_router(notifications_api.router)
    subscribers.connect()

    from openward.web import install as install_web

    install_web(app)

    missing = undeclared_routes(app.routes)
    if missing:  # default deny: a route without a declared permission is a bug
        raise RuntimeError("routes without a declared permission: " + "; ".join(missing))
    return app


def configure(app: FastAPI, settings: Settings) -> None:
    """Point the app at its settings and their database (a new engine)."""
    settings.resolved_secret_key()  # refuse to start without a usable key
    settings.resolved_audit_key()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    engine = create_engine(settings)  # also makes a SQLite database file private
    private_files.tighten(settings.media_dir, private_files.DIR_MODE)  # images: 0700
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)


def start_audit_checkpoints(app: FastAPI) -> asyncio.Task[None]:
    """Signed checkpoints of the audit chain while the server runs: now, then each interval."""
    settings: Settings = app.state.settings
    return asyncio.create_task(
        audit_checkpoints.keep_writing(
            app.state.sessionmaker,
            settings.audit_checkpoint_file,
            settings.audit_checkpoint_minutes * 60,
        ),
        name="audit-checkpoints",
    )
