"""The chart: everything about one patient read once and audited once, with encounters,
vital signs, prescriptions, lab and imaging merged on one timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import schemas
from openward.clinical import vitals as vital_rules
from openward.clinical.allergies import (
    SEVERE,
    allergies_of,
    assessment_of,
    people_of,
    present_allergies,
    present_assessment,
)
from openward.clinical.care_plans import care_plans_of, present_care_plans
from openward.clinical.encounters import encounter_scope, present_encounters
from openward.clinical.models import Encounter
from openward.clinical.problems import present_problems, problems_of
from openward.clinical.service import checked_patient
from openward.clinical.vital_signs import present_vitals, vitals_of
from openward.core import audit, domains
from openward.core.actors import Actor
from openward.core.timeline import TimelineItem
from openward.identity import service as identity_service

if TYPE_CHECKING:
    from openward.patients.models import Patient

# Extension points other domains add to (see core.domains.Domain.extends):
# async (db, patient_id) -> list[TimelineItem]: their events on the chart's timeline;
TIMELINE = "chart.timeline"
# async (db, patient_id) -> list: the medications the patient takes now (the pharmacy's).
MEDICATIONS = "chart.medications"

CHART_VITALS = 30  # vital sign sets shown on the chart (table and trend)
TIMELINE_LIMIT = 60


# ---------------------------------------------------------------- the chart


@dataclass
class Chart:
    """Everything the chart page shows of one patient, read once and audited once."""

    patient: Patient
    allergies: list[schemas.AllergyOut]
    allergy_assessment: schemas.AllergyAssessmentOut
    problems: list[schemas.ProblemOut]
    medications: list[Any]
    vitals: list[schemas.VitalsOut]
    encounters: list[schemas.EncounterOut]
    care_plans: list[schemas.CarePlanOut]
    timeline: list[TimelineItem]
    severe_allergy: bool = False
    staff: list[tuple[int, str]] = field(default_factory=list)


def _patient_link(item: TimelineItem) -> TimelineItem:
    """The patient's own pages for what their chart's timeline links to."""
    link = item.link or ""
    for prefix, mine in (
        ("/lab/orders/", "/my/results/lab/"),
        ("/radiology/orders/", "/my/results/imaging/"),
    ):
        if link.startswith(prefix):
            link = mine + link[len(prefix) :]
    if link.startswith("/prescriptions/"):
        link = "/my/prescriptions"
    return TimelineItem(item.at, item.kind, item.title, item.detail, link or None, item.flag)


def merge_timeline(
    *feeds: Sequence[TimelineItem], limit: int = TIMELINE_LIMIT
) -> list[TimelineItem]:
    """Entries of every domain in one list, newest first."""
    merged = [item for feed in feeds for item in feed]
    merged.sort(key=lambda item: item.at, reverse=True)
    return merged[:limit]


def _own_timeline(
    encounters: Sequence[schemas.EncounterOut], vitals: Sequence[schemas.VitalsOut]
) -> list[TimelineItem]:
    items = []
    for e in encounters:
        primary = next((d for d in e.diagnoses if d.primary), None)
        items.append(
            TimelineItem(
                at=e.signed_at or e.created_at,
                kind="encounter",
                title=f"Encounter — {e.status}" + (f" by {e.doctor_name}" if e.doctor_name else ""),
                detail=(f"{primary.code} {primary.description}" if primary else e.chief_complaint),
                link=f"/encounters/{e.id}",
            )
        )
    for v in vitals:
        parts = []
        if v.systolic is not None and v.diastolic is not None:
            parts.append(f"BP {v.systolic}/{v.diastolic}")
        if v.pulse is not None:
            parts.append(f"pulse {v.pulse}")
        if v.temperature is not None:
            parts.append(f"{v.temperature:.1f} °C")
        if v.spo2 is not None:
            parts.append(f"SpO2 {v.spo2}%")
        if v.weight_kg is not None:
            parts.append(f"{v.weight_kg:g} kg")
        items.append(
            TimelineItem(
                at=v.taken_at,
                kind="vitals",
                title="Vital signs"
                + (
                    " — out of range: " + ", ".join(vital_rules.LABELS[f] for f in v.flags)
                    if v.flags
                    else ""
                ),
                detail=", ".join(parts),
                link=None,
                flag="abnormal" if v.flags else None,
            )
        )
    return items


async def chart(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    break_glass_reason: str | None = None,
) -> Chart:
    """The whole chart of a patient for the actor (patients: their own, drafts hidden)."""
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    allergy_rows = await allergies_of(db, patient.id)
    assessment = await assessment_of(db, patient.id)
    problem_rows = await problems_of(db, patient.id)
    vitals_rows, _ = await vitals_of(db, patient.id, limit=CHART_VITALS)
    encounter_rows = list(
        await db.scalars(
            encounter_scope(actor, select(Encounter).where(Encounter.patient_id == patient.id))
            .order_by(Encounter.created_at.desc(), Encounter.id.desc())
            .limit(50)
        )
    )
    plan_rows = await care_plans_of(db, patient.id)
    names = await identity_service.full_names(
        db,
        people_of(allergy_rows, assessment)
        + [p.recorded_by for p in problem_rows]
        + [v.recorded_by for v in vitals_rows],
    )
    allergies = present_allergies(allergy_rows, names)
    vitals = present_vitals(vitals_rows, names)
    encounters = await present_encounters(db, encounter_rows)
    feeds = [_own_timeline(encounters, vitals)]
    for feed in domains.extensions(TIMELINE):
        feeds.append(await feed(db, patient.id))
    timeline = merge_timeline(*feeds)
    if actor.role == "patient":
        timeline = [_patient_link(item) for item in timeline]
    await audit.record(
        db,
        actor,
        "chart.read",
        object_type="patient",
        object_id=patient.id,
        patient_id=patient.id,
        reason=break_glass_reason,
    )
    return Chart(
        patient=patient,
        allergies=allergies,
        allergy_assessment=present_assessment(allergy_rows, assessment, names),
        problems=present_problems(problem_rows, names),
        medications=[m for f in domains.extensions(MEDICATIONS) for m in await f(db, patient.id)],
        vitals=vitals,
        encounters=encounters,
        care_plans=await present_care_plans(db, plan_rows),
        timeline=timeline,
        severe_allergy=any(
            a.status == "active" and a.severity in (*SEVERE, "unknown") for a in allergies
        ),
    )


@dataclass
class EncounterContext:
    """What the doctor sees beside the encounter form: current medications and problems."""

    medications: list[Any]
    problems: list[Any]


async def encounter_context(db: AsyncSession, patient_id: int) -> EncounterContext:
    """For a patient whose encounter page was already opened (access checked, audited)."""
    problem_rows = [p for p in await problems_of(db, patient_id, "problem") if p.status == "active"]
    return EncounterContext(
        medications=[m for f in domains.extensions(MEDICATIONS) for m in await f(db, patient_id)],
        problems=problem_rows,
    )
