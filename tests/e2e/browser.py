"""Steps shared by the browser tests."""

from __future__ import annotations


def sign_in(page, base: str, username: str, password: str, shot=None, step: str = "") -> None:
    """Fill in and send the sign-in form (screenshot before sending when `shot` is given)."""
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    if shot:
        shot(step)
    page.get_by_role("button", name="Sign in").click()
