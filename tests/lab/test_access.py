"""Who sees which lab results, trends of earlier values, the PDF report and the inbox."""

from __future__ import annotations

from openward.core.actors import Actor
from openward.db import session_scope
from openward.lab import service as lab_service
from tests.lab.factories import LIPID_NORMAL, analyte, order, results, through, ward
from tests.scheduling.factories import code, new_patient_user


async def _patient_ward(client, as_role):
    """A ward whose patient can sign in: (ward, the patient's headers, their patient id)."""
    w = await ward(client, as_role)
    headers, account = await new_patient_user(client)
    await client.post(
        f"/api/v1/patients/{account['patient_id']}/care-team",
        headers=w.admin,
        json={"doctor_id": w.doctor_row["id"]},
    )
    return w, headers, account["patient_id"]


async def test_patient_sees_only_own_orders_and_results_only_once_verified(client, as_role):
    w, me, my_id = await _patient_ward(client, as_role)
    mine = await order(client, w.doctor, my_id, ["LIPID"])
    other = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, mine["id"], upto="resulted")
    listed = (await client.get("/api/v1/lab/orders", headers=me)).json()
    assert [o["id"] for o in listed["items"]] == [mine["id"]]
    assert listed["items"][0]["flag"] is None
    early = (await client.get(f"/api/v1/lab/orders/{mine['id']}", headers=me)).json()
    assert early["results"] == [] and early["results_visible"] is False
    assert (await client.get(f"/api/v1/lab/orders/{other['id']}", headers=me)).status_code == 403
    assert (
        await client.get(f"/api/v1/lab/orders/{other['id']}/pdf", headers=me)
    ).status_code == 403
    await client.post(f"/api/v1/lab/orders/{mine['id']}/verify", headers=w.verifier)
    verified = (await client.get(f"/api/v1/lab/orders/{mine['id']}", headers=me)).json()
    assert verified["results"] == []  # the doctor sees them first
    await client.post(f"/api/v1/lab/orders/{mine['id']}/acknowledge", headers=w.doctor)
    late = (await client.get(f"/api/v1/lab/orders/{mine['id']}", headers=me)).json()
    assert {r["analyte_code"] for r in late["results"]} == {"CHOL", "LDL", "HDL", "TRIG"}
    assert all(r["preliminary"] is False for r in late["results"])


async def test_lab_sees_results_in_progress_and_nurses_do_not(client, as_role):
    w = await ward(client, as_role)
    nurse = await as_role("nurse")
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, placed["id"], upto="resulted")
    assert (
        len(
            (await client.get(f"/api/v1/lab/orders/{placed['id']}", headers=w.lab)).json()[
                "results"
            ]
        )
        == 4
    )
    assert (await client.get(f"/api/v1/lab/orders/{placed['id']}", headers=nurse)).json()[
        "results"
    ] == []
    assert (await client.get(f"/api/v1/lab/orders/{placed['id']}", headers=w.doctor)).json()[
        "results"
    ] == []


async def test_worklist_puts_stat_first_then_urgent_then_the_oldest(client, as_role):
    w = await ward(client, as_role)
    routine = await order(client, w.doctor, w.patient["id"], ["CBC"])
    stat = await order(client, w.doctor, w.patient["id"], ["CBC"], priority="stat")
    urgent = await order(client, w.doctor, w.patient["id"], ["CBC"], priority="urgent")
    older_routine = routine["id"]
    later_routine = (await order(client, w.doctor, w.patient["id"], ["CRP"]))["id"]
    listed = (await client.get("/api/v1/lab/orders?status=ordered", headers=w.lab)).json()
    ids = [o["id"] for o in listed["items"]]
    assert ids[:4] == [stat["id"], urgent["id"], older_routine, later_routine]
    assert listed["total"] == 4
    only_stat = (await client.get("/api/v1/lab/orders?priority=stat", headers=w.lab)).json()
    assert [o["id"] for o in only_stat["items"]] == [stat["id"]]


async def test_doctor_lists_only_orders_of_their_patients(client, as_role):
    w = await ward(client, as_role)
    other = await ward(client, as_role)
    mine = await order(client, w.doctor, w.patient["id"], ["CBC"])
    await order(client, other.doctor, other.patient["id"], ["CBC"])
    listed = (await client.get("/api/v1/lab/orders", headers=w.doctor)).json()
    assert [o["id"] for o in listed["items"]] == [mine["id"]]
    refused = await client.get(
        f"/api/v1/lab/orders?patient_id={other.patient['id']}", headers=w.doctor
    )
    assert refused.status_code == 403


