"""Browser fixtures: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need

CHROMIUM = (
    os.environ.get("OPENWARD_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture starts a server: a machine without Chromium skips the browser tests,
    CI (CI=true or 1) fails them. This hook only sees the tests under tests/e2e/."""
    need(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Module scope: Playwright's sync API holds an event loop on this thread while it runs,
    so it must be closed before the asyncio tests of other modules start."""
    need(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shot(page):
    """Save a screenshot of the current page under test-artifacts/ (for people to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take
