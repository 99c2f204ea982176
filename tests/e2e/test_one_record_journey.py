"""Issue 13's acceptance journey in a real browser: an allergy typed at registration is in
the one allergy list (the banner shows it, red) and blocks the matching prescription; a
visit is completed by signing its encounter; its coded diagnosis is on the chart and in the
patient's visit export. Screenshots in test-artifacts/."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD
from tests.e2e.browser import midday_zone, sign_in
from tests.live_server import LiveApi, live_server, openward, server_env

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(tmp_path: Path):
    zone = midday_zone()
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'openward.db'}")
    env["OPENWARD_TIMEZONE"] = zone
    with live_server(env) as base:
        openward(env, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
        openward(env, "catalogue", "seed")
        with httpx.Client(base_url=base, timeout=30) as http:
            api = LiveApi(http, STRONG_PASSWORD)
            headers_of, call = api.headers_of, api.send
            admin = headers_of("chief")

            call(
                "POST",
                "/api/v1/users",
                {
                    "username": "rita",
                    "password": STRONG_PASSWORD,
                    "full_name": "Rita Mendes",
                    "role": "receptionist",
                },
                admin,
            )
            department = call("POST", "/api/v1/departments", {"name": "General practice"}, admin)
            doctor = call(
                "POST",
                "/api/v1/doctors",
                {
                    "username": "okafor",
                    "password": STRONG_PASSWORD,
                    "full_name": "Dr. Ngozi Okafor",
                    "email": "okafor@example.org",
                    "department_id": department["id"],
                    "specialization": "Family medicine",
                    "license_number": "GMC-77",
                },
                admin,
            )
            call(
                "PUT",
                f"/api/v1/doctors/{doctor['id']}/availability",
                {
                    "slot_minutes": 15,
                    "weekly": [{"weekday": d, "start": "06:00", "end": "20:00"} for d in range(7)],
                },
                admin,
            )
            yield base, http, headers_of, doctor, ZoneInfo(zone)


def test_registration_allergy_blocks_the_prescription_and_signing_completes_the_visit(
    clinic, page, shot
):
    from playwright.sync_api import expect

    base, http, headers_of, doctor, zone = clinic
    page.on("dialog", lambda dialog: dialog.accept())

    # The front desk registers the patient, typing the allergy she reports.
    sign_in(page, base, "rita", STRONG_PASSWORD)
    page.goto(f"{base}/patients/new")
    page.get_by_label("Given name").fill("Eszter")
    page.get_by_label("Family name").fill("Kovács")
    page.get_by_label("Date of birth").fill("1979-04-16")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Substance 1").fill("Penicillin")
    page.get_by_label("Reaction").first.fill("Hives")
    page.get_by_label("Severity").first.select_option("severe")
    shot("one-record-01-registration")
    page.get_by_role("button", name="Register patient").click()
    allergies = page.get_by_test_id("banner-allergies")
    expect(allergies).to_contain_text("Penicillin (Hives) — severe, unconfirmed")
    expect(allergies.locator(".text-bg-danger")).to_have_count(1)  # red: severe
    patient_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    shot("one-record-02-patient-page")

    # Booked for later today and checked in at the desk.
    desk = headers_of("rita")
    now = datetime.now(zone)
    start = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 15)
    booked = http.post(
        "/api/v1/appointments",
        headers=desk,
        json={
            "patient_id": patient_id,
            "doctor_id": doctor["id"],
            "start": start.isoformat(),
            "reason": "Sore throat",
        },
    )
    assert booked.status_code == 201, booked.text
    visit_id = booked.json()["id"]
    page.goto(f"{base}/appointments/{visit_id}")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("appointment-status")).to_contain_text("Checked in")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The doctor records the visit: the encounter, with a coded diagnosis, signed.
    sign_in(page, base, "okafor", STRONG_PASSWORD)
    page.goto(f"{base}/appointments/{visit_id}")
    page.get_by_test_id("open-encounter").click()
    expect(page.get_by_test_id("patient-banner")).to_contain_text("Penicillin")
    page.get_by_label("Chief complaint").fill("Sore throat for four days, fever")
    page.get_by_label("Assessment").fill("Acute tonsillitis, Centor score 4")
    page.get_by_label("Plan").fill("Antibiotic; fluids; review if not better in 48 h")
    page.get_by_label("Diagnosis code").first.fill("J03.9")
    shot("one-record-03-encounter-form")
    page.get_by_role("button", name="Save encounter").click()
    page.get_by_role("button", name="Sign encounter").click()
    expect(page.get_by_test_id("encounter-status")).to_contain_text("Signed")
    expect(page.get_by_test_id("encounter-diagnoses")).to_contain_text("J03.9")
    expect(page.get_by_test_id("next-steps")).to_be_visible()
    shot("one-record-04-signed-next-steps")
    page.goto(f"{base}/appointments/{visit_id}")
    expect(page.get_by_test_id("appointment-status")).to_contain_text("Completed")

    # Prescribing amoxicillin for a penicillin-allergic patient is blocked.
    page.goto(f"{base}/patients/{patient_id}/chart")
    page.get_by_role("link", name="Prescribe").first.click()
    page.wait_for_url("**/prescriptions/new**")  # loaded: the type-ahead's script has run
    search = page.get_by_role("combobox", name="Medicine").first
    search.fill("amoxi")
    page.locator("#medicine-options-0 [role=option]", has_text="Amoxicillin 500 mg").click()
    page.get_by_label("Dose").first.fill("500 mg")
    page.get_by_label("Route").first.fill("oral")
    page.get_by_label("Frequency").first.fill("three times daily")
    page.get_by_label("Days").first.fill("7")
    page.get_by_label("Quantity").first.fill("21")
    page.get_by_role("button", name="Prescribe").click()
    expect(page.get_by_role("main")).to_contain_text("Penicillin")
    expect(page.get_by_role("main")).to_contain_text("severe", ignore_case=True)
    shot("one-record-05-prescription-blocked")
    doctor_headers = headers_of("okafor")
    listed = http.get(
        "/api/v1/prescriptions", params={"patient_id": patient_id}, headers=doctor_headers
    )
    assert listed.json()["total"] == 0

    # The diagnosis is on the chart and in the patient's visit export.
    page.goto(f"{base}/patients/{patient_id}/chart")
    expect(page.get_by_role("main")).to_contain_text("J03.9")
    shot("one-record-06-chart")
    exported = http.get(f"/api/v1/patients/{patient_id}/treatments.csv", headers=doctor_headers)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["status"] for row in rows] == ["completed"]
    assert rows[0]["diagnoses"].startswith("J03.9 ")
    assert rows[0]["assessment"] == "Acute tonsillitis, Centor score 4"
