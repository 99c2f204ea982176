"""A little demo laboratory activity (`seed`): the starter catalogue, then orders in every
status for the demo patients. `seed_catalogue` is also reached as lab_demo.seed_catalogue."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core.actors import Actor
from openward.identity import service as identity_service
from openward.lab import orders as lab_orders
from openward.lab import schemas
from openward.lab import workflow as lab_workflow
from openward.lab.models import LabOrder
from openward.lab.starter_catalogue import seed_catalogue
from openward.patients import service as patients_service

# Paula's diabetes follow-up: HbA1c and lipids every three months, improving.
PAULA_SERIES = [
    (300, {"HBA1C": "64"}, {"CHOL": "6.4", "LDL": "4.3", "HDL": "1.1", "TRIG": "2.3"}),
    (210, {"HBA1C": "58"}, {"CHOL": "5.9", "LDL": "3.8", "HDL": "1.2", "TRIG": "2.0"}),
    (120, {"HBA1C": "53"}, {"CHOL": "5.4", "LDL": "3.3", "HDL": "1.3", "TRIG": "1.8"}),
    (30, {"HBA1C": "49"}, {"CHOL": "5.0", "LDL": "2.9", "HDL": "1.4", "TRIG": "1.5"}),
]
NORMAL_CBC = {
    "WBC": "6.8",
    "RBC": "4.6",
    "HGB": "136",
    "HCT": "0.41",
    "MCV": "89",
    "MCH": "29.5",
    "PLT": "260",
}
NORMAL_BMP = {
    "GLU": "5.2",
    "UREA": "5.1",
    "CREA": "72",
    "NA": "139",
    "K": "4.2",
    "CL": "103",
    "HCO3": "25",
    "CA": "2.35",
}


# Hours after the order at which each step is done: taken at 09:00, started at 10:00, ...
STEP_HOURS = {"ordered": 0, "collected": 1, "in_progress": 2, "resulted": 4, "verified": 6}


ACKNOWLEDGED_AFTER = timedelta(hours=3)  # the doctor reads verified results that afternoon


def _start(day: date, now: datetime, zone: ZoneInfo, upto: str, minutes: int = 0) -> datetime:
    """When an order taken as far as `upto` was placed: at 08:00 (plus `minutes`) on `day` in
    the hospital's zone, or, when its last step would not have come by `now` (today's
    worklist early in the day), just early enough for that step to lie `minutes` + 5 min
    before `now` (yesterday evening, just after midnight)."""
    start = datetime.combine(day, time(8, 0), tzinfo=zone) + timedelta(minutes=minutes)
    latest = now - timedelta(minutes=5 + minutes) - timedelta(hours=STEP_HOURS[upto])
    return min(start, latest)


async def _order(
    db: AsyncSession,
    actor: Actor,
    lab: tuple[Actor, Actor],
    patient_id: int,
    tests: list[str],
    *,
    start: datetime,
    upto: str,
    values: dict[str, str] | None = None,
    priority: str = "routine",
    notes: str | None = None,
    release_hours: int = 72,
    acknowledge_after: timedelta | None = None,
) -> LabOrder:
    """One order placed at `start`, taken as far as `upto` (ordered ... verified) at the
    hours of STEP_HOURS after it: the first technician enters the results, the second
    verifies them. Verified results older than the release delay have reached the patient;
    most are acknowledged by the doctor a few hours after verification."""
    technician, verifier = lab

    def at(step: str) -> datetime:
        return start + timedelta(hours=STEP_HOURS[step])

    order = await lab_orders.create_order(
        db,
        actor,
        schemas.LabOrderCreate(
            patient_id=patient_id, tests=tests, priority=priority, clinical_notes=notes
        ),
        now=at("ordered"),
    )
    if upto == "ordered":
        return order
    await lab_workflow.collect(db, technician, order.id, now=at("collected"))
    if upto == "collected":
        return order
    await lab_workflow.start(db, technician, order.id, now=at("in_progress"))
    if upto == "in_progress":
        return order
    entries = [
        schemas.ResultEntry(analyte_code=code, value=value)
        for code, value in (values or {}).items()
    ]
    await lab_workflow.enter_results(db, technician, order.id, entries, now=at("resulted"))
    if upto == "verified":
        await lab_workflow.verify(
            db, verifier, order.id, release_hours=release_hours, now=at("verified")
        )
        if acknowledge_after is not None:
            await lab_workflow.acknowledge(
                db, actor, order.id, now=at("verified") + acknowledge_after
            )
    return order


def _cbc(rng: random.Random) -> dict[str, str]:
    return {k: v for k, v in NORMAL_CBC.items()} | {"PLT": str(rng.randrange(180, 380))}


async def seed(db: AsyncSession, *, now: datetime, zone: ZoneInfo, release_hours: int = 72) -> int:
    """The catalogue, then a few orders in every status for the demo patients, ordered by
    the demo doctor (Paula, the "patient" login, has months of HbA1c and lipids). Runs once:
    skipped when any lab order exists. Returns how many orders were made. Every step lies
    before `now`; today's worklist is today's where the hour allows."""
    await seed_catalogue(db)
    if await db.scalar(select(LabOrder.id).limit(1)) is not None:
        return 0
    doctor_user = await identity_service.find_by_username(db, "doctor")
    lab_user = await identity_service.find_by_username(db, "labtech")
    second_user = await identity_service.find_by_username(db, "labtech2")
    if doctor_user is None or lab_user is None or second_user is None:
        return 0
    doctor = Actor(id=doctor_user.id, username=doctor_user.username, role="doctor", via="demo")
    lab = (
        Actor(id=lab_user.id, username=lab_user.username, role="lab_technician", via="demo"),
        Actor(id=second_user.id, username=second_user.username, role="lab_technician", via="demo"),
    )
    system = Actor.system("demo")
    paula, _ = await patients_service.search(db, system, "Paula Fischer", limit=1)
    others, _ = await patients_service.search(db, system, "", limit=12)
    patients = [p.id for p in paula] + [p.id for p in others if not paula or p.id != paula[0].id]
    if not patients:
        return 0
    today = now.astimezone(zone).date()
    rng = random.Random(4_2026)
    made = 0
    main = patients[0]
    for days_ago, hba1c, lipids in PAULA_SERIES:
        day = today - timedelta(days=days_ago)
        await _order(
            db,
            doctor,
            lab,
            main,
            ["HBA1C"],
            start=_start(day, now, zone, "verified"),
            upto="verified",
            values=hba1c,
            notes="Type 2 diabetes: three-monthly review.",
            release_hours=release_hours,
            acknowledge_after=ACKNOWLEDGED_AFTER,
        )
        await _order(
            db,
            doctor,
            lab,
            main,
            ["LIPID"],
            start=_start(day, now, zone, "verified", minutes=2),
            upto="verified",
            values=lipids,
            release_hours=release_hours,
            acknowledge_after=ACKNOWLEDGED_AFTER,
        )
        made += 2
    await _order(
        db,
        doctor,
        lab,
        main,
        ["CBC", "BMP"],
        start=_start(today - timedelta(days=30), now, zone, "verified", minutes=4),
        upto="verified",
        values=NORMAL_CBC | NORMAL_BMP,
        release_hours=release_hours,
        acknowledge_after=ACKNOWLEDGED_AFTER,
    )
    await _order(
        db,
        doctor,
        lab,
        main,
        ["TSH"],
        start=_start(today, now, zone, "ordered"),
        upto="ordered",
        notes="Tiredness; check thyroid.",
    )
    made += 2
    rest = patients[1:] or patients
    plan = [
        (["CBC"], "ordered", None, "stat", "Suspected sepsis."),
        (["BMP"], "ordered", None, "urgent", "On diuretics; check potassium."),
        (["UA"], "collected", None, "routine", "Dysuria for three days."),
        (["CRP"], "collected", None, "urgent", None),
        (["LFT"], "in_progress", None, "routine", "Raised ALT at GP; repeat."),
        (["COAG"], "in_progress", None, "routine", "Warfarin monitoring."),
        (
            ["BMP"],
            "resulted",
            NORMAL_BMP | {"K": "6.8"},
            "urgent",
            "ACE inhibitor started last week.",
        ),
        (["CBC"], "verified", None, "routine", None),
        (
            ["UA"],
            "verified",
            {
                "UPRO": "trace",
                "UGLU": "negative",
                "UKET": "negative",
                "UBLD": "negative",
                "ULEU": "2+",
                "UNIT": "positive",
                "USG": "1.020",
                "UPH": "6.0",
            },
            "routine",
            "Urinary frequency.",
        ),
        (["TROP"], "verified", {"TROPI": "8"}, "stat", "Chest pain, resolved."),
    ]
    for index, (tests, upto, values, priority, notes) in enumerate(plan):
        patient_id = rest[index % len(rest)]
        if values is None and upto in ("resulted", "verified"):
            values = _cbc(rng)
        day = today if upto != "verified" else today - timedelta(days=rng.randrange(1, 20))
        await _order(
            db,
            doctor,
            lab,
            patient_id,
            tests,
            start=_start(day, now, zone, upto, minutes=6 * (index + 1)),
            upto=upto,
            values=values,
            priority=priority,
            notes=notes,
            release_hours=release_hours,
            # The urine test waits in the doctor's "Results to acknowledge".
            acknowledge_after=None if tests == ["UA"] else ACKNOWLEDGED_AFTER,
        )
        made += 1
    return made
