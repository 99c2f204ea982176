"""The patients' pages: registration at the front desk (with the duplicate check), search,
the patient's page with its history, edits, deactivation, the care team, the patient's own
record, and a doctor breaking the glass."""

from __future__ import annotations

import re

from sqlalchemy import select

from openward.core.audit import AuditEvent
from openward.db import session_scope
from openward.patients.mrn import format_mrn
from tests.conftest import bearer
from tests.scheduling.factories import (
    ENCOUNTER,
    at,
    book,
    complete,
    doctor_headers,
    new_doctor,
    new_patient,
    new_patient_user,
)
from tests.web.pages import beside, csrf_of, sign_in, submit, text_of

# What the receptionist types to register José (tests change only what they test).
JOSE = {
    "given_name": "José",
    "family_name": "García",
    "date_of_birth": "1971-06-02",
    "sex": "male",
    "phone": "+34 600 123 456",
    "email": "jose.garcia@example.org",
    "address": "Calle Mayor 5\nMadrid",
    "blood_group": "A+",
    "national_id": "X1234567L",
    "emergency_contact_name": "Lucía García",
    "emergency_contact_phone": "+34 600 123 457",
    "allergy_substance_0": "Penicillin",
    "allergy_reaction_0": "Hives",
    "allergy_severity_0": "severe",
    "notes": "Speaks Spanish and English",
}


def jose(**changes: str) -> dict[str, str]:
    return {**JOSE, **changes}


async def _front_desk(client, make_user, role: str = "receptionist") -> None:
    user = await make_user(role, full_name="Rita Mendes")
    signed_in = await sign_in(client, user.username)
    assert signed_in.status_code == 303, signed_in.text


async def _register(client, **fields: str) -> int:
    """Register through the form and open the new page (its flash read); the patient's id."""
    response = await submit(client, "/patients/new", **fields)
    assert response.status_code == 303, text_of(response.text)[:500]
    match = re.fullmatch(r"/patients/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    assert (await client.get(response.headers["location"])).status_code == 200
    return int(match.group(1))


async def _listed(client, **params: str) -> str:
    """The words of the patients table for a search (not the page's flash messages)."""
    page = await client.get("/patients", params=params)
    assert page.status_code == 200, page.text[:300]
    start = page.text.index('data-testid="patients-table"')
    return text_of(page.text[start : page.text.index("</table>", start)])


async def _audit(app, action: str, patient_id: int) -> list[AuditEvent]:
    async with session_scope(app.state.sessionmaker) as db:
        rows = await db.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.patient_id == patient_id)
            .order_by(AuditEvent.id)
        )
        return list(rows)


# ---------------------------------------------------------------- registration


async def test_the_front_desk_registers_a_patient_and_lands_on_their_page_with_the_mrn(
    client, make_user
):
    await _front_desk(client, make_user)
    form = await client.get("/patients/new")
    for name in (
        "given_name",
        "family_name",
        "date_of_birth",
        "national_id",
        "allergy_substance_0",
        "allergy_severity_0",
        "no_known_allergies",
    ):
        assert f'name="{name}"' in form.text, name
    assert 'name="allergies_summary"' not in form.text  # one allergy list: structured
    assert "Format: dd/mm/yyyy" in form.text  # the birth date is typed the hospital's way

    registered = await submit(client, "/patients/new", **jose())
    assert registered.status_code == 303
    patient_id = int(registered.headers["location"].rsplit("/", 1)[1])
    page = await client.get(registered.headers["location"])
    assert page.status_code == 200
    mrn = re.search(r'data-testid="mrn">.*?(\d{3}-\d{3}-\d{3}-\d)', page.text, re.DOTALL)
    assert mrn, "the MRN is shown as 123-456-789-0"
    words = text_of(page.text)
    assert f"Registered José García, MRN {mrn.group(1)}" in words
    assert "Allergies: Penicillin (Hives) — severe, unconfirmed" in words
    for shown in ("Lucía García", "+34 600 123 457", "X1234567L", "A+", "Calle Mayor 5"):
        assert shown in words, shown
    assert "No visits yet." in words
    assert f'href="/appointments/new?patient_id={patient_id}"' in page.text
    assert f'href="/api/v1/patients/{patient_id}/treatments.csv"' in page.text
    assert f'href="/patients/{patient_id}/edit"' in page.text


