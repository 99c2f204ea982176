"""A patient's allergies: the one list every check, page, export and PDF reads. Recorded once
per active substance, changed but never deleted, listed active and most dangerous first.
Entries told at registration are unconfirmed until a clinician confirms them; "no known
allergies" is recorded with who said so and when, apart from "not yet recorded"."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import schemas
from openward.clinical.errors import AllergyExists, AllergyNotFound, NoKnownAllergiesConflict
from openward.clinical.models import Allergy, AllergyAssessment
from openward.clinical.service import checked_patient
from openward.core import audit
from openward.core.actors import Actor
from openward.db import insert_on_conflict, utcnow
from openward.identity import service as identity_service
from openward.patients.events import AllergiesReported
from openward.patients.service import BannerFact

SEVERE = ("severe", "life_threatening")

# ---------------------------------------------------------------- presenting


def present_allergies(rows: Sequence[Allergy], names: dict[int, str]) -> list[schemas.AllergyOut]:
    return [
        schemas.AllergyOut(
            id=a.id,
            patient_id=a.patient_id,
            substance=a.substance,
            reaction=a.reaction,
            severity=a.severity,  # type: ignore[arg-type]
            status=a.status,  # type: ignore[arg-type]
            verification=a.verification,  # type: ignore[arg-type]
            source=a.source,  # type: ignore[arg-type]
            source_text=a.source_text,
            recorded_by=a.recorded_by,
            recorded_by_name=names.get(a.recorded_by, "—") if a.recorded_by else "—",
            verified_by_name=names.get(a.verified_by) if a.verified_by else None,
            verified_at=a.verified_at,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in rows
    ]


def people_of(rows: Sequence[Allergy], assessment: AllergyAssessment | None) -> list[int]:
    """The users an allergy list names (recorders, confirmers, who said none are known)."""
    ids = [a.recorded_by for a in rows if a.recorded_by] + [
        a.verified_by for a in rows if a.verified_by
    ]
    if assessment is not None and assessment.assessed_by:
        ids.append(assessment.assessed_by)
    return ids


def present_assessment(
    rows: Sequence[Allergy], assessment: AllergyAssessment | None, names: dict[int, str]
) -> schemas.AllergyAssessmentOut:
    if any(a.status == "active" for a in rows):
        return schemas.AllergyAssessmentOut(state="recorded", no_known_allergies=False)
    if assessment is not None and assessment.no_known_allergies:
        return schemas.AllergyAssessmentOut(
            state="no_known_allergies",
            no_known_allergies=True,
            assessed_by_name=names.get(assessment.assessed_by, "—")
            if assessment.assessed_by
            else "at registration (before this was recorded by name)",
            assessed_at=assessment.assessed_at,
        )
    return schemas.AllergyAssessmentOut(state="not_recorded", no_known_allergies=False)


# ---------------------------------------------------------------- writing


async def _active_with_substance(db: AsyncSession, patient_id: int, substance: str) -> int | None:
    return await db.scalar(
        select(Allergy.id).where(
            Allergy.patient_id == patient_id,
            Allergy.status == "active",
            func.lower(Allergy.substance) == substance.lower(),
        )
    )


async def _record(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    substance: str,
    reaction: str | None,
    severity: str,
    source: str,
    reason: str | None = None,
) -> Allergy:
    """One new active entry: confirmed when a clinician records it in the chart, unconfirmed
    when told at registration. An allergy on file ends any "no known allergies"."""
    confirmed = source == "chart"
    now = utcnow()
    allergy = Allergy(
        patient_id=patient_id,
        substance=substance,
        reaction=reaction,
        severity=severity,
        status="active",
        verification="confirmed" if confirmed else "unconfirmed",
        source=source,
        recorded_by=actor.id,
        verified_by=actor.id if confirmed else None,
        verified_at=now if confirmed else None,
    )
    db.add(allergy)
    await db.flush()
    await _set_no_known(db, patient_id, False, actor)
    await audit.record(
        db,
        actor,
        "allergy.create",
        object_type="allergy",
        object_id=allergy.id,
        patient_id=patient_id,
        reason=reason,
        detail={"substance": substance, "severity": severity, "source": source},
    )
    return allergy


async def _set_no_known(db: AsyncSession, patient_id: int, none_known: bool, actor: Actor) -> None:
    """One statement, so two nurses recording it at once both succeed (one row a patient):
    "none known" is upserted; an allergy on file clears a "none known" that was there."""
    now = utcnow()
    if none_known:
        upsert = insert_on_conflict(db)(AllergyAssessment).values(
            patient_id=patient_id, no_known_allergies=True, assessed_by=actor.id, assessed_at=now
        )
        await db.execute(
            upsert.on_conflict_do_update(
                index_elements=[AllergyAssessment.patient_id],
                set_={"no_known_allergies": True, "assessed_by": actor.id, "assessed_at": now},
            )
        )
        return
    await db.execute(
        update(AllergyAssessment)
        .where(AllergyAssessment.patient_id == patient_id, AllergyAssessment.no_known_allergies)
        .values(no_known_allergies=False, assessed_by=actor.id, assessed_at=now)
    )


async def add_allergy(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    data: schemas.AllergyIn,
    *,
    break_glass_reason: str | None = None,
) -> Allergy:
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    existing = await _active_with_substance(db, patient.id, data.substance)
    if existing is not None:
        raise AllergyExists(
            f"{data.substance} is already an active allergy; change that entry instead.",
            field="substance",
            extra={"allergy_id": existing},
        )
    return await _record(
        db,
        actor,
        patient.id,
        substance=data.substance,
        reaction=data.reaction,
        severity=data.severity,
        source="chart",
        reason=break_glass_reason,
    )


async def allergies_reported(db: AsyncSession, event: AllergiesReported) -> None:
    """Allergies told at registration (desk or online) become unconfirmed entries of the
    list; "none known" is recorded with who asked. A substance already on file is kept as
    it is."""
    for told in event.allergies:
        if await _active_with_substance(db, event.patient_id, told.substance) is not None:
            continue
        await _record(
            db,
            event.actor,
            event.patient_id,
            substance=told.substance,
            reaction=told.reaction,
            severity=told.severity,
            source="registration",
        )
    if event.no_known_allergies:
        await record_no_known_allergies(db, event.actor, event.patient_id, checked=True)


async def record_no_known_allergies(
    db: AsyncSession, actor: Actor, patient_id: int, *, checked: bool = False
) -> None:
    """The patient was asked and knows of no allergy: recorded with who and when. Refused
    (409 `allergies_recorded`) while an allergy is active."""
    if not checked:
        await checked_patient(db, actor, patient_id)
    active = await db.scalar(
        select(func.count(Allergy.id)).where(
            Allergy.patient_id == patient_id, Allergy.status == "active"
        )
    )
    if active:
        raise NoKnownAllergiesConflict(
            f"{active} allergy entr{'y is' if active == 1 else 'ies are'} active: change "
            "their status first if they were recorded in error."
        )
    await _set_no_known(db, patient_id, True, actor)
    await audit.record(
        db,
        actor,
        "allergy.none_known",
        object_type="allergy",
        patient_id=patient_id,
    )


async def update_allergy(
    db: AsyncSession, actor: Actor, allergy_id: int, data: schemas.AllergyUpdate
) -> Allergy:
    """Severity, reaction, status (inactive, resolved, refuted) or confirming an entry told
    at registration: never deleted."""
    allergy = await db.get(Allergy, allergy_id)
    if allergy is None:
        raise AllergyNotFound()
    await checked_patient(db, actor, allergy.patient_id)
    changes = data.model_dump(exclude_unset=True)
    changed = {}
    for name in ("reaction", "severity", "status", "verification"):
        if name not in changes or (changes[name] is None and name != "reaction"):
            continue
        if getattr(allergy, name) != changes[name]:
            changed[name] = [getattr(allergy, name), changes[name]]
            setattr(allergy, name, changes[name])
    if changes.get("verification") == "confirmed" and "verification" in changed:
        allergy.verified_by = actor.id
        allergy.verified_at = utcnow()
    allergy.updated_at = utcnow()
    await db.flush()
    await audit.record(
        db,
        actor,
        "allergy.update",
        object_type="allergy",
        object_id=allergy.id,
        patient_id=allergy.patient_id,
        detail={"changes": changed},
    )
    return allergy


# ---------------------------------------------------------------- reading


async def list_allergies(
    db: AsyncSession,
    actor: Actor,
    patient_id: int,
    *,
    status: str | None = None,
    break_glass_reason: str | None = None,
) -> schemas.AllergyList:
    patient = await checked_patient(db, actor, patient_id, break_glass_reason)
    every = await allergies_of(db, patient.id)
    rows = [a for a in every if status is None or a.status == status]
    assessment = await assessment_of(db, patient.id)
    await audit.record(
        db,
        actor,
        "allergy.list",
        object_type="allergy",
        patient_id=patient.id,
        detail={"total": len(rows)},
    )
    names = await identity_service.full_names(db, people_of(every, assessment))
    state = present_assessment(every, assessment, names)
    return schemas.AllergyList(
        items=present_allergies(rows, names),
        total=len(rows),
        state=state.state,
        no_known_allergies=state.no_known_allergies,
        assessment=state,
    )


async def assessment_of(db: AsyncSession, patient_id: int) -> AllergyAssessment | None:
    return await db.scalar(
        select(AllergyAssessment)
        .where(AllergyAssessment.patient_id == patient_id)
        .execution_options(populate_existing=True)  # written by one UPDATE/upsert statement
    )


async def allergies_of(db: AsyncSession, patient_id: int, status: str | None = None):
    query = select(Allergy).where(Allergy.patient_id == patient_id)
    if status:
        query = query.where(Allergy.status == status)
    # Active first, then the most dangerous (unknown severity counts as dangerous).
    order = [
        (Allergy.status != "active"),
        Allergy.severity.in_((*SEVERE, "unknown")).desc(),
        Allergy.substance,
    ]
    return list(await db.scalars(query.order_by(*order)))


# ---------------------------------------------------------------- the patient banner

SEVERITY_LABELS = {
    "unknown": "severity unknown",
    "mild": "mild",
    "moderate": "moderate",
    "severe": "severe",
    "life_threatening": "life-threatening",
}


async def banner_facts(db: AsyncSession, patient_id: int, zone: ZoneInfo) -> list[BannerFact]:
    """The banner's allergy line: each active allergy (red when severe or of unknown
    severity), or "no known allergies" with who said so, or "not yet recorded"."""
    rows = [a for a in await allergies_of(db, patient_id) if a.status == "active"]
    if rows:
        items = tuple(
            (
                (
                    f"{a.substance}{f' ({a.reaction})' if a.reaction else ''} — "
                    f"{SEVERITY_LABELS.get(a.severity, a.severity)}"
                    f"{', unconfirmed' if a.verification == 'unconfirmed' else ''}"
                ),
                "danger" if a.severity in (*SEVERE, "unknown") else "warning",
            )
            for a in rows
        )
        tone = "danger" if any(t == "danger" for _, t in items) else "warning"
        return [BannerFact("allergies", "Allergies", "", tone, None, items)]
    assessment = await assessment_of(db, patient_id)
    if assessment is not None and assessment.no_known_allergies:
        names = await identity_service.full_names(db, people_of([], assessment))
        said = present_assessment([], assessment, names)
        when = said.assessed_at.astimezone(zone).strftime("%d %b %Y") if said.assessed_at else ""
        return [
            BannerFact(
                "allergies",
                "Allergies",
                f"No known allergies (recorded by {said.assessed_by_name}, {when})",
                "info",
            )
        ]
    return [BannerFact("allergies", "Allergies", "Not yet recorded: ask the patient", "warning")]
