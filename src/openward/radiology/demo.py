"""The radiology catalogue a hospital starts from, and a little imaging activity for the demo.

`seed_catalogue` is safe on a live hospital: it adds missing modalities and exams by code and
never changes one that exists (prices there are the hospital's own)."""

from __future__ import annotations

import io
import math
import struct
import zlib
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings, get_settings
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import service as patients_service
from openward.radiology import attachments as radiology_attachments
from openward.radiology import orders as radiology_orders
from openward.radiology import schemas
from openward.radiology import workflow as radiology_workflow
from openward.radiology.models import ImagingExam, ImagingOrder, Modality

# DICOM modality code, name
MODALITIES: list[tuple[str, str]] = [
    ("CR", "Computed radiography (X-ray)"),
    ("DX", "Digital radiography (X-ray)"),
    ("CT", "Computed tomography (CT)"),
    ("MR", "Magnetic resonance imaging (MRI)"),
    ("US", "Ultrasound"),
    ("MG", "Mammography"),
    ("NM", "Nuclear medicine"),
    ("RF", "Fluoroscopy"),
    ("XA", "X-ray angiography"),
    ("BMD", "Bone densitometry (DXA)"),
]

_CONTRAST = (
    "Recent creatinine/eGFR (within 3 months). Tell staff about contrast allergy, "
    "metformin, kidney disease or pregnancy."
)
_MRI_SAFETY = (
    "Complete the MRI safety questionnaire (pacemaker, implants, metal fragments, "
    "pregnancy) and remove all metal before the scan."
)

