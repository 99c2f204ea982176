"""The lab's contract over HTTP: catalogue, orders, every step, flags, critical alerts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab.factories import (
    LIPID_NORMAL,
    analyte,
    order,
    results,
    step,
    through,
    ward,
)
from tests.scheduling.factories import code, field_errors, new_patient, new_patient_user

# ---------------------------------------------------------------- catalogue


async def test_catalogue_lists_tests_with_prices_and_analyte_limits(client, as_role):
    nurse = await as_role("nurse")
    response = await client.get("/api/v1/lab/tests", headers=nurse)
    assert response.status_code == 200
    tests = {t["code"]: t for t in response.json()["items"]}
    assert {"CBC", "BMP", "LIPID", "HBA1C", "UA", "TSH", "LFT", "CRP", "COAG", "TROP"} <= set(tests)
    assert tests["LIPID"]["name"] == "Lipid panel"
    assert tests["LIPID"]["price"] == "20.00"
    potassium = next(a for a in tests["BMP"]["analytes"] if a["code"] == "K")
    assert potassium == {
        **potassium,
        "name": "Potassium",
        "unit": "mmol/L",
        "low": 3.5,
        "high": 5.1,
        "critical_low": 2.8,
        "critical_high": 6.2,
    }
    ldl = next(a for a in tests["LIPID"]["analytes"] if a["code"] == "LDL")
    assert ldl["critical_low"] is None and ldl["critical_high"] is None
    hgb = next(a for a in tests["CBC"]["analytes"] if a["code"] == "HGB")
    assert {r["sex"] for r in hgb["ranges"]} >= {"male", "female"}


# ---------------------------------------------------------------- ordering


async def test_doctor_orders_lipid_panel_with_price_snapshot_and_is_responsible(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["lipid", "LIPID"], priority="urgent")
    assert placed["status"] == "ordered"
    assert placed["priority"] == "urgent"
    assert [t["code"] for t in placed["tests"]] == ["LIPID"]
    assert placed["total_price"] == "20.00"
    assert placed["doctor"]["name"] == w.doctor_row["full_name"]
    assert [s["step"] for s in placed["steps"]] == ["ordered"]


async def test_unknown_test_code_is_refused_naming_it(client, as_role):
    w = await ward(client, as_role)
    response = await client.post(
        "/api/v1/lab/orders",
        headers=w.doctor,
        json={"patient_id": w.patient["id"], "tests": ["CBC", "NOPE1"], "priority": "routine"},
    )
    assert response.status_code == 422
    assert code(response) == "unknown_test"
    assert "NOPE1" in field_errors(response)["tests"]


async def test_nurse_orders_naming_the_responsible_doctor(client, as_role):
    w = await ward(client, as_role)
    nurse = await as_role("nurse")
    placed = await order(client, nurse, w.patient["id"], ["CBC"], doctor_id=w.doctor_row["id"])
    assert placed["doctor_user_id"] == w.doctor_row["user_id"]
    bad = await client.post(
        "/api/v1/lab/orders",
        headers=nurse,
        json={"patient_id": w.patient["id"], "tests": ["CBC"], "doctor_id": 999999},
    )
    assert bad.status_code == 422 and "doctor_id" in field_errors(bad)


async def test_lab_technician_and_patient_cannot_order(client, as_role):
    w = await ward(client, as_role)
    for headers in (w.lab, await as_role("patient")):
        response = await client.post(
            "/api/v1/lab/orders",
            headers=headers,
            json={"patient_id": w.patient["id"], "tests": ["CBC"]},
        )
        assert response.status_code == 403


async def test_doctor_cannot_order_for_a_patient_not_in_their_care(client, as_role):
    w = await ward(client, as_role)
    stranger = await new_patient(client, w.desk)
    response = await client.post(
        "/api/v1/lab/orders",
        headers=w.doctor,
        json={"patient_id": stranger["id"], "tests": ["CBC"]},
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- steps


async def test_order_moves_through_every_step_with_who_and_when(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    done = await through(client, w.lab, placed["id"], LIPID_NORMAL)
    assert done["status"] == "verified"
    assert [s["step"] for s in done["steps"]] == [
        "ordered",
        "collected",
        "started",
        "resulted",
        "verified",
    ]
    assert all(s["at"] and s["by_name"] for s in done["steps"])
    assert {r["analyte_code"]: r["flag"] for r in done["results"]} == {
        "CHOL": "normal",
        "LDL": "normal",
        "HDL": "normal",
        "TRIG": "normal",
    }


async def test_partial_results_keep_the_order_in_progress_until_every_analyte_has_a_value(
    client, as_role
):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, placed["id"], upto="in_progress")
    first = await results(client, w.lab, placed["id"], {"CHOL": 4.0, "LDL": 2.0})
    assert first.json()["status"] == "in_progress"
    early = await step(client, w.lab, placed["id"], "verify")
    assert early.status_code == 409 and code(early) == "invalid_transition"
    second = await results(client, w.lab, placed["id"], {"HDL": 1.4, "TRIG": 1.0})
    assert second.json()["status"] == "resulted"
    corrected = await results(client, w.lab, placed["id"], {"LDL": 3.6})
    assert corrected.json()["status"] == "resulted"
    ldl = analyte(corrected.json(), "LDL")["result"]
    assert ldl["value"] == 3.6 and ldl["flag"] == "high"


INVALID_MOVES = [
    # (status reached, step that is not allowed from there)
    ("ordered", "start"),
    ("ordered", "results"),
    ("ordered", "verify"),
    ("collected", "collect"),
    ("collected", "results"),
    ("collected", "verify"),
    ("in_progress", "collect"),
    ("in_progress", "start"),
    ("in_progress", "verify"),
    ("resulted", "collect"),
    ("resulted", "start"),
    ("verified", "collect"),
    ("verified", "start"),
    ("verified", "results"),
    ("verified", "verify"),
    ("verified", "cancel"),
    ("cancelled", "collect"),
    ("cancelled", "start"),
    ("cancelled", "results"),
    ("cancelled", "verify"),
    ("cancelled", "cancel"),
]


async def _reach(client, w, status: str) -> int:
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    if status == "cancelled":
        response = await step(client, w.desk, placed["id"], "cancel", reason="Duplicate order")
        assert response.status_code == 200, response.text
    elif status != "ordered":
        await through(client, w.lab, placed["id"], upto=status)
    return placed["id"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_disallowed_step_answers_409_invalid_transition(client, as_role):
    w = await ward(client, as_role)
    reached: dict[str, int] = {}
    for status, name in INVALID_MOVES:
        if status not in reached:
            reached[status] = await _reach(client, w, status)
        order_id = reached[status]
        body: dict[str, Any] = {}
        if name == "results":
            body = {"results": [{"analyte_code": "LDL", "value": 2.0}]}
        if name == "cancel":
            body = {"reason": "No longer needed"}
        response = await step(client, w.lab, order_id, name, **body)
        assert response.status_code == 409, (status, name, response.text)
        assert code(response) == "invalid_transition", (status, name)
        assert response.json()["current_status"] == status


async def test_cancel_needs_a_reason_and_records_it(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["CBC"])
    missing = await client.post(
        f"/api/v1/lab/orders/{placed['id']}/cancel", headers=w.doctor, json={}
    )
    assert missing.status_code == 422
    done = await step(client, w.doctor, placed["id"], "cancel", reason="Ordered twice")
    assert done.json()["status"] == "cancelled"
    assert done.json()["cancel_reason"] == "Ordered twice"


async def test_only_the_lab_records_steps(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["CBC"])
    response = await step(client, w.doctor, placed["id"], "collect")
    assert response.status_code == 403


# ---------------------------------------------------------------- results and flags


async def test_unknown_analyte_and_non_numbers_are_refused_naming_the_field(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, placed["id"], upto="in_progress")
    unknown = await results(client, w.lab, placed["id"], {"CHOL": 4.0, "K": 4.0})
    assert unknown.status_code == 422 and code(unknown) == "unknown_analyte"
    assert "K" in field_errors(unknown)["results[1].analyte_code"]
    text = await results(client, w.lab, placed["id"], {"CHOL": "lots"})
    assert text.status_code == 422 and "results[0].value" in field_errors(text)
    again = await client.get(f"/api/v1/lab/orders/{placed['id']}", headers=w.lab)
    assert again.json()["results"] == []  # nothing half-written


@pytest.mark.parametrize(
    ("sex", "born", "value", "flag"),
    [
        ("male", "1980-01-01", 125, "low"),  # men: 130-175 g/L
        ("female", "1980-01-01", 125, "normal"),  # women: 120-155 g/L
        ("female", "2018-06-01", 105, "low"),  # children 1-15: 110-145 g/L
        ("male", "1980-01-01", 65, "critical_low"),  # < 70 g/L whoever
        ("female", "1980-01-01", 160, "high"),
    ],
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_haemoglobin_is_flagged_by_the_patients_sex_and_age(
    client, as_role, sex, born, value, flag
):
    w = await ward(client, as_role, sex=sex, date_of_birth=born)
    placed = await order(client, w.doctor, w.patient["id"], ["CBC"])
    await through(client, w.lab, placed["id"], upto="in_progress")
    entered = await results(client, w.lab, placed["id"], {"HGB": value})
    assert entered.status_code == 200, entered.text
    hgb = analyte(entered.json(), "HGB")["result"]
    assert hgb["flag"] == flag
    assert hgb["unit"] == "g/L"
    assert hgb["ref_low"] is not None and hgb["ref_high"] is not None


async def test_potassium_limits_and_qualitative_urine_flags(client, as_role):
    w = await ward(client, as_role)
    bmp = await order(client, w.doctor, w.patient["id"], ["BMP", "UA"])
    await through(client, w.lab, bmp["id"], upto="in_progress")
    entered = await results(
        client,
        w.lab,
        bmp["id"],
        {"K": 2.7, "NA": 161, "GLU": 3.0, "CA": 2.3, "UPRO": "Negative", "UNIT": "positive"},
    )
    flags = {r["analyte_code"]: r["flag"] for r in entered.json()["results"]}
    assert flags == {
        "K": "critical_low",
        "NA": "critical_high",
        "GLU": "low",
        "CA": "normal",
        "UPRO": "normal",
        "UNIT": "high",
    }


# ---------------------------------------------------------------- critical values


async def test_critical_value_notifies_the_responsible_doctor_before_verification(client, as_role):
    w = await ward(client, as_role)
    placed = await order(client, w.doctor, w.patient["id"], ["LIPID"])
    await through(client, w.lab, placed["id"], upto="in_progress")
    await results(client, w.lab, placed["id"], {"TRIG": 14.2})
    notes = (await client.get("/api/v1/notifications", headers=w.doctor)).json()["items"]
    critical = [n for n in notes if n["kind"] == "lab.critical_result"]
    assert len(critical) == 1
    assert "Triglycerides 14.2 mmol/L (critical high)" in critical[0]["body"]
    assert critical[0]["link"] == f"/lab/orders/{placed['id']}"
    # The doctor reads the critical value early, marked preliminary; nothing else yet.
    seen = (await client.get(f"/api/v1/lab/orders/{placed['id']}", headers=w.doctor)).json()
    assert [(r["analyte_code"], r["preliminary"]) for r in seen["results"]] == [("TRIG", True)]
    assert seen["flag"] == "critical"


async def test_verification_tells_the_doctor_and_acknowledgement_tells_the_patient(client, as_role):
    admin = await as_role("admin")
    patient_headers, account = await new_patient_user(client)
    w = await ward(client, as_role)
    await client.post(
        f"/api/v1/patients/{account['patient_id']}/care-team",
        headers=admin,
        json={"doctor_id": w.doctor_row["id"]},
    )
    placed = await order(client, w.doctor, account["patient_id"], ["LIPID"])
    await through(client, w.lab, placed["id"], {**LIPID_NORMAL, "LDL": 4.4})
    mine = (await client.get("/api/v1/notifications", headers=patient_headers)).json()["items"]
    assert not any(n["link"] == f"/my/results/lab/{placed['id']}" for n in mine)
    assert any(
        n["kind"] == "lab.result_verified" and "72 hours at the latest" in n["body"] for n in mine
    )
    await client.post(f"/api/v1/lab/orders/{placed['id']}/acknowledge", headers=w.doctor)
    mine = (await client.get("/api/v1/notifications", headers=patient_headers)).json()["items"]
    assert any(n["link"] == f"/my/results/lab/{placed['id']}" for n in mine)
    doctors = (await client.get("/api/v1/notifications", headers=w.doctor)).json()["items"]
    ready = [n for n in doctors if n["kind"] == "lab.result_ready"]
    assert ready and ready[0]["severity"] == "warning"  # LDL is high
