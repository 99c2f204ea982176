"""The pharmacist's queue and dispensing: first expiry first, never from an expired lot,
partial when stock is short. Each lot is taken from with a conditional UPDATE, so two
pharmacists dispensing at once can never take the same units twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit, events
from openward.core.actors import Actor
from openward.core.errors import ValidationFailed
from openward.pharmacy import prescribing, reading, schemas, stock
from openward.pharmacy.chart import medicine_label
from openward.pharmacy.errors import BeyondRemaining, InvalidTransition, OutOfStock
from openward.pharmacy.events import PrescriptionReady
from openward.pharmacy.models import (
    Dispensation,
    Medicine,
    Prescription,
    PrescriptionItem,
    StockLot,
    StockMovement,
)

OPEN_STATUSES = prescribing.OPEN_STATUSES


# ---------------------------------------------------------------- the queue


async def queue(
    db: AsyncSession,
    actor: Actor,
    *,
    today: date | None = None,
    zone: ZoneInfo | None = None,
    limit: int = 50,
    offset: int = 0,
) -> schemas.Queue:
    """Prescriptions waiting at the pharmacy, oldest first, with what remains and what the
    shelves hold."""
    today = today or stock.utc_today()
    query = select(Prescription).where(Prescription.status.in_(OPEN_STATUSES))
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(
        await db.scalars(
            query.order_by(Prescription.created_at, Prescription.id).limit(limit).offset(offset)
        )
    )
    shown = await reading.present(db, rows, zone)
    medicine_ids = [item.medicine_id for p in shown for item in p.items]
    on_hand = await stock.usable_on_hand(db, medicine_ids, today)
    await audit.record(
        db,
        actor,
        "prescription.queue",
        object_type="prescription",
        detail={"total": total, "patients": sorted({p.patient_id for p in rows})},
    )
    return schemas.Queue(
        items=[
            schemas.QueueEntry(
                prescription_id=p.id,
                status=p.status,
                patient_id=p.patient_id,
                patient_name=p.patient_name,
                patient_mrn=p.patient_mrn,
                prescriber_name=p.prescriber_name,
                created_at=p.created_at,
                items=[
                    schemas.QueueItem(
                        item_id=i.id,
                        medicine_id=i.medicine_id,
                        medicine=i.medicine,
                        remaining=i.remaining,
                        in_stock=on_hand.get(i.medicine_id, 0),
                    )
                    for i in p.items
                    if i.remaining > 0
                ],
            )
            for p in shown
        ],
        total=total,
    )


async def queue_length(db: AsyncSession) -> int:
    query = select(func.count(Prescription.id)).where(Prescription.status.in_(OPEN_STATUSES))
    return int(await db.scalar(query) or 0)


# ---------------------------------------------------------------- planning (for the page)


async def plan(
    db: AsyncSession, items: Sequence[schemas.ItemOut], *, today: date
) -> dict[int, list[schemas.DispensedLot]]:
    """The lots dispensing what remains of each item would use now (first expiry first)."""
    lots = await stock.lots_in_stock(
        db, [i.medicine_id for i in items], usable_only=True, today=today
    )
    planned: dict[int, list[schemas.DispensedLot]] = {}
    left = {
        medicine_id: [[lot, lot.quantity] for lot in mine] for medicine_id, mine in lots.items()
    }
    for item in items:
        need = item.remaining
        planned[item.id] = []
        for entry in left.get(item.medicine_id, []):
            lot, available = entry
            if need <= 0:
                break
            take = min(need, available)
            if take <= 0:
                continue
            entry[1] -= take
            need -= take
            planned[item.id].append(
                schemas.DispensedLot(
                    lot_id=lot.id,
                    batch_number=lot.batch_number,
                    expiry_date=lot.expiry_date,
                    quantity=take,
                )
            )
    return planned


# ---------------------------------------------------------------- dispensing


@dataclass
class _Line:
    item: PrescriptionItem
    medicine: Medicine
    requested: int
    taken: list[tuple[StockLot, int]] = field(default_factory=list)

    @property
    def dispensed(self) -> int:
        return sum(quantity for _lot, quantity in self.taken)


async def _locked(db: AsyncSession, prescription_id: int) -> Prescription:
    """The prescription, its row locked until the transaction ends (PostgreSQL; SQLite
    serializes writers at BEGIN), read fresh."""
    prescription = await db.scalar(
        select(Prescription)
        .where(Prescription.id == prescription_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if prescription is None:
        return await reading.get(db, prescription_id)
    return prescription


async def _take(db: AsyncSession, lot: StockLot, wanted: int) -> int:
    """Take up to `wanted` units from the lot; returns how many were taken. The UPDATE only
    succeeds while the lot still holds them, so concurrent takers never oversell."""
    available = lot.quantity
    while wanted > 0 and available > 0:
        amount = min(wanted, available)
        result = await db.execute(
            update(StockLot)
            .where(StockLot.id == lot.id, StockLot.quantity >= amount)
            .values(quantity=StockLot.quantity - amount)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return amount
        # Someone took from this lot meanwhile: look again at what is left.
        available = int(
            await db.scalar(select(StockLot.quantity).where(StockLot.id == lot.id)) or 0
        )
    return 0


async def _requested(
    items: Sequence[PrescriptionItem], data: schemas.DispenseIn | None
) -> dict[int, int]:
    """item id -> units to dispense now (default: all that remains of every item)."""
    by_id = {item.id: item for item in items}
    if data is None or data.items is None:
        return {item.id: item.quantity - item.quantity_dispensed for item in items}
    wanted: dict[int, int] = {}
    for index, line in enumerate(data.items):
        item = by_id.get(line.item_id)
        if item is None:
            raise ValidationFailed(
                f"Item {line.item_id} is not on this prescription.", field=f"items.{index}.item_id"
            )
        remaining = item.quantity - item.quantity_dispensed - wanted.get(item.id, 0)
        if line.quantity > remaining:
            raise BeyondRemaining(
                f"Only {remaining} remain to dispense of this item.",
                field=f"items.{index}.quantity",
            )
        wanted[item.id] = wanted.get(item.id, 0) + line.quantity
    return wanted


async def dispense(
    db: AsyncSession,
    actor: Actor,
    prescription_id: int,
    data: schemas.DispenseIn | None = None,
    *,
    today: date | None = None,
) -> schemas.DispenseOut:
    """Hand out what is asked (or all that remains) from usable lots, first expiry first."""
    today = today or stock.utc_today()
    prescription = await _locked(db, prescription_id)
    await reading.get_for(db, actor, prescription.id, action="prescription.read")
    if prescription.status not in OPEN_STATUSES:
        raise InvalidTransition(
            f"A {prescription.status.replace('_', ' ')} prescription cannot be dispensed."
        )
    rows = list(
        await db.execute(
            select(PrescriptionItem, Medicine)
            .join(Medicine, Medicine.id == PrescriptionItem.medicine_id)
            .where(PrescriptionItem.prescription_id == prescription.id)
            .order_by(PrescriptionItem.id)
            .execution_options(populate_existing=True)
        )
    )
    wanted = await _requested([item for item, _m in rows], data)
    lots = await stock.lots_in_stock(db, [m.id for _i, m in rows], usable_only=True, today=today)
    lines = []
    for item, medicine in rows:
        line = _Line(item, medicine, wanted.get(item.id, 0))
        lines.append(line)
        for lot in lots.get(medicine.id, []):
            need = line.requested - line.dispensed
            if need <= 0:
                break
            taken = await _take(db, lot, need)
            if taken:
                line.taken.append((lot, taken))
    if not any(line.dispensed for line in lines if line.requested):
        raise OutOfStock(
            "None of the medicines asked for is in stock in a lot that has not expired."
        )
    for line in lines:
        for lot, quantity in line.taken:
            dispensation = Dispensation(
                prescription_item_id=line.item.id,
                lot_id=lot.id,
                quantity=quantity,
                dispensed_by=actor.id,
            )
            db.add(dispensation)
            await db.flush()
            db.add(
                StockMovement(
                    lot_id=lot.id,
                    medicine_id=line.medicine.id,
                    kind="dispense",
                    quantity=-quantity,
                    dispensation_id=dispensation.id,
                    actor_id=actor.id,
                )
            )
        line.item.quantity_dispensed += line.dispensed
    complete = all(item.quantity_dispensed >= item.quantity for item, _m in rows)
    prescription.status = "dispensed" if complete else "partially_dispensed"
    await db.flush()
    await audit.record(
        db,
        actor,
        "prescription.dispense",
        object_type="prescription",
        object_id=prescription.id,
        patient_id=prescription.patient_id,
        detail={
            "lines": [
                {"item": line.item.id, "lots": [[lot.id, q] for lot, q in line.taken]}
                for line in lines
                if line.taken
            ],
            "complete": complete,
        },
    )
    await events.publish(
        db,
        PrescriptionReady(
            prescription_id=prescription.id,
            patient_id=prescription.patient_id,
            complete=complete,
        ),
    )
    return schemas.DispenseOut(
        prescription_id=prescription.id,
        status=prescription.status,  # type: ignore[arg-type]
        complete=complete,
        lines=[
            schemas.DispensedLine(
                item_id=line.item.id,
                medicine=medicine_label(line.medicine),
                requested=line.requested,
                dispensed=line.dispensed,
                remaining=line.item.quantity - line.item.quantity_dispensed,
                lots=[
                    schemas.DispensedLot(
                        lot_id=lot.id,
                        batch_number=lot.batch_number,
                        expiry_date=lot.expiry_date,
                        quantity=quantity,
                    )
                    for lot, quantity in line.taken
                ],
            )
            for line in lines
            if line.requested
        ],
    )


async def dispensations_of(
    db: AsyncSession, item_ids: Sequence[int]
) -> dict[int, list[tuple[Dispensation, StockLot]]]:
    """Who handed out what from which lot, per prescription item (for the prescription page)."""
    if not item_ids:
        return {}
    rows = await db.execute(
        select(Dispensation, StockLot)
        .join(StockLot, StockLot.id == Dispensation.lot_id)
        .where(Dispensation.prescription_item_id.in_(set(item_ids)))
        .order_by(Dispensation.id)
    )
    found: dict[int, list[tuple[Dispensation, StockLot]]] = {}
    for dispensation, lot in rows:
        found.setdefault(dispensation.prescription_item_id, []).append((dispensation, lot))
    return found
