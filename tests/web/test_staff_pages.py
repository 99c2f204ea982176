"""The department and doctor pages: the directory everyone may read, what only the
administrator manages, and the weekly hours a doctor keeps for themself."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.conftest import STRONG_PASSWORD, bearer
from tests.scheduling.factories import at, book, local_day, new_doctor, new_patient
from tests.web.pages import beside, csrf_of, sign_in, submit, text_of

# What the administrator types to create Dr Mensah (tests change only what they test).
DOCTOR_FORM = {
    "username": "gmensah",
    "password": STRONG_PASSWORD,
    "full_name": "Dr. Grace Mensah",
    "email": "grace.mensah@example.org",
    "phone": "+44 20 7946 0321",
    "specialization": "Cardiology",
    "qualification": "MBBS, MD",
    "experience_years": "12",
    "consultation_fee": "1250.5",
    "license_number": "GMC-7712345",
}

# Mornings on weekdays, an afternoon block on Monday and Wednesday, a short Saturday.
WEEK_FORM = {
    "slot_minutes": "30",
    **{f"d{wd}_0_start": "09:00" for wd in range(5)},
    **{f"d{wd}_0_end": "12:00" for wd in range(5)},
    "d0_1_start": "14:00",
    "d0_1_end": "16:00",
    "d2_1_start": "14:00",
    "d2_1_end": "16:00",
    "d5_0_start": "10:00",
    "d5_0_end": "11:00",
}

EVERY_DAY_FORM = {
    "slot_minutes": "30",
    **{f"d{wd}_0_start": "08:00" for wd in range(7)},
    **{f"d{wd}_0_end": "18:00" for wd in range(7)},
}


async def _admin(client, make_user) -> None:
    await make_user("admin", username="chief", full_name="Amara Okafor")
    await sign_in(client, "chief")


async def _department(client, name: str = "Cardiology", **fields: str) -> int:
    form = {"name": name, "description": "", "location": "Block B", "phone": "", **fields}
    response = await submit(client, "/departments", **form)
    assert response.status_code == 303, response.text[:500]
    page = await client.get("/departments")
    found = re.search(
        rf'<h2 class="h5 mb-1">{re.escape(name)}</h2>.*?/doctors\?department_id=(\d+)',
        page.text,
        flags=re.DOTALL,
    )
    assert found, f"department {name} not listed"
    return int(found.group(1))


async def _create_doctor(client, department_id: int, **changes: str) -> int:
    form = {**DOCTOR_FORM, "department_id": str(department_id), **changes}
    response = await submit(client, "/doctors/new", **form)
    assert response.status_code == 303, response.text[:1000]
    found = re.fullmatch(r"/doctors/(\d+)/availability", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def slots_by_day(html: str) -> dict[date, list[str]]:
    """The profile's grid: each shown day with the times offered on it."""
    days: dict[date, list[str]] = {}
    for chunk in html.split('data-testid="day-')[1:]:
        day = date.fromisoformat(chunk[:10])
        days[day] = re.findall(r'data-testid="slot"[^>]*>(\d\d:\d\d)<', chunk)
    return days


# ---------------------------------------------------------------- departments


async def test_an_admin_creates_a_department_and_a_taken_name_is_refused_beside_the_field(
    client, make_user
):
    await _admin(client, make_user)
    created = await submit(
        client,
        "/departments",
        name="Cardiology",
        description="Heart and circulation",
        location="Block B, floor 2",
        phone="+44 20 7946 0300",
    )
    assert created.status_code == 303 and created.headers["location"] == "/departments"
    listing = await client.get("/departments")
    words = text_of(listing.text)
    assert "Department 'Cardiology' created." in words
    assert "Heart and circulation" in words and "Block B, floor 2" in words

    duplicate = await submit(
        client, "/departments", name="cardiology", description="", location="Annex", phone=""
    )
    assert duplicate.status_code == 200
    assert "already exists" in beside(duplicate.text, "name")
    assert 'value="cardiology"' in duplicate.text and 'value="Annex"' in duplicate.text


