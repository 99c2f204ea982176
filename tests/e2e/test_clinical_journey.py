"""After the front desk, in a real browser, as the issue's acceptance journey: a doctor
writes and signs an encounter with an ICD-10 diagnosis, prescribes two medicines and orders a
lipid panel; the pharmacist dispenses and sees the stock fall; the lab technician enters a
critical triglyceride value and the doctor is alerted at once; once a second technician
verified it and the doctor acknowledged it, the patient reads the result. One screenshot per
step in test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD
from tests.e2e.browser import sign_in
from tests.live_server import LiveApi, live_server, openward, server_env

pytestmark = pytest.mark.browser


@pytest.fixture
def hospital(tmp_path: Path):
    """A live server with the starter catalogues, a doctor who follows the patient Hana Kowalski
    (who has an online account), a pharmacist with atorvastatin and metformin on the shelf,
    and a lab technician."""
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'openward.db'}")
    env["OPENWARD_MEDIA_DIR"] = str(tmp_path / "media")
    with live_server(env) as base:
        openward(env, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
        openward(env, "catalogue", "seed")
        with httpx.Client(base_url=base, timeout=30) as http:
            api = LiveApi(http, STRONG_PASSWORD)
            headers_of = api.headers_of
            admin = headers_of("chief")

            def post(path: str, body: dict, headers: dict[str, str] = admin) -> dict:
                return api.send("POST", path, body, headers)

            for username, name, role in (
                ("priya", "Priya Raman", "pharmacist"),
                ("tomas", "Tomás Novak", "lab_technician"),
                ("lena", "Lena Berg", "lab_technician"),  # verifies what Tomás entered
            ):
                post(
                    "/api/v1/users",
                    {
                        "username": username,
                        "password": STRONG_PASSWORD,
                        "full_name": name,
                        "role": role,
                    },
                )
            department = post("/api/v1/departments", {"name": "Internal medicine"})
            doctor = post(
                "/api/v1/doctors",
                {
                    "username": "okafor",
                    "password": STRONG_PASSWORD,
                    "full_name": "Dr. Ngozi Okafor",
                    "email": "okafor@example.org",
                    "department_id": department["id"],
                    "specialization": "Internal medicine",
                    "license_number": "GMC-77",
                },
            )
            patient = post(
                "/api/v1/auth/register",
                {
                    "username": "hana",
                    "password": STRONG_PASSWORD,
                    "full_name": "Hana Kowalski",
                    "email": "hana@example.org",
                    "date_of_birth": "1968-09-30",
                    "sex": "female",
                },
                headers={},
            )
            post(f"/api/v1/patients/{patient['patient_id']}/care-team", {"doctor_id": doctor["id"]})

            pharmacist = headers_of("priya")
            medicines = {}
            for name, strength in (("Atorvastatin", "20 mg"), ("Metformin", "500 mg")):
                found = http.get(
                    "/api/v1/pharmacy/medicines", params={"q": name}, headers=pharmacist
                ).json()["items"]
                [medicine] = [m for m in found if m["strength"] == strength]
                post(
                    "/api/v1/pharmacy/stock/receipts",
                    {
                        "medicine_id": medicine["id"],
                        "batch_number": f"{name[:3].upper()}-2611",
                        "expiry_date": "2029-06-30",
                        "quantity": 200,
                        "unit_cost": "0.03",
                    },
                    headers=pharmacist,
                )
                medicines[name] = medicine["id"]
        yield base, patient["patient_id"], medicines


def test_encounter_prescription_dispensing_critical_lab_result_and_patient_reads_it(
    hospital, page, shot
):
    from playwright.sync_api import expect

    base, patient_id, medicines = hospital
    page.on("dialog", lambda dialog: dialog.accept())  # "Sign this encounter?" and the like

    def step(name: str) -> None:
        shot(f"clinical-journey-{name}")

    # The doctor opens the chart and writes the encounter with an ICD-10 diagnosis.
    sign_in(page, base, "okafor", STRONG_PASSWORD)
    page.goto(f"{base}/patients/{patient_id}/chart")
    expect(page.get_by_test_id("chart-header")).to_contain_text("Hana Kowalski")
    page.get_by_role("link", name="New encounter").click()
    page.get_by_label("Chief complaint").fill("Routine review; fatigue")
    page.get_by_label("Assessment").fill("Mixed hyperlipidaemia; type 2 diabetes, stable")
    page.get_by_label("Plan").fill("Start a statin; continue metformin; lipid panel today")
    page.get_by_label("Diagnosis code").first.fill("E78.5")
    step("01-encounter-form")
    page.get_by_role("button", name="Save encounter").click()
    page.get_by_role("button", name="Sign encounter").click()
    expect(page.get_by_test_id("encounter-status")).to_contain_text("Signed")
    expect(page.get_by_test_id("encounter-diagnoses")).to_contain_text("E78.5")
    step("02-encounter-signed")

    # ...prescribes two medicines...
    page.goto(f"{base}/patients/{patient_id}/chart")
    page.get_by_role("link", name="Prescribe").click()
    page.wait_for_url("**/prescriptions/new**")  # loaded: the type-ahead's script has run
    for row, (name, strength, dose, frequency) in enumerate(
        (
            ("Atorvastatin", "20 mg", "20 mg", "once daily at night"),
            ("Metformin", "500 mg", "500 mg", "twice daily"),
        )
    ):
        search = page.get_by_role("combobox", name="Medicine").nth(row)
        search.fill(name.lower()[:5])  # the type-ahead: the first letters, then the option
        page.locator(
            f"#medicine-options-{row} [role=option]", has_text=f"{name} {strength}"
        ).click()
        expect(search).to_have_value(f"{name} {strength} tablet")
        page.get_by_label("Dose").nth(row).fill(dose)
        page.get_by_label("Route").nth(row).fill("oral")
        page.get_by_label("Frequency").nth(row).fill(frequency)
        page.get_by_label("Days").nth(row).fill("30")
        page.get_by_label("Quantity").nth(row).fill("30" if row == 0 else "60")
    step("03-prescription-form")
    page.get_by_role("button", name="Prescribe").click()
    expect(page.get_by_test_id("items")).to_contain_text("Atorvastatin")
    expect(page.get_by_test_id("items")).to_contain_text("Metformin")
    step("04-prescribed")

    # ...and orders a lipid panel.
    page.goto(f"{base}/lab/orders/new?patient_id={patient_id}")
    page.get_by_label("Lipid panel").check()
    step("05-lab-order-form")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("main")).to_contain_text("Lipid panel")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The pharmacist dispenses; the stock falls by what was handed out.
    sign_in(page, base, "priya", STRONG_PASSWORD)
    page.goto(f"{base}/pharmacy/stock?q=atorvastatin")
    atorvastatin = page.locator(f"tr[data-medicine='{medicines['Atorvastatin']}']")
    expect(atorvastatin.get_by_test_id("on-hand")).to_contain_text("200")
    page.goto(f"{base}/pharmacy")
    expect(page.get_by_role("main")).to_contain_text("Hana Kowalski")
    step("06-pharmacy-queue")
    page.get_by_role("link", name=re.compile(r"^Open #")).first.click()
    page.get_by_role("button", name="Dispense").click()
    expect(page.get_by_role("main")).to_contain_text("dispensed", ignore_case=True)
    step("07-dispensed")
    page.goto(f"{base}/pharmacy/stock?q=atorvastatin")
    expect(atorvastatin.get_by_test_id("on-hand")).to_contain_text("170")
    step("08-stock-fell")
    page.goto(f"{base}/pharmacy/stock?q=metformin")
    metformin = page.locator(f"tr[data-medicine='{medicines['Metformin']}']")
    expect(metformin.get_by_test_id("on-hand")).to_contain_text("140")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The lab technician works the order and enters a critical triglyceride value.
    sign_in(page, base, "tomas", STRONG_PASSWORD)
    page.goto(f"{base}/lab/worklist")
    expect(page.get_by_role("main")).to_contain_text("Hana Kowalski")
    page.get_by_role("main").get_by_role("link", name=re.compile(r"^Open order")).first.click()
    page.get_by_role("button", name="Collect specimen").click()
    page.get_by_role("button", name="Start").click()
    page.get_by_label("Total cholesterol").fill("9.8")
    page.get_by_label("LDL cholesterol").fill("5.1")
    page.get_by_label("HDL cholesterol").fill("0.8")
    page.get_by_label("Triglycerides").fill("14.2")
    step("09-results-entered")
    page.get_by_role("button", name="Save results").click()
    expect(page.get_by_role("main")).to_contain_text("critical", ignore_case=True)
    step("10-critical-flagged")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # The doctor is alerted at once: the bell and the results inbox, before verification.
    sign_in(page, base, "okafor", STRONG_PASSWORD)
    expect(page.get_by_test_id("bell-count")).to_have_text("1")
    expect(page.get_by_test_id("work-critical_results")).to_contain_text("1")
    step("11-doctor-alerted")
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id("notifications")).to_contain_text(
        "Critical lab result: Hana Kowalski"
    )
    expect(page.get_by_test_id("notifications")).to_contain_text("Triglycerides")
    page.get_by_role("button", name="Open").first.click()
    expect(page.get_by_test_id("preliminary-critical")).to_be_visible()
    step("12-critical-value-seen")
    page.get_by_role("button", name="Sign out", exact=True).click()

    # A second technician verifies; the doctor acknowledges; the patient reads the result.
    sign_in(page, base, "lena", STRONG_PASSWORD)
    page.goto(f"{base}/lab/worklist?status=resulted")
    page.get_by_role("main").get_by_role("link", name=re.compile(r"^Open order")).first.click()
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("main")).to_contain_text("Verified")
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, base, "okafor", STRONG_PASSWORD)
    page.goto(f"{base}/results?show=to_acknowledge")
    page.get_by_test_id("acknowledge").first.click()
    expect(page.get_by_test_id("acknowledged").first).to_contain_text("Dr. Ngozi Okafor")
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, base, "hana", STRONG_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My results").click()
    expect(page.get_by_role("main")).to_contain_text("Lipid panel")
    step("13-patient-results")
    page.get_by_role("main").get_by_role("link", name="Lipid panel").first.click()
    expect(page.get_by_role("main")).to_contain_text("Triglycerides")
    expect(page.get_by_role("main")).to_contain_text("14.2")
    step("14-patient-reads-result")
