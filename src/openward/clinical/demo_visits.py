"""The demo clinic's past visits as real records: every visit that was seen (checked in and
over) gets its signed encounter, written by its doctor, with a coded diagnosis fitting the
reason for the visit and the doctor's specialty; signing completes the visit. The pharmacy's
demo then prescribes from these encounters (through its checks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import encounters, schemas
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.scheduling import service as scheduling_service
from openward.staff import service as staff_service


@dataclass(frozen=True)
class Visit:
    codes: tuple[str, ...]
    examination: str
    assessment: str
    plan: str
    next_visit_days: int | None


# The reason a visit was booked for (scheduling's demo books these) -> what the doctor found.
VISITS: dict[str, Visit] = {
    # General medicine
    "Blood pressure review": Visit(
        ("I10",),
        "BP 148/92 seated, repeat 144/90. Heart sounds normal.",
        "Essential hypertension, not at target.",
        "Start amlodipine 5 mg once daily; home BP diary; review in 4 weeks.",
        28,
    ),
    "Persistent cough": Visit(
        ("J20.9",),
        "Temperature 37.8 °C, scattered wheeze, SpO2 97% on air.",
        "Acute bronchitis.",
        "Fluids and paracetamol; return if breathless or fever beyond 5 days.",
        None,
    ),
    "Fever for three days": Visit(
        ("J06.9",),
        "Temperature 38.1 °C, inflamed pharynx, chest clear.",
        "Acute upper respiratory infection, viral.",
        "Paracetamol up to four times daily; fluids; safety-netting given.",
        None,
    ),
    "Diabetes review": Visit(
        ("E11.9",),
        "Feet: pulses present, sensation intact. BMI 29.",
        "Type 2 diabetes, HbA1c above target, no complications found.",
        "Metformin 500 mg twice daily with meals; HbA1c in 3 months.",
        90,
    ),
    "Headaches": Visit(
        ("G43.0",),
        "Neurological examination normal, fundi normal.",
        "Migraine without aura.",
        "Headache diary; paracetamol at onset; avoid overuse of analgesics.",
        42,
    ),
    "Back pain": Visit(
        ("M54.5",),
        "Paraspinal tenderness L4/5, straight-leg raise negative, no red flags.",
        "Mechanical low back pain.",
        "Stay active; ibuprofen 400 mg three times daily with food for 5 days.",
        None,
    ),
    "Annual check-up": Visit(
        ("Z00.0",),
        "BP 126/78, BMI 24, examination unremarkable.",
        "General medical examination: well.",
        "Lipid panel and HbA1c ordered; lifestyle advice.",
        365,
    ),
    "Wheeze and night-time cough": Visit(
        ("J45.9",),
        "Expiratory wheeze, peak flow 78% of predicted.",
        "Asthma, partly controlled.",
        "Salbutamol inhaler as required plus low-dose inhaled steroid; technique checked.",
        42,
    ),
    # Cardiology
    "Chest pain on exertion": Visit(
        ("I20.9",),
        "Heart sounds normal, no murmurs; ECG sinus rhythm without acute change.",
        "Stable angina pectoris.",
        "Glyceryl trinitrate spray as needed; exercise stress test booked.",
        28,
    ),
    "Palpitations": Visit(
        ("I48.9",),
        "Irregularly irregular pulse 96/min; ECG atrial fibrillation.",
        "Atrial fibrillation, new, CHA2DS2-VASc 2.",
        "Bisoprolol 2.5 mg daily; anticoagulation discussed; echocardiogram booked.",
        28,
    ),
    "Breathless on walking": Visit(
        ("I50.9",),
        "Bibasal crackles, ankle oedema, JVP raised.",
        "Heart failure, likely reduced ejection fraction.",
        "Furosemide 40 mg each morning; daily weights; echocardiogram booked.",
        14,
    ),
    "Raised cholesterol": Visit(
        ("E78.5",),
        "BP 134/84, no xanthelasma.",
        "Hyperlipidaemia; 10-year cardiovascular risk 14%.",
        "Atorvastatin 20 mg at night; repeat lipids in 12 weeks.",
        84,
    ),
    # Paediatrics
    "Earache and fever": Visit(
        ("H66.9",),
        "Right tympanic membrane red and bulging; temperature 38.4 °C.",
        "Acute otitis media.",
        "Paracetamol suspension for pain and fever; amoxicillin if no better in 48 h.",
        None,
    ),
    "Vomiting and diarrhoea": Visit(
        ("A09.9",),
        "Mildly dry mucous membranes, abdomen soft, capillary refill under 2 s.",
        "Gastroenteritis; mild dehydration.",
        "Oral rehydration; small frequent fluids; return if drowsy or not drinking.",
        None,
    ),
    "Itchy rash": Visit(
        ("L20.9",),
        "Dry excoriated patches in the elbow and knee creases.",
        "Atopic eczema.",
        "Emollients liberally; cetirizine at night for itch; review in 6 weeks.",
        42,
    ),
    "Cough and cold": Visit(
        ("J06.9",),
        "Clear rhinorrhoea, chest clear, well hydrated.",
        "Upper respiratory tract infection, viral.",
        "Paracetamol suspension as needed; fluids; safety-netting advice to parents.",
        None,
    ),
    # Orthopaedics
    "Knee pain after running": Visit(
        ("M22.2",),
        "Pain on patellar compression, no effusion, ligaments stable.",
        "Patellofemoral pain syndrome.",
        "Quadriceps strengthening programme; reduce running load; ibuprofen if needed.",
        42,
    ),
    "Knee stiffness": Visit(
        ("M17.1",),
        "Crepitus, reduced flexion, small effusion on the right.",
        "Primary osteoarthritis of the knee.",
        "Exercise therapy and weight advice; paracetamol regularly; X-ray ordered.",
        84,
    ),
    "Twisted ankle": Visit(
        ("S93.4",),
        "Swelling over the anterior talofibular ligament; Ottawa rules negative.",
        "Ankle sprain.",
        "Rest, ice, compression, elevation; ibuprofen for 5 days; physiotherapy.",
        None,
    ),
    "Shoulder pain": Visit(
        ("M75.1",),
        "Painful arc 60–120°, strength preserved.",
        "Rotator cuff syndrome.",
        "Physiotherapy; naproxen for 10 days; review for injection if no better.",
        42,
    ),
    # Dermatology
    "Rash on both arms": Visit(
        ("L50.0",),
        "Raised wheals on both forearms, no angioedema.",
        "Allergic urticaria.",
        "Cetirizine 10 mg daily; avoid the suspected trigger; diary.",
        None,
    ),
    "Spots on the face": Visit(
        ("L70.0",),
        "Comedones and inflamed papules on cheeks and forehead.",
        "Acne vulgaris, moderate.",
        "Doxycycline 100 mg daily for 3 months; topical benzoyl peroxide.",
        84,
    ),
    "Scaly patches": Visit(
        ("L40.0",),
        "Well-demarcated scaly plaques on elbows and knees; nails spared.",
        "Psoriasis vulgaris.",
        "Topical steroid and vitamin D analogue; emollients.",
        56,
    ),
    "Thickened toenail": Visit(
        ("B35.1",),
        "Yellow thickened great toenail; clippings taken.",
        "Tinea unguium.",
        "Nail clippings for culture; treatment once confirmed.",
        42,
    ),
}
# A visit booked with a reason this table does not know (a follow-up): by specialty.
FOLLOW_UP: dict[str, str] = {
    "General Medicine": "Blood pressure review",
    "Cardiology": "Raised cholesterol",
    "Paediatrics": "Cough and cold",
    "Orthopaedics": "Knee stiffness",
    "Dermatology": "Itchy rash",
}


def visit_for(reason: str | None, department: str) -> Visit:
    return VISITS.get(reason or "") or VISITS[FOLLOW_UP.get(department, "Annual check-up")]


async def record_past_visits(db: AsyncSession, *, now: datetime, zone: ZoneInfo) -> int:
    """Sign the encounter of every visit seen and over (checked in more than two hours
    ago); returns how many. Idempotent: a completed visit is never visited again."""
    system = Actor.system("demo")
    start, end = now - timedelta(days=400), now - timedelta(hours=2)
    # Counts name nobody: a run with nothing to record reads (and audits) no patient's visit.
    if not (await scheduling_service.counts_by_status(db, start, end))["checked_in"]:
        return 0
    seen = await scheduling_service.window(
        db, system, start=start, end=end, statuses=["checked_in"], limit=10_000
    )
    if not seen:
        return 0
    views = await staff_service.doctor_views(db, list({a.doctor_id for a in seen}))
    signed = 0
    for appointment in seen:
        view = views[appointment.doctor_id]
        doctor = Actor(id=view.doctor.user_id, username="demo", role="doctor", via="demo")
        visit = visit_for(appointment.reason, view.department.name)
        try:
            encounter = await encounters.create_encounter(
                db,
                doctor,
                schemas.EncounterCreate(
                    patient_id=appointment.patient_id,
                    appointment_id=appointment.id,
                    chief_complaint=appointment.reason or "Follow-up",
                    examination=visit.examination,
                    assessment=visit.assessment,
                    plan=visit.plan,
                    next_visit_date=appointment.start_at.astimezone(zone).date()
                    + timedelta(days=visit.next_visit_days)
                    if visit.next_visit_days
                    else None,
                    diagnoses=[
                        schemas.DiagnosisIn(code=code, primary=i == 0)
                        for i, code in enumerate(visit.codes)
                    ],
                ),
            )
            await encounters.sign_encounter(db, doctor, encounter.id)
        except DomainError:
            continue  # an encounter already written for it: leave it as it is
        finished = appointment.end_at
        encounter.created_at = appointment.start_at + timedelta(minutes=5)
        encounter.updated_at = encounter.signed_at = finished
        appointment.completed_at = finished
        signed += 1
    await db.flush()
    return signed
