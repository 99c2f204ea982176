"""The audit trail as an auditor relies on it: every security-relevant act is recorded with
who, which role, from where and with what outcome; the rows cannot be changed; a changed
or removed row is named by the chain check; and the search finds what is asked for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from openward.app import create_app
from openward.core import audit
from openward.core.actors import Actor
from openward.core.audit import AuditEvent
from openward.db import session_scope
from tests.conftest import STRONG_PASSWORD, bearer, login
from tests.web.pages import sign_in, text_of

CLIENT_IP = "203.0.113.7"  # the conftest client's address
WARD_TABLET = "WardTablet/3.2 (Ward 7; bed-side)"


@pytest.fixture
def tablet(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The test client, identifying itself with a user agent the trail must repeat."""
    client.headers["user-agent"] = WARD_TABLET
    return client


async def _search(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> dict:
    response = await client.get("/api/v1/audit", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _events(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list:
    """Matching events, oldest first (the API answers newest first)."""
    return list(reversed((await _search(client, headers, limit=500, **params))["items"]))


def _from_here(event: dict) -> bool:
    return event["ip"] == CLIENT_IP and event["user_agent"] == WARD_TABLET


async def _admin(make_user, client) -> tuple[Any, dict[str, str]]:
    user = await make_user("admin")
    return user, await bearer(client, user.username)


# ---------------------------------------------------------------- what is recorded


async def test_sign_in_refresh_reuse_and_sign_out_are_recorded_with_role_ip_and_agent(
    tablet, make_user
):
    nurse = await make_user("nurse", username="nadia")
    assert (await login(tablet, "nadia", "not-her-password-1")).status_code == 401
    first = (await login(tablet, "nadia")).json()
    refreshed = await tablet.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200
    reused = await tablet.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.json()["code"] == "refresh_token_reused"
    again = await bearer(tablet, "nadia")
    assert (await tablet.post("/api/v1/auth/logout", headers=again)).status_code == 204
    _, admin = await _admin(make_user, tablet)

    trail = await _events(tablet, admin, actor="nadia")
    assert [(e["action"], e["outcome"]) for e in trail] == [
        ("auth.login", "failure"),
        ("auth.login", "success"),
        ("auth.refresh", "success"),
        ("auth.refresh_reuse", "denied"),
        ("auth.login", "success"),
        ("auth.logout", "success"),
    ]
    assert all(_from_here(e) for e in trail)
    assert all(e["actor_username"] == "nadia" for e in trail)
    failed, *signed_in = trail
    # Whoever typed the wrong password is not authenticated: no id, no role, but the
    # account they tried is named.
    assert failed["actor_id"] is None and failed["actor_role"] is None
    assert failed["object_id"] == str(nurse.id) and failed["reason"] == "invalid_credentials"
    assert all(e["actor_id"] == nurse.id and e["actor_role"] == "nurse" for e in signed_in)
    assert "revoked" in trail[3]["reason"]


async def test_the_fifth_failure_records_one_lockout_and_later_attempts_are_denied(
    tablet, make_user
):
    doctor = await make_user("doctor", username="dmensah")
    for _ in range(4):
        await login(tablet, "dmensah", "wrong-password-x1")
    _, admin = await _admin(make_user, tablet)
    assert await _events(tablet, admin, action="auth.lockout") == []

    await login(tablet, "dmensah", "wrong-password-x1")
    refused = await login(tablet, "dmensah")  # the right password, while locked
    assert refused.status_code == 429

    lockouts = await _events(tablet, admin, action="auth.lockout")
    assert len(lockouts) == 1
    lockout = lockouts[0]
    assert lockout["actor_username"] == "dmensah" and lockout["outcome"] == "denied"
    assert lockout["object_id"] == str(doctor.id) and _from_here(lockout)
    assert lockout["reason"] == "5 failed sign-ins"
    failures = await _events(tablet, admin, actor="dmensah", outcome="failure")
    assert len(failures) == 5 and all(_from_here(e) for e in failures)
    last = (await _events(tablet, admin, actor="dmensah", action="auth.login"))[-1]
    assert (last["outcome"], last["reason"]) == ("denied", "account_locked")
    assert _from_here(last)


async def test_user_administration_is_recorded_against_the_admin_and_the_account(tablet, make_user):
    boss, admin = await _admin(make_user, tablet)
    created = await tablet.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "rosa",
            "password": STRONG_PASSWORD,
            "full_name": "Rosa Delgado",
            "role": "receptionist",
        },
    )
    assert created.status_code == 201, created.text
    rosa = created.json()["id"]
    steps = [
        ("PATCH", f"/api/v1/users/{rosa}", {"phone": "+44 20 7946 0000"}),
        ("POST", f"/api/v1/users/{rosa}/deactivate", {"reason": "left the hospital"}),
        ("POST", f"/api/v1/users/{rosa}/activate", None),
        ("POST", f"/api/v1/users/{rosa}/unlock", None),
    ]
    for method, path, body in steps:
        response = await tablet.request(method, path, headers=admin, json=body)
        assert response.status_code == 200, response.text
    asked = await tablet.post(
        "/api/v1/auth/register-staff",
        json={
            "username": "lars",
            "password": STRONG_PASSWORD,
            "full_name": "Lars Nilsson",
            "email": "lars@example.org",
            "role": "lab_technician",
        },
    )
    lars = asked.json()["id"]
    assert (await tablet.post(f"/api/v1/users/{lars}/approve", headers=admin)).status_code == 200

    by_admin = await _events(tablet, admin, actor=str(boss.id), action="user.*")
    assert [(e["action"], e["object_id"]) for e in by_admin] == [
        ("user.create", str(rosa)),
        ("user.update", str(rosa)),
        ("user.deactivate", str(rosa)),
        ("user.activate", str(rosa)),
        ("user.unlock", str(rosa)),
        ("user.approve", str(lars)),
    ]
    for event in by_admin:
        assert event["actor_username"] == boss.username and event["actor_role"] == "admin"
        assert event["outcome"] == "success" and _from_here(event)
    assert by_admin[0]["detail"] == {"username": "rosa", "role": "receptionist", "approved": True}
    assert by_admin[1]["detail"] == {"fields": ["phone"]}
    assert by_admin[2]["reason"] == "left the hospital"


async def test_a_permission_denial_is_recorded_with_the_role_and_what_was_tried(tablet, make_user):
    nurse = await make_user("nurse")
    nurse_headers = await bearer(tablet, nurse.username)
    assert (await tablet.get("/api/v1/audit", headers=nurse_headers)).status_code == 403
    _, admin = await _admin(make_user, tablet)

    [denied] = await _events(tablet, admin, action="access.denied")
    assert denied["actor_id"] == nurse.id and denied["actor_role"] == "nurse"
    assert denied["outcome"] == "denied" and _from_here(denied)
    assert denied["detail"] == {
        "permission": "audit:read",
        "method": "GET",
        "path": "/api/v1/audit",
    }


async def test_patient_self_registration_is_recorded_against_the_new_patient(tablet, make_user):
    response = await tablet.post(
        "/api/v1/auth/register",
        json={
            "username": "paula",
            "password": STRONG_PASSWORD,
            "full_name": "Paula Fischer",
            "date_of_birth": "1984-03-14",
            "sex": "female",
        },
    )
    assert response.status_code == 201, response.text
    registered = response.json()
    _, admin = await _admin(make_user, tablet)

    [created] = await _events(tablet, admin, patient_id=registered["patient_id"])
    assert created["action"] == "patient.create" and created["outcome"] == "success"
    assert created["object_id"] == str(registered["patient_id"])
    assert created["actor_id"] == registered["id"] and created["actor_role"] == "patient"
    assert _from_here(created)


# ---------------------------------------------------------------- the chain


async def test_the_chain_verifies_after_a_morning_of_activity(app, client, make_user, as_role):
    await make_user("doctor", username="drsato")
    await login(client, "drsato", "wrong-password-x1")
    doctor = await bearer(client, "drsato")
    await client.get("/api/v1/audit", headers=doctor)  # denied, and recorded
    await client.post("/api/v1/auth/logout", headers=doctor)
    await client.post(
        "/api/v1/auth/register",
        json={
            "username": "pat",
            "password": STRONG_PASSWORD,
            "full_name": "Pat Doe",
            "date_of_birth": "1990-01-01",
            "sex": "other",
        },
    )
    admin = await as_role("admin")
    total = (await _search(client, admin, limit=1))["total"]
    assert await _seal(app) == total  # every event of the morning waited, unsealed

    check = await client.get("/api/v1/audit/verify", headers=admin)
    assert check.status_code == 200
    assert check.json() == {
        "ok": True,
        "checked": total,
        "broken_id": None,
        "problem": None,
        "finding": None,
        "legacy": 0,
        "checkpoints": 0,
    }


async def test_the_database_refuses_to_change_or_delete_an_audit_row(app, make_user):
    await make_user("nurse", username="nadia")
    async with app.state.sessionmaker() as db:
        dialect = db.get_bind().dialect.name
        statements = [
            "UPDATE audit_events SET actor_username = 'someone-else'",
            "DELETE FROM audit_events",
        ]
        if dialect == "postgresql":
            statements.append("TRUNCATE audit_events")
        else:  # SQLite's REPLACE removes the old row without firing DELETE triggers
            statements.append(
                "INSERT OR REPLACE INTO audit_events (id, at, actor_username, action, outcome,"
                " prev_hash, hash) SELECT id, at, 'someone-else', action, outcome, prev_hash,"
                " hash FROM audit_events"
            )
        for statement in statements:
            with pytest.raises(DBAPIError, match="audit_events is append-only"):
                await db.execute(text(statement))
            await db.rollback()
    async with app.state.sessionmaker() as db:
        assert list(await db.scalars(select(AuditEvent.actor_username))) == ["system:test"]


async def _disarm_append_only_guard(db) -> None:
    """What someone with database access would do before editing the trail."""
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    else:
        await db.execute(text("DROP TRIGGER audit_events_no_update"))
        await db.execute(text("DROP TRIGGER audit_events_no_delete"))


async def _seal(app) -> int:
    """What the server's sealer does every few seconds (no lifespan runs in these tests)."""
    async with session_scope(app.state.sessionmaker) as db:
        return await audit.seal_all(db)


async def _event_ids(app) -> list[int]:
    """The sealed trail's ids: tampering happens to events already in the chain."""
    await _seal(app)
    async with app.state.sessionmaker() as db:
        return list(await db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


async def test_verify_names_the_row_whose_content_was_changed(app, client, make_user):
    for name in ("ann", "ben", "cat"):
        await make_user("nurse", username=name)
    _, admin = await _admin(make_user, client)
    ids = await _event_ids(app)
    victim = ids[1]
    async with session_scope(app.state.sessionmaker) as db:
        await _disarm_append_only_guard(db)
        await db.execute(
            text("UPDATE audit_events SET actor_username = 'innocent' WHERE id = :id"),
            {"id": victim},
        )

    check = (await client.get("/api/v1/audit/verify", headers=admin)).json()
    assert check["ok"] is False
    assert check["broken_id"] == victim
    assert check["checked"] == 1  # the rows before it still verify
    assert "changed" in check["problem"]


async def test_a_rewritten_row_with_a_recomputed_unkeyed_hash_is_named_itself(app, make_user):
    """Without the key a forger can only recompute the old plain SHA-256: the row itself
    fails its HMAC (the next row's link would break too)."""
    for name in ("ann", "ben", "cat"):
        await make_user("nurse", username=name)
    ids = await _event_ids(app)
    async with session_scope(app.state.sessionmaker) as db:
        event = await db.get(AuditEvent, ids[1])
        event.actor_username = "innocent"
        forged = audit.legacy_hash(event)
        await db.rollback()
        await _disarm_append_only_guard(db)
        await db.execute(
            text("UPDATE audit_events SET actor_username = 'innocent', hash = :h WHERE id = :id"),
            {"h": forged, "id": ids[1]},
        )
    async with app.state.sessionmaker() as db:
        check = await audit.verify_chain(db)
    assert (check.ok, check.broken_id, check.checked) == (False, ids[1], 1)
    assert check.finding == "hmac_mismatch" and "HMAC mismatch" in check.problem


async def test_a_deleted_middle_row_is_detected_at_the_row_after_it(app, client, make_user):
    for name in ("ann", "ben", "cat", "dan"):
        await make_user("nurse", username=name)
    _, admin = await _admin(make_user, client)
    ids = await _event_ids(app)
    async with session_scope(app.state.sessionmaker) as db:
        await _disarm_append_only_guard(db)
        await db.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[2]})

    check = (await client.get("/api/v1/audit/verify", headers=admin)).json()
    assert check["ok"] is False
    assert check["broken_id"] == ids[3]
    assert check["checked"] == 2
    assert "link" in check["problem"]


