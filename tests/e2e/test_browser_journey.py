"""The admin's first day, in a real browser: create a nurse, who then signs in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import STRONG_PASSWORD
from tests.live_server import live_server, openward, server_env


@pytest.fixture
def server(tmp_path: Path):
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'openward.db'}")
    with live_server(env) as base:
        openward(
            env,
            "users",
            "create-admin",
            "--username",
            "chief",
            "--password",
            STRONG_PASSWORD,
            "--full-name",
            "Amara Okafor",
        )
        yield base


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_admin_creates_a_nurse_who_then_signs_in(server, page, shot):
    from playwright.sync_api import expect

    sign_in(page, server, "chief", STRONG_PASSWORD)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Administrator dashboard")
    shot("01-admin-dashboard")

    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Full name").fill("Nadia Haddad")
    page.get_by_label("Role").select_option("nurse")
    page.get_by_label("E-mail").fill("nadia@example.org")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#e-password")).to_contain_text("at least 10 characters")
    expect(page.get_by_label("Full name")).to_have_value("Nadia Haddad")
    shot("02-new-user-error")

    page.get_by_label("Password").fill("Night-Shift-Ward-7")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_contain_text("Created nurse account 'nadia'")
    shot("03-user-created")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_test_id("notice")).to_contain_text("signed out")

    sign_in(page, server, "nadia", "Night-Shift-Ward-7")
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Nurse dashboard")
    expect(page.get_by_test_id("user-name")).to_have_text("Nadia Haddad")
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    shot("04-nurse-dashboard")
