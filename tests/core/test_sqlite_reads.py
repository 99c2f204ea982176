"""On SQLite a page or API read runs in a read transaction: it does not wait for, or hold,
the one write lock while it works; its audit row is written in one short write after it,
and the response leaves only once that row is committed (issue 12, item 3)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from openward import db as db_module
from openward.core import audit
from openward.core.audit import AuditEvent
from openward.db import WriteInReadTransaction, begun, session_scope
from openward.patients.models import Patient
from tests.scheduling.factories import new_patient, patient_body


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: PostgreSQL's reads never took its write locks."""
    path = tmp_path / "openward.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite+aiosqlite:///{path}"


def _hold_the_write_lock(database_url: str) -> sqlite3.Connection:
    """Another process in the middle of a long write: it holds SQLite's write lock."""
    writer = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE patients SET notes = notes")
    return writer


async def _reads(app, patient_id: int) -> int:
    async with session_scope(app.state.sessionmaker) as db:
        query = (
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "patient.read", AuditEvent.patient_id == patient_id)
        )
        return int(await db.scalar(query) or 0)


async def test_a_read_does_not_wait_for_a_long_write(app, database_url, client, as_role):
    headers = await as_role("receptionist")
    patient_id = (await new_patient(client, headers))["id"]
    writer = _hold_the_write_lock(database_url)
    try:
        # A write transaction would wait here for the lock (up to the 30 s busy timeout).
        async def read() -> str:
            db = await begun(app.state.read_sessionmaker)
            async with db:
                found = await db.get(Patient, patient_id)
                assert found is not None
                return found.family_name

        assert await asyncio.wait_for(read(), timeout=5)
    finally:
        writer.rollback()
        writer.close()


async def test_the_response_waits_for_its_audit_row(app, database_url, client, as_role):
    headers = await as_role("receptionist")
    patient_id = (await new_patient(client, headers))["id"]
    before = await _reads(app, patient_id)
    writer = _hold_the_write_lock(database_url)
    try:
        pending = asyncio.create_task(client.get(f"/api/v1/patients/{patient_id}", headers=headers))
        await asyncio.sleep(0.5)
        assert not pending.done(), "the record left before its audit row was written"
    finally:
        writer.rollback()
        writer.close()
    response = await asyncio.wait_for(pending, timeout=10)
    assert response.status_code == 200
    assert await _reads(app, patient_id) == before + 1


async def test_a_read_whose_audit_row_cannot_be_written_shows_nothing(
    app, client, as_role, monkeypatch
):
    headers = await as_role("receptionist")
    patient_id = (await new_patient(client, headers))["id"]
    shown = (await client.get(f"/api/v1/patients/{patient_id}", headers=headers)).json()
    before = await _reads(app, patient_id)

    async def locked(_db, _event):
        raise OperationalError("INSERT INTO audit_events", {}, sqlite3.OperationalError("locked"))

    monkeypatch.setattr(audit, "_append", locked)
    response = await client.get(f"/api/v1/patients/{patient_id}", headers=headers)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "access_not_recorded"
    assert shown["family_name"] not in response.text and shown["mrn"] not in response.text
    monkeypatch.undo()
    assert await _reads(app, patient_id) == before


async def test_a_write_slipped_into_a_read_is_refused_every_time(app):
    async with await begun(app.state.read_sessionmaker) as db:
        with pytest.raises(WriteInReadTransaction):
            await db.execute(text("UPDATE patients SET notes = notes"))


async def test_writes_take_turns_and_a_writer_that_never_finishes_gets_a_clear_503(
    app, client, as_role, monkeypatch
):
    """In one process SQLite's writers queue first come first served (no polling of its
    lock); one that waits past the limit is told the database is busy, and nothing is
    half-written."""
    headers = await as_role("receptionist")
    monkeypatch.setattr(db_module, "WRITE_WAIT_SECONDS", 0.3)
    async with session_scope(app.state.sessionmaker) as holding:
        await holding.execute(text("UPDATE patients SET notes = notes"))
        response = await client.post("/api/v1/patients", headers=headers, json=patient_body())
    assert response.status_code == 503
    assert response.json()["code"] == "database_busy"
    monkeypatch.undo()
    many = await asyncio.gather(
        *[client.post("/api/v1/patients", headers=headers, json=patient_body()) for _ in range(12)]
    )
    assert [r.status_code for r in many] == [201] * 12
    async with session_scope(app.state.sessionmaker) as db:
        assert await db.scalar(select(func.count()).select_from(Patient)) == 12
