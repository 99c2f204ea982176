"""Stock lots: receipts, adjustments, what is on hand, alerts and the inventory's value.

A lot is expired from its expiry date on; every change of a lot's quantity is a
StockMovement, and no change can take a lot below zero (conditional UPDATE, CHECK backstop)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import ValidationFailed
from openward.pharmacy import catalogue, schemas
from openward.pharmacy.errors import (
    DuplicateBatch,
    ExpiredLot,
    InsufficientStock,
    LotNotFound,
)
from openward.pharmacy.models import Medicine, Prescription, StockLot, StockMovement

DEFAULT_ALERT_DAYS = 90


def utc_today() -> date:
    return datetime.now(UTC).date()


def is_expired(lot: StockLot, today: date) -> bool:
    """A lot may be used until the day before its expiry date."""
    return lot.expiry_date <= today


def lot_out(lot: StockLot, today: date, alert_days: int = DEFAULT_ALERT_DAYS) -> schemas.LotOut:
    expired = is_expired(lot, today)
    return schemas.LotOut(
        id=lot.id,
        medicine_id=lot.medicine_id,
        batch_number=lot.batch_number,
        expiry_date=lot.expiry_date,
        quantity_received=lot.quantity_received,
        quantity=lot.quantity,
        unit_cost=lot.unit_cost,
        supplier=lot.supplier,
        received_at=lot.received_at,
        expired=expired,
        expires_soon=not expired and lot.expiry_date <= today + timedelta(days=alert_days),
    )


# ---------------------------------------------------------------- changes


async def receive(
    db: AsyncSession, actor: Actor, data: schemas.ReceiptIn, *, today: date | None = None
) -> StockLot:
    """A delivery of one batch: a new lot and its receipt movement."""
    today = today or utc_today()
    medicine = await catalogue.get(db, data.medicine_id)
    if data.expiry_date <= today:
        raise ExpiredLot(
            f"Batch {data.batch_number} expired on {data.expiry_date:%d %b %Y}.",
            field="expiry_date",
        )
    lot = StockLot(
        medicine_id=medicine.id,
        batch_number=data.batch_number,
        expiry_date=data.expiry_date,
        quantity_received=data.quantity,
        quantity=data.quantity,
        unit_cost=data.unit_cost,
        supplier=data.supplier,
        received_by=actor.id,
    )
    try:
        async with db.begin_nested():
            db.add(lot)
            await db.flush()
    except IntegrityError:
        raise DuplicateBatch(
            f"Batch {data.batch_number} of this medicine is already in stock.",
            field="batch_number",
        ) from None
    db.add(
        StockMovement(
            lot_id=lot.id,
            medicine_id=medicine.id,
            kind="receipt",
            quantity=data.quantity,
            actor_id=actor.id,
        )
    )
    await db.flush()
    await audit.record(
        db,
        actor,
        "stock.receive",
        object_type="stock_lot",
        object_id=lot.id,
        detail={"medicine_id": medicine.id, "batch": data.batch_number, "quantity": data.quantity},
    )
    return lot


async def get_lot(db: AsyncSession, lot_id: int) -> StockLot:
    lot = await db.get(StockLot, lot_id)
    if lot is None:
        raise LotNotFound()
    return lot


async def adjust(db: AsyncSession, actor: Actor, data: schemas.AdjustmentIn) -> StockLot:
    """Count corrections, breakage, returns: a signed change with a reason, never below zero."""
    if data.quantity == 0:
        raise ValidationFailed("A change of zero adjusts nothing.", field="quantity")
    lot = await get_lot(db, data.lot_id)
    result = await db.execute(
        update(StockLot)
        .where(StockLot.id == lot.id, StockLot.quantity + data.quantity >= 0)
        .values(quantity=StockLot.quantity + data.quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await db.refresh(lot)
        raise InsufficientStock(
            f"Lot {lot.batch_number} holds {lot.quantity}; it cannot go below zero.",
            field="quantity",
        )
    db.add(
        StockMovement(
            lot_id=lot.id,
            medicine_id=lot.medicine_id,
            kind="adjustment",
            quantity=data.quantity,
            reason=data.reason,
            actor_id=actor.id,
        )
    )
    await db.flush()
    await db.refresh(lot)
    await audit.record(
        db,
        actor,
        "stock.adjust",
        object_type="stock_lot",
        object_id=lot.id,
        reason=data.reason,
        detail={"quantity": data.quantity},
    )
    return lot


async def movements(db: AsyncSession, lot_id: int, limit: int = 50) -> list[StockMovement]:
    rows = await db.scalars(
        select(StockMovement)
        .where(StockMovement.lot_id == lot_id)
        .order_by(StockMovement.id.desc())
        .limit(limit)
    )
    return list(rows)


# ---------------------------------------------------------------- what is on hand


async def usable_on_hand(
    db: AsyncSession, medicine_ids: Sequence[int], today: date
) -> dict[int, int]:
    """Units in non-expired lots, per medicine."""
    if not medicine_ids:
        return {}
    rows = await db.execute(
        select(StockLot.medicine_id, func.coalesce(func.sum(StockLot.quantity), 0))
        .where(StockLot.medicine_id.in_(set(medicine_ids)), StockLot.expiry_date > today)
        .group_by(StockLot.medicine_id)
    )
    found = {medicine_id: int(total) for medicine_id, total in rows}
    return {medicine_id: found.get(medicine_id, 0) for medicine_id in medicine_ids}


async def lots_in_stock(
    db: AsyncSession, medicine_ids: Sequence[int], *, usable_only: bool = False, today: date
) -> dict[int, list[StockLot]]:
    """Lots still holding stock, first expiry first, per medicine."""
    if not medicine_ids:
        return {}
    query = select(StockLot).where(
        StockLot.medicine_id.in_(set(medicine_ids)), StockLot.quantity > 0
    )
    if usable_only:
        query = query.where(StockLot.expiry_date > today)
    found: dict[int, list[StockLot]] = {}
    for lot in await db.scalars(query.order_by(StockLot.expiry_date, StockLot.id)):
        found.setdefault(lot.medicine_id, []).append(lot)
    return found


async def stock(
    db: AsyncSession,
    *,
    q: str | None = None,
    medicine_id: int | None = None,
    today: date | None = None,
    alert_days: int = DEFAULT_ALERT_DAYS,
    limit: int = 50,
    offset: int = 0,
) -> schemas.StockList:
    """Per medicine: usable units on hand, expired units still on the shelf, the lots."""
    today = today or utc_today()
    if medicine_id is not None:
        medicines, total = [await catalogue.get(db, medicine_id)], 1
    else:
        medicines, total = await catalogue.search(db, q, limit=limit, offset=offset)
    ids = [m.id for m in medicines]
    lots = await lots_in_stock(db, ids, today=today)
    items = []
    for medicine in medicines:
        mine = lots.get(medicine.id, [])
        usable = sum(lot.quantity for lot in mine if not is_expired(lot, today))
        items.append(
            schemas.StockLine(
                medicine=catalogue.present(medicine),
                on_hand=usable,
                expired_on_hand=sum(lot.quantity for lot in mine if is_expired(lot, today)),
                below_reorder=usable < medicine.reorder_level,
                lots=[lot_out(lot, today, alert_days) for lot in mine],
            )
        )
    return schemas.StockList(items=items, total=total)


# ---------------------------------------------------------------- alerts and value


async def _on_hand_by_medicine(db: AsyncSession, today: date) -> dict[int, int]:
    rows = await db.execute(
        select(StockLot.medicine_id, func.sum(StockLot.quantity))
        .where(StockLot.expiry_date > today)
        .group_by(StockLot.medicine_id)
    )
    return {medicine_id: int(total or 0) for medicine_id, total in rows}


async def alerts(
    db: AsyncSession, *, today: date | None = None, days: int = DEFAULT_ALERT_DAYS
) -> schemas.Alerts:
    """Low stock (usable units below the reorder level), lots expiring within `days`, and
    expired lots still holding stock."""
    today = today or utc_today()
    on_hand = await _on_hand_by_medicine(db, today)
    active = list(
        await db.scalars(
            select(Medicine)
            .where(Medicine.is_active, Medicine.reorder_level > 0)
            .order_by(Medicine.name, Medicine.strength)
        )
    )
    low = [
        schemas.LowStock(medicine=catalogue.present(m), on_hand=on_hand.get(m.id, 0))
        for m in active
        if on_hand.get(m.id, 0) < m.reorder_level
    ]
    rows = await db.execute(
        select(StockLot, Medicine)
        .join(Medicine, Medicine.id == StockLot.medicine_id)
        .where(StockLot.quantity > 0, StockLot.expiry_date <= today + timedelta(days=days))
        .order_by(StockLot.expiry_date, StockLot.id)
    )
    expiring, expired = [], []
    for lot, medicine in rows:
        entry = schemas.AlertLot(
            lot=lot_out(lot, today, days), medicine=catalogue.present(medicine)
        )
        (expired if is_expired(lot, today) else expiring).append(entry)
    return schemas.Alerts(days=days, low_stock=low, expiring=expiring, expired=expired)


async def inventory_value(db: AsyncSession, *, today: date | None = None) -> schemas.InventoryValue:
    """Per medicine: usable units, their value at cost (lot by lot) and at today's price;
    expired stock counted apart."""
    today = today or utc_today()
    rows = await db.execute(
        select(StockLot, Medicine)
        .join(Medicine, Medicine.id == StockLot.medicine_id)
        .where(StockLot.quantity > 0)
        .order_by(Medicine.name, Medicine.strength, Medicine.id)
    )
    lines: dict[int, dict[str, Any]] = {}
    for lot, medicine in rows:
        line = lines.setdefault(
            medicine.id,
            {
                "medicine": medicine,
                "quantity": 0,
                "cost": Decimal(0),
                "expired_quantity": 0,
                "expired_cost": Decimal(0),
            },
        )
        if is_expired(lot, today):
            line["expired_quantity"] += lot.quantity
            line["expired_cost"] += lot.quantity * lot.unit_cost
        else:
            line["quantity"] += lot.quantity
            line["cost"] += lot.quantity * lot.unit_cost
    items = [
        schemas.ValueLine(
            medicine=catalogue.present(line["medicine"]),
            quantity=line["quantity"],
            value_at_cost=line["cost"],
            value_at_price=line["quantity"] * line["medicine"].unit_price,
            expired_quantity=line["expired_quantity"],
            expired_value_at_cost=line["expired_cost"],
        )
        for line in lines.values()
    ]
    return schemas.InventoryValue(
        items=items,
        total_quantity=sum(i.quantity for i in items),
        total_at_cost=sum((i.value_at_cost for i in items), Decimal(0)),
        total_at_price=sum((i.value_at_price for i in items), Decimal(0)),
        expired_quantity=sum(i.expired_quantity for i in items),
        expired_at_cost=sum((i.expired_value_at_cost for i in items), Decimal(0)),
    )


async def dashboard_figures(
    db: AsyncSession, actor: Actor, *, today: date | None = None, days: int = DEFAULT_ALERT_DAYS
) -> dict[str, Any]:
    """The pharmacist's dashboard: queue length, alerts and what the shelves are worth."""
    today = today or utc_today()
    queue_length = int(
        await db.scalar(
            select(func.count(Prescription.id)).where(
                Prescription.status.in_(("active", "partially_dispensed"))
            )
        )
        or 0
    )
    found = await alerts(db, today=today, days=days)
    value = await inventory_value(db, today=today)
    return {
        "queue_length": queue_length,
        "low_stock": len(found.low_stock),
        "expiring_soon": len(found.expiring),
        "expired_lots": len(found.expired),
        "inventory_value_at_cost": f"{value.total_at_cost:.2f}",
        "inventory_value_at_price": f"{value.total_at_price:.2f}",
        "alert_days": days,
    }
