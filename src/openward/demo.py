"""Demo data: one account for every role, each with a freshly generated password."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor
from openward.db import create_engine, session_factory, session_scope, utcnow
from openward.demo_clinic import load_clinic
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.identity.models import User

# role, username, full name, e-mail
DEMO_ACCOUNTS: list[tuple[str, str, str, str]] = [
    ("admin", "admin", "Amara Okafor", "admin@demo.openward.org"),
    ("receptionist", "reception", "Rosa Delgado", "reception@demo.openward.org"),
    ("nurse", "nurse", "Nadia Haddad", "nurse@demo.openward.org"),
    ("doctor", "doctor", "Dr. David Mensah", "doctor@demo.openward.org"),
    ("pharmacist", "pharmacist", "Priya Raman", "pharmacy@demo.openward.org"),
    ("lab_technician", "labtech", "Lars Nilsson", "lab@demo.openward.org"),
    ("radiologist", "radiologist", "Dr. Rina Sato", "radiology@demo.openward.org"),
    ("billing", "billing", "Bilal Chaudhry", "billing@demo.openward.org"),
    ("patient", "patient", "Paula Fischer", "paula.fischer@example.org"),
]


def demo_password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


async def load_demo(
    settings: Settings, progress: Callable[[str], None] = lambda _name: None
) -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet, then the demo hospital (departments,
    doctors, patients, appointments) once; returns the new (role, username, password).

    Every demo time derives from one reading of the clock, in the hospital's zone: what has
    happened lies before it and what is booked after it, whatever the hour."""
    now = utcnow().astimezone(settings.zone)
    created: list[tuple[str, str, str]] = []
    engine = create_engine(settings)
    actor = Actor.system("demo")
    try:
        async with session_scope(session_factory(engine)) as db:
            for role, username, full_name, email in DEMO_ACCOUNTS:
                progress(username)
                if await db.scalar(select(User.id).where(User.username == username)):
                    continue
                password = demo_password()
                if role == "patient":
                    await identity_service.register_patient(
                        db,
                        settings,
                        actor,
                        schemas.RegisterPatientIn(
                            username=username,
                            password=password,
                            full_name=full_name,
                            email=email,
                            phone="+44 20 7946 0011",
                            date_of_birth=date(1984, 3, 14),
                            sex="female",
                        ),
                    )
                else:
                    await identity_service.create_user(
                        db,
                        actor,
                        schemas.UserCreate(
                            username=username,
                            password=password,
                            full_name=full_name,
                            email=email,
                            role=role,
                        ),
                    )
                created.append((role, username, password))
            created += await load_clinic(
                db, settings, lambda _username: demo_password(), progress, now=now
            )
            await load_care(db, settings, progress, now=now)
    finally:
        await engine.dispose()
    return created


CARE_STEPS = 4


async def load_care(
    db: AsyncSession,
    settings: Settings,
    progress: Callable[[str], None] = lambda _name: None,
    *,
    now: datetime | None = None,
) -> None:
    """Charts, the pharmacy's shelves and prescriptions, lab and imaging orders with results
    for the demo hospital (each part is skipped when it has been loaded before). `now` is
    the demo's clock (default: the current instant)."""
    from openward.clinical import demo as clinical_demo
    from openward.lab import demo as lab_demo
    from openward.notifications import subscribers
    from openward.pharmacy import demo as pharmacy_demo
    from openward.radiology import demo as radiology_demo

    subscribers.connect()  # the demo's results and requests notify people, as in the app
    now = now or utcnow()
    zone = settings.zone
    progress("charts")
    await clinical_demo.seed(db, now=now, zone=zone)
    progress("pharmacy")
    await pharmacy_demo.seed(db, now=now, zone=zone)
    progress("laboratory")
    await lab_demo.seed(db, now=now, zone=zone)
    progress("radiology")
    await radiology_demo.seed(db, now=now, settings=settings)
