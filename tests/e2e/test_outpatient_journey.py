"""The outpatient clinic in a real browser, as the issue's acceptance journey: a
receptionist registers a patient and books the earliest free doctor of a department; the
doctor sees the visit on their dashboard, checks the patient in and completes the visit by
signing its encounter with a coded diagnosis; the patient opens an online account for that record, sees the visit in their
history and downloads it as CSV. One screenshot per step in test-artifacts/."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD
from tests.e2e.browser import midday_zone, sign_in
from tests.live_server import live_server, openward, server_env

pytestmark = pytest.mark.browser

WEEK = [{"weekday": day, "start": "08:00", "end": "18:00"} for day in range(7)]


@pytest.fixture
def clinic(tmp_path: Path):
    """A live server (in a zone where it is now about noon) with an administrator, a
    receptionist and a cardiology department whose two doctors work every day 08:00-18:00;
    the first is on leave today, so the earliest free doctor this afternoon is the second."""
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'openward.db'}")
    zone = ZoneInfo(midday_zone())
    env["OPENWARD_TIMEZONE"] = zone.key
    with live_server(env) as base:
        openward(env, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
        with httpx.Client(base_url=base, timeout=30) as http:
            token = http.post(
                "/api/v1/auth/login", json={"username": "chief", "password": STRONG_PASSWORD}
            ).json()["access_token"]
            admin = {"Authorization": f"Bearer {token}"}

            def post(path: str, body: dict) -> dict:
                response = http.post(path, json=body, headers=admin)
                assert response.status_code in (200, 201), response.text
                return response.json()

            post(
                "/api/v1/users",
                {
                    "username": "rosa",
                    "password": STRONG_PASSWORD,
                    "full_name": "Rosa Delgado",
                    "role": "receptionist",
                },
            )
            department = post("/api/v1/departments", {"name": "Cardiology"})
            doctors = []
            for username, name, licence in (
                ("rossi", "Dr. Sofia Rossi", "GMC-1"),
                ("watanabe", "Dr. Kenji Watanabe", "GMC-2"),
            ):
                doctor = post(
                    "/api/v1/doctors",
                    {
                        "username": username,
                        "password": STRONG_PASSWORD,
                        "full_name": name,
                        "email": f"{username}@example.org",
                        "department_id": department["id"],
                        "specialization": "Cardiology",
                        "license_number": licence,
                    },
                )
                response = http.put(
                    f"/api/v1/doctors/{doctor['id']}/availability",
                    json={"slot_minutes": 30, "weekly": WEEK},
                    headers=admin,
                )
                assert response.status_code == 200, response.text
                doctors.append(doctor)
            now = datetime.now(zone)
            # Dr. Rossi's leave today: the department's earliest free doctor this afternoon
            # can only be Dr. Watanabe.
            post(
                f"/api/v1/doctors/{doctors[0]['id']}/availability/exceptions",
                {"date": now.date().isoformat(), "kind": "leave"},
            )
        later = (now + timedelta(minutes=60)).replace(second=0, microsecond=0)
        later -= timedelta(minutes=later.minute % 30)  # on the half-hour grid, still ahead
        yield base, later


def test_receptionist_books_doctor_completes_patient_downloads_history(clinic, page, shot):
    from playwright.sync_api import expect

    base, visit_at = clinic

    def step(name: str) -> None:
        shot(f"outpatient-journey-{name}")

    # The receptionist registers a new patient.
    sign_in(page, base, "rosa", STRONG_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Receptionist dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register patient").first.click()
    page.get_by_label("Given name").fill("Chloé")
    page.get_by_label("Family name").fill("Lefèvre")
    page.get_by_label("Date of birth").fill("1991-05-06")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Phone", exact=True).fill("+33 6 12 34 56 78")
    step("01-registration-form")
    page.locator("#patient-form").get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("status")).to_contain_text("Chloé Lefèvre")
    mrn = page.get_by_test_id("mrn").inner_text().replace("MRN", "").strip()
    assert len(mrn.replace("-", "")) == 10
    step("02-patient-registered")
    # ...gives her a one-time code to open her online account for this record...
    page.get_by_role("button", name="Issue activation code").click()
    code = page.get_by_test_id("code").inner_text().strip()
    step("02b-activation-code-slip")
    page.get_by_role("link", name="Back to the record").click()

    # ...and books the earliest free cardiologist for later today.
    page.get_by_role("link", name="Book appointment").first.click()
    page.get_by_label("Doctor or department").select_option(label="Any doctor — Cardiology")
    page.get_by_label("Date").fill(visit_at.date().isoformat())
    page.get_by_label("Time").fill(visit_at.strftime("%H:%M"))
    page.get_by_label("Reason for the visit").fill("Chest pain on exertion")
    step("03-booking-form")
    page.get_by_role("button", name="Book appointment").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Booked Chloé Lefèvre with Dr. Kenji Watanabe"
    )
    expect(page.get_by_test_id("appointment-when")).to_contain_text(visit_at.strftime("%H:%M"))
    expect(page.get_by_test_id("appointment-status")).to_have_text("Booked")
    step("04-booked")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The doctor sees the visit on the dashboard, checks the patient in and records the visit:
    # its encounter with a coded diagnosis, signed, completes it.
    sign_in(page, base, "watanabe", STRONG_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Doctor dashboard")
    upcoming = page.get_by_test_id("doctor-today")  # the visit is later today
    expect(upcoming).to_contain_text("Chloé Lefèvre")
    expect(page.get_by_test_id("doctor-patients")).to_contain_text("Chloé Lefèvre")
    step("05-doctor-dashboard")
    upcoming.get_by_role("link", name="Open").first.click()
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("appointment-status")).to_have_text("Checked in")
    page.get_by_test_id("open-encounter").click()
    page.get_by_label("Assessment").fill("Stable angina")
    page.get_by_label("Plan").fill("Exercise stress test booked; lifestyle advice.")
    page.get_by_label("Diagnosis code").first.fill("I20.8")
    page.get_by_label("Next visit").fill((visit_at.date() + timedelta(days=28)).isoformat())
    step("06-encounter-form")
    page.get_by_role("button", name="Save encounter").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign encounter").click()
    expect(page.get_by_test_id("encounter-status")).to_contain_text("Signed")
    expect(page.get_by_test_id("encounter-diagnoses")).to_contain_text("I20.8")
    page.get_by_role("main").get_by_role("link", name=re.compile(r"^appointment #")).click()
    expect(page.get_by_test_id("appointment-status")).to_have_text("Completed")
    step("07-visit-completed")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The patient opens an online account for the record the front desk made.
    page.goto(f"{base}/register")
    page.get_by_label("Full name").fill("Chloé Lefèvre")
    page.get_by_label("Date of birth").fill("1991-05-06")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Medical record number (MRN)").fill(mrn)
    page.get_by_label("Activation code").fill(code)
    page.get_by_label("Username").fill("chloe")
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    step("08-patient-registers-with-mrn")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(mrn)).to_be_visible()

    sign_in(page, base, "chloe", STRONG_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Patient dashboard")
    expect(page.get_by_test_id("patient-past")).to_contain_text("I20.8")
    step("09-patient-dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My record").click()
    expect(page.get_by_role("main")).to_contain_text("Dr. Kenji Watanabe")
    step("10-my-record")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    text = Path(download.path()).read_text()
    assert text.splitlines()[0].startswith("date,time,doctor,department,status")
    assert "Dr. Kenji Watanabe" in text and "I20.8" in text and "Stable angina" in text
    assert download.suggested_filename.endswith(".csv")