async def test_a_bad_date_of_birth_is_shown_beside_the_field_and_what_was_typed_stays(
    client, make_user
):
    await _front_desk(client, make_user)
    future = await submit(client, "/patients/new", **jose(date_of_birth="2999-01-01"))
    assert future.status_code == 200
    assert "cannot be in the future" in beside(future.text, "date_of_birth")
    assert 'value="José"' in future.text and 'value="X1234567L"' in future.text
    assert '<option value="male" selected>' in future.text
    assert '<option value="A+" selected>' in future.text
    assert "Calle Mayor 5\nMadrid</textarea>" in future.text
    assert 'name="allergy_substance_0" value="Penicillin"' in future.text
    assert '<option value="severe" selected>' in future.text

    missing = await submit(client, "/patients/new", **jose(date_of_birth="", given_name=""))
    assert missing.status_code == 200
    assert beside(missing.text, "date_of_birth") == "This field is required."
    assert beside(missing.text, "given_name") == "This field is required."
    assert 'value="García"' in missing.text


async def test_a_possible_duplicate_is_shown_with_the_existing_patient_and_can_be_registered_anyway(
    client, make_user
):
    await _front_desk(client, make_user)
    first = await _register(client, **jose())
    again = jose(national_id="", phone="+34 699 000 111", email="")
    warned = await submit(client, "/patients/new", **again)
    assert warned.status_code == 200
    words = text_of(warned.text)
    assert "This patient may already be registered" in words
    assert f'href="/patients/{first}"' in warned.text
    assert "José García" in words and "02 Jun 1971" in words and "+34 600 123 456" in words
    assert 'name="allow_duplicate" value="1"' in warned.text and "Register anyway" in words
    assert 'value="+34 699 000 111"' in warned.text  # what was typed is kept

    saved = await client.post(
        "/patients/new", data={"csrf_token": csrf_of(warned.text), **again, "allow_duplicate": "1"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] != f"/patients/{first}"
    landed = text_of((await client.get(saved.headers["location"])).text)
    assert "Registered José García" in landed and "+34 699 000 111" in landed
    assert "2 in all" in text_of((await client.get("/patients?q=garcia")).text)


async def test_a_taken_national_id_is_shown_beside_the_field(client, make_user):
    await _front_desk(client, make_user)
    await _register(client, **jose())
    taken = await submit(
        client,
        "/patients/new",
        **jose(given_name="Ana", family_name="López", phone="", date_of_birth="1980-01-01"),
    )
    assert taken.status_code == 200
    assert "national id" in beside(taken.text, "national_id").lower()


# ---------------------------------------------------------------- search


async def test_searching_finds_jose_garcia_by_garcia_jose_and_by_mrn(client, make_user):
    await _front_desk(client, make_user)
    jose_id = await _register(client, **jose())
    await _register(
        client,
        given_name="Ana",
        family_name="López",
        date_of_birth="1988-02-29",
        sex="female",
    )
    found = await client.get("/patients", params={"q": "garcia jose"})
    assert found.status_code == 200
    words = text_of(found.text)
    assert "José García" in words and "Ana López" not in words
    assert f'href="/patients/{jose_id}"' in found.text
    assert "Register patient" in words

    page = await client.get(f"/patients/{jose_id}")
    mrn = re.search(r"\d{3}-\d{3}-\d{3}-\d", text_of(page.text)).group(0)
    by_mrn = text_of((await client.get("/patients", params={"q": mrn})).text)
    assert "José García" in by_mrn and mrn in by_mrn
    nothing = text_of((await client.get("/patients", params={"q": "zzzz"})).text)
    assert "No patients match" in nothing


async def test_inactive_patients_are_listed_only_when_asked(client, make_user):
    await _front_desk(client, make_user)
    patient_id = await _register(client, **jose())
    await submit(
        client, f"/patients/{patient_id}", f"/patients/{patient_id}/deactivate", reason="Moved away"
    )
    assert "José García" not in await _listed(client, q="garcia")
    shown = await _listed(client, q="garcia", include_inactive="1")
    assert "José García" in shown and "Inactive" in shown


# ---------------------------------------------------------------- edit and deactivate


async def test_editing_a_patient_saves_and_is_audited_as_patient_update(app, client, make_user):
    await _front_desk(client, make_user, role="nurse")
    patient_id = await _register(client, **jose())
    form = await client.get(f"/patients/{patient_id}/edit")
    assert (
        'value="José"' in form.text and 'value="02/06/1971"' in form.text
    )  # as the hospital types dates
    assert '<option value="A+" selected>' in form.text

    refused = await submit(
        client, f"/patients/{patient_id}/edit", **jose(email="not-an-email", family_name="")
    )
    assert refused.status_code == 200
    assert "valid e-mail" in beside(refused.text, "email")
    assert beside(refused.text, "family_name") == "This field is required."

    saved = await submit(
        client, f"/patients/{patient_id}/edit", **jose(phone="+34 611 222 333", blood_group="")
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/patients/{patient_id}"
    page = text_of((await client.get(f"/patients/{patient_id}")).text)
    assert "Saved" in page and "+34 611 222 333" in page and "Blood group A+" not in page

    [event] = await _audit(app, "patient.update", patient_id)
    assert '"phone"' in (event.detail or "") and '"blood_group"' in (event.detail or "")


async def test_deactivating_needs_a_reason_and_the_record_can_be_reactivated(
    app, client, make_user
):
    await _front_desk(client, make_user)
    patient_id = await _register(client, **jose())
    url = f"/patients/{patient_id}"
    refused = await submit(client, url, f"{url}/deactivate", reason=" ")
    assert refused.status_code == 200
    assert "reason" in beside(refused.text, "reason").lower()
    assert "This record is deactivated" not in text_of(refused.text)

    done = await submit(client, url, f"{url}/deactivate", reason="Registered twice")
    assert done.status_code == 303
    page = text_of((await client.get(url)).text)
    assert "This record is deactivated. Reason: Registered twice" in page
    assert "Reactivate" in page and "Book appointment" not in page
    [event] = await _audit(app, "patient.deactivate", patient_id)
    assert event.reason == "Registered twice"

    back = await submit(client, url, f"{url}/activate")
    assert back.status_code == 303
    page = text_of((await client.get(url)).text)
    assert "Reactivated the record of José García." in page
    assert "This record is deactivated" not in page


# ---------------------------------------------------------------- care team and history


async def test_the_care_team_is_managed_on_the_patients_page_and_the_history_shows_visits(
    client, make_user, as_role
):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    doctor = await new_doctor(
        client, admin, full_name="Dr Kofi Mensah", specialization="Cardiology"
    )
    patient = await new_patient(client, nurse)
    visit = await book(client, nurse, patient["id"], at(1, 9), doctor["id"], reason="Chest pain")
    await complete(client, nurse, await doctor_headers(client, doctor), visit["id"])

    await _front_desk(client, make_user)
    url = f"/patients/{patient['id']}"
    page = await client.get(url)
    words = text_of(page.text)
    assert "No doctor assigned yet." in words
    assert f'<option value="{doctor["id"]}">Dr Kofi Mensah' in page.text
    history = page.text[page.text.index('data-testid="history-table"') :]
    for shown in ("Dr Kofi Mensah", "Chest pain", "Completed"):
        assert shown in text_of(history), shown
    # Minimum necessary: the front desk sees the visit, not its encounter.
    assert ENCOUNTER["assessment"] not in page.text
    assert ENCOUNTER["plan"] not in page.text and "J30.1" not in page.text

    added = await submit(client, url, f"{url}/care-team", doctor_id=str(doctor["id"]))
    assert added.status_code == 303
    page = await client.get(url)
    team = page.text[page.text.index('data-testid="care-team"') :]
    assert "Dr Kofi Mensah is now on the care team." in text_of(page.text)
    assert "Cardiology" in text_of(team)

    removed = await submit(client, url, f"{url}/care-team/{doctor['id']}/remove")
    assert removed.status_code == 303
    page = text_of((await client.get(url)).text)
    assert "Dr Kofi Mensah was removed from the care team." in page
    assert "No doctor assigned yet." in page


# ---------------------------------------------------------------- the patient's own record


async def test_a_patient_sees_their_own_record_changes_their_phone_and_nothing_else(
    app, client, make_user, as_role
):
    nurse = await as_role("nurse")
    other = await new_patient(client, nurse, given_name="Otto", family_name="Berg")
    _headers, paula = await new_patient_user(client, username="paula")
    await sign_in(client, "paula")

    page = await client.get("/my/record")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Paula Fischer" in words and format_mrn(paula["mrn"]) in words
    assert "14 Mar 1984" in words and "No visits yet." in words
    assert f'href="/api/v1/patients/{paula["patient_id"]}/treatments.csv"' in page.text
    assert 'name="given_name"' not in page.text and 'name="date_of_birth"' not in page.text

    bad = await submit(client, "/my/record", phone="call me maybe", email="", address="")
    assert bad.status_code == 200
    assert beside(bad.text, "phone") and 'value="call me maybe"' in bad.text

    saved = await submit(
        client,
        "/my/record",
        phone="+44 20 7946 0999",
        email="paula@example.org",
        address="1 Rose Lane",
        emergency_contact_name="Jonas Fischer",
        emergency_contact_phone="+44 20 7946 0998",
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/my/record"
    page = await client.get("/my/record")
    assert "Your contact details have been saved." in text_of(page.text)
    assert 'value="+44 20 7946 0999"' in page.text and 'value="Jonas Fischer"' in page.text
    assert "patient.update" in [
        e.action for e in await _audit(app, "patient.update", paula["patient_id"])
    ]

    # Smuggled fields are not for patients to change.
    await client.post(
        "/my/record",
        data={"csrf_token": csrf_of(page.text), "phone": "+44 1", "given_name": "Eve"},
    )
    assert "Paula Fischer" in text_of((await client.get("/my/record")).text)

    for url in (f"/patients/{other['id']}", "/patients", f"/patients/{paula['patient_id']}"):
        denied = await client.get(url)
        assert denied.status_code == 403, url
        assert "Otto" not in denied.text


# ---------------------------------------------------------------- who may see what


async def test_a_lab_technician_gets_403_on_the_patients_pages(client, make_user):
    user = await make_user("lab_technician")
    await sign_in(client, user.username)
    for url in ("/patients", "/patients/new", "/patients/1"):
        response = await client.get(url)
        assert response.status_code == 403, url
        assert "You don't have access to this page" in text_of(response.text)


async def test_a_doctor_lists_only_their_patients_and_cannot_register(client, as_role):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    doctor = await new_doctor(client, admin)
    mine = await new_patient(client, nurse, family_name="Mine")
    await new_patient(client, nurse, family_name="Stranger")
    await book(client, nurse, mine["id"], at(1, 10), doctor["id"])

    await sign_in(client, doctor["username"])
    words = text_of((await client.get("/patients")).text)
    assert "Your patients" in words
    assert "Test Mine" in words and "Stranger" not in words
    assert "Register patient" not in words
    assert (await client.get("/patients/new")).status_code == 403
    page = text_of((await client.get(f"/patients/{mine['id']}")).text)
    assert "Test Mine" in page and "Deactivate" not in page and "Edit" not in page


async def test_a_doctor_outside_the_care_relationship_breaks_the_glass_and_it_is_audited(
    app, client, as_role
):
    admin = await as_role("admin")
    nurse = await as_role("nurse")
    doctor = await new_doctor(client, admin)
    patient = await new_patient(
        client, nurse, allergies=[{"substance": "Latex", "severity": "mild"}]
    )
    url = f"/patients/{patient['id']}"

    await sign_in(client, doctor["username"])
    blocked = await client.get(url)
    assert blocked.status_code == 403
    words = text_of(blocked.text)
    assert "This patient is not under your care" in words
    assert patient["family_name"] not in words and "Latex" not in words
    assert f'action="{url}/break-glass"' in blocked.text

    too_short = await client.post(
        f"{url}/break-glass", data={"csrf_token": csrf_of(blocked.text), "reason": "x"}
    )
    assert too_short.status_code == 200
    assert "at least 5 characters" in beside(too_short.text, "reason")
    assert await _audit(app, "patient.break_glass", patient["id"]) == []

    reason = "Unconscious in A&E, need allergies"
    opened = await client.post(
        f"{url}/break-glass", data={"csrf_token": csrf_of(blocked.text), "reason": reason}
    )
    assert opened.status_code == 200
    words = text_of(opened.text)
    assert "Emergency access — audited" in words
    assert patient["family_name"] in words and "Allergies: Latex" in words
    assert format_mrn(patient["mrn"]) in words
    events = await _audit(app, "patient.break_glass", patient["id"])
    assert events and all(e.reason == reason for e in events)
    assert events[0].actor_username == doctor["username"]

    # The emergency lasts one look: the next visit asks again.
    assert (await client.get(url)).status_code == 403
    # The API token of the same doctor is refused too without the header.
    api = await client.get(f"/api/v1{url}", headers=await bearer(client, doctor["username"]))
    assert api.status_code == 403
