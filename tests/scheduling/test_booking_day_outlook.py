"""The booking page shows the chosen doctor's free times for the day in place (and through
its JSON helper as the doctor or date changes), opens on today for a walk-in, and when the
day has no free time says why (leave, fully booked) and offers the next free day."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import bearer
from tests.scheduling.factories import book, new_doctor, new_patient
from tests.web.pages import sign_in, text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MONDAY, TUESDAY = date(2026, 6, 8), date(2026, 6, 9)
WEDNESDAY, THURSDAY = date(2026, 6, 10), date(2026, 6, 11)
WEEKDAY_MORNINGS = [{"weekday": d, "start": "09:00", "end": "10:00"} for d in range(5)]


@pytest.fixture(params=["UTC", "Pacific/Kiritimati", "Pacific/Honolulu"])
def zone(request) -> ZoneInfo:
    return ZoneInfo(request.param)


@pytest.fixture
def settings(settings_factory, zone):
    return settings_factory(timezone=zone.key)


async def _setup(client, make_user):
    admin = await bearer(client, (await make_user("admin")).username)
    desk_user = await make_user("receptionist")
    desk = await bearer(client, desk_user.username)
    doctor = await new_doctor(client, admin, weekly=WEEKDAY_MORNINGS, full_name="Dr Ana Lima")
    patient = await new_patient(client, desk, given_name="Maria", family_name="Garcia")
    return admin, desk_user, desk, doctor, patient


def _slot_times(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="time" value="(\d\d:\d\d)"', html)


@pytest.mark.parametrize("hour", [time(0, 5), time(8, 0), time(23, 55)], ids=str)
async def test_a_walk_in_booking_opens_on_today_with_todays_free_times_inline(
    client, make_user, zone, hour
):
    with time_machine.travel(datetime.combine(MONDAY, hour, tzinfo=zone), tick=False):
        _admin, desk_user, _desk, doctor, patient = await _setup(client, make_user)
        await sign_in(client, desk_user.username)
        page = await client.get(
            f"/appointments/new?patient_id={patient['id']}&doctor_id={doctor['id']}"
        )
        assert page.status_code == 200
        assert f'name="date" value="{MONDAY}"' in page.text
        expected = ["09:00", "09:30"] if hour < time(9, 0) else []
        assert _slot_times(page.text) == expected
        if not expected:  # the morning is over: Tuesday is offered
            assert "No times are left that day." in text_of(page.text)
            assert f'data-fill-date="{TUESDAY}"' in page.text


async def test_a_doctor_on_leave_is_said_to_be_and_the_next_free_day_is_offered(
    client, make_user, zone
):
    with time_machine.travel(datetime.combine(MONDAY, time(7, 0), tzinfo=zone), tick=False):
        admin, desk_user, desk, doctor, patient = await _setup(client, make_user)
        leave = await client.post(
            f"/api/v1/doctors/{doctor['id']}/availability/exceptions",
            headers=admin,
            json={"date": TUESDAY.isoformat(), "kind": "leave", "reason": "Course"},
        )
        assert leave.status_code == 201, leave.text
        # Wednesday is full: both its slots are taken.
        for minute in (0, 30):
            other = await new_patient(client, desk)
            start = datetime.combine(WEDNESDAY, time(9, minute), tzinfo=zone)
            await book(client, desk, other["id"], start, doctor["id"])
        await sign_in(client, desk_user.username)

        page = await client.get(
            f"/appointments/new?patient_id={patient['id']}&doctor_id={doctor['id']}&date={TUESDAY}"
        )
        words = text_of(page.text)
        assert _slot_times(page.text) == []
        assert "The doctor is on leave that day." in words
        assert "Course" not in words  # why a doctor is away is not the front desk's to read
        assert f"Next free day: {THURSDAY:%A %d %B %Y}" in words
        link = re.search(r'id="next-free-link"[^>]*href="([^"]+)"', page.text).group(1)
        assert f"date={THURSDAY}" in link and f"patient_id={patient['id']}" in link
        offered = await client.get(link.replace("&amp;", "&"))
        assert _slot_times(offered.text) == ["09:00", "09:30"]

        helper = await client.get(
            f"/appointments/free-times?doctor_id={doctor['id']}&date={WEDNESDAY}"
        )
        assert helper.status_code == 200
        body = helper.json()
        assert body["times"] == [] and body["why"] == "full"
        assert body["message"] == "Every slot that day is booked."
        assert body["next_free_day"] == THURSDAY.isoformat()
        monday = await client.get(
            f"/appointments/free-times?doctor_id={doctor['id']}&date={MONDAY}"
        )
        assert monday.json()["times"] == ["09:00", "09:30"] and monday.json()["why"] is None


async def test_the_free_times_helper_names_a_missing_or_malformed_field(client, make_user, zone):
    _admin, desk_user, _desk, doctor, _patient = await _setup(client, make_user)
    await sign_in(client, desk_user.username)
    bad = await client.get(f"/appointments/free-times?doctor_id={doctor['id']}&date=31/12/2026")
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["date"]
    missing = await client.get("/appointments/free-times?date=2026-06-08")
    assert [e["field"] for e in missing.json()["errors"]] == ["doctor_id"]
