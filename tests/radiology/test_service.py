"""What radiology gives the rest of the hospital: the doctor's results inbox, the patient's
reports, the radiologist's dashboard figures, the audit trail and the demo data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from openward.core.actors import Actor
from openward.db import session_scope, utcnow
from openward.identity import service as identity_service
from openward.radiology import service as radiology_service
from openward.radiology.models import ImagingOrder
from tests.radiology.conftest import Clinic, advance, order, step


async def _actor(app: Any, headers: dict[str, str], client: httpx.AsyncClient) -> Actor:
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    async with session_scope(app.state.sessionmaker) as db:
        user = await identity_service.get_user(db, me["id"])
        return identity_service.actor_for(user, Actor.system("test"), "token")


async def test_the_doctors_inbox_lists_verified_reports_of_their_orders_newest_first(
    client: httpx.AsyncClient, clinic: Clinic, app: Any
):
    first = await order(client, clinic.doctor, clinic.patient_id, exam_code="XR-KNEE")
    second = await order(client, clinic.doctor, clinic.patient_id, exam_code="MR-KNEE")
    waiting = await order(client, clinic.doctor, clinic.patient_id, exam_code="CT-HEAD")
    old = await order(client, clinic.doctor, clinic.patient_id, exam_code="US-ABD")
    someone_elses = await order(client, clinic.reception, clinic.patient_id)
    for created in (first, second, old, someone_elses):
        await advance(client, clinic, created["id"], "verified")
    await advance(client, clinic, waiting["id"], "reported")
    async with session_scope(app.state.sessionmaker) as db:
        (await db.get(ImagingOrder, old["id"])).verified_at = utcnow() - timedelta(days=31)
    doctor = await _actor(app, clinic.doctor, client)
    async with session_scope(app.state.sessionmaker) as db:
        rows = await radiology_service.inbox(db, doctor)
    assert [r.order_id for r in rows] == [second["id"], first["id"]]
    assert rows[0].kind == "imaging" and rows[0].title == "MRI knee"
    assert rows[0].link == f"/radiology/orders/{second['id']}"
    assert rows[0].patient_name == "Paula Fischer" and rows[0].status == "verified"


async def test_a_patient_sees_only_their_own_verified_reports(
    client: httpx.AsyncClient, clinic: Clinic, app: Any
):
    verified = await order(client, clinic.doctor, clinic.patient_id, exam_code="US-PELVIS")
    draft = await order(client, clinic.doctor, clinic.patient_id)
    theirs = await order(client, clinic.reception, clinic.other_patient_id)
    await advance(client, clinic, verified["id"], "verified")
    await advance(client, clinic, draft["id"], "reported")
    await advance(client, clinic, theirs["id"], "verified")
    await step(client, clinic.doctor, verified["id"], "acknowledge")  # released to the patient
    patient = await _actor(app, clinic.patient, client)
    async with session_scope(app.state.sessionmaker) as db:
        rows = await radiology_service.my_reports(db, patient)
    assert [(r.order_id, r.exam_name, r.exam) for r in rows] == [
        (verified["id"], "Pelvic ultrasound", "Pelvic ultrasound")
    ]
    assert rows[0].impression == "Normal chest radiograph." and rows[0].verified_at
    assert rows[0].link == f"/my/results/imaging/{verified['id']}"


async def test_the_radiologists_figures_count_what_waits_for_them(
    client: httpx.AsyncClient, clinic: Clinic, app: Any
):
    stat = await order(client, clinic.doctor, clinic.patient_id, priority="stat")
    performed = await order(client, clinic.doctor, clinic.patient_id)
    reported = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, performed["id"], "performed")
    await advance(client, clinic, reported["id"], "reported")
    radiologist = await _actor(app, clinic.radiologist, client)
    async with session_scope(app.state.sessionmaker) as db:
        figures = await radiology_service.dashboard_figures(db, radiologist)
    assert figures["by_status"]["ordered"] == 1 and figures["stat_pending"] == 1
    assert figures["awaiting_report"] == 1 and figures["awaiting_verification"] == 1
    assert stat["priority"] == "stat"


async def test_every_step_is_audited_with_the_patient(client: httpx.AsyncClient, clinic: Clinic):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "verified")
    await client.get(f"/api/v1/radiology/orders/{created['id']}", headers=clinic.patient)
    trail = await client.get(
        "/api/v1/audit",
        headers=clinic.admin,
        params={"patient_id": clinic.patient_id, "action": "radiology.*", "limit": 100},
    )
    actions = {(e["action"], e["actor_role"]) for e in trail.json()["items"]}
    assert {
        ("radiology.order", "doctor"),
        ("radiology.schedule", "receptionist"),
        ("radiology.perform", "radiologist"),
        ("radiology.report", "radiologist"),
        ("radiology.verify", "radiologist"),
        ("radiology.order_read", "patient"),
    } <= actions


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_demo_seeds_every_status_and_a_verified_report_for_paula_once(
    app: Any, settings: Any
):
    from datetime import datetime

    from openward.radiology.demo import seed

    async with session_scope(app.state.sessionmaker) as db:
        from openward.core.domains import DemoRun
        from openward.identity import demo as identity_demo
        from openward.patients import demo as patients_demo
        from openward.scheduling import demo as scheduling_demo

        run = DemoRun(
            db,
            settings,
            datetime.now(settings.zone),
            lambda _s: None,
            lambda _u: "Correct-Horse-Battery-42",
        )
        for loader in (identity_demo.load, patients_demo.load, scheduling_demo.load):
            await loader(run)
    now = datetime.now(settings.zone)
    for _ in range(2):  # idempotent
        async with session_scope(app.state.sessionmaker) as db:
            await seed(db, now=now, settings=settings)
    async with session_scope(app.state.sessionmaker) as db:
        statuses = dict(
            (
                await db.execute(
                    select(ImagingOrder.status, func.count()).group_by(ImagingOrder.status)
                )
            ).all()
        )
        paula = await identity_service.find_by_username(db, "patient")
        patient = identity_service.actor_for(paula, Actor.system("test"), "token")
        reports = await radiology_service.my_reports(db, patient)
        doctor_user = await identity_service.find_by_username(db, "doctor")
        doctor = identity_service.actor_for(doctor_user, Actor.system("test"), "token")
        inbox = await radiology_service.inbox(db, doctor)
    assert set(statuses) == {
        "ordered",
        "scheduled",
        "performed",
        "reported",
        "verified",
        "cancelled",
    }
    assert [r.exam_name for r in reports] == ["Chest X-ray PA"]
    assert {r.title for r in inbox} >= {"Chest X-ray PA"}
    stored = list((settings.media_dir / "radiology").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes().startswith(b"\x89PNG")
