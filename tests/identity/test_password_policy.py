"""The password policy, with the message a person sees."""

from __future__ import annotations

import pytest

from openward.identity.passwords import policy_problem


@pytest.mark.parametrize(
    "password, message",
    [
        ("short-1", "at least 10 characters"),
        ("password123", "too common"),
        ("Password2024!", "too common"),
        ("qwertyuiop", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("my-nadia-password", "must not contain the username"),
        ("NADIA-rocks-2026", "must not contain the username"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, message):
    problem = policy_problem(password, "nadia")
    assert problem is not None and message in problem


@pytest.mark.parametrize(
    "password", ["Night-Shift-Ward-7", "correct horse battery staple", "Tr0ub4dor&3xyz"]
)
def test_strong_passwords_pass(password):
    assert policy_problem(password, "nadia") is None
