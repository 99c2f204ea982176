"""Demo data: every installed domain's demo loader, in domain order, in one transaction:
logins for every role (each with a freshly generated password), the outpatient clinic,
charts, the pharmacy, the laboratory and radiology."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from openward.app import DOMAINS
from openward.config import Settings
from openward.core.domains import DemoRun
from openward.db import create_engine, session_factory, session_scope, utcnow


def demo_password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


def demo_steps() -> int:
    """How many progress steps the loaders report (the CLI's progress bar)."""
    return sum(len(domain.demo_steps) for domain in DOMAINS)


async def load_demo(
    settings: Settings, progress: Callable[[str], None] = lambda _name: None
) -> list[tuple[str, str, str]]:
    """Load what is not loaded yet (each loader skips what exists); returns the new logins
    as (role, username, password).

    Every demo time derives from one reading of the clock, in the hospital's zone: what has
    happened lies before it and what is booked after it, whatever the hour."""
    now = utcnow().astimezone(settings.zone)
    engine = create_engine(settings)
    try:
        async with session_scope(session_factory(engine)) as db:
            run = DemoRun(db, settings, now, progress, lambda _username: demo_password())
            for domain in DOMAINS:
                if domain.demo is not None:
                    await domain.demo(run)
    finally:
        await engine.dispose()
    return run.created
