"""What the patient chart shows of prescribing: current medications and the timeline.

Unaudited reads for the chart, which audits the chart view as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core.timeline import TimelineItem
from openward.pharmacy.models import Medicine, Prescription, PrescriptionItem


@dataclass(frozen=True)
class MedicationLine:
    prescription_id: int
    medicine: str  # "Atorvastatin 20 mg tablet"
    generic_name: str
    dose: str
    route: str
    frequency: str
    duration_days: int | None
    status: str  # the prescription's status
    prescribed_at: datetime


def medicine_label(medicine: Medicine) -> str:
    return " ".join(part for part in (medicine.name, medicine.strength, medicine.form) if part)


async def active_medications(db: AsyncSession, patient_id: int) -> list[MedicationLine]:
    """Items of the patient's prescriptions that are not cancelled, newest first."""
    rows = await db.execute(
        select(PrescriptionItem, Prescription, Medicine)
        .join(Prescription, Prescription.id == PrescriptionItem.prescription_id)
        .join(Medicine, Medicine.id == PrescriptionItem.medicine_id)
        .where(Prescription.patient_id == patient_id, Prescription.status != "cancelled")
        .order_by(Prescription.created_at.desc(), PrescriptionItem.id)
    )
    return [
        MedicationLine(
            prescription_id=prescription.id,
            medicine=medicine_label(medicine),
            generic_name=medicine.generic_name,
            dose=item.dose,
            route=item.route,
            frequency=item.frequency,
            duration_days=item.duration_days,
            status=prescription.status,
            prescribed_at=prescription.created_at,
        )
        for item, prescription, medicine in rows
    ]


async def timeline(db: AsyncSession, patient_id: int, *, limit: int = 50) -> list[TimelineItem]:
    prescriptions = (
        await db.scalars(
            select(Prescription)
            .where(Prescription.patient_id == patient_id)
            .order_by(Prescription.created_at.desc())
            .limit(limit)
        )
    ).all()
    if not prescriptions:
        return []
    names: dict[int, list[str]] = {}
    rows = await db.execute(
        select(PrescriptionItem.prescription_id, Medicine)
        .join(Medicine, Medicine.id == PrescriptionItem.medicine_id)
        .where(PrescriptionItem.prescription_id.in_([p.id for p in prescriptions]))
        .order_by(PrescriptionItem.id)
    )
    for prescription_id, medicine in rows:
        names.setdefault(prescription_id, []).append(medicine_label(medicine))
    return [
        TimelineItem(
            at=p.created_at,
            kind="prescription",
            title=f"Prescription #{p.id} — {p.status.replace('_', ' ')}",
            detail=", ".join(names.get(p.id, [])),
            link=f"/prescriptions/{p.id}",
        )
        for p in prescriptions
    ]


async def visit_prescriptions(db: AsyncSession, encounter_ids: list[int]) -> dict[int, list[str]]:
    """What was prescribed from each encounter (not cancelled), for the visit history and
    its export: "Amlodipine 5 mg tablet — 5 mg oral once daily, 28 days"."""
    if not encounter_ids:
        return {}
    rows = await db.execute(
        select(Prescription.encounter_id, PrescriptionItem, Medicine)
        .join(Prescription, Prescription.id == PrescriptionItem.prescription_id)
        .join(Medicine, Medicine.id == PrescriptionItem.medicine_id)
        .where(Prescription.encounter_id.in_(encounter_ids), Prescription.status != "cancelled")
        .order_by(Prescription.id, PrescriptionItem.id)
    )
    found: dict[int, list[str]] = {}
    for encounter_id, item, medicine in rows:
        days = f", {item.duration_days} days" if item.duration_days else ""
        found.setdefault(encounter_id, []).append(
            f"{medicine_label(medicine)} — {item.dose} {item.route} {item.frequency}{days}"
        )
    return found
