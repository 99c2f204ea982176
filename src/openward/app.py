"""create_app(): the one FastAPI application serving the API, the pages and health checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from openward import __version__, web
from openward.audit.domain import domain as audit
from openward.clinical.domain import domain as clinical
from openward.config import Settings, get_settings
from openward.core import audit_checkpoints, domains, private_files, problems
from openward.core.body_limit import BodyLimitMiddleware
from openward.core.cors import ApiCorsMiddleware
from openward.core.middleware import RequestContextMiddleware
from openward.core.permissions import undeclared_routes
from openward.db import create_engine, read_session_factory, session_factory
from openward.health import router as health_router
from openward.identity.domain import domain as identity
from openward.lab.domain import domain as lab
from openward.notifications.domain import domain as notifications
from openward.patients.domain import domain as patients
from openward.pharmacy.domain import domain as pharmacy
from openward.radiology.domain import domain as radiology
from openward.reports.domain import domain as reports
from openward.scheduling.domain import domain as scheduling
from openward.staff.domain import domain as staff
from openward.web.templating import add_domain_filters

# The installed domains, lower layers first (the import contracts in pyproject.toml say the
# same): a domain's routes, pages, links, permissions, subscribers, dashboard cards, demo and
# catalogue all come from its `domain.py`. A new domain is one folder and one line here.
DOMAINS = [
    identity,
    audit,
    notifications,
    staff,
    patients,
    scheduling,
    clinical,
    pharmacy,
    lab,
    radiology,
    reports,
]
# Installed on import, so the CLI, jobs and tests see the same permissions and subscribers.
domains.install(DOMAINS)


def create_app(settings: Settings | None = None) -> FastAPI:
    app = assemble_app()
    configure(app, settings or get_settings())
    return app


def assemble_app() -> FastAPI:
    """The routes, middleware and error handlers: nothing here depends on the settings, which
    every request reads from `app.state` (so one assembled app can be configured again)."""

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[None]:
        background = start_audit_work(running)
        yield
        for task in background:
            task.cancel()
        for task in background:
            with suppress(asyncio.CancelledError):
                await task
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
    for domain in domains.installed():
        for router in domain.api:
            app.include_router(router)
    web.install(app)  # the layout: static files and error pages
    add_domain_filters()
    for domain in domains.installed():
        for router in domain.pages:
            app.include_router(router)

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
    app.state.read_sessionmaker = read_session_factory(engine)


def start_audit_work(app: FastAPI) -> list[asyncio.Task[None]]:
    """While the server runs: the sealer that chains new audit events every few seconds,
    and signed checkpoints of the chain (now, then each interval)."""
    settings: Settings = app.state.settings
    return [
        asyncio.create_task(
            audit_checkpoints.keep_sealing(app.state.sessionmaker, settings.audit_seal_seconds),
            name="audit-sealer",
        ),
        asyncio.create_task(
            audit_checkpoints.keep_writing(
                app.state.sessionmaker,
                settings.audit_checkpoint_file,
                settings.audit_checkpoint_minutes * 60,
            ),
            name="audit-checkpoints",
        ),
    ]
