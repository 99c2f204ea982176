"""Staff as the other domains (and this one's API and pages) call it: one name for each
staffing rule, wherever it lives.

The rules live beside it: `departments`, `doctors` (profiles, the directory, deactivation),
`availability` (weekly hours, leave and extra hours) and `slot_grid` (a day's working windows
cut into slots). Which slots are still free is scheduling's to say (scheduling.slots)."""

from __future__ import annotations

from openward.staff.availability import (
    WEEKDAYS,
    add_exception,
    availability,
    availability_for_editing,
    remove_exception,
    sees_leave_reasons,
    set_availability,
)
from openward.staff.departments import (
    create_department,
    department_detail,
    department_out,
    get_department,
    list_departments,
    update_department,
)
from openward.staff.doctors import (
    DoctorView,
    add_profile,
    create_doctor,
    doctor_for_user,
    doctor_id_of,
    doctor_id_of_login,
    doctor_view,
    doctor_views,
    get_doctor,
    get_named_doctor,
    list_doctors,
    matching_doctors,
    my_view,
    name_of_doctor,
    named_doctor_of,
    named_doctor_query,
    sees_private_fields,
    set_doctor_active,
    specializations,
    update_doctor,
)
from openward.staff.slot_grid import (
    Window,
    grid,
    grid_slots,
    window_rows,
    windows_from,
    working_windows,
)

__all__ = [
    "WEEKDAYS",
    "DoctorView",
    "Window",
    "add_exception",
    "add_profile",
    "availability",
    "availability_for_editing",
    "create_department",
    "create_doctor",
    "department_detail",
    "department_out",
    "doctor_for_user",
    "doctor_id_of",
    "doctor_id_of_login",
    "doctor_view",
    "doctor_views",
    "get_department",
    "get_doctor",
    "get_named_doctor",
    "grid",
    "grid_slots",
    "list_departments",
    "list_doctors",
    "matching_doctors",
    "my_view",
    "name_of_doctor",
    "named_doctor_of",
    "named_doctor_query",
    "remove_exception",
    "sees_leave_reasons",
    "sees_private_fields",
    "set_availability",
    "set_doctor_active",
    "specializations",
    "update_department",
    "update_doctor",
    "window_rows",
    "windows_from",
    "working_windows",
]
