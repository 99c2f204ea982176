"""How many SQL statements the main requests send. Round trips are where a request's time
goes (issue 12), so each operation has a budget here and a change cannot add statements back
unseen; lists cost the same for 3 rows as for 12 (no query per row).

Counted: every statement SQLAlchemy sends (SAVEPOINTs included), not BEGIN/COMMIT. The
budgets are today's counts, within issue 12's targets (booking 6, create patient 4, a
doctor's day 4, any list 5): one statement finds the user and the session, a booking's slot
check is one query, writes answer from what they wrote and lists read their names in their
own statement."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.conftest import STRONG_PASSWORD
from tests.scheduling.factories import (
    book,
    doctor_headers,
    iso,
    local_day,
    new_doctor,
    new_patient,
    patient_body,
)

BUDGET = {  # the same on SQLite and PostgreSQL
    "sign in": 7,
    "create patient": 4,
    "book": 6,
    "reschedule": 8,
    "cancel": 7,
    "a doctor's day": 3,
    "patient search": 4,
    "read a patient": 3,
    "receptionist's dashboard": 8,
}
LIST_TARGET = 5  # any list, whatever its length
_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def counting(app: Any):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(_TRANSACTION):
            seen.append(" ".join(statement.split())[:90])

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _count(app, call) -> tuple[int, list[str], Any]:
    with counting(app) as seen:
        response = await call()
    assert response.status_code < 300, response.text
    return len(seen), list(seen), response


async def test_each_main_request_stays_within_its_statement_budget(
    app, client, as_role, make_user, capsys
):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    doctor_auth = await doctor_headers(client, doctor)
    patients = [await new_patient(client, desk) for _ in range(3)]
    for hour, patient in enumerate(patients):
        await book(client, desk, patient["id"], iso(1, 9 + hour), doctor["id"])
    nurse = await make_user("nurse")
    counts: dict[str, tuple[int, list[str]]] = {}

    async def measure(name: str, call) -> Any:
        n, statements, response = await _count(app, call)
        counts[name] = (n, statements)
        return response

    await measure(
        "sign in",
        lambda: client.post(
            "/api/v1/auth/login", json={"username": nurse.username, "password": STRONG_PASSWORD}
        ),
    )
    await measure(
        "create patient", lambda: client.post("/api/v1/patients", headers=desk, json=patient_body())
    )
    booked = await measure(
        "book",
        lambda: client.post(
            "/api/v1/appointments",
            headers=desk,
            json={"patient_id": patients[0]["id"], "doctor_id": doctor["id"], "start": iso(2, 9)},
        ),
    )
    appointment = booked.json()["id"]
    await measure(
        "reschedule",
        lambda: client.patch(
            f"/api/v1/appointments/{appointment}", headers=desk, json={"start": iso(2, 11)}
        ),
    )
    await measure(
        "cancel",
        lambda: client.post(
            f"/api/v1/appointments/{appointment}/cancel", headers=desk, json={"reason": "Called"}
        ),
    )
    day = local_day(1).isoformat()
    await measure(
        "a doctor's day",
        lambda: client.get(
            f"/api/v1/appointments?doctor_id={doctor['id']}&from={day}&to={day}",
            headers=doctor_auth,
        ),
    )
    await measure("patient search", lambda: client.get("/api/v1/patients?q=a", headers=desk))
    await measure(
        "read a patient", lambda: client.get(f"/api/v1/patients/{patients[0]['id']}", headers=desk)
    )
    await measure("receptionist's dashboard", lambda: client.get("/api/v1/dashboard", headers=desk))

    with capsys.disabled():  # the table, for `pytest -s`
        print("\n" + "\n".join(f"{n:3} / {BUDGET[k]:3}  {k}" for k, (n, _) in counts.items()))
    over = {k: (n, BUDGET[k], s) for k, (n, s) in counts.items() if n > BUDGET[k]}
    assert over == {}


async def test_a_list_costs_the_same_for_three_rows_as_for_twelve(app, client, as_role):
    admin = await as_role("admin")
    desk = await as_role("receptionist")
    doctor = await new_doctor(client, admin)
    doctor_auth = await doctor_headers(client, doctor)
    day = local_day(1).isoformat()
    lists = {
        "a doctor's day": (
            f"/api/v1/appointments?doctor_id={doctor['id']}&from={day}&to={day}",
            doctor_auth,
        ),
        "appointments": ("/api/v1/appointments", desk),
        "patients": ("/api/v1/patients", desk),
    }
    seen: dict[str, list[int]] = {name: [] for name in lists}
    booked = 0
    for size in (3, 12):
        while booked < size:
            patient = await new_patient(client, desk)
            await book(
                client,
                desk,
                patient["id"],
                iso(1, 8 + booked // 2, 30 * (booked % 2)),
                doctor["id"],
            )
            booked += 1
        for name, (url, headers) in lists.items():
            n, _statements, response = await _count(
                app, lambda url=url, headers=headers: client.get(url, headers=headers)
            )
            assert len(response.json()["items"]) >= size
            seen[name].append(n)
    assert {name: counts[0] for name, counts in seen.items()} == {
        name: counts[1] for name, counts in seen.items()
    }
    assert max(max(counts) for counts in seen.values()) <= LIST_TARGET
