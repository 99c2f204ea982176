"""The pharmacy's dashboard cards: the pharmacist's queue and shelves, the doctor's
renewal requests, the administrator's inventory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor
from openward.core.domains import Card
from openward.pharmacy import renewals, stock


def _today(settings: Settings):
    return datetime.now(settings.zone).date()


async def cards(db: AsyncSession, settings: Settings, actor: Actor) -> Sequence[Card]:
    if actor.role == "doctor":
        _rows, pending = await renewals.list_renewals(db, actor, status="pending", limit=1)
        return [
            Card(
                "renewals",
                "Renewal requests",
                pending,
                "/prescriptions/renewals",
                "warning",
                rank=50,
            )
        ]
    if actor.role == "pharmacist":
        return await _pharmacist(db, settings, actor)
    if actor.role == "admin":
        return await _admin(db, settings, actor)
    return []


async def _pharmacist(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    f = await stock.dashboard_figures(
        db, actor, today=_today(settings), days=settings.expiry_alert_days
    )
    return [
        Card("queue", "Prescriptions to dispense", f["queue_length"], "/pharmacy"),
        Card("low_stock", "Below reorder level", f["low_stock"], "/pharmacy/alerts", "warning"),
        Card(
            "expiring",
            f"Lots expiring within {f['alert_days']} days",
            f["expiring_soon"],
            "/pharmacy/alerts",
            "warning",
        ),
        Card(
            "expired", "Expired lots on the shelf", f["expired_lots"], "/pharmacy/alerts", "danger"
        ),
        Card(
            "value",
            "Inventory value at cost",
            f["inventory_value_at_cost"],
            "/pharmacy/reports/inventory-value",
        ),
    ]


async def _admin(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    f = await stock.dashboard_figures(
        db, actor, today=_today(settings), days=settings.expiry_alert_days
    )
    return [
        Card(
            "value", "Pharmacy inventory at cost", f["inventory_value_at_cost"], "/pharmacy/stock"
        ),
        Card(
            "low_stock",
            "Medicines below reorder level",
            f["low_stock"],
            "/pharmacy/stock",
            "warning",
        ),
        Card(
            "expired", "Expired lots on the shelf", f["expired_lots"], "/pharmacy/stock", "danger"
        ),
    ]
