"""When a visit's status may move, by the clock: it is checked in only on its own day (in the
hospital's zone) and marked a no-show only once its start has passed. The front desk's queue
reads the same clock: how long a checked-in patient has waited, and which booked visits are
overdue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openward.scheduling.errors import TooEarly, TooLate
from openward.scheduling.models import Appointment

# A booked visit whose start passed this long ago without a check-in is flagged overdue.
OVERDUE_AFTER = timedelta(minutes=15)


def _day(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%a %d %b %Y}"


def check_in_refusal(appointment: Appointment, zone: ZoneInfo, now: datetime) -> Exception | None:
    """Why the visit cannot be checked in now (by its day only), or None."""
    visit_day = appointment.start_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    if visit_day > today:
        return TooEarly(
            f"This visit is on {_day(appointment.start_at, zone)}; it can be checked in only "
            "on that day.",
            extra={"visit_day": visit_day.isoformat(), "today": today.isoformat()},
        )
    if visit_day < today:
        return TooLate(
            f"This visit was on {_day(appointment.start_at, zone)}; a visit can be checked in "
            "only on its day. Mark it a no-show, or book a new visit.",
            extra={"visit_day": visit_day.isoformat(), "today": today.isoformat()},
        )
    return None


def no_show_refusal(appointment: Appointment, zone: ZoneInfo, now: datetime) -> Exception | None:
    """Why the visit cannot be marked a no-show now (its start has not passed), or None."""
    if now < appointment.start_at:
        local = appointment.start_at.astimezone(zone)
        return TooEarly(
            f"This visit starts {local:%a %d %b %Y at %H:%M}; the patient can be marked a "
            "no-show only after that.",
            extra={"starts": local.isoformat()},
        )
    return None


def may_check_in(appointment: Appointment, zone: ZoneInfo, now: datetime) -> bool:
    return appointment.status == "booked" and check_in_refusal(appointment, zone, now) is None


def may_mark_no_show(appointment: Appointment, zone: ZoneInfo, now: datetime) -> bool:
    return appointment.status == "booked" and no_show_refusal(appointment, zone, now) is None


def waiting_minutes(appointment: Appointment, now: datetime) -> int | None:
    """Whole minutes a checked-in patient has waited since check-in (None otherwise)."""
    if appointment.status != "checked_in" or appointment.checked_in_at is None:
        return None
    return max(0, int((now - appointment.checked_in_at).total_seconds() // 60))


def is_overdue(appointment: Appointment, now: datetime) -> bool:
    """Booked, not checked in, and its start passed more than OVERDUE_AFTER ago."""
    return appointment.status == "booked" and now - appointment.start_at > OVERDUE_AFTER
