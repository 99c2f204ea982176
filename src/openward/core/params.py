"""Request parameters shared by every domain's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query

# Row ids are 32-bit on PostgreSQL: larger numbers can name no row, so they are refused
# up front (a clear 422) instead of reaching the driver.
MAX_ID = 2_147_483_647

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Row id")]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
# How far into a list to start (pagination); bounded so the database is never asked for more.
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip")]


def is_ascii_digits(text: str | None) -> bool:
    """Only 0-9: `str.isdigit()` also accepts "²", "٣" and "１", which `int()` refuses
    or reads as another number."""
    return bool(text) and text.isascii() and text.isdigit()  # type: ignore[union-attr]


def parse_int(text: str | None, low: int, high: int) -> int | None:
    """A whole number typed into a form (ASCII digits, optional minus) within [low, high],
    or None when it is not one; never raises, however long or odd the text."""
    text = (text or "").strip()
    digits = text.removeprefix("-")
    if not is_ascii_digits(digits) or len(digits) > len(str(max(abs(low), abs(high)))):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(text: str | None) -> int | None:
    """An id typed into a page's filter box, or None when it is not one."""
    return parse_int(text, 1, MAX_ID)


# A doctor opening a patient outside their care gives a reason; the access is audited.
BreakGlassReason = Annotated[
    str | None,
    Header(
        alias="X-Break-Glass-Reason",
        max_length=500,
        description="Why a doctor needs this patient's record although not under their care.",
    ),
]