async def test_an_admin_renames_and_closes_a_department(client, make_user):
    await _admin(client, make_user)
    department_id = await _department(client, "Radiology")
    await _department(client, "Oncology")
    url = f"/departments/{department_id}/edit"
    taken = await submit(client, url, name="Oncology", description="", location="", phone="")
    assert taken.status_code == 200 and "already exists" in beside(taken.text, "name")

    saved = await submit(
        client, url, name="Imaging", description="X-ray, CT, MRI", location="Block D", phone=""
    )  # the "Open" switch is not sent: the department closes
    assert saved.status_code == 303
    page = await client.get("/departments")
    assert "Imaging" in text_of(page.text) and "Closed" in text_of(page.text)
    edit = await client.get(url)
    assert 'name="is_active" checked' not in edit.text

    await client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    await make_user("patient", username="pat")
    await sign_in(client, "pat")
    public = text_of((await client.get("/departments")).text)
    assert "Oncology" in public and "Imaging" not in public
    assert "New department" not in public


# ---------------------------------------------------------------- doctors


async def test_an_admin_creates_a_doctor_sets_the_week_and_the_profile_offers_times(
    client, make_user
):
    await _admin(client, make_user)
    department_id = await _department(client)
    doctor_id = await _create_doctor(client, department_id)

    editor = await client.get(f"/doctors/{doctor_id}/availability")
    assert editor.status_code == 200
    assert "Created Dr. Grace Mensah's profile. Now set their weekly hours." in text_of(editor.text)
    saved = await submit(client, f"/doctors/{doctor_id}/availability", **EVERY_DAY_FORM)
    assert saved.status_code == 303
    editor = await client.get(f"/doctors/{doctor_id}/availability")
    assert "Weekly hours saved." in text_of(editor.text)
    assert 'name="d6_0_start" value="08:00"' in editor.text

    profile = await client.get(f"/doctors/{doctor_id}")
    assert profile.status_code == 200
    words = text_of(profile.text)
    assert "Dr. Grace Mensah" in words and "Cardiology" in words
    assert "1,250.50" in words and "12 years" in words
    assert "GMC-7712345" in words and "gmensah" in words  # the admin sees private fields
    days = slots_by_day(profile.text)
    today = local_day(0)
    assert sorted(days) == [today + timedelta(days=n) for n in range(7)]
    for n in range(1, 7):
        assert days[today + timedelta(days=n)][:3] == ["08:00", "08:30", "09:00"]
        assert days[today + timedelta(days=n)][-1] == "17:30"
    tomorrow = today + timedelta(days=1)
    link = re.search(
        rf'href="(/appointments/new\?doctor_id={doctor_id}&amp;start={tomorrow}T08%3A00[^"]*)"',
        profile.text,
    )
    assert link, "slot buttons link to the booking page"
    assert "%2B00%3A00" in link.group(1)  # the offset survives the query string

    directory = await client.get("/doctors?q=mensah")
    assert "Dr. Grace Mensah" in text_of(directory.text)
    assert "1,250.50" in text_of(directory.text)
    assert text_of((await client.get(f"/doctors?available_on={tomorrow}")).text).count(
        "Dr. Grace Mensah"
    )


async def test_mistakes_in_the_new_doctor_form_are_shown_beside_their_fields(client, make_user):
    await _admin(client, make_user)
    department_id = await _department(client)
    weak = await submit(
        client, "/doctors/new", **{**DOCTOR_FORM, "department_id": "", "password": "password123"}
    )
    assert weak.status_code == 200
    assert beside(weak.text, "department_id") == "This field is required."
    assert "too common" in beside(weak.text, "password")
    assert 'value="Dr. Grace Mensah"' in weak.text and 'value="GMC-7712345"' in weak.text

    await _create_doctor(client, department_id)
    same_licence = await submit(
        client,
        "/doctors/new",
        **{**DOCTOR_FORM, "username": "other", "department_id": str(department_id)},
    )
    assert same_licence.status_code == 200
    assert "licence number" in beside(same_licence.text, "license_number")
    assert f'<option value="{department_id}" selected>' in same_licence.text
    same_username = await submit(
        client,
        "/doctors/new",
        **{**DOCTOR_FORM, "license_number": "GMC-1", "department_id": str(department_id)},
    )
    assert same_username.status_code == 200
    assert "already in use" in beside(same_username.text, "username")


