"""Demo clinical records: allergies, problems and history, a few weeks of vital signs (so the
trend chart has a shape), a signed encounter with ICD-10 diagnoses and a care plan for the
demo doctor's patients, Paula Fischer (the "patient" login) first. Idempotent: once any
encounter exists, nothing is added."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import allergies, care_plans, encounters, problems, schemas, vital_signs
from openward.clinical.models import Encounter
from openward.core.actors import Actor
from openward.identity import service as identity_service
from openward.patients import service as patients_service
from openward.scheduling import service as scheduling_service
from openward.staff import service as staff_service

# substance, reaction, severity
ALLERGIES = [
    ("Penicillin", "Urticaria and facial swelling", "severe"),
    ("Ibuprofen", "Wheeze", "moderate"),
    ("Latex", "Contact dermatitis", "mild"),
    ("Peanuts", "Anaphylaxis", "life_threatening"),
    ("Codeine", "Nausea and vomiting", "mild"),
]

# (problem codes, history entries, chief complaint, assessment, plan, care plan)
PROFILES = [
    (
        ["E78.5", "I10"],
        ["Appendicectomy, 2004"],
        "Follow-up of raised cholesterol and blood pressure",
        "Hyperlipidaemia with borderline hypertension; 10-year cardiovascular risk 12%.",
        (
            "Atorvastatin 20 mg at night. Home blood pressure diary for two weeks. "
            "Repeat lipid panel in 12 weeks."
        ),
        (
            "Cardiovascular risk reduction",
            "LDL cholesterol below 3.0 mmol/L; clinic blood pressure below 140/90.",
            "Statin adherence check; dietitian referral; home blood pressure readings weekly.",
        ),
    ),
    (
        ["E11.9"],
        ["Gestational diabetes, 2012"],
        "Diabetes review",
        "Type 2 diabetes, HbA1c 58 mmol/mol, no complications found on examination.",
        "Continue metformin 500 mg twice daily; annual retinal screening booked.",
        (
            "Diabetes self-management",
            "HbA1c below 53 mmol/mol within six months; daily foot checks.",
            "Structured education course; nurse review every 3 months; foot care leaflet.",
        ),
    ),
    (
        ["J45.9"],
        ["Fractured left radius, 2015"],
        "Wheeze and night-time cough for three weeks",
        "Asthma, partly controlled; peak flow 78% of predicted.",
        "Step up to low-dose inhaled corticosteroid; inhaler technique checked; review 6 weeks.",
        (
            "Asthma control",
            "No night waking; peak flow above 85% of predicted.",
            "Personal asthma action plan; inhaler technique review at each visit.",
        ),
    ),
    (
        ["I10", "E66.9"],
        ["Cholecystectomy, 2019"],
        "High readings on home blood pressure monitor",
        "Essential hypertension with obesity (BMI 31).",
        "Start amlodipine 5 mg daily; weight-management programme; review in 4 weeks.",
        (
            "Weight and blood pressure",
            "Lose 5% of body weight in 6 months; blood pressure below 140/90.",
            "Weight-management group; monthly weight and blood pressure with the practice nurse.",
        ),
    ),
]


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour` o'clock on `day` in the hospital's zone."""
    return datetime.combine(day, time(hour, 0), tzinfo=zone)


def _past(moment: datetime, now: datetime) -> datetime:
    """`moment`, or when it has not come yet (today's rounds, early in the day), the same
    local time on the latest day by which it had."""
    while moment >= now:
        moment -= timedelta(days=1)  # wall-clock arithmetic: the same hour, a day earlier
    return moment


async def _patients_of(db: AsyncSession, doctor_id: int) -> list[int]:
    seen = scheduling_service.patient_ids_of_doctor(doctor_id).subquery()
    rows = await db.scalars(select(seen.c.patient_id).distinct().order_by(seen.c.patient_id))
    return list(rows)


