"""Demo hospital's outpatient clinic: departments, doctors with weekly hours, patients, and a spread of past,
today's and future appointments, so that every dashboard shows something real."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
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

# Given names by sex, so that every demo patient's name fits the sex on their record.
GIVEN = {
    "female": [
        "Zoë",
        "Chloé",
        "Aisha",
        "Mei",
        "Amelia",
        "Ingrid",
        "Ananya",
        "Fatima",
        "Emma",
        "Yuki",
        "Lucía",
        "Olga",
        "Leila",
        "Siobhán",
        "Elif",
    ],
    "male": [
        "José",
        "Łukasz",
        "Mohammed",
        "Oliver",
        "Søren",
        "Ravi",
        "Kwame",
        "Liam",
        "Noah",
        "Hiroshi",
        "Mateo",
        "Nikolai",
        "Tariq",
        "Seán",
        "Björn",
    ],
}
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
# Why patients book, by department: the clinical demo writes each visit's encounter from
# its reason (clinical.demo_visits.VISITS), so reason, specialty and diagnosis agree.
REASONS = {
    "General Medicine": [
        "Blood pressure review",
        "Persistent cough",
        "Fever for three days",
        "Diabetes review",
        "Headaches",
        "Back pain",
        "Annual check-up",
        "Wheeze and night-time cough",
    ],
    "Cardiology": [
        "Chest pain on exertion",
        "Palpitations",
        "Breathless on walking",
        "Raised cholesterol",
    ],
    "Paediatrics": ["Earache and fever", "Vomiting and diarrhoea", "Itchy rash", "Cough and cold"],
    "Orthopaedics": ["Knee pain after running", "Knee stiffness", "Twisted ankle", "Shoulder pain"],
    "Dermatology": ["Rash on both arms", "Spots on the face", "Scaly patches", "Thickened toenail"],
}
# Allergies told at registration (substance, reaction, severity); None: not asked yet.
TOLD_ALLERGIES = [
    None,
    (),
    (),
    (),
    (("Penicillin", "Rash", "moderate"),),
    (("Peanuts", "Swollen lips", "severe"),),
    (("Latex", None, "unknown"),),
]
CHILDREN = 8  # patients under 16: the paediatricians see them, and only them
PAEDIATRICS = "Paediatrics"
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
        sex = rng.choice(["female", "male"])
        given, family = rng.choice(GIVEN[sex]), rng.choice(FAMILY)
        if (given, family) in used:
            continue
        used.add((given, family))
        if len(used) <= CHILDREN:  # aged 1 to 15
            born = today - timedelta(days=rng.randrange(365 + 1, 365 * 15))
        else:
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 62))
        told = rng.choice(TOLD_ALLERGIES)
        patients.append(
            await patients_service.register(
                db,
                actor,
                patient_schemas.PatientCreate(
                    given_name=given,
                    family_name=family,
                    date_of_birth=born,
                    sex=sex,
                    phone=f"+44 7700 9{rng.randrange(10000, 99999)}",
                    email=None,
                    address=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, London",
                    blood_group=rng.choice(BLOOD),
                    national_id=f"QQ{rng.randrange(100000, 999999)}C"
                    if rng.random() < 0.6
                    else None,
                    emergency_contact_name=f"{rng.choice(GIVEN[rng.choice(list(GIVEN))])} {family}",
                    emergency_contact_phone=f"+44 7700 9{rng.randrange(10000, 99999)}",
                    allergies=[
                        patient_schemas.AllergyReported(
                            substance=substance, reaction=reaction, severity=severity
                        )
                        for substance, reaction, severity in told or ()
                    ],
                    no_known_allergies=told == (),
                    allow_duplicate=True,
                ),
            )
        )
    adults = [p for p in patients if _age(p.date_of_birth, today) >= 16]
    for patient in adults[:6]:
        await patients_service.assign_doctor(db, actor, patient.id, doctors[0].id)
    # Children see the paediatricians, adults everyone else.
    paediatric = {d.id for d in doctors if d.department_id == departments[PAEDIATRICS]}
    children = [p for p in patients if _age(p.date_of_birth, today) < 16]
    names = {
        d.id: dept
        for d in doctors
        for dept, dept_id in departments.items()
        if d.department_id == dept_id
    }
    clinic = Clinic(doctors, adults, children, paediatric, names)

    progress("past visits")
    for offset in range(21, 0, -1):
        day = today - timedelta(days=offset)
        await _fill_day(db, actor, rng, zone, clinic, day, now, per_doctor=2)
    progress("today and the weeks ahead")
    await _fill_day(db, actor, rng, zone, clinic, today, now, per_doctor=6)
    for offset in range(1, 15):
        day = today + timedelta(days=offset)
        await _fill_day(db, actor, rng, zone, clinic, day, now, per_doctor=2)
    return created


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class Clinic:
    doctors: list
    adults: list
    children: list
    paediatric: set[int]
    department_of: dict[int, str]

    def patients_of(self, doctor) -> list:
        return self.children if doctor.id in self.paediatric else self.adults


async def _fill_day(db, actor, rng, zone, clinic: Clinic, day, now, *, per_doctor: int):
    """Book `per_doctor` visits with each doctor on `day`: those over by `now` are played out,
    those begun in the last two hours are waiting (or not arrived), later ones stay booked."""
    start_of_day = datetime.combine(day, time.min, tzinfo=zone)
    doctors = clinic.doctors
    for doctor in doctors:
        patients = clinic.patients_of(doctor)
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
                        reason=rng.choice(REASONS[clinic.department_of[doctor.id]]),
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
                same_day = slot_start.astimezone(zone).date() == now.astimezone(zone).date()
                if same_day and rng.random() < 0.5:
                    await scheduling_service.check_in(db, actor, appointment.id, zone=zone, now=now)
                continue
            await _play_out(db, actor, rng, zone, appointment, doctor, slot_start, slot_end)


async def _play_out(db, actor, rng, zone, appointment, doctor, slot_start, slot_end) -> None:
    """What happened at a visit that is already over: seen (checked in; its encounter comes
    from the clinical demo), missed or cancelled, each at the time it happened."""
    roll = rng.random()
    if roll < 0.12:
        await scheduling_service.mark_no_show(db, actor, appointment.id, zone=zone, now=slot_end)
        return
    if roll < 0.22:
        await scheduling_service.cancel(db, actor, appointment.id, "Patient called to cancel")
        return
    await scheduling_service.check_in(db, actor, appointment.id, zone=zone, now=slot_start)
    appointment.checked_in_at = slot_start - timedelta(minutes=rng.randrange(2, 15))
    # Seen: the clinical demo writes and signs the visit's encounter, which completes it.


async def load(run: DemoRun) -> None:
    """The demo hospital's outpatient clinic, once."""
    run.created += await load_clinic(
        run.db, run.settings, run.new_password, run.progress, now=run.now
    )
