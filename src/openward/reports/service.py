"""Dashboards: the figures each role sees first, computed from what exists."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core.actors import Actor
from openward.identity import service as identity_service
from openward.patients import service as patients_service
from openward.patients.mrn import format_mrn


def _start_of_today(settings: Settings) -> datetime:
    now = datetime.now(settings.zone)
    return datetime.combine(now.date(), time.min, tzinfo=settings.zone)


def _sign_in_rows(events: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        via = json.loads(event.detail or "{}").get("via")
        rows.append(
            {
                "username": event.actor_username,
                "role": event.actor_role,
                "at": event.at,
                "ip": event.ip,
                "via": "web" if via == "session" else "api",
            }
        )
    return rows


async def dashboard(db: AsyncSession, settings: Settings, actor: Actor) -> dict[str, Any]:
    """{"role", "figures": {name: number}, "lists": {name: rows}} for the actor's role."""
    figures: dict[str, Any] = {}
    lists: dict[str, Any] = {}
    if actor.role == "admin":
        per_role = await identity_service.users_per_role(db)
        pending, pending_total = await identity_service.pending_approvals(db)
        figures["users_total"] = sum(per_role.values())
        figures["pending_approvals"] = pending_total
        figures["patients_registered"] = await patients_service.count_active(db)
        figures["users_per_role"] = per_role
        lists["pending_approvals"] = [
            {
                "id": u.id,
                "username": u.username,
                "full_name": u.full_name,
                "role": u.role,
                "created_at": u.created_at,
            }
            for u in pending
        ]
        lists["recent_sign_ins"] = _sign_in_rows(await identity_service.recent_sign_ins(db, 10))
    elif actor.role == "patient":
        patient = await patients_service.for_user(db, actor, actor.id or 0)
        if patient is not None:
            lists["my_record"] = [
                {
                    "mrn": format_mrn(patient.mrn),
                    "name": f"{patient.given_name} {patient.family_name}",
                    "date_of_birth": patient.date_of_birth,
                    "phone": patient.phone,
                    "email": patient.email,
                }
            ]
    else:
        figures["patients_registered"] = await patients_service.count_active(db)
        figures["patients_registered_today"] = await patients_service.count_registered_since(
            db, _start_of_today(settings)
        )
    if actor.role != "admin":
        lists["my_recent_sign_ins"] = _sign_in_rows(
            await identity_service.recent_sign_ins(db, 5, actor_id=actor.id)
        )
    return {"role": actor.role, "figures": figures, "lists": lists}