async def test_twenty_concurrent_writers_keep_one_unbroken_chain(app):
    """Separate sessions (separate connections) write at once without waiting for each
    other; the sealer then links each event to exactly one predecessor."""

    async def write(n: int) -> None:
        async with app.state.sessionmaker() as db:
            await audit.record(db, Actor.system("ward-feed"), "test.concurrent", object_id=n)
            await db.commit()

    await asyncio.gather(*(write(n) for n in range(20)))
    assert await _seal(app) == 20
    assert await _seal(app) == 0  # sealing again finds nothing to do

    async with app.state.sessionmaker() as db:
        check = await audit.verify_chain(db)
        rows = list(
            await db.scalars(select(AuditEvent).where(AuditEvent.action == "test.concurrent"))
        )
    assert check.ok, check
    assert check.checked == 20
    assert sorted(int(r.object_id) for r in rows) == list(range(20))
    assert len({r.prev_hash for r in rows}) == 20  # no two events claim the same predecessor


# ---------------------------------------------------------------- search


async def test_search_finds_events_by_actor_name_or_id_action_and_outcome(
    client, make_user, as_role
):
    nadia = await make_user("nurse", username="nadia")
    await make_user("nurse", username="nadine")
    await login(client, "nadia", "wrong-password-x1")
    await login(client, "nadia")
    await login(client, "nadine")
    admin = await as_role("admin")

    by_name = await _events(client, admin, actor="nadia")
    assert [(e["action"], e["outcome"]) for e in by_name] == [
        ("auth.login", "failure"),
        ("auth.login", "success"),
    ]
    assert await _events(client, admin, actor="NADIA") == by_name  # usernames ignore case
    by_id = await _events(client, admin, actor=str(nadia.id))
    assert [e["id"] for e in by_id] == [by_name[1]["id"]]  # the failure had no signed-in actor

    prefix = await _events(client, admin, action="auth.*")
    assert {e["action"] for e in prefix} == {"auth.login"}
    assert len(prefix) == 4  # nadia twice, nadine, the admin
    assert await _events(client, admin, action="auth.") == []  # exact, not a prefix
    users = await _events(client, admin, action="user.create")
    assert {e["detail"]["username"] for e in users} >= {"nadia", "nadine"}
    assert all(e["action"] == "user.create" for e in users)

    failures = await _events(client, admin, outcome="failure")
    assert [(e["actor_username"], e["action"]) for e in failures] == [("nadia", "auth.login")]
    both = await _events(client, admin, actor="nadia", outcome="success")
    assert [e["id"] for e in both] == [by_name[1]["id"]]
    bad = await client.get("/api/v1/audit", headers=admin, params={"outcome": "maybe"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "outcome"


async def test_search_by_patient_returns_only_that_patients_events(client, as_role):
    patient_ids = []
    for username in ("paula", "pedro"):
        response = await client.post(
            "/api/v1/auth/register",
            json={
                "username": username,
                "password": STRONG_PASSWORD,
                "full_name": f"{username.title()} Patient",
                "date_of_birth": "1980-05-05",
                "sex": "unknown",
            },
        )
        patient_ids.append(response.json()["patient_id"])
    admin = await as_role("admin")
    for patient_id in patient_ids:
        events = await _events(client, admin, patient_id=patient_id)
        assert [(e["action"], e["patient_id"]) for e in events] == [("patient.create", patient_id)]


async def test_search_pages_newest_first_with_the_total(client, make_user, as_role):
    for n in range(6):
        await make_user("nurse", username=f"nurse-{n}")
    admin = await as_role("admin")
    everything = await _search(client, admin, limit=500)
    total = everything["total"]
    assert total == len(everything["items"]) >= 8
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True)

    pages = []
    for offset in range(0, total, 3):
        page = await _search(client, admin, limit=3, offset=offset)
        assert page["total"] == total
        assert len(page["items"]) == min(3, total - offset)
        pages.extend(e["id"] for e in page["items"])
    assert pages == ids
    beyond = await _search(client, admin, limit=3, offset=total)
    assert beyond == {"items": [], "total": total}


async def test_search_by_time_window_with_offsets(client, make_user, as_role):
    await make_user("nurse")
    admin = await as_role("admin")
    now = datetime.now(UTC)
    recent = await _search(
        client,
        admin,
        **{"from": (now - timedelta(minutes=5)).isoformat(), "to": now.isoformat()},
    )
    assert recent["total"] >= 2  # the nurse created, the admin created and signed in
    later = await _search(client, admin, **{"from": (now + timedelta(minutes=5)).isoformat()})
    assert later["total"] == 0
    earlier = await _search(client, admin, to="2000-01-01T00:00:00Z")
    assert earlier["total"] == 0
    bad = await client.get("/api/v1/audit", headers=admin, params={"from": "yesterday"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"


@pytest.fixture
async def hospital_in(settings_factory, make_user):
    """An admin's client for a hospital in the given time zone (same database)."""
    apps = []

    @asynccontextmanager
    async def open_(zone: str) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
        app = create_app(settings_factory(timezone=zone))
        apps.append(app)
        transport = httpx.ASGITransport(app=app, client=(CLIENT_IP, 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            user = await make_user("admin")
            yield http, await bearer(http, user.username)

    yield open_
    for app in apps:
        await app.state.engine.dispose()


async def test_a_time_without_offset_means_the_hospitals_local_time(hospital_in):
    zone = "Pacific/Kiritimati"  # 14 hours ahead of UTC
    async with hospital_in(zone) as (http, admin):
        local_now = datetime.now(ZoneInfo(zone)).replace(tzinfo=None)
        wall_clock = (local_now - timedelta(minutes=10)).isoformat(timespec="seconds")

        # Read as Kiritimati time this is ten minutes ago: the admin's sign-in is after it.
        # Read as UTC it would be 14 hours from now, and nothing would match.
        since = await _search(http, admin, **{"from": wall_clock})
        until = await _search(http, admin, to=wall_clock)
    assert since["total"] >= 2
    assert {"user.create", "auth.login"} <= {e["action"] for e in since["items"]}
    assert until["total"] == 0


CALENDAR_ENDS = {
    # Year 1 in a zone east of UTC and year 9999 in one west of it lie outside the
    # calendar once turned into UTC. (params, does everything match?)
    "Asia/Tokyo": [({"from": "0001-01-01T00:00:00"}, True), ({"to": "0001-01-01T00:00:00"}, False)],
    "America/New_York": [
        ({"to": "9999-12-31T23:59:59"}, True),
        ({"from": "9999-12-31T23:59:59"}, False),
    ],
    "UTC": [
        ({"from": "0001-01-01T00:00:00+05:00"}, True),
        ({"to": "9999-12-31T23:59:59-05:00"}, True),
    ],
}


async def test_times_at_the_ends_of_the_calendar_are_answered_not_a_500(hospital_in):
    for zone, cases in CALENDAR_ENDS.items():
        async with hospital_in(zone) as (http, admin):
            for params, everything in cases:
                response = await http.get("/api/v1/audit", headers=admin, params=params)
                # Outside the calendar the hospital handles (1900-2200): a 422 naming the
                # field, never a 500.
                assert response.status_code == 422, (zone, params, response.text)
                [error] = response.json()["errors"]
                assert error["field"] in params, (zone, params)


async def test_the_audit_page_accepts_days_at_the_ends_of_the_calendar(hospital_in, make_user):
    await make_user("admin", username="chief")
    async with hospital_in("Asia/Tokyo") as (http, _):
        await sign_in(http, "chief")
        for query in ["from=0001-01-01", "to=9999-12-31", "from=9999-12-31", "to=0001-01-01"]:
            # A day outside the calendar the hospital handles (1900-2200) is ignored as a
            # filter: the page answers, listing everything.
            page = await http.get(f"/admin/audit?{query}")
            assert page.status_code == 200, query
            assert "auth.login" in text_of(page.text), query


async def test_only_auditors_may_search_or_verify_the_trail(client, as_role):
    for role in ("doctor", "patient"):
        headers = await as_role(role)
        for path in ("/api/v1/audit", "/api/v1/audit/verify"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 403, (role, path)
            assert response.json()["code"] == "permission_denied"
    anonymous = await client.get("/api/v1/audit")
    assert anonymous.status_code == 401
