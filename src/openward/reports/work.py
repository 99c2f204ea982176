"""The "work waiting" cards at the top of each clinical and department dashboard: counts
from the clinical record, pharmacy, laboratory and radiology, each linking to its list."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: Any
    href: str | None = None
    tone: str = ""  # "", "warning" or "danger": drawn in that colour when value is not 0


def _today(settings: Settings) -> date:
    return datetime.now(settings.zone).date()


async def cards_for(db: AsyncSession, settings: Settings, actor: Actor) -> list[dict[str, Any]]:
    builder = _BUILDERS.get(actor.role or "")
    return [asdict(card) for card in await builder(db, settings, actor)] if builder else []


async def _doctor(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    from openward.clinical import service as clinical_service
    from openward.lab import service as lab_service
    from openward.pharmacy import prescribing

    clinical = await clinical_service.dashboard_figures(db, actor, zone=settings.zone)
    lab = await lab_service.dashboard_figures(db, actor, zone=settings.zone)
    _rows, renewals = await prescribing.list_renewals(db, actor, status="pending", limit=1)
    return [
        Card(
            "critical_results",
            "Critical results awaiting verification",
            lab["critical_awaiting_verification"],
            "/results",
            "danger",
        ),
        Card("results", "Lab results, last 30 days", lab["results_last_30_days"], "/results"),
        Card("pending_lab", "Lab orders in progress", lab["pending_orders"], "/lab/orders"),
        Card("drafts", "Encounters to sign", clinical["draft_encounters"], None, "warning"),
        Card("renewals", "Renewal requests", renewals, "/prescriptions/renewals", "warning"),
        Card("seen", "Patients seen, last 7 days", clinical["patients_seen_this_week"]),
    ]


async def _nurse(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    from openward.clinical import service as clinical_service

    clinical = await clinical_service.dashboard_figures(db, actor, zone=settings.zone)
    return [
        Card("vitals_today", "Vital signs recorded today", clinical["vitals_recorded_today"]),
        Card("my_vitals", "Recorded by me today", clinical["my_vitals_today"]),
        Card(
            "flagged_vitals",
            "Out-of-range vital signs today",
            clinical["flagged_vitals_today"],
            None,
            "warning",
        ),
    ]


async def _pharmacist(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    from openward.pharmacy import stock

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


async def _lab_technician(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    from openward.lab import service as lab_service

    f = await lab_service.dashboard_figures(db, actor, zone=settings.zone)
    worklist = "/lab/worklist"
    return [
        Card("stat", "STAT orders pending", f["stat_pending"], worklist, "danger"),
        Card("to_collect", "Specimens to collect", f["ordered"], f"{worklist}?status=ordered"),
        Card("collected", "Collected, not started", f["collected"], f"{worklist}?status=collected"),
        Card("in_progress", "In progress", f["in_progress"], f"{worklist}?status=in_progress"),
        Card(
            "to_verify",
            "Results to verify",
            f["resulted"],
            f"{worklist}?status=resulted",
            "warning",
        ),
        Card("critical_today", "Critical values today", f["critical_today"], None, "danger"),
    ]


async def _radiologist(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    from openward.radiology import service as radiology_service

    f = await radiology_service.dashboard_figures(db, actor, zone=settings.zone)
    worklist = "/radiology/worklist"
    return [
        Card("stat", "STAT exams pending", f["stat_pending"], worklist, "danger"),
        Card("to_schedule", "To schedule", f["to_schedule"], f"{worklist}?status=ordered"),
        Card("today", "Exams scheduled today", f["scheduled_today"], worklist),
        Card(
            "to_report",
            "Performed, to report",
            f["awaiting_report"],
            f"{worklist}?status=performed",
            "warning",
        ),
        Card(
            "to_verify",
            "Reports to verify",
            f["awaiting_verification"],
            f"{worklist}?status=reported",
            "warning",
        ),
    ]


async def _admin(db: AsyncSession, settings: Settings, actor: Actor) -> list[Card]:
    from openward.pharmacy import stock

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


_BUILDERS = {
    "doctor": _doctor,
    "nurse": _nurse,
    "pharmacist": _pharmacist,
    "lab_technician": _lab_technician,
    "radiologist": _radiologist,
    "admin": _admin,
}
