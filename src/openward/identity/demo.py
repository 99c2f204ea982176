"""The demo's staff logins: one for every staff role, each with a fresh password."""

from __future__ import annotations

from openward.core.actors import Actor
from openward.core.domains import DemoRun
from openward.identity import schemas
from openward.identity import service as identity_service

# role, username, full name, e-mail
STAFF_ACCOUNTS: list[tuple[str, str, str, str]] = [
    ("admin", "admin", "Amara Okafor", "admin@demo.openward.org"),
    ("receptionist", "reception", "Rosa Delgado", "reception@demo.openward.org"),
    ("nurse", "nurse", "Nadia Haddad", "nurse@demo.openward.org"),
    ("doctor", "doctor", "Dr. David Mensah", "doctor@demo.openward.org"),
    ("pharmacist", "pharmacist", "Priya Raman", "pharmacy@demo.openward.org"),
    ("lab_technician", "labtech", "Lars Nilsson", "lab@demo.openward.org"),
    # A second technician and radiologist: results and reports are verified by a second person.
    ("lab_technician", "labtech2", "Lena Ortiz", "lab2@demo.openward.org"),
    ("radiologist", "radiologist", "Dr. Rina Sato", "radiology@demo.openward.org"),
    ("radiologist", "radiologist2", "Dr. Tomas Weber", "radiology2@demo.openward.org"),
    ("billing", "billing", "Bilal Chaudhry", "billing@demo.openward.org"),
]
STEPS = [username for _role, username, _name, _email in STAFF_ACCOUNTS]


async def load(run: DemoRun) -> None:
    """The staff logins that do not exist yet."""
    actor = Actor.system("demo")
    for role, username, full_name, email in STAFF_ACCOUNTS:
        run.progress(username)
        if await identity_service.find_by_username(run.db, username) is not None:
            continue
        password = run.new_password(username)
        await identity_service.create_user(
            run.db,
            actor,
            schemas.UserCreate(
                username=username,
                password=password,
                full_name=full_name,
                email=email,
                role=role,
            ),
        )
        run.created.append((role, username, password))
