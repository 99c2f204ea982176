"""How the audit trail names a patient: by the formatted MRN (audit's NAMES extension
point), read for a whole page of the trail in one query."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.patients.models import Patient
from openward.patients.mrn import format_mrn


async def patient_mrns(
    db: AsyncSession, wanted: Mapping[str, set[int]]
) -> dict[tuple[str, int], str]:
    ids = wanted.get("patient")
    if not ids:
        return {}
    rows = await db.execute(select(Patient.id, Patient.mrn).where(Patient.id.in_(ids)))
    return {("patient", patient_id): format_mrn(mrn) for patient_id, mrn in rows}
