"""The printable prescription (PDF) with the patient's allergies and any override reason;
each print is audited."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.core.actors import Actor
from openward.core.pdf import Document
from openward.patients import service as patients_service
from openward.patients.mrn import format_mrn
from openward.pharmacy import reading


async def pdf(
    db: AsyncSession,
    actor: Actor,
    prescription_id: int,
    *,
    hospital_name: str,
    zone: ZoneInfo,
    break_glass_reason: str | None = None,
) -> tuple[bytes, str]:
    """The printable prescription and a file name stem."""
    prescription = await reading.get_for(
        db,
        actor,
        prescription_id,
        break_glass_reason=break_glass_reason,
        action="prescription.print",
    )
    shown = await reading.present_one(db, prescription, zone)
    patient = await patients_service.get(db, prescription.patient_id)
    allergies = await clinical_service.active_allergies(db, patient.id)
    document = Document(hospital_name, f"Prescription #{shown.id}", datetime.now(zone))
    document.set_subject(f"Prescription for {patient.full_name}")
    document.set_author(shown.prescriber_name)
    document.fields(
        [
            ("Patient", patient.full_name),
            ("MRN", format_mrn(patient.mrn)),
            ("Date of birth", patient.date_of_birth.strftime("%d %b %Y")),
            (
                "Allergies",
                ", ".join(f"{s} ({sev.replace('_', '-')})" for s, sev in allergies)
                or "No known allergies recorded",
            ),
            ("Date", shown.created_at.strftime("%d %b %Y %H:%M")),
            ("Prescriber", shown.prescriber_name),
            ("Status", shown.status.replace("_", " ")),
        ]
    )
    document.heading("Medicines")
    document.grid(
        ["Medicine", "Dose", "Route", "Frequency", "Days", "Qty", "Instructions"],
        [
            [
                item.medicine,
                item.dose,
                item.route,
                item.frequency,
                str(item.duration_days or "—"),
                str(item.quantity),
                item.instructions or "",
            ]
            for item in shown.items
        ],
        widths=(52, 22, 18, 28, 12, 12, 46),
    )
    if shown.notes:
        document.heading("Notes")
        document.paragraph(shown.notes)
    if shown.override_reason:
        document.heading("Warnings overridden")
        document.paragraph(shown.override_reason)
    document.signature_line(f"Signature — {shown.prescriber_name}")
    return document.to_bytes(), f"prescription-{shown.id}-{patient.mrn}"
