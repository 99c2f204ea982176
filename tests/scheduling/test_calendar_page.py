"""The calendar at /calendar: a doctor's day and week, and a department's day (one column per
doctor) and week (one row per doctor), showing which slots are free (each a link to book
it), booked, checked in, or the doctor on leave, with previous/next/today; patients do not
get it, and another doctor's visits show only that the time is taken."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import bearer
from tests.scheduling.factories import (
    act,
    book,
    new_department,
    new_doctor,
    new_patient,
    new_patient_user,
)
from tests.web.pages import sign_in, text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)

MONDAY = date(2026, 6, 8)
TUESDAY, WEDNESDAY = date(2026, 6, 9), date(2026, 6, 10)
WEEKDAY_MORNINGS = [{"weekday": d, "start": "09:00", "end": "11:00"} for d in range(5)]
ZONE_NAMES = ["UTC", "Pacific/Kiritimati", "Pacific/Honolulu"]


@pytest.fixture(params=ZONE_NAMES, ids=lambda z: z.split("/")[-1])
def zone(request) -> ZoneInfo:
    return ZoneInfo(request.param)


@pytest.fixture
def settings(settings_factory, zone):
    return settings_factory(timezone=zone.key)


_CELL = re.compile(
    r'<td data-column="(?P<column>[^"]+)" data-time="(?P<time>[^"]+)">(?P<body>.*?)</td>', re.DOTALL
)


def grid(html: str) -> dict[tuple[str, str], str]:
    """{(column, "HH:MM"): the cell's HTML} of the time grid."""
    return {(m["column"], m["time"]): m["body"] for m in _CELL.finditer(html)}


def state(cell: str) -> str | None:
    found = re.search(r'data-state="([a-z_]+)"', cell)
    return found.group(1) if found else None


async def _clinic(client, make_user, zone):
    admin = await bearer(client, (await make_user("admin")).username)
    desk_user = await make_user("receptionist")
    desk = await bearer(client, desk_user.username)
    department = await new_department(client, admin, name="Cardiology")
    rossi = await new_doctor(
        client,
        admin,
        department_id=department["id"],
        weekly=WEEKDAY_MORNINGS,
        full_name="Dr Sofia Rossi",
    )
    osei = await new_doctor(
        client,
        admin,
        department_id=department["id"],
        weekly=WEEKDAY_MORNINGS,
        full_name="Dr Kwame Osei",
    )
    # Rossi is away all Wednesday; Osei from 10:00 to 11:00 on Tuesday.
    for doctor, body in (
        (rossi, {"date": WEDNESDAY.isoformat(), "kind": "leave", "reason": "Conference"}),
        (osei, {"date": TUESDAY.isoformat(), "kind": "leave", "start": "10:00", "end": "11:00"}),
    ):
        response = await client.post(
            f"/api/v1/doctors/{doctor['id']}/availability/exceptions", headers=admin, json=body
        )
        assert response.status_code == 201, response.text
    maria = await new_patient(client, desk, given_name="Maria", family_name="Garcia")
    john = await new_patient(client, desk, given_name="John", family_name="Okafor")
    at = lambda day, h, m=0: datetime.combine(day, time(h, m), tzinfo=zone)
    today_visit = await book(client, desk, maria["id"], at(MONDAY, 9), rossi["id"])
    assert (await act(client, desk, today_visit["id"], "check-in")).status_code == 200
    tuesday_visit = await book(client, desk, john["id"], at(TUESDAY, 9, 30), rossi["id"])
    return desk_user, department, rossi, osei, today_visit, tuesday_visit


async def test_a_doctors_day_shows_checked_in_booked_and_free_slots_each_linking_on(
    client, make_user, zone
):
    with time_machine.travel(datetime.combine(MONDAY, time(7, 0), tzinfo=zone), tick=False):
        desk_user, _dept, rossi, _osei, visit, _ = await _clinic(client, make_user, zone)
        await sign_in(client, desk_user.username)
        page = await client.get(f"/calendar?doctor_id={rossi['id']}&date={MONDAY}&view=day")
        assert page.status_code == 200, page.text[:300]
        cells = grid(page.text)
        column = f"{rossi['id']}-{MONDAY}"
        assert sorted(t for c, t in cells if c == column) == ["09:00", "09:30", "10:00", "10:30"]
        checked_in = cells[(column, "09:00")]
        assert state(checked_in) == "checked_in" and "Maria Garcia" in checked_in
        assert f'href="/appointments/{visit["id"]}"' in checked_in
        free = cells[(column, "09:30")]
        assert state(free) == "free"
        assert f"/appointments/new?doctor_id={rossi['id']}&amp;start=" in free
        assert "Monday 08 June 2026" in text_of(page.text)
        # Previous, next and today move by one day.
        assert 'date=2026-06-07&amp;view=day" data-testid="cal-previous"' in page.text
        assert 'date=2026-06-09&amp;view=day" data-testid="cal-next"' in page.text


async def test_a_doctors_week_shows_the_booked_visit_and_the_whole_day_of_leave(
    client, make_user, zone
):
    with time_machine.travel(datetime.combine(MONDAY, time(7, 0), tzinfo=zone), tick=False):
        desk_user, _dept, rossi, _osei, _visit, tuesday = await _clinic(client, make_user, zone)
        await sign_in(client, desk_user.username)
        page = await client.get(f"/calendar?doctor_id={rossi['id']}&date={WEDNESDAY}&view=week")
        assert page.status_code == 200
        cells = grid(page.text)
        booked = cells[(f"{rossi['id']}-{TUESDAY}", "09:30")]
        assert state(booked) == "booked" and "John Okafor" in booked
        assert f'href="/appointments/{tuesday["id"]}"' in booked
        assert state(cells[(f"{rossi['id']}-{TUESDAY}", "10:00")]) == "free"
        wednesday = {
            t: state(b) for (c, t), b in cells.items() if c == f"{rossi['id']}-{WEDNESDAY}"
        }
        assert set(wednesday.values()) == {"leave"}  # no slot to book on the day of leave
        header = re.search(
            rf'<th scope="col" data-column="{rossi["id"]}-{WEDNESDAY}".*?</th>',
            page.text,
            re.DOTALL,
        )
        assert header and "On leave" in header.group(0)
        assert "Week of 08 Jun – 14 Jun 2026" in text_of(page.text)
        assert 'date=2026-06-03&amp;view=week" data-testid="cal-previous"' in page.text


async def test_a_departments_day_has_one_column_per_doctor_with_partial_leave(
    client, make_user, zone
):
    with time_machine.travel(datetime.combine(MONDAY, time(7, 0), tzinfo=zone), tick=False):
        desk_user, dept, rossi, osei, _visit, _ = await _clinic(client, make_user, zone)
        await sign_in(client, desk_user.username)
        page = await client.get(f"/calendar?department_id={dept['id']}&date={TUESDAY}")
        assert page.status_code == 200
        cells = grid(page.text)
        assert {c for c, _t in cells} == {f"{rossi['id']}-{TUESDAY}", f"{osei['id']}-{TUESDAY}"}
        assert state(cells[(f"{rossi['id']}-{TUESDAY}", "09:30")]) == "booked"
        osei_day = {t: state(b) for (c, t), b in cells.items() if c == f"{osei['id']}-{TUESDAY}"}
        assert osei_day == {"09:00": "free", "09:30": "free", "10:00": "leave", "10:30": "leave"}
        words = text_of(page.text)
        assert "Dr Sofia Rossi" in words and "Dr Kwame Osei" in words


async def test_a_departments_week_sums_each_doctors_days_and_marks_leave(client, make_user, zone):
    with time_machine.travel(datetime.combine(MONDAY, time(7, 0), tzinfo=zone), tick=False):
        desk_user, dept, rossi, osei, _visit, _ = await _clinic(client, make_user, zone)
        await sign_in(client, desk_user.username)
        page = await client.get(f"/calendar?department_id={dept['id']}&date={MONDAY}&view=week")
        assert page.status_code == 200
        row = re.search(rf'<tr data-doctor="{rossi["id"]}">.*?</tr>', page.text, re.DOTALL).group(0)
        days = dict(re.findall(r'<td data-day="([0-9-]+)"[^>]*>(.*?)</td>', row, re.DOTALL))
        assert "On leave" in days[WEDNESDAY.isoformat()]
        assert "1 checked in" in text_of(days[MONDAY.isoformat()])
        assert "3 free" in text_of(days[MONDAY.isoformat()])
        assert "1 booked" in text_of(days[TUESDAY.isoformat()])
        assert "Not working" in days["2026-06-13"]  # Saturday
        other = re.search(rf'<tr data-doctor="{osei["id"]}">.*?</tr>', page.text, re.DOTALL).group(
            0
        )
        assert "2 on leave" in text_of(other)


async def test_patients_do_not_get_the_calendar_and_other_doctors_visits_stay_anonymous(
    client, make_user, zone
):
    with time_machine.travel(datetime.combine(MONDAY, time(7, 0), tzinfo=zone), tick=False):
        _desk, _dept, rossi, osei, _visit, _ = await _clinic(client, make_user, zone)
        await sign_in(client, osei["username"])
        page = await client.get(f"/calendar?doctor_id={rossi['id']}&date={MONDAY}")
        assert page.status_code == 200
        taken = grid(page.text)[(f"{rossi['id']}-{MONDAY}", "09:00")]
        assert state(taken) == "checked_in"
        assert "Maria Garcia" not in page.text and "/appointments/" not in taken

        _headers, patient = await new_patient_user(client)
        client.cookies.clear()
        await sign_in(client, patient["username"])
        refused = await client.get(f"/calendar?doctor_id={rossi['id']}")
        assert refused.status_code == 403


async def test_a_bad_date_or_an_unknown_doctor_is_said_plainly_not_a_500(client, make_user, zone):
    with time_machine.travel(datetime.combine(MONDAY, time(7, 0), tzinfo=zone), tick=False):
        desk_user, _dept, rossi, _osei, _visit, _ = await _clinic(client, make_user, zone)
        await sign_in(client, desk_user.username)
        bad_day = await client.get(f"/calendar?doctor_id={rossi['id']}&date=2026-13-45")
        assert bad_day.status_code == 200
        assert "The date must be a day written as YYYY-MM-DD; showing today." in text_of(
            bad_day.text
        )
        assert grid(bad_day.text)  # today's calendar is shown
        unknown = await client.get("/calendar?doctor_id=999999&date=2026-06-08&view=month")
        assert unknown.status_code == 200
        assert 'data-testid="calendar-error"' in unknown.text
