"""The bell: domain events become notifications for the right person, who reads and clears
them; nobody else sees or touches them."""

from __future__ import annotations

import pytest

from openward.core import events
from openward.db import session_scope
from openward.lab.events import CriticalResult, ResultReady
from openward.pharmacy.events import PrescriptionReady, RenewalDecided, RenewalRequested
from openward.radiology.events import ReportReady
from tests.conftest import bearer
from tests.scheduling.factories import new_patient, new_patient_user
from tests.web.pages import csrf_of, sign_in, text_of


async def _publish(app, event) -> None:
    async with session_scope(app.state.sessionmaker) as db:
        await events.publish(db, event)


async def _mine(client, headers, **params):
    response = await client.get("/api/v1/notifications", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_critical_lab_result_reaches_the_ordering_doctor_only(
    app, client, as_role, make_user
):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk, given_name="Ines", family_name="Duarte")
    doctor = await make_user("doctor")
    other_doctor = await as_role("doctor")
    await _publish(
        app,
        CriticalResult(
            order_id=41,
            patient_id=patient["id"],
            doctor_user_id=doctor.id,
            findings=("Potassium 6.9 mmol/L (critical high)",),
        ),
    )
    headers = await bearer(client, doctor.username)
    mine = await _mine(client, headers)
    assert mine["total"] == 1 and mine["unread"] == 1
    note = mine["items"][0]
    assert note["kind"] == "lab.critical_result"
    assert note["severity"] == "critical"
    assert "Ines Duarte" in note["title"]
    assert note["body"] == "Potassium 6.9 mmol/L (critical high)"
    assert note["link"] == "/lab/orders/41"
    assert note["read"] is False
    assert (await _mine(client, other_doctor))["total"] == 0


async def test_reading_a_notification_clears_it_from_the_unread_count(app, client, make_user):
    patient_headers, account = await new_patient_user(client)
    doctor = await make_user("doctor")
    for order_id in (1, 2):
        await _publish(
            app,
            ResultReady(
                order_id=order_id,
                patient_id=account["patient_id"],
                doctor_user_id=doctor.id,
                tests=("Lipid panel",),
                abnormal=False,
            ),
        )
    mine = await _mine(client, patient_headers)
    assert mine["unread"] == 2
    assert mine["items"][0]["title"] == "Your results are ready: Lipid panel"
    assert mine["items"][0]["link"] == "/my/results/lab/2"  # newest first

    first = mine["items"][0]["id"]
    read = await client.post(f"/api/v1/notifications/{first}/read", headers=patient_headers)
    assert read.status_code == 200 and read.json()["read"] is True
    count = await client.get("/api/v1/notifications/unread-count", headers=patient_headers)
    assert count.json() == {"unread": 1}
    assert [n["id"] for n in (await _mine(client, patient_headers, unread=True))["items"]] == [
        mine["items"][1]["id"]
    ]

    cleared = await client.post("/api/v1/notifications/read-all", headers=patient_headers)
    assert cleared.json() == {"marked": 1}
    assert (await _mine(client, patient_headers))["unread"] == 0


async def test_nobody_can_read_or_mark_someone_elses_notification(app, client, as_role, make_user):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk)
    doctor = await make_user("doctor")
    await _publish(
        app,
        RenewalRequested(
            request_id=3, prescription_id=9, patient_id=patient["id"], prescriber_user_id=doctor.id
        ),
    )
    note = (await _mine(client, await bearer(client, doctor.username)))["items"][0]
    assert note["link"] == "/prescriptions/renewals"
    intruder = await as_role("nurse")
    response = await client.post(f"/api/v1/notifications/{note['id']}/read", headers=intruder)
    assert response.status_code == 404
    assert response.json()["code"] == "notification_not_found"
    still = (await _mine(client, await bearer(client, doctor.username)))["items"][0]
    assert still["read"] is False


async def test_patients_hear_about_pickup_renewal_decisions_and_imaging_reports(app, client):
    headers, account = await new_patient_user(client)
    pid = account["patient_id"]
    await _publish(app, PrescriptionReady(prescription_id=5, patient_id=pid, complete=False))
    await _publish(
        app,
        RenewalDecided(
            request_id=1,
            prescription_id=5,
            patient_id=pid,
            approved=False,
            new_prescription_id=None,
        ),
    )
    await _publish(
        app, ReportReady(order_id=8, patient_id=pid, doctor_user_id=None, exam="Chest X-ray PA")
    )
    titles = [n["title"] for n in (await _mine(client, headers))["items"]]
    assert titles == [
        "Your imaging report is ready: Chest X-ray PA",
        "Your renewal of prescription #5 was declined",
        "Part of prescription #5 is ready for pickup; the rest is on order",
    ]


async def test_a_patient_without_an_online_account_is_simply_not_notified(app, client, as_role):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk)
    await _publish(
        app, PrescriptionReady(prescription_id=5, patient_id=patient["id"], complete=True)
    )
    admin = await as_role("admin")
    assert (await _mine(client, admin))["total"] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_bell_shows_the_unread_count_and_opening_one_goes_to_its_page(
    app, client, make_user, as_role
):
    desk = await as_role("receptionist")
    patient = await new_patient(client, desk, given_name="Jonas", family_name="Berg")
    doctor = await make_user("doctor")
    await _publish(
        app,
        CriticalResult(
            order_id=77,
            patient_id=patient["id"],
            doctor_user_id=doctor.id,
            findings=("Haemoglobin 5.9 g/dL (critical low)",),
        ),
    )
    await sign_in(client, doctor.username)
    dashboard = await client.get("/dashboard")
    assert 'data-testid="bell-count">1<' in dashboard.text

    page = await client.get("/notifications")
    words = text_of(page.text)
    assert "Critical lab result: Jonas Berg" in words
    assert "Haemoglobin 5.9 g/dL (critical low)" in words
    note_id = (await _mine(client, await bearer(client, doctor.username)))["items"][0]["id"]
    opened = await client.post(
        f"/notifications/{note_id}/open", data={"csrf_token": csrf_of(page.text)}
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == "/lab/orders/77"
    again = await client.get("/notifications")
    assert 'data-testid="bell-count">0<' in again.text
    assert "Nothing unread." in text_of((await client.get("/notifications?unread=true")).text)
