"""Demo hospital's outpatient clinic: departments, doctors with weekly hours, patients, and a spread of past,
today's and future appointments, so that every dashboard shows something real."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor
from openward.core.domains import DemoRun
from openward.core.errors import DomainError
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import schemas as patient_schemas
from openward.patients import service as patients_service
from openward.scheduling import schemas as scheduling_schemas
from openward.scheduling import service as scheduling_service
from openward.staff import schemas as staff_schemas
from openward.staff import service as staff_service

DEPARTMENTS = [
    ("General Medicine", "Outpatient clinic, ground floor", "Walk-in and booked consultations."),
    ("Cardiology", "Heart centre, 2nd floor", "Heart and circulation."),
    ("Paediatrics", "Children's wing, 1st floor", "Children and adolescents."),
    ("Orthopaedics", "Block B, 1st floor", "Bones, joints and sports injuries."),
    ("Dermatology", "Block C, ground floor", "Skin, hair and nails."),
]

# username, full name, department, specialization, qualification, years, fee, works weekends
DOCTORS = [
    (
        "doctor",
        "Dr. David Mensah",
        "General Medicine",
        "Family Medicine",
        "MBChB, MRCGP",
        12,
        "40.00",
        True,
    ),
    (
        "dr.farouk",
        "Dr. Omar Farouk",
        "General Medicine",
        "Internal Medicine",
        "MD",
        8,
        "45.00",
        True,
    ),
    ("dr.rossi", "Dr. Sofia Rossi", "Cardiology", "Cardiology", "MD, FESC", 15, "90.00", False),
    ("dr.watanabe", "Dr. Kenji Watanabe", "Cardiology", "Cardiology", "MD, PhD", 9, "85.00", False),
    (
        "dr.diallo",
        "Dr. Amina Diallo",
        "Paediatrics",
        "Paediatrics",
        "MD, MRCPCH",
        11,
        "60.00",
        False,
    ),
    (
        "dr.oliveira",
        "Dr. Lucas Oliveira",
        "Orthopaedics",
        "Orthopaedic Surgery",
        "MD, FRCS",
        14,
        "95.00",
        False,
    ),
    (
        "dr.schmidt",
        "Dr. Hannah Schmidt",
        "Dermatology",
        "Dermatology",
        "Dr. med.",
        6,
        "70.00",
        False,
    ),
]

GIVEN = [
    "José",
    "Zoë",
    "Łukasz",
    "Chloé",
    "Aisha",
    "Mohammed",
    "Mei",
    "Oliver",
    "Amelia",
    "Søren",
    "Ingrid",
    "Ravi",
    "Ananya",
    "Kwame",
    "Fatima",
    "Liam",
    "Noah",
    "Emma",
    "Hiroshi",
    "Yuki",
    "Mateo",
    "Lucía",
    "Nikolai",
    "Olga",
    "Tariq",
    "Leila",
    "Seán",
    "Siobhán",
    "Björn",
    "Elif",
]
FAMILY = [
    "García",
    "Müller",
    "Wójcik",
    "Lefèvre",
    "Khan",
    "Haddad",
    "Chen",
    "Smith",
    "Jones",
    "Nørgaard",
    "Larsen",
    "Patel",
    "Sharma",
    "Mensah",
    "Al-Sayed",
    "O'Brien",
    "Murphy",
    "Rossi",
    "Tanaka",
    "Sato",
    "Fernández",
    "López",
    "Ivanov",
    "Petrova",
    "Aziz",
    "Yılmaz",
    "Kowalski",
    "Dubois",
    "Novak",
    "Costa",
]
STREETS = ["Church Road", "High Street", "Station Road", "Mill Lane", "Park Avenue", "Elm Grove"]
BLOOD = list(patient_schemas.BLOOD_GROUPS)
REASONS = [
    "Follow-up",
    "Persistent cough",
    "Chest pain on exertion",
    "Annual check-up",
    "Rash on both arms",
    "Knee pain after running",
    "Fever for three days",
    "Blood pressure review",
    "Headaches",
    "Back pain",
    "Vaccination advice",
]
DIAGNOSES = [
    (
        "Essential hypertension (I10)",
        "Lifestyle advice; home BP diary.",
        "Amlodipine 5 mg once daily",
    ),
    ("Acute upper respiratory infection (J06.9)", "Fluids, rest, paracetamol as needed.", None),
    (
        "Type 2 diabetes mellitus (E11.9)",
        "Diet review; HbA1c in 3 months.",
        "Metformin 500 mg twice daily",
    ),
    (
        "Atopic dermatitis (L20.9)",
        "Emollients; avoid irritants.",
        "Hydrocortisone 1% cream twice daily",
    ),
    (
        "Low back pain (M54.5)",
        "Physiotherapy referral; stay active.",
        "Ibuprofen 400 mg three times daily, 5 days",
    ),
    ("Stable angina (I20.8)", "Stress test booked.", "Glyceryl trinitrate spray as needed"),
    ("Patellofemoral pain (M22.2)", "Quadriceps strengthening programme.", None),
    (
        "Migraine without aura (G43.0)",
        "Headache diary; triggers discussed.",
        "Sumatriptan 50 mg as needed",
    ),
]
STEPS = ["departments and doctors", "patients", "past visits", "today and the weeks ahead"]


def _week_hours(weekends: bool) -> list[staff_schemas.WeeklyBlock]:
    days = range(7) if weekends else range(5)
    blocks = []
    for day in days:
        if day >= 5:
            blocks.append(staff_schemas.WeeklyBlock(weekday=day, start=time(9), end=time(13)))
            continue
        blocks.append(staff_schemas.WeeklyBlock(weekday=day, start=time(8, 30), end=time(12, 30)))
        blocks.append(staff_schemas.WeeklyBlock(weekday=day, start=time(13, 30), end=time(17, 30)))
    return blocks


async def load_clinic(
    db: AsyncSession,
    settings: Settings,
    doctor_password: Callable[[str], str],
    progress: Callable[[str], None] = lambda _name: None,
    *,
    now: datetime | None = None,
) -> list[tuple[str, str, str]]:
    """Create the demo hospital once (skipped when departments exist); returns new logins.
    Visits before `now` (default: the current instant) have happened, later ones are booked."""
    if await staff_service.list_departments(db, include_inactive=True):
        return []
    rng = random.Random(20261124)
    actor = Actor.system("demo")
    zone = settings.zone
    now = (now or utcnow()).astimezone(zone)
    today = now.date()
    created: list[tuple[str, str, str]] = []

    progress("departments and doctors")
    departments = {}
    for name, location, description in DEPARTMENTS:
        out = await staff_service.create_department(
            db,
            actor,
            staff_schemas.DepartmentCreate(name=name, location=location, description=description),
        )
        departments[name] = out.id
    doctors = []
    for index, (
        username,
        full_name,
        dept,
        specialization,
        qualification,
        years,
        fee,
        weekends,
    ) in enumerate(DOCTORS):
        profile = staff_schemas.DoctorProfileIn(
            department_id=departments[dept],
            specialization=specialization,
            qualification=qualification,
            experience_years=years,
            consultation_fee=Decimal(fee),
            license_number=f"GMC-{7100200 + index * 37}",
        )
        existing = await identity_service.find_by_username(db, username)
        if existing is not None:  # the demo doctor's login from the accounts step
            view = await staff_service.add_profile(db, actor, existing, profile)
        else:
            password = doctor_password(username)
            view = await staff_service.create_doctor(
                db,
                actor,
                staff_schemas.DoctorCreate(
                    username=username,
                    password=password,
                    full_name=full_name,
                    email=f"{username.replace('.', '-')}@demo.openward.org",
                    phone=f"+44 20 7946 {1100 + index:04d}",
                    **profile.model_dump(),
                ),
            )
            created.append(("doctor", username, password))
        await staff_service.set_availability(
            db,
            actor,
            view.doctor.id,
            staff_schemas.AvailabilityIn(slot_minutes=30, weekly=_week_hours(weekends)),
        )
        doctors.append(view.doctor)
    # A day of leave next week for one cardiologist: the booking screens show it.
    await staff_service.add_exception(
        db,
        actor,
        doctors[3].id,
        staff_schemas.ExceptionIn(
            date=today + timedelta(days=7), kind="leave", reason="Conference"
        ),
    )

    progress("patients")
    patients = []
    paula = await patients_service.search(db, actor, "Paula Fischer", limit=1)
    patients.extend(paula[0])
    used: set[tuple[str, str]] = set()
    while len(patients) < 48:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        if (given, family) in used:
            continue
        used.add((given, family))
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 80))
        patients.append(
            await patients_service.register(
                db,
                actor,
                patient_schemas.PatientCreate(
                    given_name=given,
                    family_name=family,
                    date_of_birth=born,
                    sex=rng.choice(["female", "male"]),
                    phone=f"+44 7700 9{rng.randrange(10000, 99999)}",
                    email=None,
                    address=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, London",
                    blood_group=rng.choice(BLOOD),
                    national_id=f"QQ{rng.randrange(100000, 999999)}C"
                    if rng.random() < 0.6
                    else None,
                    emergency_contact_name=f"{rng.choice(GIVEN)} {family}",
                    emergency_contact_phone=f"+44 7700 9{rng.randrange(10000, 99999)}",
                    allergies_summary=rng.choice(
                        [None, None, None, "Penicillin (rash)", "Peanuts", "Latex"]
                    ),
                    allow_duplicate=True,
                ),
            )
        )
    for patient in patients[:6]:
        await patients_service.assign_doctor(db, actor, patient.id, doctors[0].id)

    progress("past visits")
    for offset in range(21, 0, -1):
        day = today - timedelta(days=offset)
        await _fill_day(db, actor, rng, zone, doctors, patients, day, now, per_doctor=3)
    progress("today and the weeks ahead")
    await _fill_day(db, actor, rng, zone, doctors, patients, today, now, per_doctor=6)
    for offset in range(1, 15):
        day = today + timedelta(days=offset)
        await _fill_day(db, actor, rng, zone, doctors, patients, day, now, per_doctor=3)
    return created


async def _fill_day(db, actor, rng, zone, doctors, patients, day, now, *, per_doctor: int):
    """Book `per_doctor` visits with each doctor on `day`: those over by `now` are played out,
    those begun in the last two hours are waiting (or not arrived), later ones stay booked."""
    start_of_day = datetime.combine(day, time.min, tzinfo=zone)
    for doctor in doctors:
        slots = await staff_service.grid_slots(db, doctor, day, zone)
        for slot_start, slot_end in sorted(rng.sample(slots, min(per_doctor, len(slots)))):
            patient = (
                patients[0]
                if doctor is doctors[0] and rng.random() < 0.08
                else rng.choice(patients)
            )
            try:
                booked = await scheduling_service.book(
                    db,
                    actor,
                    scheduling_schemas.AppointmentCreate(
                        patient_id=patient.id,
                        doctor_id=doctor.id,
                        start=slot_start,
                        reason=rng.choice(REASONS),
                    ),
                    zone=zone,
                    now=start_of_day - timedelta(minutes=1),
                )
            except DomainError:  # the patient is busy then: leave the slot free
                continue
            appointment = booked.appointment
            if slot_start >= now:
                continue
            if now - slot_start < timedelta(hours=2):  # recent: waiting, or not arrived yet
                if rng.random() < 0.5:
                    await scheduling_service.check_in(db, actor, appointment.id)
                continue
            await _play_out(db, actor, rng, appointment, doctor, slot_start, slot_end)


async def _play_out(db, actor, rng, appointment, doctor, slot_start, slot_end) -> None:
    """What happened at a visit that is already over: seen, missed or cancelled."""
    roll = rng.random()
    if roll < 0.12:
        await scheduling_service.mark_no_show(db, actor, appointment.id)
        return
    if roll < 0.22:
        await scheduling_service.cancel(db, actor, appointment.id, "Patient called to cancel")
        return
    await scheduling_service.check_in(db, actor, appointment.id)
    diagnosis, notes, prescription = rng.choice(DIAGNOSES)
    doctor_actor = Actor(id=doctor.user_id, username="demo", role="doctor", via="demo")
    await scheduling_service.complete(
        db,
        doctor_actor,
        appointment.id,
        scheduling_schemas.CompleteIn(
            diagnosis=diagnosis,
            treatment_notes=notes,
            prescription=prescription,
            next_visit_date=slot_start.date() + timedelta(days=rng.choice([14, 28, 90])),
        ),
    )
    appointment.checked_in_at = slot_start - timedelta(minutes=rng.randrange(2, 15))
    appointment.completed_at = slot_end


async def load(run: DemoRun) -> None:
    """The demo hospital's outpatient clinic, once."""
    run.created += await load_clinic(
        run.db, run.settings, run.new_password, run.progress, now=run.now
    )
