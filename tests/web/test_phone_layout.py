"""Phones and tablets, in Chromium: the menu folds behind a button below 992 px, wide lists
become cards whose buttons are within reach, and a patient's dashboard stays short."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import STRONG_PASSWORD, need
from tests.e2e.browser import midday_zone, sign_in
from tests.live_server import live_server, openward, server_env

pytestmark = pytest.mark.browser

CHROMIUM = (
    os.environ.get("OPENWARD_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}  # an iPhone 12-14 sized screen
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """The demo hospital (its queue, worklists and a patient with past visits), in a zone
    where it is now about noon: today's queue has visits still to check in at any hour."""
    need(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}")
    env = server_env(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('phone') / 'openward.db'}")
    env["OPENWARD_TIMEZONE"] = midday_zone()
    with live_server(env) as base:
        openward(env, "users", "create-admin", "--username", "chief", "--password", STRONG_PASSWORD)
        openward(env, "demo")
        logins_file = Path(env["OPENWARD_DATABASE_URL"].split("///")[1] + ".demo-logins")
        logins = dict(line.split("\t")[1:] for line in logins_file.read_text().splitlines()[1:])
        yield base, logins


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def open_as(chromium, server):
    """A signed-in page of one demo login at one screen size."""
    base, logins = server
    contexts = []

    def open_page(username: str, viewport: dict[str, int]):
        context = chromium.new_context(viewport=viewport, has_touch=viewport["width"] < 992)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, base, username, logins[username])
        page.wait_for_url(f"{base}/dashboard")
        return page

    yield open_page
    for context in contexts:
        context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)


def _no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_on_a_phone_the_menu_hides_behind_a_button_and_opens_with_it(open_as):
    from playwright.sync_api import expect

    page = open_as("reception", PHONE)
    menu = page.get_by_role("navigation", name="Main")
    button = page.get_by_test_id("menu-button")
    expect(button).to_be_visible()
    expect(menu).to_be_hidden()
    _shot(page, "menu-closed")
    button.click()
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Patients")).to_be_visible()
    _shot(page, "menu-open")
    menu.get_by_role("link", name="Patients").click()
    page.wait_for_url("**/patients")
    expect(menu).to_be_hidden()


def test_on_a_tablet_below_992_px_the_menu_is_folded_too(open_as):
    from playwright.sync_api import expect

    page = open_as("doctor", {"width": 991, "height": 1000})
    expect(page.get_by_test_id("menu-button")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()


def test_at_1280_px_the_menu_is_always_shown_and_there_is_no_button(open_as):
    from playwright.sync_api import expect

    page = open_as("reception", DESKTOP)
    expect(page.get_by_test_id("menu-button")).to_be_hidden()
    menu = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Patients")).to_be_visible()
    expect(page.get_by_test_id("header-search")).to_be_visible()


def _buttons_within_reach(page, table_test_id: str) -> int:
    """Each row's buttons lie inside the screen's width; returns how many were checked."""
    boxes = page.get_by_test_id(table_test_id).locator("tbody .btn")
    count = boxes.count()
    width = page.evaluate("document.documentElement.clientWidth")
    for i in range(count):
        box = boxes.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, i
    return count


@pytest.mark.parametrize(
    ("username", "path", "table"),
    [
        ("reception", "/dashboard", "appointments-table"),  # the front-desk queue
        ("reception", "/appointments", "appointments-table"),
        ("reception", "/patients", "patients-table"),
        ("labtech", "/lab/worklist", "lab-orders"),
        ("radiologist", "/radiology/worklist", "imaging-orders"),
        ("pharmacist", "/pharmacy", "queue"),
        ("doctor", "/results", "results-inbox"),
    ],
)
def test_on_a_phone_a_wide_list_becomes_cards_with_its_buttons_in_reach(
    open_as, username, path, table
):
    page = open_as(username, PHONE)
    page.goto(page.url.rsplit("/", 1)[0] + path)
    header = page.get_by_test_id(table).locator("thead")
    assert header.count() == 0 or not header.first.is_visible()  # no column headings: cards
    _no_sideways_scrolling(page)
    _buttons_within_reach(page, table)
    _shot(page, f"{username}{path.replace('/', '-')}")


def test_the_queue_labels_each_value_in_its_card(open_as):
    page = open_as("reception", PHONE)
    cells = page.get_by_test_id("appointments-table").locator("tbody td[data-label='Patient']")
    assert cells.count() >= 1
    label = cells.first.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Patient"'


def test_the_front_desk_queue_has_its_check_in_buttons_on_a_phone_screen(open_as):
    page = open_as("reception", PHONE)
    check_in = page.get_by_test_id("appointments-table").get_by_role("button", name="Check in")
    assert check_in.count() >= 1  # the afternoon's visits are still to come
    assert _buttons_within_reach(page, "appointments-table") >= check_in.count()


def test_a_patients_dashboard_is_at_most_two_phone_screens_tall(open_as):
    page = open_as("patient", PHONE)
    height = page.evaluate("document.body.scrollHeight")
    _shot(page, "patient-dashboard")
    assert height <= 2 * PHONE["height"], height
    _no_sideways_scrolling(page)
