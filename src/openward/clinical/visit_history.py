"""A patient's visit history: every appointment with its encounter (the visit's one record:
coded diagnoses, assessment, plan, the prescriptions written from it, next visit), withheld
from readers who may see only the visits; and the same as a spreadsheet."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import schemas
from openward.clinical.models import Encounter, EncounterDiagnosis
from openward.core import domains
from openward.core.actors import Actor
from openward.identity import service as identity_service
from openward.patients import minimum_necessary
from openward.patients.mrn import format_mrn
from openward.scheduling import service as scheduling_service

# Extension point: async (db, encounter_ids) -> {encounter_id: ["Amoxicillin 500 mg ...", ...]}
# for the prescriptions written from each encounter (the pharmacy adds it).
VISIT_PRESCRIPTIONS = "clinical.visit_prescriptions"


async def _records(
    db: AsyncSession, actor: Actor, appointment_ids: list[int]
) -> dict[int, schemas.VisitRecord]:
    """The encounter of each appointment (patients: signed ones only), in four statements."""
    if not appointment_ids:
        return {}
    query = select(Encounter).where(Encounter.appointment_id.in_(appointment_ids))
    if actor.role == "patient":
        query = query.where(Encounter.status == "signed")
    rows = list(await db.scalars(query))
    if not rows:
        return {}
    ids = [e.id for e in rows]
    diagnoses: dict[int, list[schemas.DiagnosisOut]] = {}
    for d in await db.scalars(
        select(EncounterDiagnosis)
        .where(EncounterDiagnosis.encounter_id.in_(ids))
        .order_by(EncounterDiagnosis.is_primary.desc(), EncounterDiagnosis.position)
    ):
        diagnoses.setdefault(d.encounter_id, []).append(
            schemas.DiagnosisOut(code=d.code, description=d.description, primary=d.is_primary)
        )
    prescriptions: dict[int, list[str]] = {}
    for feed in domains.extensions(VISIT_PRESCRIPTIONS):
        for encounter_id, lines in (await feed(db, ids)).items():
            prescriptions.setdefault(encounter_id, []).extend(lines)
    signers = await identity_service.full_names(db, [e.signed_by for e in rows if e.signed_by])
    return {
        e.appointment_id: schemas.VisitRecord(
            encounter_id=e.id,
            status=e.status,  # type: ignore[arg-type]
            origin=e.origin,  # type: ignore[arg-type]
            diagnoses=diagnoses.get(e.id, []),
            assessment=e.assessment,
            plan=e.plan,
            prescriptions=prescriptions.get(e.id, []),
            prescription_note=e.prescription_note,
            next_visit_date=e.next_visit_date,
            signed_at=e.signed_at,
            signed_by_name=signers.get(e.signed_by) if e.signed_by else None,
        )
        for e in rows
        if e.appointment_id is not None
    }


async def history(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    zone: ZoneInfo,
    break_glass_reason: str | None = None,
) -> schemas.PatientHistory:
    """Every appointment of a patient with its encounter, newest first."""
    patient, visits = await scheduling_service.visits(
        db, actor, patient_id, zone=zone, break_glass_reason=break_glass_reason
    )
    withheld = not minimum_necessary.sees(actor, minimum_necessary.VISITS)
    records = {} if withheld else await _records(db, actor, [v.id for v in visits])
    items = [schemas.HistoryItem(**v.model_dump(), encounter=records.get(v.id)) for v in visits]
    brief = {
        "id": patient.id,
        "mrn": patient.mrn,
        "mrn_display": format_mrn(patient.mrn),
        "full_name": patient.full_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
    }
    return schemas.PatientHistory(
        patient=brief, items=items, total=len(items), treatments_withheld=withheld
    )


CSV_COLUMNS = (
    "date",
    "time",
    "doctor",
    "department",
    "status",
    "reason",
    "diagnoses",
    "assessment",
    "plan",
    "prescriptions",
    "next_visit_date",
    "encounter",
)
# The visit columns anyone who may read the history sees (minimum necessary).
VISIT_COLUMNS = CSV_COLUMNS[:6]


def _cell(value: object) -> str:
    """Spreadsheet-safe text: a leading =, +, - or @ would be run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _prescriptions(record: schemas.VisitRecord) -> str:
    lines = list(record.prescriptions)
    if record.prescription_note:
        lines.append(f"(free text, written before prescribing) {record.prescription_note}")
    return "; ".join(lines)


def _encounter_label(record: schemas.VisitRecord) -> str:
    label = f"{record.status} #{record.encounter_id}"
    return f"{label} (migrated treatment record)" if record.origin == "migrated" else label


def history_csv(record: schemas.PatientHistory) -> str:
    """The history as a spreadsheet; without the clinical columns when they are withheld."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = VISIT_COLUMNS if record.treatments_withheld else CSV_COLUMNS
    writer.writerow(columns)
    for item in record.items:
        e = item.encounter
        row = (
            item.start.date().isoformat(),
            item.start.strftime("%H:%M"),
            item.doctor_name,
            item.department_name,
            item.status,
            item.reason,
            "; ".join(f"{d.code} {d.description}" for d in e.diagnoses) if e else None,
            e.assessment if e else None,
            e.plan if e else None,
            _prescriptions(e) if e else None,
            e.next_visit_date.isoformat() if e and e.next_visit_date else None,
            _encounter_label(e) if e else None,
        )
        writer.writerow([_cell(v) for v in row[: len(columns)]])
    return buffer.getvalue()
