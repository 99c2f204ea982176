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


def parse_id(text: str | None) -> int | None:
    """An id typed into a page's filter box, or None when it is not one."""
    if text and text.isdigit() and 1 <= int(text) <= MAX_ID:
        return int(text)
    return None


# A doctor opening a patient outside their care gives a reason; the access is audited.
BreakGlassReason = Annotated[
    str | None,
    Header(
        alias="X-Break-Glass-Reason",
        max_length=500,
        description="Why a doctor needs this patient's record although not under their care.",
    ),
]
