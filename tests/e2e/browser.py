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


def midday_zone() -> str:
    """An Etc/GMT zone (the hospital's, for a live server) where it is now around noon, so
    that a visit booked for later today is checked in on its day, whatever hour the suite
    runs at."""
    from datetime import UTC, datetime

    offset = max(-12, min(14, 12 - datetime.now(UTC).hour))  # hours east of UTC
    # Etc/GMT-N is N hours east of UTC (the POSIX sign is inverted).
    return "Etc/GMT" + (f"-{offset}" if offset > 0 else f"+{-offset}" if offset < 0 else "")
