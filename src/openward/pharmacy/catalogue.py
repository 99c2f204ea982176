"""The catalogue of medicines and supplies the pharmacy stocks and doctors prescribe."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Select, case, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.pharmacy import schemas
from openward.pharmacy.chart import medicine_label
from openward.pharmacy.errors import MedicineExists, MedicineNotFound
from openward.pharmacy.models import Medicine, Prescription, PrescriptionItem

DATA = Path(__file__).parent / "data"


# The route a form is given by, when a word of the form says it (an injection may be IM, IV
# or SC: no suggestion). Checked in order: "nebuliser solution" is inhaled, not oral.
_ROUTE_OF_FORM = (
    ("inhal", "inhaled"),
    ("nebuli", "inhaled"),
    ("sublingual", "sublingual"),
    ("infusion", "intravenous"),
    ("eye", "eye"),
    ("ear", "ear"),
    ("nasal", "nasal"),
    ("suppositor", "rectal"),
    ("enema", "rectal"),
    ("cream", "topical"),
    ("ointment", "topical"),
    ("gel", "topical"),
    ("lotion", "topical"),
    ("patch", "transdermal"),
    ("tablet", "oral"),
    ("capsule", "oral"),
    ("oral", "oral"),
    ("syrup", "oral"),
)


def usual_route(form: str) -> str | None:
    """The route a prescriber would write for this form ("tablet" -> oral), if one."""
    words = re.split(r"[^a-z]+", form.casefold())
    return next(
        (route for part, route in _ROUTE_OF_FORM if any(w.startswith(part) for w in words)), None
    )


def present(medicine: Medicine) -> schemas.MedicineOut:
    return schemas.MedicineOut(
        id=medicine.id,
        name=medicine.name,
        generic_name=medicine.generic_name,
        form=medicine.form,
        strength=medicine.strength,
        unit=medicine.unit,
        unit_price=medicine.unit_price,
        reorder_level=medicine.reorder_level,
        is_supply=medicine.is_supply,
        is_active=medicine.is_active,
        label=medicine_label(medicine),
        usual_route=None if medicine.is_supply else usual_route(medicine.form),
    )


async def get(db: AsyncSession, medicine_id: int) -> Medicine:
    medicine = await db.get(Medicine, medicine_id)
    if medicine is None:
        raise MedicineNotFound()
    return medicine


async def many(db: AsyncSession, medicine_ids: list[int]) -> dict[int, Medicine]:
    if not medicine_ids:
        return {}
    rows = await db.scalars(select(Medicine).where(Medicine.id.in_(set(medicine_ids))))
    return {m.id: m for m in rows}


async def _taken(db: AsyncSession, name: str, strength: str, form: str, skip_id: int = 0) -> bool:
    found = await db.scalar(
        select(Medicine.id).where(
            Medicine.name == name,
            Medicine.strength == strength,
            Medicine.form == form,
            Medicine.id != skip_id,
        )
    )
    return found is not None


async def create(db: AsyncSession, actor: Actor, data: schemas.MedicineCreate) -> Medicine:
    if await _taken(db, data.name, data.strength, data.form):
        raise MedicineExists(field="name")
    medicine = Medicine(**data.model_dump())
    try:
        async with db.begin_nested():
            db.add(medicine)
            await db.flush()
    except IntegrityError:
        raise MedicineExists(field="name") from None
    await audit.record(db, actor, "medicine.create", object_type="medicine", object_id=medicine.id)
    return medicine


async def update(
    db: AsyncSession, actor: Actor, medicine_id: int, data: schemas.MedicineUpdate
) -> Medicine:
    medicine = await get(db, medicine_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    for field, value in changes.items():
        setattr(medicine, field, value)
    if await _taken(db, medicine.name, medicine.strength, medicine.form, skip_id=medicine.id):
        raise MedicineExists(field="name")
    await db.flush()
    await audit.record(
        db,
        actor,
        "medicine.update",
        object_type="medicine",
        object_id=medicine.id,
        detail={"fields": sorted(changes)},
    )
    return medicine


async def set_active(db: AsyncSession, actor: Actor, medicine_id: int, active: bool) -> Medicine:
    """Medicines are never deleted (prescriptions name them); they leave the catalogue."""
    return await update(db, actor, medicine_id, schemas.MedicineUpdate(is_active=active))


def _matching(query: Select, q: str | None) -> Select:
    """Every word typed is in the name, the generic name, the form or the strength
    ("amlo 5mg" finds Amlodipine 5 mg; spaces inside a strength do not matter)."""
    for word in (q or "").split():
        pattern = word.lower()
        query = query.where(
            or_(
                func.lower(Medicine.name).contains(pattern, autoescape=True),
                func.lower(Medicine.generic_name).contains(pattern, autoescape=True),
                func.lower(Medicine.form).contains(pattern, autoescape=True),
                func.replace(func.lower(Medicine.strength), " ", "").contains(
                    pattern.replace(" ", ""), autoescape=True
                ),
            )
        )
    return query


async def search(
    db: AsyncSession,
    q: str | None = None,
    *,
    include_inactive: bool = False,
    supplies: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Medicine], int]:
    """Name, generic name, form or strength contains the words, case-insensitive;
    alphabetical."""
    query = select(Medicine)
    if not include_inactive:
        query = query.where(Medicine.is_active)
    if supplies is not None:
        query = query.where(Medicine.is_supply == supplies)
    query = _matching(query, q)
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await db.scalars(
        query.order_by(Medicine.name, Medicine.strength, Medicine.id).limit(limit).offset(offset)
    )
    return list(rows), total


RECENT_CHOICES = 10  # how many of a prescriber's latest medicines lead the type-ahead


async def choices(
    db: AsyncSession,
    prescriber_id: int | None,
    q: str | None = None,
    *,
    include_inactive: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[tuple[Medicine, datetime | None]], int]:
    """The catalogue as a prescriber chooses from it: matching the words, with when this
    prescriber last prescribed each; their latest choices first (most recent first), then
    names starting with the first word typed, then alphabetical."""
    last_at = func.max(Prescription.created_at)
    recent = (
        select(PrescriptionItem.medicine_id.label("medicine_id"), last_at.label("last_at"))
        .join(Prescription, Prescription.id == PrescriptionItem.prescription_id)
        .where(Prescription.prescriber_id == (prescriber_id or 0))
        .group_by(PrescriptionItem.medicine_id)
        .order_by(last_at.desc(), PrescriptionItem.medicine_id.desc())
        .limit(RECENT_CHOICES)
        .subquery()
    )
    query = select(Medicine, recent.c.last_at).outerjoin(
        recent, recent.c.medicine_id == Medicine.id
    )
    if not include_inactive:
        query = query.where(Medicine.is_active)
    query = _matching(query, q)
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    words = (q or "").split()
    starts = (
        case((func.lower(Medicine.name).startswith(words[0].lower(), autoescape=True), 0), else_=1)
        if words
        else literal(0)
    )
    rows = await db.execute(
        query.order_by(
            case((recent.c.last_at.is_(None), 1), else_=0),
            recent.c.last_at.desc(),
            starts,
            Medicine.name,
            Medicine.strength,
            Medicine.id,
        )
        .limit(limit)
        .offset(offset)
    )
    return [(medicine, last) for medicine, last in rows], total


# ---------------------------------------------------------------- starter list


@lru_cache(maxsize=1)
def starter_list() -> tuple[schemas.MedicineCreate, ...]:
    """The shipped starter catalogue (data/medicines.csv)."""
    with (DATA / "medicines.csv").open(encoding="utf-8") as handle:
        return tuple(
            schemas.MedicineCreate(
                name=row["name"],
                generic_name=row["generic_name"],
                form=row["form"],
                strength=row["strength"],
                unit=row["unit"],
                unit_price=Decimal(row["unit_price"]),
                reorder_level=int(row["reorder_level"]),
                is_supply=row["is_supply"] == "true",
            )
            for row in csv.DictReader(handle)
        )


async def seed_catalogue(db: AsyncSession, actor: Actor | None = None) -> int:
    """Add the starter medicines that are not in the catalogue yet; returns how many."""
    actor = actor or Actor.system("demo")
    existing = {
        (name, strength, form)
        for name, strength, form in await db.execute(
            select(Medicine.name, Medicine.strength, Medicine.form)
        )
    }
    added = 0
    for data in starter_list():
        if (data.name, data.strength, data.form) in existing:
            continue
        db.add(Medicine(**data.model_dump()))
        added += 1
    if added:
        await db.flush()
        await audit.record(
            db, actor, "medicine.seed", object_type="medicine", detail={"added": added}
        )
    return added
