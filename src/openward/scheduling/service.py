"""Scheduling as the other domains (and this one's API, pages and demo) call it: one name for
each scheduling rule, wherever it lives.

The rules live beside it: `access` (finding an appointment, who may see it, presenting it),
`booking` (booking, the earliest free slot, rescheduling), `status` (check-in, no-show,
cancelling, completing), `lists` (the appointment lists, a doctor's visits to come, the
dashboards' windows and figures) and `visit_history` (a patient's visits; what was done at
each is the visit's encounter, in clinical). Free slots are in `slots`."""

from __future__ import annotations

from openward.scheduling.access import FRONT_DESK, get, get_for, present, present_one
from openward.scheduling.booking import (
    MAX_ASSIGN_ATTEMPTS,
    SEARCH_DAYS,
    book,
    earliest_free,
    reschedule,
)
from openward.scheduling.lists import (
    busiest_departments,
    counts_by_status,
    day_bounds,
    future_for_doctor,
    list_appointments,
    patient_ids_of_doctor,
    window,
)
from openward.scheduling.status import (
    TRANSITIONS,
    cancel,
    check_in,
    complete,
    complete_signed_visit,
    mark_no_show,
)
from openward.scheduling.visit_history import visits

__all__ = [
    "FRONT_DESK",
    "MAX_ASSIGN_ATTEMPTS",
    "SEARCH_DAYS",
    "TRANSITIONS",
    "book",
    "busiest_departments",
    "cancel",
    "check_in",
    "complete",
    "complete_signed_visit",
    "counts_by_status",
    "day_bounds",
    "earliest_free",
    "future_for_doctor",
    "get",
    "get_for",
    "list_appointments",
    "mark_no_show",
    "patient_ids_of_doctor",
    "present",
    "present_one",
    "reschedule",
    "visits",
    "window",
]
