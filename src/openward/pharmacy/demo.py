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

from openward.core.actors import Actor
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


async def _items(db: AsyncSession, course: list[tuple]) -> list[schemas.ItemIn]:
    items = []
    for name, strength, dose, route, frequency, days, quantity, instructions in course:
        medicine_id = await db.scalar(
            select(Medicine.id).where(Medicine.name == name, Medicine.strength == strength)
        )
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
