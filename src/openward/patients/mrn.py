"""Medical record numbers: nine random digits and a Luhn check digit, shown as 123-456-789-0."""

from __future__ import annotations

import secrets


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # doubled positions, counted from the right of the payload
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def new_mrn() -> str:
    payload = f"{secrets.randbelow(900_000_000) + 100_000_000}"
    return payload + luhn_check_digit(payload)


def is_valid_mrn(mrn: str) -> bool:
    digits = mrn.replace("-", "").replace(" ", "")
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):  # "²" is a digit too
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def format_mrn(mrn: str) -> str:
    return f"{mrn[0:3]}-{mrn[3:6]}-{mrn[6:9]}-{mrn[9:]}" if len(mrn) == 10 else mrn