async def test_an_admin_edits_a_doctor(client, make_user):
    await _admin(client, make_user)
    department_id = await _department(client)
    other = await _department(client, "Neurology")
    doctor_id = await _create_doctor(client, department_id)
    url = f"/doctors/{doctor_id}/edit"
    form = {k: v for k, v in DOCTOR_FORM.items() if k not in ("username", "password")}
    saved = await submit(
        client, url, **{**form, "department_id": str(other), "consultation_fee": "80"}
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/doctors/{doctor_id}"
    words = text_of((await client.get(f"/doctors/{doctor_id}")).text)
    assert "Neurology" in words and "80.00" in words
    bad = await submit(client, url, **{**form, "department_id": str(other), "email": "nope"})
    assert bad.status_code == 200 and "e-mail" in beside(bad.text, "email")


async def test_overlapping_blocks_are_refused_and_the_typed_times_kept(client, make_user):
    await _admin(client, make_user)
    doctor_id = await _create_doctor(client, await _department(client))
    url = f"/doctors/{doctor_id}/availability"
    overlapping = await submit(
        client,
        url,
        slot_minutes="20",
        d1_0_start="09:00",
        d1_0_end="13:00",
        d1_1_start="12:00",
        d1_1_end="15:00",
    )
    assert overlapping.status_code == 200
    assert "overlap on Tuesday" in beside(overlapping.text, "day1")
    assert 'name="d1_1_start" value="12:00"' in overlapping.text
    assert 'name="d1_0_end" value="13:00"' in overlapping.text
    assert '<option value="20" selected>' in overlapping.text

    backwards = await submit(client, url, slot_minutes="30", d3_0_start="17:00", d3_0_end="08:00")
    assert backwards.status_code == 200
    assert "must be before the end" in beside(backwards.text, "d3_0")
    half = await submit(client, url, slot_minutes="30", d4_1_start="10:00", d4_1_end="")
    assert half.status_code == 200
    assert "both a start and an end" in beside(half.text, "d4_1")

    nothing_saved = await client.get(url)
    assert 'name="d1_0_start" value=""' in nothing_saved.text


async def test_a_week_set_with_more_than_two_blocks_a_day_keeps_them_when_saved(client, make_user):
    await make_user("admin", username="chief")
    admin = await bearer(client, "chief")
    blocks = [("08:00", "10:00"), ("11:00", "12:00"), ("14:00", "15:00")]
    weekly = [{"weekday": 2, "start": start, "end": end} for start, end in blocks]
    doctor = await new_doctor(client, admin, weekly=weekly)
    await sign_in(client, "chief")
    url = f"/doctors/{doctor['id']}/availability"
    editor = await client.get(url)
    assert 'name="rows" value="3"' in editor.text
    assert 'name="d2_2_start" value="14:00"' in editor.text
    form = dict(re.findall(r'name="(d\d_\d_(?:start|end)|rows)"[^>]*?value="([^"]*)"', editor.text))
    saved = await submit(client, url, slot_minutes="30", **form)
    assert saved.status_code == 303
    kept = (await client.get(f"/api/v1/doctors/{doctor['id']}/availability", headers=admin)).json()
    assert [(b["start"][:5], b["end"][:5]) for b in kept["weekly"]] == blocks


async def test_leave_on_a_date_removes_that_days_times_from_the_profile(client, make_user):
    await _admin(client, make_user)
    doctor_id = await _create_doctor(client, await _department(client))
    url = f"/doctors/{doctor_id}/availability"
    await submit(client, url, **EVERY_DAY_FORM)
    leave_day = local_day(2)
    added = await submit(
        client,
        url,
        f"{url}/exceptions",
        date=leave_day.isoformat(),
        kind="leave",
        start="",
        end="",
        reason="Conference",
    )
    assert added.status_code == 303
    editor = await client.get(url)
    assert "Leave on" in text_of(editor.text) and "Conference" in text_of(editor.text)

    days = slots_by_day((await client.get(f"/doctors/{doctor_id}")).text)
    assert days[leave_day] == []
    assert days[local_day(1)] and days[local_day(3)]

    extra_without_times = await submit(
        client,
        url,
        f"{url}/exceptions",
        date=leave_day.isoformat(),
        kind="extra",
        start="",
        end="",
        reason="",
    )
    assert extra_without_times.status_code == 200
    assert "Extra hours need a start and an end" in text_of(extra_without_times.text)

    exception_id = re.search(r"/availability/exceptions/(\d+)/remove", editor.text).group(1)
    removed = await client.post(
        f"{url}/exceptions/{exception_id}/remove", data={"csrf_token": csrf_of(editor.text)}
    )
    assert removed.status_code == 303
    assert slots_by_day((await client.get(f"/doctors/{doctor_id}")).text)[leave_day]


async def test_a_patient_sees_the_directory_without_private_fields(client, make_user):
    await _admin(client, make_user)
    doctor_id = await _create_doctor(client, await _department(client))
    await submit(client, f"/doctors/{doctor_id}/availability", **EVERY_DAY_FORM)
    client.cookies.clear()
    await make_user("patient", username="paula", full_name="Paula Fischer")
    await sign_in(client, "paula")

    directory = await client.get("/doctors")
    assert directory.status_code == 200
    words = text_of(directory.text)
    assert "Dr. Grace Mensah" in words and "Cardiology" in words and "1,250.50" in words
    profile = await client.get(f"/doctors/{doctor_id}")
    for page in (directory, profile):
        for private in ("gmensah", "grace.mensah@example.org", "7946 0321", "GMC-7712345"):
            assert private not in page.text
    assert "New doctor" not in words and 'href="/doctors/new"' not in directory.text
    assert "/appointments/new?doctor_id=" in profile.text  # patients book for themselves
    assert "Deactivate" not in text_of(profile.text) and "Edit" not in text_of(profile.text)

    forbidden = await client.get("/doctors/new")
    assert forbidden.status_code == 403
    assert (await client.get(f"/doctors/{doctor_id}/availability")).status_code == 403
    assert (await client.get("/departments")).status_code == 200


async def test_a_doctor_edits_only_their_own_availability(client, make_user):
    await make_user("admin", username="chief")
    admin = await bearer(client, "chief")
    own = await new_doctor(client, admin, full_name="Dr. Own")
    other = await new_doctor(client, admin, full_name="Dr. Other")
    await sign_in(client, own["username"])

    mine = await client.get("/my/availability")
    assert mine.status_code == 303
    assert mine.headers["location"] == f"/doctors/{own['id']}/availability"
    profile = await client.get(f"/doctors/{own['id']}")
    assert "My availability" in text_of(profile.text)
    assert own["license_number"] in profile.text  # their own private fields
    saved = await submit(
        client,
        f"/doctors/{own['id']}/availability",
        slot_minutes="15",
        d0_0_start="07:00",
        d0_0_end="11:00",
    )
    assert saved.status_code == 303

    others_profile = await client.get(f"/doctors/{other['id']}")
    assert "My availability" not in text_of(others_profile.text)
    assert other["license_number"] not in others_profile.text
    refused = await client.get(f"/doctors/{other['id']}/availability")
    assert refused.status_code == 403
    assert "own" in text_of(refused.text)
    posted = await client.post(
        f"/doctors/{other['id']}/availability",
        data={"csrf_token": csrf_of(profile.text), "slot_minutes": "30"},
    )
    assert posted.status_code == 403
    leave = await client.post(
        f"/doctors/{other['id']}/availability/exceptions",
        data={"csrf_token": csrf_of(profile.text), "date": str(local_day(1)), "kind": "leave"},
    )
    assert leave.status_code == 403
    assert (await client.get(f"/doctors/{other['id']}/edit")).status_code == 403


async def test_deactivating_a_doctor_lists_the_appointments_to_rebook(client, make_user):
    await make_user("admin", username="chief")
    await make_user("receptionist", username="rosa")
    admin = await bearer(client, "chief")
    desk = await bearer(client, "rosa")
    doctor = await new_doctor(client, admin, full_name="Dr. Leaving")
    patient = await new_patient(client, desk, given_name="Omar", family_name="Haddad")
    appointment = await book(client, desk, patient["id"], at(2, 10), doctor["id"])
    await sign_in(client, "chief")
    url = f"/doctors/{doctor['id']}"

    no_reason = await submit(client, url, f"{url}/deactivate", reason="")
    assert no_reason.status_code == 200
    assert beside(no_reason.text, "reason") == "This field is required."

    done = await submit(client, url, f"{url}/deactivate", reason="Moved to another hospital")
    assert done.status_code == 200
    words = text_of(done.text)
    assert "1 future appointment needs rebooking" in words and "Omar Haddad" in words
    assert f'href="/appointments/{appointment["id"]}"' in done.text

    profile = await client.get(url)
    words = text_of(profile.text)
    assert "Not taking new appointments." in words and "Moved to another hospital" in words
    assert "No times are offered" in words and 'data-testid="slot"' not in profile.text
    assert f'href="/appointments/{appointment["id"]}"' in profile.text
    assert "Dr. Leaving" not in text_of((await client.get("/doctors")).text)
    assert "Dr. Leaving" in text_of((await client.get("/doctors?include_inactive=1")).text)

    back = await submit(client, url, f"{url}/activate")
    assert back.status_code == 303
    assert "taking bookings again" in text_of((await client.get(url)).text)
    assert slots_by_day((await client.get(url)).text)[local_day(1)]