async def seed(db: AsyncSession, *, now: datetime, zone: ZoneInfo) -> None:
    """The charts as of `now` (aware): every observation and signature lies before it."""
    if await db.scalar(select(func.count(Encounter.id))):
        return
    doctor_user = await identity_service.find_by_username(db, "doctor")
    nurse_user = await identity_service.find_by_username(db, "nurse")
    if doctor_user is None or nurse_user is None:
        return
    doctor = await staff_service.doctor_for_user(db, doctor_user.id)
    if doctor is None:
        return
    doctor_actor = Actor(id=doctor_user.id, username="doctor", role="doctor", via="demo")
    nurse_actor = Actor(id=nurse_user.id, username="nurse", role="nurse", via="demo")
    patient_ids = await _patients_of(db, doctor.id)
    paula = await identity_service.find_by_username(db, "patient")
    if paula is not None:
        own = await patients_service.for_user(db, Actor.system("demo"), paula.id)
        if own is not None:
            patient_ids = [own.id] + [p for p in patient_ids if p != own.id]
    rng = random.Random(4042)
    for index, patient_id in enumerate(patient_ids[:6]):
        await _chart_for(
            db, rng, doctor_actor, nurse_actor, nurse_user.id, patient_id, index, now, zone
        )


async def _chart_for(db, rng, doctor, nurse, nurse_id, patient_id, index, now, zone) -> None:
    today = now.astimezone(zone).date()
    codes, history, complaint, assessment, plan, care = PROFILES[index % len(PROFILES)]
    chosen = [ALLERGIES[0]] if index == 0 else rng.sample(ALLERGIES[1:], index % 3)
    for substance, reaction, severity in chosen:
        await allergies.add_allergy(
            db,
            nurse,
            patient_id,
            schemas.AllergyIn(substance=substance, reaction=reaction, severity=severity),
        )
    for years, code in enumerate(codes, start=2):
        await problems.add_problem(
            db,
            doctor,
            patient_id,
            schemas.ProblemIn(
                code=code, onset_date=today.replace(day=1) - timedelta(days=365 * years)
            ),
        )
    for entry in history:
        await problems.add_problem(
            db, nurse, patient_id, schemas.ProblemIn(kind="history", description=entry)
        )

    # Weekly observations over six weeks, settling after treatment starts.
    height = Decimal(rng.choice([158, 164, 171, 177, 183]))
    weight = Decimal(rng.randrange(62, 98))
    systolic, diastolic = rng.randrange(142, 158), rng.randrange(88, 96)
    for week in range(6, -1, -1):
        day = today - timedelta(days=7 * week + rng.randrange(0, 2))
        await vital_signs.record_vitals(
            db,
            nurse,
            patient_id,
            schemas.VitalsIn(
                systolic=systolic,
                diastolic=diastolic,
                pulse=rng.randrange(62, 92),
                respiratory_rate=rng.randrange(13, 19),
                temperature=Decimal(f"36.{rng.randrange(4, 9)}"),
                spo2=rng.randrange(95, 100),
                weight_kg=weight,
                height_cm=height if week == 6 else None,
                taken_at=_past(_at(day, 9 + rng.randrange(0, 7), zone), now),
            ),
        )
        systolic -= rng.randrange(0, 5)
        diastolic -= rng.randrange(0, 3)
        weight -= Decimal(rng.choice(["0.0", "0.3", "0.5"]))

    encounter = await encounters.create_encounter(
        db,
        doctor,
        schemas.EncounterCreate(
            patient_id=patient_id,
            chief_complaint=complaint,
            history="Symptoms and home readings reviewed; no chest pain or breathlessness.",
            examination="Heart sounds normal, chest clear, no peripheral oedema.",
            assessment=assessment,
            plan=plan,
            next_visit_date=today + timedelta(days=42),
            diagnoses=[schemas.DiagnosisIn(code=c, primary=i == 0) for i, c in enumerate(codes)],
        ),
    )
    await encounters.sign_encounter(db, doctor, encounter.id)
    seen_at = _at(today - timedelta(days=14), 10, zone)
    encounter.created_at = encounter.updated_at = seen_at
    encounter.signed_at = seen_at + timedelta(minutes=25)
    if index == 0:
        await encounters.amend_encounter(
            db,
            doctor,
            encounter.id,
            schemas.AmendmentIn(text="Lipid panel back: LDL 4.6 mmol/L; statin plan confirmed."),
        )
    # A draft from today, awaiting the doctor's signature on the dashboard.
    if index == 1:
        await encounters.create_encounter(
            db,
            doctor,
            schemas.EncounterCreate(
                patient_id=patient_id,
                chief_complaint="Telephone review of home glucose readings",
                diagnoses=[schemas.DiagnosisIn(code="E11.9")],
            ),
        )
    title, goals, activities = care
    await care_plans.add_care_plan(
        db,
        doctor,
        patient_id,
        schemas.CarePlanIn(
            title=title,
            goals=goals,
            activities=activities,
            responsible_user_id=nurse_id,
            review_date=today + timedelta(days=90),
        ),
    )
