"""The admin's first day in a real browser: sign in, create a nurse, sign out; the nurse
then signs in and lands on the nurse dashboard. One screenshot per step in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import STRONG_PASSWORD
from tests.e2e.browser import sign_in
from tests.live_server import live_server, openward, server_env

pytestmark = pytest.mark.browser

NURSE_PASSWORD = "Night-Shift-Ward-7"


@pytest.fixture
def server(tmp_path: Path):
    """A real `uvicorn openward.asgi:app` on a fresh SQLite file, with one administrator.
    live_server migrates, waits until the server answers, and terminates it (then waits,
    killing it if it hangs) however the test ends."""
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'openward.db'}")
    with live_server(env) as base:
        openward(
            env,
            "users",
            "create-admin",
            "--username",
            "admin",
            "--password",
            STRONG_PASSWORD,
            "--full-name",
            "Amara Okafor",
        )
        yield base


def test_admin_creates_a_nurse_who_then_signs_in(server, page, shot):
    from playwright.sync_api import expect

    def step(name: str) -> None:
        shot(f"admin-creates-nurse-{name}")

    sign_in(page, server, "admin", STRONG_PASSWORD, step, "01-admin-signs-in")
    expect(page).to_have_url(f"{server}/dashboard")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Administrator dashboard")
    step("02-admin-dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    expect(page.get_by_test_id("users-table")).to_contain_text("Amara Okafor")
    step("03-users-list")

    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Full name").fill("Nadia Haddad")
    page.get_by_label("Role").select_option("nurse")
    page.get_by_label("E-mail").fill("nadia@example.org")
    page.get_by_label("Password").fill(NURSE_PASSWORD)
    step("04-new-nurse-form")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_contain_text("Created nurse account 'nadia'")
    expect(page.get_by_test_id("user-status")).to_contain_text("Active")
    step("05-nurse-created")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_test_id("notice")).to_have_text("You have signed out.")
    page.goto(f"{server}/dashboard")
    expect(page).to_have_url(f"{server}/login?next=%2Fdashboard")  # really signed out
    step("06-admin-signed-out")

    sign_in(page, server, "nadia", NURSE_PASSWORD, step, "07-nurse-signs-in")
    expect(page).to_have_url(f"{server}/dashboard")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Nurse dashboard")
    expect(page.get_by_test_id("user-name")).to_have_text("Nadia Haddad")
    expect(page.get_by_test_id("user-role")).to_have_text("Nurse")
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    step("08-nurse-dashboard")
