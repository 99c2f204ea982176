"""The demo patient's online account: Paula Fischer registers herself, as a patient would."""

from __future__ import annotations

from datetime import date

from openward.core.actors import Actor
from openward.core.domains import DemoRun
from openward.identity import service as identity_service
from openward.patients import schemas, self_registration

# role, username, full name, e-mail
PATIENT_ACCOUNT = ("patient", "patient", "Paula Fischer", "paula.fischer@example.org")
STEPS = ["patient"]


async def load(run: DemoRun) -> None:
    role, username, full_name, email = PATIENT_ACCOUNT
    run.progress(username)
    if await identity_service.find_by_username(run.db, username) is not None:
        return
    password = run.new_password(username)
    await self_registration.register_patient(
        run.db,
        run.settings,
        Actor.system("demo"),
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
    run.created.append((role, username, password))
