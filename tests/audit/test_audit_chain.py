"""The audit trail: what is recorded, the append-only rule, and tamper detection."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from openward.core import audit
from openward.core.actors import Actor
from openward.core.audit import AuditEvent
from openward.db import session_scope
from tests.conftest import STRONG_PASSWORD, bearer, login


async def _events(client, admin, **params) -> list[dict]:
    response = await client.get("/api/v1/audit", headers=admin, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_sign_in_activity_is_recorded_with_who_what_and_where(client, make_user, as_role):
    user = await make_user("nurse", username="nadia")
    await login(client, "nadia", "wrong-password-x")
    pair = (await login(client, "nadia")).json()
    await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    headers = await bearer(client, "nadia")
    await client.post("/api/v1/auth/logout", headers=headers)
    admin = await as_role("admin")

    events = await _events(client, admin, actor="nadia")
    seen = [(e["action"], e["outcome"]) for e in reversed(events)]
    assert seen == [
        ("auth.login", "failure"),
        ("auth.login", "success"),
        ("auth.refresh", "success"),
        ("auth.refresh_reuse", "denied"),
        ("auth.login", "success"),
        ("auth.logout", "success"),
    ]
    success = next(e for e in events if e["action"] == "auth.login" and e["outcome"] == "success")
    assert success["actor_id"] == user.id and success["actor_role"] == "nurse"
    assert success["ip"] == "203.0.113.7"
    assert "python-httpx" in success["user_agent"]
    failure = next(e for e in events if e["outcome"] == "failure")
    assert failure["reason"] == "invalid_credentials"


async def test_lockout_and_user_changes_are_recorded(client, make_user, as_role):
    user = await make_user("doctor", username="dmensah")
    for _ in range(5):
        await login(client, "dmensah", "wrong-password-x")
    await login(client, "dmensah")  # refused while locked
    admin = await as_role("admin")
    uid = user.id
    await client.patch(f"/api/v1/users/{uid}", headers=admin, json={"phone": "+1 555 0100"})
    await client.post(f"/api/v1/users/{uid}/unlock", headers=admin)
    await client.post(f"/api/v1/users/{uid}/deactivate", headers=admin, json={"reason": "left"})
    await client.post(f"/api/v1/users/{uid}/activate", headers=admin)

    about_user = await _events(client, admin, action="user.*")
    actions = [e["action"] for e in reversed(about_user) if e["object_id"] == str(uid)]
    assert actions == [
        "user.create",
        "user.update",
        "user.unlock",
        "user.deactivate",
        "user.activate",
    ]
    update = next(e for e in about_user if e["action"] == "user.update")
    assert update["detail"] == {"fields": ["phone"]}
    deactivate = next(e for e in about_user if e["action"] == "user.deactivate")
    assert deactivate["reason"] == "left"
    lockouts = await _events(client, admin, action="auth.lockout")
    assert len(lockouts) == 1 and lockouts[0]["actor_username"] == "dmensah"
    locked_attempt = await _events(client, admin, actor="dmensah", outcome="denied")
    assert any(e["reason"] == "account_locked" for e in locked_attempt)


async def test_patient_self_registration_is_recorded_against_the_patient(client, as_role):
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "username": "paula",
            "password": STRONG_PASSWORD,
            "full_name": "Paula Fischer",
            "date_of_birth": "1984-03-14",
            "sex": "female",
        },
    )
    patient_id = response.json()["patient_id"]
    admin = await as_role("admin")
    events = await _events(client, admin, patient_id=patient_id)
    assert [e["action"] for e in events] == ["patient.create"]


async def test_audit_search_filters_by_time_and_pages_newest_first(client, as_role, make_user):
    admin = await as_role("admin")
    for _ in range(3):
        await make_user("nurse")
    everything = await client.get("/api/v1/audit", headers=admin, params={"limit": 2})
    body = everything.json()
    assert body["total"] >= 5 and len(body["items"]) == 2
    assert body["items"][0]["id"] > body["items"][1]["id"]
    second = await client.get("/api/v1/audit", headers=admin, params={"limit": 2, "offset": 2})
    assert second.json()["items"][0]["id"] < body["items"][1]["id"]
    future = await client.get(
        "/api/v1/audit", headers=admin, params={"from": "2999-01-01T00:00:00"}
    )
    assert future.status_code == 200 and future.json()["total"] == 0
    past = await client.get("/api/v1/audit", headers=admin, params={"to": "2000-01-01"})
    assert past.status_code == 200 and past.json()["total"] == 0
    bad = await client.get("/api/v1/audit", headers=admin, params={"from": "yesterday"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"


async def test_the_database_refuses_to_change_or_delete_audit_rows(app, client, make_user):
    await make_user("nurse")
    async with app.state.sessionmaker() as db:
        with pytest.raises(DBAPIError, match="append-only"):
            await db.execute(text("UPDATE audit_events SET actor_username = 'someone-else'"))
        await db.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            await db.execute(text("DELETE FROM audit_events"))
        await db.rollback()


async def _drop_guards(db, dialect: str) -> None:
    """What an attacker with database access would do first."""
    if dialect == "postgresql":
        await db.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        await db.execute(text("DROP TRIGGER audit_events_no_update"))
        await db.execute(text("DROP TRIGGER audit_events_no_delete"))


async def test_verify_names_the_first_altered_row(app, client, make_user, as_role):
    for _ in range(3):
        await make_user("nurse")
    admin = await as_role("admin")
    assert (await client.get("/api/v1/audit/verify", headers=admin)).json()["ok"] is True
    async with session_scope(app.state.sessionmaker) as db:
        ids = list(await db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        victim = ids[1]
        await _drop_guards(db, db.get_bind().dialect.name)
        await db.execute(
            text("UPDATE audit_events SET actor_username = 'innocent' WHERE id = :i"), {"i": victim}
        )
    check = (await client.get("/api/v1/audit/verify", headers=admin)).json()
    assert check["ok"] is False
    assert check["broken_id"] == victim
    assert check["checked"] == 1


async def test_verify_detects_a_deleted_row(app, make_user):
    for _ in range(3):
        await make_user("nurse")
    async with session_scope(app.state.sessionmaker) as db:
        ids = list(await db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        await _drop_guards(db, db.get_bind().dialect.name)
        await db.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": ids[1]})
    async with session_scope(app.state.sessionmaker) as db:
        check = await audit.verify_chain(db)
    assert not check.ok and check.broken_id == ids[2]
    assert "link" in check.problem


async def test_concurrent_writers_keep_one_unbroken_chain(app):
    async def write(n: int) -> None:
        async with session_scope(app.state.sessionmaker) as db:
            await audit.record(db, Actor.system("test"), "test.event", object_id=n)

    await asyncio.gather(*[write(n) for n in range(20)])
    async with session_scope(app.state.sessionmaker) as db:
        check = await audit.verify_chain(db)
    assert check.ok and check.checked == 20
