"""What the pharmacy pages share: the page size, the hospital's clock, the medicine picker
and a prescription's dispensing history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request

from openward.identity.access import settings_of
from openward.pharmacy import catalogue, dispensing, schemas

PAGE = 25


def hospital_today(request: Request) -> date:
    return datetime.now(settings_of(request).zone).date()


def hospital_zone(request: Request):
    return settings_of(request).zone


async def medicine_options(db: Any) -> list[tuple[str, str]]:
    rows, _ = await catalogue.search(db, limit=500)
    return [(str(m.id), catalogue.present(m).label) for m in rows]


async def dispensed_history(db: Any, shown: schemas.PrescriptionOut) -> list[dict[str, Any]]:
    found = await dispensing.dispensations_of(db, [i.id for i in shown.items])
    names = {i.id: i.medicine for i in shown.items}
    history = []
    for item_id, rows in found.items():
        for dispensation, lot in rows:
            history.append(
                {
                    "at": dispensation.dispensed_at,
                    "medicine": names[item_id],
                    "batch": lot.batch_number,
                    "expiry": lot.expiry_date,
                    "quantity": dispensation.quantity,
                }
            )
    return sorted(history, key=lambda row: row["at"])