# code, name, modality, body part, price, minutes, preparation
EXAMS: list[tuple[str, str, str, str, str, int, str | None]] = [
    ("XR-CHEST-PA", "Chest X-ray PA", "DX", "Chest", "45.00", 10, None),
    ("XR-CHEST-2V", "Chest X-ray PA and lateral", "DX", "Chest", "60.00", 15, None),
    ("XR-CHEST-PORT", "Portable chest X-ray (ward)", "CR", "Chest", "70.00", 15, None),
    ("XR-ABD", "Abdominal X-ray (supine)", "DX", "Abdomen", "50.00", 10, None),
    ("XR-PELVIS", "Pelvis X-ray AP", "DX", "Pelvis", "50.00", 10, None),
    ("XR-LSPINE", "Lumbar spine X-ray AP and lateral", "DX", "Lumbar spine", "65.00", 15, None),
    ("XR-KNEE", "Knee X-ray (2 views)", "DX", "Knee", "45.00", 10, None),
    ("XR-ANKLE", "Ankle X-ray (3 views)", "DX", "Ankle", "45.00", 10, None),
    ("XR-HAND", "Hand X-ray (2 views)", "DX", "Hand", "40.00", 10, None),
    (
        "CT-HEAD",
        "CT head without contrast",
        "CT",
        "Head",
        "180.00",
        15,
        "Remove hairpins, earrings and other metal from the head and neck.",
    ),
    (
        "CT-ABDPEL-C",
        "CT abdomen/pelvis with contrast",
        "CT",
        "Abdomen and pelvis",
        "420.00",
        30,
        "Fasting 4 hours before the scan (water allowed). " + _CONTRAST,
    ),
    ("CT-CHEST", "CT chest without contrast", "CT", "Chest", "250.00", 15, None),
    (
        "CT-CTPA",
        "CT pulmonary angiogram",
        "CT",
        "Chest",
        "450.00",
        20,
        "IV cannula (20G or larger) in the arm. " + _CONTRAST,
    ),
    (
        "CT-KUB",
        "CT KUB (kidneys, ureters, bladder) without contrast",
        "CT",
        "Abdomen and pelvis",
        "230.00",
        15,
        "Drink 500 ml of water an hour before the scan.",
    ),
    ("CT-SINUS", "CT paranasal sinuses", "CT", "Sinuses", "190.00", 15, None),
    ("MR-KNEE", "MRI knee", "MR", "Knee", "380.00", 30, _MRI_SAFETY),
    (
        "MR-BRAIN-C",
        "MRI brain with and without contrast",
        "MR",
        "Brain",
        "520.00",
        45,
        _MRI_SAFETY + " Recent creatinine/eGFR for gadolinium contrast.",
    ),
    ("MR-LSPINE", "MRI lumbar spine", "MR", "Lumbar spine", "420.00", 30, _MRI_SAFETY),
    ("MR-SHOULDER", "MRI shoulder", "MR", "Shoulder", "390.00", 30, _MRI_SAFETY),
    (
        "US-ABD",
        "Abdominal ultrasound",
        "US",
        "Abdomen",
        "120.00",
        30,
        "Fasting 6 hours before the scan (sips of water allowed).",
    ),
    (
        "US-PELVIS",
        "Pelvic ultrasound",
        "US",
        "Pelvis",
        "110.00",
        30,
        "Full bladder: drink 1 litre of water an hour before and do not empty the bladder.",
    ),
    (
        "US-OBS",
        "Obstetric ultrasound (dating scan)",
        "US",
        "Pelvis",
        "130.00",
        30,
        "A comfortably full bladder helps in early pregnancy.",
    ),
    ("US-THYROID", "Thyroid ultrasound", "US", "Neck", "100.00", 20, None),
    ("US-DVT", "Venous Doppler ultrasound, leg (DVT)", "US", "Leg", "140.00", 30, None),
    ("US-BREAST", "Breast ultrasound", "US", "Breast", "110.00", 20, None),
    (
        "MG-SCREEN",
        "Mammogram screening (bilateral)",
        "MG",
        "Breast",
        "95.00",
        20,
        "No deodorant, talc or lotion under the arms or on the breasts on the day.",
    ),
    (
        "MG-DIAG",
        "Diagnostic mammogram",
        "MG",
        "Breast",
        "130.00",
        30,
        "No deodorant, talc or lotion under the arms or on the breasts on the day.",
    ),
    (
        "NM-BONE",
        "Bone scan (whole body)",
        "NM",
        "Whole body",
        "350.00",
        60,
        "The scan is 2 to 4 hours after the injection; drink plenty of fluids in between.",
    ),
    (
        "NM-MPI",
        "Myocardial perfusion scan",
        "NM",
        "Heart",
        "600.00",
        120,
        "No caffeine for 24 hours; ask about stopping beta-blockers.",
    ),
    (
        "RF-BA-SWALLOW",
        "Barium swallow",
        "RF",
        "Oesophagus",
        "150.00",
        30,
        "Nothing to eat or drink for 6 hours before.",
    ),
    (
        "XA-CORONARY",
        "Coronary angiography",
        "XA",
        "Heart",
        "1500.00",
        60,
        "Fasting 6 hours. " + _CONTRAST + " Arrange someone to take you home.",
    ),
    (
        "BMD-DXA",
        "DXA bone density scan (hip and spine)",
        "BMD",
        "Hip and spine",
        "90.00",
        20,
        "No calcium supplements for 24 hours before the scan.",
    ),
]


async def seed_catalogue(db: AsyncSession) -> int:
    """Add the starter modalities and exams that are missing; returns how many were added."""
    added = 0
    modalities = {m.code: m for m in await db.scalars(select(Modality))}
    for code, name in MODALITIES:
        if code not in modalities:
            modalities[code] = Modality(code=code, name=name, is_active=True)
            db.add(modalities[code])
            added += 1
    await db.flush()
    existing = set(await db.scalars(select(ImagingExam.code)))
    for code, name, modality, body_part, price, minutes, preparation in EXAMS:
        if code in existing:
            continue
        db.add(
            ImagingExam(
                code=code,
                name=name,
                modality_id=modalities[modality].id,
                body_part=body_part,
                price=Decimal(price),
                duration_minutes=minutes,
                preparation=preparation,
                is_active=True,
            )
        )
        added += 1
    await db.flush()
    return added


# ---------------------------------------------------------------- demo activity


