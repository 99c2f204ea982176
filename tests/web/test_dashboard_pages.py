"""Where each role lands after signing in: its own dashboard, menu and figures."""

from __future__ import annotations

import re

from openward.core.actors import Actor
from openward.db import session_scope
from openward.identity import service as identity_service
from tests.conftest import STRONG_PASSWORD, login
from tests.web.pages import csrf_of, patient_form, sign_in, submit, text_of

HEADINGS = {
    "admin": "Administrator dashboard",
    "receptionist": "Receptionist dashboard",
    "nurse": "Nurse dashboard",
    "doctor": "Doctor dashboard",
    "pharmacist": "Pharmacist dashboard",
    "lab_technician": "Lab technician dashboard",
    "radiologist": "Radiologist dashboard",
    "billing": "Billing dashboard",
    "patient": "Patient dashboard",
}
CLINIC = ["Patients", "Appointments", "Calendar", "Doctors", "Departments"]
DIRECTORY = ["Doctors", "Departments"]
ORDERS = ["Lab orders", "Imaging orders"]
MENUS = {
    "admin": ["Dashboard", *CLINIC, "Stock", "Medicines", "Users", "Audit trail", "My account"],
    "receptionist": ["Dashboard", *CLINIC, *ORDERS, "My account"],
    "nurse": ["Dashboard", *CLINIC, *ORDERS, "My account"],
    "doctor": ["Dashboard", *CLINIC, "Results", "Renewal requests", *ORDERS, "My account"],
    "pharmacist": ["Dashboard", *DIRECTORY, "Pharmacy queue", "Stock", "Medicines", "My account"],
    "lab_technician": ["Dashboard", *DIRECTORY, "Lab worklist", "My account"],
    "radiologist": ["Dashboard", *DIRECTORY, "Radiology worklist", "My account"],
    "billing": ["Dashboard", *DIRECTORY, "My account"],
    "patient": [
        "Dashboard",
        "Appointments",
        *DIRECTORY,
        "My record",
        "My results",
        "My prescriptions",
        "My account",
    ],
}


def menu_of(html: str) -> list[str]:
    """The link texts of the sidebar, top to bottom."""
    nav = re.search(r'<nav [^>]*aria-label="Main">(.*?)</nav>', html, re.DOTALL)
    assert nav, "page has no main menu"
    return [text_of(link) for link in re.findall(r"<a [^>]*>(.*?)</a>", nav.group(1), re.DOTALL)]


def figure(html: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}">\s*<div class="ow-stat-value">(\d+)<', html)
    assert match, f"no figure {testid}"
    return int(match.group(1))


def role_bar(html: str, role: str) -> int:
    match = re.search(rf'href="/admin/users\?role={role}">[^<]+</a><span>(\d+)</span>', html)
    assert match, f"no bar for {role}"
    return int(match.group(1))


async def test_each_role_lands_on_its_own_dashboard_with_its_own_menu(client, make_user):
    for role, heading in HEADINGS.items():
        username = f"{role.replace('_', '-')}-one"
        await make_user(role, username=username, full_name=f"Person {role}")
        client.cookies.clear()
        signed_in = await sign_in(client, username)
        assert signed_in.headers["location"] == "/dashboard", role
        page = await client.get("/dashboard")
        title = re.search(r'data-testid="dashboard-title">([^<]+)<', page.text)
        assert title and title.group(1) == heading, role
        assert f"Welcome, Person {role}." in text_of(page.text)
        assert menu_of(page.text) == MENUS[role], role


async def test_the_admin_dashboard_shows_real_figures(client, make_user, app):
    await make_user("nurse", username="nadia")
    await make_user("nurse", username="nora")
    await make_user("doctor", username="dmensah")
    gone = await make_user("nurse", username="retired")
    async with session_scope(app.state.sessionmaker) as db:
        await identity_service.set_active(db, Actor.system("test"), gone.id, False, "retired")
    await login(client, "nadia")  # an API sign-in, shown as such
    requested = await submit(
        client,
        "/register/staff",
        full_name="Lena Lab",
        email="lena@example.org",
        phone="",
        role="lab_technician",
        username="lena",
        password=STRONG_PASSWORD,
    )
    assert requested.status_code == 202
    await make_user("admin", username="chief", full_name="Amara Okafor")
    await sign_in(client, "chief")

    page = (await client.get("/dashboard")).text
    assert figure(page, "stat-users") == 4  # chief, nadia, nora, dmensah; not retired or lena
    assert figure(page, "stat-pending") == 1
    assert role_bar(page, "nurse") == 2
    assert role_bar(page, "doctor") == 1
    assert role_bar(page, "admin") == 1
    assert role_bar(page, "lab_technician") == 0
    pending = page.split("Pending approvals")[1].split("Recent sign-ins")[0]
    assert "Lena Lab" in text_of(pending) and "Lab technician" in text_of(pending)
    sign_ins = text_of(page.split("Recent sign-ins")[1])
    assert "chief Administrator" in sign_ins and "203.0.113.7 web" in sign_ins
    assert "nadia Nurse" in sign_ins and "203.0.113.7 api" in sign_ins


async def test_approving_a_staff_request_from_the_dashboard(client, make_user):
    await submit(
        client,
        "/register/staff",
        full_name="Lena Lab",
        email="lena@example.org",
        phone="",
        role="lab_technician",
        username="lena",
        password=STRONG_PASSWORD,
    )
    await make_user("admin", username="chief")
    await sign_in(client, "chief")
    page = await client.get("/dashboard")
    action = re.search(r'action="(/admin/users/\d+/approve)"', page.text).group(1)
    approved = await client.post(
        action, data={"csrf_token": csrf_of(page.text), "return_to": "/dashboard"}
    )
    assert approved.status_code == 303 and approved.headers["location"] == "/dashboard"
    page = await client.get("/dashboard")
    assert "Account approved; the user can now sign in." in text_of(page.text)
    assert "No accounts are waiting." in text_of(page.text)
    assert figure(page.text, "stat-pending") == 0
    assert (await login(client, "lena")).status_code == 200


async def test_a_patient_sees_their_own_record_and_sign_ins(client):
    registered = await submit(client, "/register", **patient_form(phone="+44 20 7946 0011"))
    mrn = registered.text.split('data-testid="mrn">')[1].split("<")[0]
    await sign_in(client, "paula")
    page = text_of((await client.get("/dashboard")).text)
    assert f"MRN {mrn}" in page
    assert "Date of birth 14 Mar 1984" in page
    assert "paula@example.org" in page and "+44 20 7946 0011" in page
    assert "203.0.113.7 web" in page.split("My recent sign-ins")[1]
