"""A visit is checked in only on its own day (the hospital's), and marked a no-show only
after its start: before, 409 `too_early`; checking in after its day, 409 `too_late`. Tried
with a frozen clock at several local hours, in UTC and in the zones furthest ahead of
(UTC+14) and behind (UTC-10) it. The pages show the buttons only when they may be used, say
why when they may not, and the check-in message names the patient."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from openward.patients.mrn import format_mrn
from tests.conftest import bearer
from tests.scheduling.factories import act, book, code, new_doctor, new_patient
from tests.web.pages import csrf_of, sign_in, text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Honolulu"]  # UTC, UTC+14, UTC-10
HOURS = [time(0, 5), time(12, 0), time(23, 55)]
DAY = date(2026, 12, 1)  # a Tuesday: the day the visit due on 12 December was a "no-show"


@pytest.fixture(params=ZONES, ids=lambda z: z.split("/")[-1])
def zone(request) -> ZoneInfo:
    return ZoneInfo(request.param)


@pytest.fixture
def settings(settings_factory, zone):
    return settings_factory(timezone=zone.key)


def _local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


async def _desk(client, make_user):
    admin = await bearer(client, (await make_user("admin")).username)
    desk_user = await make_user("receptionist")
    desk = await bearer(client, desk_user.username)
    doctor = await new_doctor(client, admin)  # works every day 08:00-18:00
    return admin, desk_user, desk, doctor


@pytest.mark.parametrize("hour", HOURS, ids=lambda h: f"{h:%H%M}")
async def test_check_in_before_the_visit_day_and_no_show_before_its_start_are_409_too_early(
    client, make_user, zone, hour
):
    tomorrow = DAY + timedelta(days=1)
    with time_machine.travel(datetime.combine(DAY, hour, tzinfo=zone), tick=False) as clock:
        _admin, desk_user, desk, doctor = await _desk(client, make_user)
        patient = await new_patient(client, desk)
        visit = await book(client, desk, patient["id"], _local(tomorrow, 10, 0, zone), doctor["id"])

        early = await act(client, desk, visit["id"], "check-in")
        assert early.status_code == 409 and code(early) == "too_early", early.text
        assert "only on that day" in early.json()["detail"]
        assert (await act(client, desk, visit["id"], "no-show")).json()["code"] == "too_early"

        # The visit's day, before its start: check-in is open, a no-show is still too early.
        clock.move_to(_local(tomorrow, 8, 30, zone))
        desk = await bearer(client, desk_user.username)
        not_yet = await act(client, desk, visit["id"], "no-show")
        assert not_yet.status_code == 409 and code(not_yet) == "too_early"
        arrived = await act(client, desk, visit["id"], "check-in")
        assert arrived.status_code == 200, arrived.text
        assert arrived.json()["status"] == "checked_in"


@pytest.mark.parametrize("hour", HOURS, ids=lambda h: f"{h:%H%M}")
async def test_a_no_show_after_the_start_is_accepted_and_check_in_after_the_day_is_too_late(
    client, make_user, zone, hour
):
    with time_machine.travel(datetime.combine(DAY, hour, tzinfo=zone), tick=False) as clock:
        _admin, desk_user, desk, doctor = await _desk(client, make_user)
        patient = await new_patient(client, desk)
        other = await new_patient(client, desk)
        day = DAY + timedelta(days=1)
        missed = await book(client, desk, patient["id"], _local(day, 9, 0, zone), doctor["id"])
        forgotten = await book(client, desk, other["id"], _local(day, 9, 30, zone), doctor["id"])

        clock.move_to(_local(day, 9, 1, zone))  # a minute after the first visit's start
        desk = await bearer(client, desk_user.username)
        marked = await act(client, desk, missed["id"], "no-show")
        assert marked.status_code == 200 and marked.json()["status"] == "no_show", marked.text

        clock.move_to(_local(day + timedelta(days=1), 0, 1, zone))  # the next local day
        desk = await bearer(client, desk_user.username)
        late = await act(client, desk, forgotten["id"], "check-in")
        assert late.status_code == 409 and code(late) == "too_late", late.text
        assert (await act(client, desk, forgotten["id"], "no-show")).status_code == 200


async def test_the_appointment_page_hides_check_in_until_the_day_and_the_flash_names_the_patient(
    client, make_user, zone
):
    with time_machine.travel(_local(DAY, 23, 0, zone), tick=False) as clock:
        _admin, desk_user, desk, doctor = await _desk(client, make_user)
        patient = await new_patient(client, desk, given_name="Maria", family_name="Garcia")
        tomorrow = DAY + timedelta(days=1)
        visit = await book(client, desk, patient["id"], _local(tomorrow, 9, 0, zone), doctor["id"])
        await sign_in(client, desk_user.username)

        page = await client.get(f"/appointments/{visit['id']}")
        assert f'action="/appointments/{visit["id"]}/check-in"' not in page.text
        assert f'action="/appointments/{visit["id"]}/no-show"' not in page.text
        assert "Check-in opens on the visit's day" in text_of(page.text)

        # A button posted from a stale page: refused, and the flash says why.
        refused = await client.post(
            f"/appointments/{visit['id']}/check-in", data={"csrf_token": csrf_of(page.text)}
        )
        assert refused.status_code == 303
        shown = text_of((await client.get(refused.headers["location"])).text)
        assert "it can be checked in only on that day" in shown

        clock.move_to(_local(tomorrow, 8, 50, zone))
        await sign_in(client, desk_user.username)
        page = await client.get(f"/appointments/{visit['id']}")
        assert f'action="/appointments/{visit["id"]}/check-in"' in page.text
        assert f'action="/appointments/{visit["id"]}/no-show"' not in page.text  # not started
        done = await client.post(
            f"/appointments/{visit['id']}/check-in", data={"csrf_token": csrf_of(page.text)}
        )
        shown = text_of((await client.get(done.headers["location"])).text)
        assert f"Checked in: Maria Garcia (MRN {format_mrn(patient['mrn'])})." in shown
