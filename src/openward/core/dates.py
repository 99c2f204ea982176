"""Which dates the hospital accepts: within the calendar it can reason about, and for things
that happened, between the patient's birth and (about) now.

Python's dates stop at 9999-12-31, so "9999-12-31 plus one day" (a day's end, a slot's end,
a time zone shift) raises instead of answering; and a vital sign taken before the patient
was born is a typing slip that would corrupt a chart's trend. One rule, used everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

from openward.core.errors import ValidationFailed

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 12, 31)
# Clocks differ a little between a ward's devices and the server.
CLOCK_SLACK = timedelta(minutes=5)


class DateOutOfRange(ValidationFailed):
    code = "date_out_of_range"
    title = "The date is out of range"


def in_calendar(value: date) -> bool:
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DAY <= day <= LATEST_DAY


def _calendar_date(value: date) -> date:
    if not in_calendar(value):
        raise ValueError(f"must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}")
    return value


# Request fields: a year-9999 (or year-1) date is refused with a 422 naming the field.
Day = Annotated[date, AfterValidator(_calendar_date)]
Moment = Annotated[datetime, AfterValidator(_calendar_date)]


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD typed into a page's filter, or None when it is not a date we handle."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if in_calendar(day) else None


def check_day(value: date | None, *, field: str) -> None:
    if value is not None and not in_calendar(value):
        raise DateOutOfRange(
            f"Choose a date between {EARLIEST_DAY:%d %b %Y} and {LATEST_DAY:%d %b %Y}.",
            field=field,
        )


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of a local day (the day must be in the calendar)."""
    check_day(day, field="date")
    return datetime.combine(day, time.min, tzinfo=zone)


def day_bounds(
    first: date | None, last: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """The instants that bound local days, `last` inclusive; never overflows."""
    check_day(first, field="date")
    check_day(last, field="date")
    start = day_start(first, zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone) if last else None
    return start, end


def check_clinical(
    value: date | None,
    *,
    field: str,
    born: date | None,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
    planned: bool = False,
) -> None:
    """Refuse a date in a patient's record that cannot be true: before the patient was
    born, or (unless `planned`, as a review or next visit is) after now. Planned dates
    still end with the calendar."""
    if value is None:
        return
    check_day(value, field=field)
    now = now or datetime.now(UTC)
    if isinstance(value, datetime):
        local = value.astimezone(zone) if zone and value.tzinfo else value
        day = local.date()
    else:
        day = value
    if born is not None and day < born:
        raise DateOutOfRange(f"This is before the patient was born ({born:%d %b %Y}).", field=field)
    if planned:
        return
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone or UTC)
        too_late = moment > now + CLOCK_SLACK
    else:
        today = now.astimezone(zone).date() if zone else now.date()
        too_late = day > today
    if too_late:
        raise DateOutOfRange("This is in the future: enter when it happened.", field=field)
