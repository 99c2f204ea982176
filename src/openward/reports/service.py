"""Dashboards: the figures each role sees first, computed from what exists."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.config import Settings
from openward.core.actors import Actor
from openward.identity import service as identity_service
from openward.patients import service as patients_service
from openward.patients.mrn import format_mrn
from openward.reports import results, work
from openward.scheduling import service as scheduling_service
from openward.staff import service as staff_service

FRONT_DESK = ("receptionist", "nurse")
DEPARTMENTS = ("pharmacist", "lab_technician", "radiologist")


def _start_of_today(settings: Settings) -> datetime:
    now = datetime.now(settings.zone)
    return datetime.combine(now.date(), time.min, tzinfo=settings.zone)


def _start_of_week(settings: Settings) -> datetime:
    today = _start_of_today(settings)
    return today - timedelta(days=today.weekday())


async def _rows(db: AsyncSession, settings: Settings, appointments: list[Any]) -> list[dict]:
    shown = await scheduling_service.present(db, appointments, settings.zone)
    return [a.model_dump() for a in shown]


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
        today, week = _start_of_today(settings), _start_of_week(settings)
        _doctors, figures["doctors_active"] = await staff_service.list_doctors(
            db, zone=settings.zone, limit=1
        )
        figures["appointments_today"] = await scheduling_service.counts_by_status(
            db, today, today + timedelta(days=1)
        )
        figures["appointments_week"] = await scheduling_service.counts_by_status(
            db, week, week + timedelta(days=7)
        )
        lists["busiest_departments"] = await scheduling_service.busiest_departments(
            db, week, week + timedelta(days=7)
        )
    elif actor.role == "doctor":
        await _doctor_dashboard(db, settings, actor, figures, lists)
        lists["results"] = [vars(r) for r in await results.inbox(db, actor, limit=5)]
    elif actor.role in DEPARTMENTS:
        pass  # their work cards say it all
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
            await _patient_dashboard(db, settings, actor, patient.id, lists)
    else:
        figures["patients_registered"] = await patients_service.count_active(db)
        figures["patients_registered_today"] = await patients_service.count_registered_since(
            db, _start_of_today(settings)
        )
        if actor.role in FRONT_DESK:
            today = _start_of_today(settings)
            tomorrow = today + timedelta(days=1)
            figures["queue_today"] = await scheduling_service.counts_by_status(db, today, tomorrow)
            queue = await scheduling_service.window(
                db, actor, start=today, end=tomorrow, statuses=("booked", "checked_in"), limit=200
            )
            lists["today_queue"] = await _rows(db, settings, queue)
    lists["work"] = await work.cards_for(db, settings, actor)
    if actor.role != "admin":
        lists["my_recent_sign_ins"] = _sign_in_rows(
            await identity_service.recent_sign_ins(db, 5, actor_id=actor.id)
        )
    return {"role": actor.role, "figures": figures, "lists": lists}


async def _doctor_dashboard(
    db: AsyncSession, settings: Settings, actor: Actor, figures: dict, lists: dict
) -> None:
    """Today's list, what is coming, and the doctor's patients."""
    doctor_id = await staff_service.doctor_id_of(db, actor)
    if doctor_id is None:
        return
    today = _start_of_today(settings)
    tomorrow = today + timedelta(days=1)
    active = ("booked", "checked_in", "completed", "no_show")
    todays = await scheduling_service.window(
        db, actor, start=today, end=tomorrow, doctor_id=doctor_id, statuses=active, limit=100
    )
    upcoming = await scheduling_service.window(
        db,
        actor,
        start=tomorrow,
        end=tomorrow + timedelta(days=7),
        doctor_id=doctor_id,
        statuses=("booked",),
        limit=500,
    )
    patients, total = await patients_service.search(db, actor, None, limit=20)
    figures["today_total"] = len(todays)
    figures["today_waiting"] = sum(1 for a in todays if a.status == "checked_in")
    figures["upcoming_total"] = len(upcoming)
    figures["my_patients"] = total
    lists["today"] = await _rows(db, settings, todays)
    lists["upcoming"] = await _rows(db, settings, upcoming[:15])
    lists["my_patients"] = [
        {
            "id": p.id,
            "name": p.full_name,
            "mrn": format_mrn(p.mrn),
            "date_of_birth": p.date_of_birth,
            "phone": p.phone,
        }
        for p in patients
    ]


async def _patient_dashboard(
    db: AsyncSession, settings: Settings, actor: Actor, patient_id: int, lists: dict
) -> None:
    """The patient's coming appointments and past visits with what was done at each."""
    record = await clinical_service.history(db, actor, patient_id, zone=settings.zone)
    now = datetime.now(settings.zone)
    upcoming = [i for i in record.items if i.start >= now and i.status == "booked"]
    lists["upcoming"] = [i.model_dump() for i in reversed(upcoming)]
    # A visit is past once its time has come (or it was completed); a future visit that was
    # cancelled is simply no longer coming.
    lists["past_visits"] = [
        i.model_dump() for i in record.items if i.start < now or i.status == "completed"
    ]
