"""In a real browser: the doctor chooses medicines by typing. The list opens with their own
recent choices first, narrows as they type, is worked with the keyboard, fills the route
the medicine's form implies, and the prescription is written. Screenshots at 1280 and
390 px wide in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD
from tests.e2e.browser import sign_in
from tests.live_server import LiveApi, live_server, openward, server_env

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(tmp_path: Path):
    """A live server with the starter catalogue, and a doctor caring for one patient who has
    been prescribed atorvastatin 80 mg by that doctor before."""
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'openward.db'}")
    with live_server(env) as base:
        openward(env, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
        openward(env, "catalogue", "seed")
        with httpx.Client(base_url=base, timeout=30) as http:
            api = LiveApi(http, STRONG_PASSWORD)
            headers_of = api.headers_of
            admin = headers_of("chief")

            def post(path: str, body: dict, headers: dict[str, str] = admin) -> dict:
                return api.send("POST", path, body, headers)

            department = post("/api/v1/departments", {"name": "Cardiology"})
            doctor = post(
                "/api/v1/doctors",
                {
                    "username": "mensah",
                    "password": STRONG_PASSWORD,
                    "full_name": "Dr. Ada Mensah",
                    "email": "mensah@example.org",
                    "department_id": department["id"],
                    "specialization": "Cardiology",
                    "license_number": "GMC-42",
                },
            )
            patient = post(
                "/api/v1/auth/register",
                {
                    "username": "omar",
                    "password": STRONG_PASSWORD,
                    "full_name": "Omar Haddad",
                    "email": "omar@example.org",
                    "date_of_birth": "1961-04-12",
                    "sex": "male",
                },
                headers={},
            )
            post(f"/api/v1/patients/{patient['patient_id']}/care-team", {"doctor_id": doctor["id"]})
            found = http.get(
                "/api/v1/pharmacy/medicines", params={"q": "atorvastatin"}, headers=admin
            ).json()["items"]
            strong = next(m for m in found if m["strength"] == "80 mg")
            post(
                "/api/v1/prescriptions",
                {
                    "patient_id": patient["patient_id"],
                    "items": [
                        {
                            "medicine_id": strong["id"],
                            "dose": "1 tablet",
                            "route": "oral",
                            "frequency": "once daily",
                            "quantity": 28,
                        }
                    ],
                },
                headers=headers_of("mensah"),
            )
        yield base, patient["patient_id"]


def test_the_doctor_types_a_medicine_picks_it_and_prescribes(page, shot, clinic):
    from playwright.sync_api import expect

    base, patient_id = clinic
    sign_in(page, base, "mensah", STRONG_PASSWORD)
    page.goto(f"{base}/prescriptions/new?patient_id={patient_id}")
    expect(page.locator("form[data-testid=prescribe-form] select")).to_have_count(0)

    search = page.get_by_role("combobox", name="Medicine").first
    options = page.locator("#medicine-options-0 [role=option]")
    search.click()  # an empty box lists my recent choices first
    expect(options.first).to_contain_text("Atorvastatin 80 mg tablet")
    expect(options.first).to_contain_text("recent")

    search.fill("ator")
    expect(options.first).to_contain_text("Atorvastatin 80 mg tablet")  # still first: recent
    expect(options.nth(1)).to_contain_text("Atorvastatin 20 mg tablet")
    expect(options).to_have_count(2)
    shot("prescribing-typeahead-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("prescribing-typeahead-390")
    page.set_viewport_size({"width": 1280, "height": 860})

    search.press("ArrowDown")
    search.press("ArrowDown")
    search.press("Enter")  # the keyboard chooses the second: atorvastatin 20 mg
    expect(search).to_have_value("Atorvastatin 20 mg tablet")
    expect(page.locator("#medicine-options-0")).to_be_hidden()
    expect(page.get_by_label("Route").first).to_have_value("oral")  # the tablet's route
    page.get_by_label("Dose").first.fill("1 tablet")
    page.get_by_label("Frequency").first.fill("once daily")
    page.get_by_label("Quantity").first.fill("28")

    second = page.get_by_role("combobox", name="Medicine").nth(1)
    second.fill("salbut")  # the generic name finds the brand
    page.locator("#medicine-options-1 [role=option]", has_text="inhaler").first.click()
    expect(second).to_have_value("Ventolin Evohaler 100 micrograms/dose pressurised inhaler")
    expect(page.get_by_label("Route").nth(1)).to_have_value("inhaled")
    page.get_by_label("Dose").nth(1).fill("2 puffs")
    page.get_by_label("Frequency").nth(1).fill("when needed")
    page.get_by_label("Quantity").nth(1).fill("1")
    shot("prescribing-typeahead-chosen")

    page.get_by_role("button", name="Prescribe").click()
    items = page.get_by_test_id("items")
    expect(items).to_contain_text("Atorvastatin 20 mg tablet")
    expect(items).to_contain_text("Ventolin Evohaler")