async def test_trend_lists_earlier_verified_values_and_results_show_them(client, as_role):
    w = await ward(client, as_role)
    first = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, first["id"], {**LIPID_NORMAL, "LDL": 4.1})
    second = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, second["id"], {**LIPID_NORMAL, "LDL": 3.2})
    pending = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, pending["id"], {**LIPID_NORMAL, "LDL": 2.2}, upto="resulted")
    trend = await client.get(
        f"/api/v1/patients/{w.patient['id']}/lab-trends?analyte=ldl", headers=w.doctor
    )
    assert trend.status_code == 200
    body = trend.json()
    assert body["analyte"] == "LDL" and body["unit"] == "mmol/L"
    assert [p["value"] for p in body["items"]] == [4.1, 3.2]  # the unverified one is not shown
    assert [p["flag"] for p in body["items"]] == ["high", "high"]
    shown = (await client.get(f"/api/v1/lab/orders/{second['id']}", headers=w.doctor)).json()
    assert [p["value"] for p in analyte(shown, "LDL")["previous"]] == [4.1]
    unknown = await client.get(
        f"/api/v1/patients/{w.patient['id']}/lab-trends?analyte=NOPE", headers=w.doctor
    )
    assert unknown.status_code == 422 and code(unknown) == "unknown_analyte"


async def test_pdf_report_prints_once_verified(client, as_role):
    w, me, my_id = await _patient_ward(client, as_role)
    placed = await order(client, w.doctor, my_id, ["LIPID", "UA"])
    values = {
        **LIPID_NORMAL,
        "UPRO": "negative",
        "UGLU": "negative",
        "UKET": "negative",
        "UBLD": "trace",
        "ULEU": "negative",
        "UNIT": "negative",
        "USG": 1.015,
        "UPH": 6,
    }
    await through(client, w.lab, placed["id"], values, upto="resulted")
    early = await client.get(f"/api/v1/lab/orders/{placed['id']}/pdf", headers=w.lab)
    assert early.status_code == 409 and code(early) == "not_verified"
    await client.post(f"/api/v1/lab/orders/{placed['id']}/verify", headers=w.verifier)
    await client.post(f"/api/v1/lab/orders/{placed['id']}/acknowledge", headers=w.doctor)
    for headers in (me, w.doctor):
        pdf = await client.get(f"/api/v1/lab/orders/{placed['id']}/pdf", headers=headers)
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")


async def test_inbox_shows_critical_values_first_and_verified_results(app, client, as_role):
    w = await ward(client, as_role)
    calm = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, calm["id"])
    urgent = await order(client, w.doctor, w.patient["id"], ["BMP"])
    await through(client, w.lab, urgent["id"], upto="in_progress")
    await results(client, w.lab, urgent["id"], {"K": 6.9})
    quiet = await order(client, w.doctor, w.patient["id"], ["CBC"])
    await through(client, w.lab, quiet["id"], upto="in_progress")
    me = (await client.get("/api/v1/auth/me", headers=w.doctor)).json()
    actor = Actor(id=me["id"], username=me["username"], role="doctor", via="test")
    async with session_scope(app.state.sessionmaker) as db:
        rows = await lab_service.inbox(db, actor)
        figures = await lab_service.dashboard_figures(db, actor)
    assert [(r.order_id, r.flag) for r in rows] == [(urgent["id"], "critical"), (calm["id"], None)]
    assert rows[0].link == f"/lab/orders/{urgent['id']}"
    assert figures["critical_awaiting_verification"] == 1
    assert figures["pending_orders"] == 2


async def test_lab_dashboard_counts_the_queue(app, client, as_role):
    w = await ward(client, as_role)
    await order(client, w.doctor, w.patient["id"], ["CBC"], priority="stat")
    second = await order(client, w.doctor, w.patient["id"], ["BMP"])
    await through(client, w.lab, second["id"], upto="in_progress")
    await results(client, w.lab, second["id"], {"NA": 118})
    async with session_scope(app.state.sessionmaker) as db:
        figures = await lab_service.dashboard_figures(
            db, Actor(id=None, username="lab", role="lab_technician")
        )
    assert figures["ordered"] == 1 and figures["in_progress"] == 1
    assert figures["stat_pending"] == 1 and figures["critical_today"] == 1
