"""A patient's visit history: every appointment with its treatment record (withheld from
those who may see only the visits), and the same as a spreadsheet."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core.actors import Actor
from openward.patients import minimum_necessary
from openward.patients import service as patients_service
from openward.patients.mrn import format_mrn
from openward.scheduling import schemas, treatments
from openward.scheduling.access import present
from openward.scheduling.models import Appointment


async def history(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    zone: ZoneInfo,
    break_glass_reason: str | None = None,
) -> schemas.PatientHistory:
    """Every appointment of a patient with its treatment record, newest first."""
    patient = await patients_service.get_for(
        db, actor, patient_id, break_glass_reason=break_glass_reason, action="patient.history"
    )
    rows = list(
        await db.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient.id)
            .order_by(Appointment.start_at.desc(), Appointment.id.desc())
        )
    )
    withheld = not minimum_necessary.sees(actor, minimum_necessary.VISITS)
    recorded = {} if withheld else await treatments.for_appointments(db, [a.id for a in rows])
    items = []
    for appointment, out in zip(rows, await present(db, rows, zone), strict=True):
        treatment = recorded.get(appointment.id)
        items.append(
            schemas.HistoryItem(
                **out.model_dump(),
                treatment=None
                if treatment is None
                else schemas.TreatmentOut(
                    diagnosis=treatment.diagnosis,
                    treatment_notes=treatment.treatment_notes,
                    prescription=treatment.prescription,
                    next_visit_date=treatment.next_visit_date,
                    recorded_at=treatment.created_at.astimezone(zone),
                ),
            )
        )
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
    "diagnosis",
    "treatment_notes",
    "prescription",
    "next_visit_date",
)


def _cell(value: object) -> str:
    """Spreadsheet-safe text: a leading =, +, - or @ would be run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# The visit columns anyone who may read the history sees (minimum necessary).
VISIT_COLUMNS = CSV_COLUMNS[:6]


def history_csv(record: schemas.PatientHistory) -> str:
    """The history as a spreadsheet; without the treatment columns when they are withheld."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = VISIT_COLUMNS if record.treatments_withheld else CSV_COLUMNS
    writer.writerow(columns)
    for item in record.items:
        t = item.treatment
        row = (
            item.start.date().isoformat(),
            item.start.strftime("%H:%M"),
            item.doctor_name,
            item.department_name,
            item.status,
            item.reason,
            t.diagnosis if t else None,
            t.treatment_notes if t else None,
            t.prescription if t else None,
            t.next_visit_date.isoformat() if t and t.next_visit_date else None,
        )
        writer.writerow([_cell(v) for v in row[: len(columns)]])
    return buffer.getvalue()
