"""Time zone handling: stored in UTC, read and shown in the hospital's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def as_aware(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A time typed without an offset means the hospital's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zone)


def local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if value is None else value.astimezone(zone)
