"""Demo pharmacy: the starter catalogue, stocked shelves (with some lots near expiry, one
expired and some medicines below their reorder level so the alerts show), a few
prescriptions for demo patients and a pending renewal from the demo patient."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.identity import service as identity_service
from openward.patients import service as patients_service
from openward.pharmacy import catalogue, dispensing, prescribing, reading, renewals, schemas
from openward.pharmacy.models import Medicine, Prescription, StockLot, StockMovement

# (medicine name, strength, dose, route, frequency, days, quantity, instructions)
COURSES = {
    "Paula Fischer": [
        ("Atorvastatin", "20 mg", "20 mg", "oral", "once daily at night", 28, 28, None),
        (
            "Ramipril",
            "5 mg",
            "5 mg",
            "oral",
            "once daily",
            28,
            28,
            "Check kidney function in 2 weeks",
        ),
    ],
    "cough": [
        (
            "Amoxicillin",
            "500 mg",
            "500 mg",
            "oral",
            "three times daily",
            7,
            21,
            "Finish the course",
        ),
        (
            "Paracetamol",
            "500 mg",
            "1 g",
            "oral",
            "up to four times daily",
            5,
            40,
            "Max 8 tablets in 24 h",
        ),
    ],
    "diabetes": [
        ("Metformin", "500 mg", "500 mg", "oral", "twice daily with meals", 28, 56, None),
    ],
    "asthma": [
        (
            "Ventolin Evohaler",
            "100 micrograms/dose",
            "2 puffs",
            "inhaled",
            "when required",
            None,
            1,
            None,
        ),
        (
            "Clenil Modulite",
            "100 micrograms/dose",
            "2 puffs",
            "inhaled",
            "twice daily",
            30,
            1,
            "Rinse mouth after use",
        ),
    ],
}


async def seed_catalogue(db: AsyncSession) -> int:
    """The starter list of medicines and supplies (idempotent); returns how many were added."""
    return await catalogue.seed_catalogue(db, Actor.system("demo"))


def _lot(medicine: Medicine, batch: str, expiry: date, quantity: int, user_id: int) -> StockLot:
    cost = (medicine.unit_price * Decimal("0.6")).quantize(Decimal("0.01"))
    return StockLot(
        medicine_id=medicine.id,
        batch_number=batch,
        expiry_date=expiry,
        quantity_received=quantity,
        quantity=quantity,
        unit_cost=cost,
        supplier="Alliance Healthcare",
        received_by=user_id,
    )


async def _stock_shelves(db: AsyncSession, today: date, user_id: int) -> None:
    rng = random.Random(4004)
    medicines = list(await db.scalars(select(Medicine).order_by(Medicine.id)))
    lots = []
    for index, medicine in enumerate(medicines):
        level = max(medicine.reorder_level, 10)
        prefix = "".join(ch for ch in medicine.generic_name.upper() if ch.isalpha())[:3]
        if index % 8 == 5:  # running low: the alerts list it
            lots.append(
                _lot(
                    medicine,
                    f"{prefix}{rng.randrange(10000, 99999)}",
                    today + timedelta(days=rng.randrange(200, 600)),
                    level // 3 or 1,
                    user_id,
                )
            )
            continue
        lots.append(
            _lot(
                medicine,
                f"{prefix}{rng.randrange(10000, 99999)}",
                today + timedelta(days=rng.randrange(240, 720)),
                level * rng.choice([2, 3, 4]),
                user_id,
            )
        )
        if index % 9 == 2:  # an older lot close to expiry, used first
            lots.append(
                _lot(
                    medicine,
                    f"{prefix}{rng.randrange(10000, 99999)}",
                    today + timedelta(days=rng.randrange(14, 75)),
                    level // 2 or 1,
                    user_id,
                )
            )
    # One lot that expired on the shelf and waits to be taken out.
    expired = next(m for m in medicines if m.generic_name == "amoxicillin")
    lots.append(_lot(expired, "AMX-EXP-0423", today - timedelta(days=12), 60, user_id))
    db.add_all(lots)
    await db.flush()
    db.add_all(
        StockMovement(
            lot_id=lot.id,
            medicine_id=lot.medicine_id,
            kind="receipt",
            quantity=lot.quantity,
            actor_id=user_id,
        )
        for lot in lots
    )
    await db.flush()


# The demo prescribes from the visits of these last days (older ones keep their plans only).
VISIT_PRESCRIPTION_DAYS = 7
# What the demo's doctors prescribe from a signed visit, by its primary ICD-10 code (the
# plans written in clinical.demo_visits say the same).
VISIT_COURSES: dict[str, list[tuple]] = {
    "I10": [("Amlodipine", "5 mg", "5 mg", "oral", "once daily", 28, 28, None)],
    "J20.9": [("Paracetamol", "500 mg", "1 g", "oral", "up to four times daily", 5, 40, None)],
    "J06.9": [("Paracetamol", "500 mg", "1 g", "oral", "up to four times daily", 5, 40, None)],
    "E11.9": [("Metformin", "500 mg", "500 mg", "oral", "twice daily with meals", 28, 56, None)],
    "G43.0": [
        ("Paracetamol", "500 mg", "1 g", "oral", "at onset, up to 4 times a day", 10, 32, None)
    ],
    "M54.5": [
        ("Ibuprofen", "400 mg", "400 mg", "oral", "three times daily with food", 5, 15, None)
    ],
    "J45.9": COURSES["asthma"],
    "I20.9": [
        ("Glyceryl trinitrate", None, "1–2 sprays", "sublingual", "when required", None, 1, None)
    ],
    "I48.9": [("Bisoprolol", "5 mg", "2.5 mg", "oral", "once daily", 28, 14, "Half a tablet")],
    "I50.9": [("Furosemide", "40 mg", "40 mg", "oral", "each morning", 28, 28, "Weigh daily")],
    "E78.5": [("Atorvastatin", "20 mg", "20 mg", "oral", "once daily at night", 28, 28, None)],
    "H66.9": [
        ("Paracetamol", "120 mg/5 ml", "240 mg", "oral", "up to four times daily", 3, 100, None)
    ],
    "L20.9": [("Cetirizine", "10 mg", "10 mg", "oral", "at night", 14, 14, None)],
    "M17.1": [("Paracetamol", "500 mg", "1 g", "oral", "four times daily", 28, 224, None)],
    "S93.4": [
        ("Ibuprofen", "400 mg", "400 mg", "oral", "three times daily with food", 5, 15, None)
    ],
    "M75.1": [("Naproxen", "500 mg", "500 mg", "oral", "twice daily with food", 10, 20, None)],
    "L50.0": [("Cetirizine", "10 mg", "10 mg", "oral", "once daily", 28, 28, None)],
    "L70.0": [("Doxycycline", "100 mg", "100 mg", "oral", "once daily", 90, 90, None)],
}


async def _visit_prescriptions(db: AsyncSession, pharmacist: Actor | None, today: date) -> int:
    """Prescriptions written from the demo's signed visits, through the safety checks: a
    medicine the checks refuse (an allergy, say) is not prescribed, as a doctor would not.
    Half of those before today were dispensed."""
    written = 0
    for (
        encounter_id,
        patient_id,
        author_id,
        code,
        signed_at,
    ) in await clinical_service.signed_visits(db):
        course = VISIT_COURSES.get(code)
        if not course:
            continue
        items = await _items(db, course)
        if not items:
            continue
        doctor = Actor(id=author_id, username="demo", role="doctor", via="demo")
        try:
            async with db.begin_nested():
                prescription = await prescribing.prescribe(
                    db,
                    doctor,
                    schemas.PrescriptionCreate(
                        patient_id=patient_id, encounter_id=encounter_id, items=items
                    ),
                )
        except DomainError:
            continue
        prescription.created_at = signed_at
        written += 1
        if pharmacist is not None and signed_at.date() < today and written % 2:
            try:
                async with db.begin_nested():
                    await dispensing.dispense(db, pharmacist, prescription.id, today=today)
            except DomainError:
                pass  # out of stock on the shelf: left for the pharmacy's queue
    return written


async def _items(db: AsyncSession, course: list[tuple]) -> list[schemas.ItemIn]:
    items = []
    for name, strength, dose, route, frequency, days, quantity, instructions in course:
        query = select(Medicine.id).where(Medicine.name == name)
        if strength is not None:
            query = query.where(Medicine.strength == strength)
        medicine_id = await db.scalar(query.order_by(Medicine.id).limit(1))
        if medicine_id is None:
            continue
        items.append(
            schemas.ItemIn(
                medicine_id=medicine_id,
                dose=dose,
                route=route,
                frequency=frequency,
                duration_days=days,
                quantity=quantity,
                instructions=instructions,
            )
        )
    return items


async def seed(db: AsyncSession, *, now: datetime, zone: ZoneInfo) -> None:
    """Idempotent: the catalogue always; shelves and activity only the first time. Expiry
    dates count from the hospital's today at `now`; dispensing happens as it runs."""
    today = now.astimezone(zone).date()
    await seed_catalogue(db)
    if await db.scalar(select(StockLot.id).limit(1)) is not None:
        return
    pharmacist_user = await identity_service.find_by_username(db, "pharmacist")
    doctor_user = await identity_service.find_by_username(db, "doctor")
    system = Actor.system("demo")
    receiver = pharmacist_user.id if pharmacist_user else None
    if receiver is None:
        return  # the demo accounts come first
    await _stock_shelves(db, today, receiver)
    if doctor_user is None or await db.scalar(select(Prescription.id).limit(1)) is not None:
        return
    doctor = Actor(id=doctor_user.id, username=doctor_user.username, role="doctor", via="demo")
    pharmacist = Actor(
        id=pharmacist_user.id, username=pharmacist_user.username, role="pharmacist", via="demo"
    )
    patients, _ = await patients_service.search(db, system, None, limit=6)
    paula_rows, _ = await patients_service.search(db, system, "Paula Fischer", limit=1)
    others = [p for p in patients if not paula_rows or p.id != paula_rows[0].id]
    plans = []
    if paula_rows:
        plans.append((paula_rows[0], COURSES["Paula Fischer"], "dispense"))
    for patient, key, action in zip(
        others, ("cough", "diabetes", "asthma"), ("dispense", "partial", "wait"), strict=False
    ):
        plans.append((patient, COURSES[key], action))
    for patient, course, action in plans:
        items = await _items(db, course)
        if not items:
            continue
        prescription = await prescribing.prescribe(
            db,
            doctor,
            schemas.PrescriptionCreate(
                patient_id=patient.id,
                items=items,
                override_reason="Reviewed with the patient at the visit",
            ),
        )
        if action == "dispense":
            await dispensing.dispense(db, pharmacist, prescription.id, today=today)
        elif action == "partial":
            first = (await reading.items_of(db, [prescription.id]))[prescription.id][0][0]
            await dispensing.dispense(
                db,
                pharmacist,
                prescription.id,
                schemas.DispenseIn(
                    items=[schemas.DispenseItemIn(item_id=first.id, quantity=first.quantity // 2)]
                ),
                today=today,
            )
    if paula_rows and paula_rows[0].user_id:
        paula = Actor(id=paula_rows[0].user_id, username="patient", role="patient", via="demo")
        mine = await db.scalar(
            select(Prescription.id)
            .where(Prescription.patient_id == paula_rows[0].id)
            .order_by(Prescription.id)
            .limit(1)
        )
        if mine is not None:
            await renewals.request_renewal(
                db, paula, mine, "My statin runs out next week — could you renew it, please?"
            )
    await _visit_prescriptions(db, pharmacist, today)
