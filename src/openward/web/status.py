"""One label and one colour per status, on every page (the `status_badge` macro reads this).

A status value means the same to the person reading it wherever it shows: "Completed" is
green on the queue, the visit history and a care plan alike. The keys are the values stored
by the domains (appointment, encounter, allergy, problem, care plan, prescription, renewal,
lab and imaging orders, accounts, records); the colour is a Bootstrap `text-bg-*` name.
"""

from __future__ import annotations

from typing import NamedTuple


class Status(NamedTuple):
    label: str
    colour: str


STATUSES: dict[str, Status] = {
    # waiting for someone to act
    "booked": Status("Booked", "primary"),
    "ordered": Status("Ordered", "secondary"),
    "scheduled": Status("Scheduled", "primary"),
    "pending": Status("Pending", "info"),
    "draft": Status("Draft", "secondary"),
    "awaiting_approval": Status("Awaiting approval", "warning"),
    "unconfirmed": Status("Unconfirmed", "warning"),
    # under way
    "checked_in": Status("Checked in", "info"),
    "collected": Status("Collected", "info"),
    "in_progress": Status("In progress", "info"),
    "performed": Status("Performed", "info"),
    "partially_dispensed": Status("Partly dispensed", "warning"),
    "on_hold": Status("On hold", "warning"),
    # a result or a report waiting for a second person
    "resulted": Status("To verify", "warning"),
    "reported": Status("Reported", "warning"),
    # done
    "completed": Status("Completed", "success"),
    "signed": Status("Signed", "success"),
    "verified": Status("Verified", "success"),
    "dispensed": Status("Dispensed", "success"),
    "approved": Status("Approved", "success"),
    "confirmed": Status("Confirmed", "success"),
    "active": Status("Active", "success"),
    "resolved": Status("Resolved", "info"),
    "migrated": Status("Migrated", "light"),
    # ended without being done
    "cancelled": Status("Cancelled", "secondary"),
    "declined": Status("Declined", "secondary"),
    "inactive": Status("Inactive", "secondary"),
    "deactivated": Status("Deactivated", "secondary"),
    "closed": Status("Closed", "secondary"),
    "refuted": Status("Refuted", "secondary"),
    "no_show": Status("No-show", "danger"),
    "locked": Status("Locked", "danger"),
    # how a result reads
    "critical": Status("Critical", "danger"),
    "abnormal": Status("Abnormal", "warning"),
}


def status_of(value: str | None) -> Status:
    """The label and colour of a status; an unknown value still reads as words."""
    if not value:
        return Status("—", "light")
    return STATUSES.get(value) or Status(value.replace("_", " ").capitalize(), "light")


def status_label(value: str | None) -> str:
    return status_of(value).label