def demo_radiograph(size: int = 192) -> bytes:
    """A small greyscale PNG that looks like a chest film (drawn here, not shipped)."""
    rows = []
    centre = size / 2
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            dx, dy = (x - centre) / centre, (y - centre) / centre
            body = max(0.0, 1.0 - (dx * dx * 0.9 + dy * dy * 0.5))
            lung = 0.0
            for side in (-0.38, 0.38):
                ex, ey = (dx - side) / 0.28, (dy + 0.05) / 0.62
                lung = max(lung, 1.0 - (ex * ex + ey * ey))
            spine = math.exp(-((dx / 0.07) ** 2))
            value = 40 + 170 * body - 120 * max(0.0, lung) + 60 * spine * body
            row.append(max(0, min(255, int(value))))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


async def _actor(db: AsyncSession, username: str) -> Actor | None:
    user = await identity_service.find_by_username(db, username)
    if user is None:
        return None
    return identity_service.actor_for(user, Actor.system("demo"), "demo")


async def seed(
    db: AsyncSession,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
    zone: ZoneInfo | None = None,
) -> None:
    """The catalogue, then (once: skipped when imaging orders exist) orders in every status
    for the demo patients, among them a verified chest X-ray with its film for Paula Fischer
    (the "patient" login) requested by Dr. David Mensah (the "doctor" login). Exams done lie
    on earlier days, in working hours; those booked lie ahead of `now` (default: the clock)."""
    await seed_catalogue(db)
    if await db.scalar(select(func.count(ImagingOrder.id))):
        return
    settings = settings or get_settings()
    zone = zone or settings.zone
    doctor = await _actor(db, "doctor")
    radiologist = await _actor(db, "radiologist")
    second_reader = await _actor(db, "radiologist2")  # verifies what the first reports
    reception = await _actor(db, "reception")
    nurse = await _actor(db, "nurse")
    paula_user = await identity_service.find_by_username(db, "patient")
    if not (doctor and radiologist and second_reader and reception and nurse and paula_user):
        return
    release_hours = settings.result_release_hours
    system = Actor.system("demo")
    paula = await patients_service.for_user(db, system, paula_user.id)
    others, _ = await patients_service.search(db, system, None, limit=12)
    others = [p for p in others if paula is None or p.id != paula.id]
    if paula is None or len(others) < 6:
        return
    now = (now or utcnow()).astimezone(zone)
    today = now.date()

    def on(days_ago: int, hour: int, minute: int = 0) -> datetime:
        """A time in working hours `days_ago` (at least one) days before today: all past."""
        return datetime.combine(today - timedelta(days=days_ago), time(hour, minute), tzinfo=zone)

    async def order(
        patient_id, code, actor, *, priority="routine", notes=None, days_ago=0, minutes_ago=0
    ):
        """Ordered in the morning `days_ago` days back, or today `minutes_ago` minutes ago."""
        ordered_at = on(days_ago, 9) if days_ago else now - timedelta(minutes=minutes_ago)
        return await radiology_orders.create_order(
            db,
            actor,
            schemas.OrderCreate(
                patient_id=patient_id,
                exam_code=code,
                priority=priority,
                clinical_notes=notes,
                doctor_user_id=doctor.id,
            ),
            now=ordered_at,
        )

    async def through(o, *, scheduled_days_ago, steps, findings="", impression=""):
        at = on(scheduled_days_ago, 10, 30)  # done by 15:30 that day, before today began
        await radiology_workflow.schedule(
            db, reception, o.id, at, zone=zone, now=at - timedelta(hours=20)
        )
        if "perform" in steps:
            await radiology_workflow.perform(db, radiologist, o.id, now=at + timedelta(minutes=20))
        if "report" in steps:
            await radiology_workflow.report(
                db,
                radiologist,
                o.id,
                schemas.ReportIn(findings=findings, impression=impression),
                now=at + timedelta(hours=3),
            )
        if "verify" in steps:
            await radiology_workflow.verify(
                db, second_reader, o.id, release_hours=release_hours, now=at + timedelta(hours=5)
            )
        return at

    # Paula: a verified chest film (with the image) and an ultrasound booked for tomorrow.
    chest = await order(
        paula.id,
        "XR-CHEST-PA",
        doctor,
        notes="Cough for three weeks, non-smoker. Exclude consolidation.",
        days_ago=5,
    )
    filmed = await through(chest, scheduled_days_ago=4, steps=("perform",))
    await radiology_attachments.attach(
        db,
        radiologist,
        chest.id,
        source=io.BytesIO(demo_radiograph()),
        filename="chest-pa.png",
        media_dir=settings.media_dir,
        max_bytes=settings.upload_max_mb * 1024 * 1024,
        now=filmed + timedelta(minutes=25),
    )
    await radiology_workflow.report(
        db,
        radiologist,
        chest.id,
        schemas.ReportIn(
            findings=(
                "PA chest radiograph. The lungs are clear, with no focal consolidation, "
                "pleural effusion or pneumothorax. Heart size is normal (cardiothoracic ratio "
                "under 0.5). Mediastinal and hilar contours are unremarkable. No acute bony "
                "abnormality."
            ),
            impression="Normal chest radiograph. No radiographic cause for the cough.",
        ),
        now=filmed + timedelta(hours=3),
    )
    await radiology_workflow.verify(
        db, second_reader, chest.id, release_hours=release_hours, now=filmed + timedelta(hours=5)
    )
    # Dr. Mensah read it the next morning: Paula can read it too.
    await radiology_workflow.acknowledge(db, doctor, chest.id, now=filmed + timedelta(hours=20))
    upcoming = await order(
        paula.id,
        "US-ABD",
        doctor,
        notes="Intermittent right upper quadrant pain after meals. ?Gallstones.",
        days_ago=1,
    )
    tomorrow = datetime.combine(today + timedelta(days=1), time(9, 30), tzinfo=zone)
    await radiology_workflow.schedule(
        db, reception, upcoming.id, tomorrow, zone=zone, now=now - timedelta(hours=20)
    )

    # The worklist: one order in each remaining status.
    await order(
        others[0].id,
        "CT-HEAD",
        doctor,
        priority="stat",
        notes="Fall at home this morning, on apixaban, GCS 14. Exclude intracranial bleed.",
        minutes_ago=72,
    )
    knee = await order(
        others[1].id,
        "MR-KNEE",
        doctor,
        notes="Twisting injury playing football, locking and medial joint line tenderness.",
        days_ago=6,
    )
    await through(knee, scheduled_days_ago=1, steps=("perform",))
    ct = await order(
        others[2].id,
        "CT-ABDPEL-C",
        doctor,
        priority="urgent",
        notes="Weight loss and iron-deficiency anaemia. Creatinine 78 umol/L last week.",
        days_ago=3,
    )
    await through(
        ct,
        scheduled_days_ago=2,
        steps=("perform", "report"),
        findings=(
            "Portal venous phase CT of the abdomen and pelvis. Circumferential wall "
            "thickening of the sigmoid colon over 4 cm with adjacent fat stranding and two "
            "sub-centimetre pericolic lymph nodes. Liver, spleen, pancreas, kidneys and "
            "adrenals are unremarkable. No free fluid or free gas."
        ),
        impression=(
            "Sigmoid wall thickening, suspicious for a primary colonic tumour. "
            "Colonoscopy recommended."
        ),
    )
    spine = await order(
        others[3].id, "XR-LSPINE", doctor, notes="Chronic low back pain, age over 50.", days_ago=3
    )
    await through(
        spine,
        scheduled_days_ago=2,
        steps=("perform", "report", "verify"),
        findings=(
            "Five lumbar-type vertebrae with normal alignment. Disc space narrowing at L4/5 "
            "and L5/S1 with anterior osteophytes. No fracture or destructive lesion."
        ),
        impression="Degenerative changes at L4/5 and L5/S1. No acute abnormality.",
    )
    pelvic = await order(
        others[4].id,
        "US-PELVIS",
        nurse,
        notes="Irregular bleeding.",
        days_ago=2,
    )
    await radiology_workflow.cancel(
        db, reception, pelvic.id, "Patient had the scan at another hospital last week."
    )
    screening = await order(others[5].id, "MG-SCREEN", reception, days_ago=7)
    later = datetime.combine(today + timedelta(days=2), time(14, 0), tzinfo=zone)
    await radiology_workflow.schedule(
        db, reception, screening.id, later, zone=zone, now=now - timedelta(days=6)
    )
    await order(
        others[0].id,
        "XR-CHEST-PA",
        nurse,
        priority="urgent",
        notes="Fever, crackles at right base.",
    )
