"""The Users page makes every doctor's account with its doctor profile: the profile fields on
the new-user form, the approval of a self-registered doctor, and the "Profile missing"
accounts made before, completed from the list."""

from __future__ import annotations

import re

from tests.conftest import STRONG_PASSWORD, bearer
from tests.scheduling.factories import new_department
from tests.web.pages import beside, csrf_of, sign_in, submit, text_of

DOCTOR_FORM = {
    "username": "grace",
    "full_name": "Dr Grace Mensah",
    "role": "doctor",
    "email": "grace@example.org",
    "phone": "",
    "password": STRONG_PASSWORD,
}


async def _admin_with_department(client, as_role, make_user) -> dict:
    headers = await as_role("admin")
    department = await new_department(client, headers, name="Cardiology")
    await make_user("admin", username="chief", full_name="Amara Okafor")
    await sign_in(client, "chief")
    return department


async def _me(client, username: str):
    return await client.get("/api/v1/doctors/me", headers=await bearer(client, username))


async def test_the_new_user_form_has_the_doctor_profile_fields(client, as_role, make_user):
    department = await _admin_with_department(client, as_role, make_user)
    page = await client.get("/admin/users/new")
    assert page.status_code == 200
    fieldset = page.text.split('data-role-profile="doctor"')[1].split("</fieldset>")[0]
    for name in ("department_id", "specialization", "license_number", "qualification"):
        assert f'name="{name}"' in fieldset, name
    assert f'<option value="{department["id"]}">Cardiology</option>' in fieldset
    assert "Required when the role is Doctor" in text_of(fieldset)


async def test_a_doctor_made_on_the_users_page_has_their_profile(client, as_role, make_user):
    department = await _admin_with_department(client, as_role, make_user)
    missing = await submit(client, "/admin/users/new", **DOCTOR_FORM)
    assert missing.status_code == 200  # the form again, with what to fix beside each field
    assert beside(missing.text, "department_id") == "This field is required."
    assert beside(missing.text, "specialization") == "This field is required."
    assert beside(missing.text, "license_number") == "This field is required."
    assert 'value="Dr Grace Mensah"' in missing.text

    created = await submit(
        client,
        "/admin/users/new",
        **DOCTOR_FORM,
        department_id=str(department["id"]),
        specialization="Cardiology",
        license_number="GMC-7741",
        qualification="",
        experience_years="",
        consultation_fee="1,250.00",
    )
    assert created.status_code == 303, created.text[:500]
    me = await _me(client, "grace")
    assert me.status_code == 200 and me.json()["department_name"] == "Cardiology"
    assert me.json()["consultation_fee"] == "1250.00" and me.json()["experience_years"] == 0


async def test_a_nurse_form_ignores_the_doctor_fields(client, as_role, make_user):
    await _admin_with_department(client, as_role, make_user)
    created = await submit(
        client,
        "/admin/users/new",
        **{**DOCTOR_FORM, "role": "nurse", "username": "nadia", "email": "nadia@example.org"},
        department_id="",
        specialization="",
        license_number="",
    )
    assert created.status_code == 303


async def test_a_self_registered_doctor_is_approved_with_their_profile(client, as_role, make_user):
    asked = await client.post(
        "/api/v1/auth/register-staff",
        json={k: v for k, v in DOCTOR_FORM.items() if k != "phone"},
    )
    user_id = asked.json()["id"]
    department = await _admin_with_department(client, as_role, make_user)
    listing = await client.get("/admin/users?status=pending")
    row = listing.text.split(f'href="/admin/users/{user_id}"')[1].split("</tr>")[0]
    assert "Profile missing" in text_of(row) and "Review and approve" in text_of(row)

    # The dashboard's one-click Approve cannot approve a doctor without the profile.
    bare = await client.post(
        f"/admin/users/{user_id}/approve", data={"csrf_token": csrf_of(listing.text)}
    )
    assert bare.status_code == 303 and bare.headers["location"].endswith("#profile")
    page = await client.get(f"/admin/users/{user_id}")
    assert "Complete Dr Grace Mensah's profile to approve the account." in text_of(page.text)
    card = page.text.split('data-testid="profile-missing"')[1]
    assert "Approve with this profile" in text_of(card)

    wrong = await client.post(
        f"/admin/users/{user_id}/approve",
        data={"csrf_token": csrf_of(page.text), "specialization": "Cardiology"},
    )
    assert wrong.status_code == 200
    assert beside(wrong.text, "department_id") == "This field is required."
    assert 'value="Cardiology"' in wrong.text

    approved = await client.post(
        f"/admin/users/{user_id}/approve",
        data={
            "csrf_token": csrf_of(page.text),
            "department_id": str(department["id"]),
            "specialization": "Cardiology",
            "license_number": "GMC-3131",
        },
    )
    assert approved.status_code == 303
    me = await _me(client, "grace")
    assert me.status_code == 200 and me.json()["specialization"] == "Cardiology"


async def test_a_doctor_account_without_profile_is_completed_from_the_users_page(
    client, as_role, make_user
):
    department = await _admin_with_department(client, as_role, make_user)
    old = await make_user("doctor", username="oldtimer", full_name="Dr Old Timer")
    listing = await client.get("/admin/users")
    notice = text_of(listing.text.split('data-testid="profiles-missing"')[1].split("</div>")[0])
    assert "1 doctor account has no doctor profile and cannot take bookings" in notice
    row = listing.text.split(f'href="/admin/users/{old.id}"')[1].split("</tr>")[0]
    assert "Profile missing" in text_of(row)
    link = re.search(r'href="(/admin/users/\d+#profile)"', row).group(1)
    assert link == f"/admin/users/{old.id}#profile"

    page = await client.get(f"/admin/users/{old.id}")
    assert "Complete profile" in text_of(page.text.split('data-testid="profile-missing"')[1])
    done = await client.post(
        f"/admin/users/{old.id}/profile",
        data={
            "csrf_token": csrf_of(page.text),
            "department_id": str(department["id"]),
            "specialization": "Geriatrics",
            "license_number": "GMC-0001",
        },
    )
    assert done.status_code == 303
    after = await client.get(f"/admin/users/{old.id}")
    assert "Completed Dr Old Timer's doctor profile" in text_of(after.text)
    assert 'data-testid="profile-missing"' not in after.text
    assert 'data-testid="profiles-missing"' not in (await client.get("/admin/users")).text
    assert (await _me(client, "oldtimer")).json()["specialization"] == "Geriatrics"
