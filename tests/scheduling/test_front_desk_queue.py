"""The front desk's day: the appointments list opens on today (the hospital's), and the
dashboard's queue shows how long each checked-in patient has waited and flags booked visits
whose start passed more than 15 minutes ago without a check-in."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import bearer
from tests.scheduling.factories import act, book, new_doctor, new_patient
from tests.web.pages import sign_in, text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DAY = date(2026, 12, 8)


@pytest.fixture(params=["UTC", "Pacific/Kiritimati", "Pacific/Honolulu"])
def zone(request) -> ZoneInfo:
    return ZoneInfo(request.param)


@pytest.fixture
def settings(settings_factory, zone):
    return settings_factory(timezone=zone.key)


def _at(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _row(html: str, appointment_id: int) -> str:
    found = re.search(rf'<tr data-appointment="{appointment_id}".*?</tr>', html, re.DOTALL)
    assert found, f"appointment {appointment_id} is not listed"
    return found.group(0)


async def test_the_queue_shows_waiting_time_since_check_in_and_flags_overdue_visits(
    client, make_user, zone
):
    with time_machine.travel(_at(DAY, 8, 0, zone), tick=False) as clock:
        admin = await bearer(client, (await make_user("admin")).username)
        desk_user = await make_user("receptionist")
        desk = await bearer(client, desk_user.username)
        doctor = await new_doctor(client, admin)
        people = [await new_patient(client, desk) for _ in range(3)]
        arrived = await book(client, desk, people[0]["id"], _at(DAY, 9, 0, zone), doctor["id"])
        late = await book(client, desk, people[1]["id"], _at(DAY, 9, 30, zone), doctor["id"])
        on_time = await book(client, desk, people[2]["id"], _at(DAY, 10, 0, zone), doctor["id"])

        clock.move_to(_at(DAY, 8, 10, zone))
        desk = await bearer(client, desk_user.username)
        assert (await act(client, desk, arrived["id"], "check-in")).status_code == 200

        clock.move_to(_at(DAY, 10, 5, zone))  # 115 min after check-in; 09:30 is 35 min late
        await sign_in(client, desk_user.username)
        page = await client.get("/dashboard")
        assert page.status_code == 200
        waiting = _row(page.text, arrived["id"])
        assert 'data-minutes="115"' in waiting
        assert "Waiting 1 h 55 min" in text_of(waiting)
        overdue = _row(page.text, late["id"])
        assert 'data-overdue="true"' in overdue and "Overdue" in text_of(overdue)
        # Five minutes past its start is not yet overdue.
        assert "Overdue" not in text_of(_row(page.text, on_time["id"]))
        assert 'data-testid="waiting"' not in _row(page.text, late["id"])

        desk = await bearer(client, desk_user.username)
        api = (await client.get(f"/api/v1/appointments/{arrived['id']}", headers=desk)).json()
        assert api["waiting_minutes"] == 115 and api["overdue"] is False
        assert (await client.get(f"/api/v1/appointments/{late['id']}", headers=desk)).json()[
            "overdue"
        ]


async def test_the_appointments_list_opens_on_today_and_all_days_are_one_click_away(
    client, make_user, zone
):
    with time_machine.travel(_at(DAY, 7, 0, zone), tick=False) as clock:
        admin = await bearer(client, (await make_user("admin")).username)
        desk_user = await make_user("receptionist")
        desk = await bearer(client, desk_user.username)
        doctor = await new_doctor(client, admin)
        today_patient = await new_patient(client, desk, given_name="Today", family_name="Visit")
        later_patient = await new_patient(client, desk, given_name="Later", family_name="Visit")
        await book(client, desk, today_patient["id"], _at(DAY, 9, 0, zone), doctor["id"])
        await book(
            client,
            desk,
            later_patient["id"],
            _at(DAY + timedelta(days=1), 9, 0, zone),
            doctor["id"],
        )
        clock.move_to(_at(DAY, 23, 30, zone))  # late in the day: still today's list
        await sign_in(client, desk_user.username)
        page = await client.get("/appointments")
        words = text_of(page.text)
        assert "Today Visit" in words and "Later Visit" not in words
        assert f'name="date" value="{DAY}"' in page.text
        assert f"{DAY:%A %d %B %Y}" in words
        every_day = text_of((await client.get("/appointments?date=")).text)
        assert "Today Visit" in every_day and "Later Visit" in every_day
        following = re.search(r'href="([^"]+)" rel="next"', page.text).group(1)
        next_day = text_of((await client.get(following.replace("&amp;", "&"))).text)
        assert "Later Visit" in next_day and "Today Visit" not in next_day
