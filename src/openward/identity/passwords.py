"""The password policy every account follows, with messages a person can act on."""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib.resources import files

MIN_LENGTH = 10
BREACHED = "This password appears in a list of breached passwords; choose a different one."


@lru_cache
def _common_passwords() -> frozenset[str]:
    text = files("openward.identity").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache
def _breached_passwords() -> frozenset[str]:
    """The top 100,000 of a public breach corpus (see breached_passwords.README), read once
    per process on first use. Entries shorter than MIN_LENGTH are already refused by the
    length rule, so only the longer ones are kept in memory."""
    packed = files("openward.identity").joinpath("breached_passwords.txt.gz").read_bytes()
    lines = gzip.decompress(packed).decode("utf-8").splitlines()
    return frozenset(line for line in lines if len(line) >= MIN_LENGTH)


def policy_problem(password: str, username: str) -> str | None:
    """Why this password is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    lowered = password.lower()
    name = username.strip().lower()
    if name and (name in lowered or lowered in name):
        return "The password must not contain the username."
    stem = re.sub(r"[\d\W_]+$", "", lowered)
    common = _common_passwords()
    if lowered in common or stem in common or len(set(lowered)) <= 2:
        return "This password is too common and easy to guess; choose a less predictable one."
    if lowered in _breached_passwords():
        return BREACHED
    return None


def also_password(errors: dict[str, str], values: dict, form) -> dict[str, str]:
    """When other fields fail first, still say what is wrong with the password, so the
    person fixes everything in one go."""
    if "password" not in errors:
        problem = policy_problem(str(form.get("password", "")), values.get("username", ""))
        if problem:
            errors["password"] = problem
    return errors
