"""One-time activation codes: how a patient registered at the front desk links an online
account to their record.

An MRN is printed on every prescription and lab report and a birth date is easy to guess,
so neither proves anything. The desk issues a random code (printed for the patient, or read
out to the phone on file); it expires, is used once, and burns after a few wrong tries.
Failures are counted per record and per client address across web processes, and every one
is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.core import audit, security
from openward.core.actors import Actor
from openward.db import utcnow
from openward.identity import throttle
from openward.identity.errors import TooManyAttempts, wait_then
from openward.patients.errors import AlreadyLinked, PatientInactive, RecordNotMatched
from openward.patients.models import ActivationCode, Patient
from openward.patients.search_keys import digits_of

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})

NOT_MATCHED = (
    "The MRN, date of birth and activation code do not match a record waiting for an "
    "online account. Check all three, or ask the front desk for a new code."
)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())
    return cleaned.translate(_LOOKALIKES)


def _digest(code: str) -> str:
    return security.token_digest("activation:" + normalise(code))


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime
    patient: Patient


async def issue(db: AsyncSession, settings: Settings, actor: Actor, patient: Patient) -> IssuedCode:
    """A new code for the patient; any earlier code that was not used stops working."""
    if patient.user_id is not None:
        raise AlreadyLinked()
    if not patient.is_active:
        raise PatientInactive("Reactivate this record before issuing an activation code.")
    now = utcnow()
    await db.execute(
        update(ActivationCode)
        .where(
            ActivationCode.patient_id == patient.id,
            ActivationCode.used_at.is_(None),
            ActivationCode.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_reason="replaced")
    )
    code = new_code()
    expires = now + timedelta(hours=settings.activation_code_hours)
    db.add(
        ActivationCode(
            patient_id=patient.id,
            code_hash=_digest(code),
            issued_by=actor.id,
            issued_at=now,
            expires_at=expires,
        )
    )
    await db.flush()
    await audit.record(
        db,
        actor,
        "patient.activation_code_issued",
        object_type="patient",
        object_id=patient.id,
        patient_id=patient.id,
        detail={"expires_at": expires.isoformat()},
    )
    return IssuedCode(code, expires, patient)


async def _live_code(db: AsyncSession, patient_id: int) -> ActivationCode | None:
    return await db.scalar(
        select(ActivationCode).where(
            ActivationCode.patient_id == patient_id,
            ActivationCode.used_at.is_(None),
            ActivationCode.revoked_at.is_(None),
            ActivationCode.expires_at > utcnow(),
        )
    )


async def claim(
    db: AsyncSession,
    settings: Settings,
    origin: Actor,
    mrn: str,
    date_of_birth: date,
    code: str,
) -> Patient:
    """The record the code unlocks, with the code spent; or a refusal that names nothing.

    Throttled per client address and per MRN; a wrong try counts against the record's code,
    which burns after `link_max_failures`. The refusal is the same whatever did not match.
    """
    digits = digits_of(mrn) or ""
    subject = f"mrn:{digits[:20]}"
    fails = throttle.counter(db, settings)
    counts = await fails.counts("link", subject, origin.ip, throttle.window_start(settings))
    patient = await db.scalar(select(Patient).where(Patient.mrn == digits)) if digits else None
    if counts.address >= settings.link_ip_max_failures:
        await _failed(db, origin, patient, "address_throttled")
        wait = throttle.seconds_until_free(counts.address_oldest, settings)
        raise wait_then(
            TooManyAttempts,
            "Too many attempts to link an account from this address. Try again later, or ask "
            "the front desk.",
            wait,
        )
    if counts.subject >= settings.link_max_failures:
        await _failed(db, origin, patient, "record_throttled")
        raise wait_then(
            TooManyAttempts,
            "Too many attempts for this record. Ask the front desk for a new activation code.",
            settings.login_window_minutes * 60,
        )
    stored = await _live_code(db, patient.id) if patient is not None else None
    matches = (
        patient is not None
        and stored is not None
        and security.constant_time_equal(stored.code_hash, _digest(code))
        and patient.date_of_birth == date_of_birth
        and patient.user_id is None
        and patient.is_active
    )
    if not matches:
        await fails.add("link", subject, origin.ip, utcnow())
        if stored is not None:
            stored.failed_attempts += 1
            if stored.failed_attempts >= settings.link_max_failures:
                stored.revoked_at = utcnow()
                stored.revoked_reason = "too_many_failures"
        await _failed(db, origin, patient, "not_matched")
        raise RecordNotMatched(NOT_MATCHED, field="activation_code")
    assert patient is not None and stored is not None
    spent = await db.execute(
        update(ActivationCode)
        .where(ActivationCode.id == stored.id, ActivationCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:  # another registration used it this instant
        raise RecordNotMatched(NOT_MATCHED, field="activation_code")
    await fails.clear("link", subject)
    return patient


async def _failed(db: AsyncSession, origin: Actor, patient: Patient | None, reason: str) -> None:
    await audit.record(
        db,
        origin,
        "patient.link_login",
        outcome="failure",
        reason=reason,
        object_type="patient" if patient else None,
        object_id=patient.id if patient else None,
        patient_id=patient.id if patient else None,
    )


async def mark_used_by(db: AsyncSession, patient_id: int, user_id: int) -> None:
    await db.execute(
        update(ActivationCode)
        .where(
            ActivationCode.patient_id == patient_id,
            ActivationCode.used_at.is_not(None),
            ActivationCode.used_by_user_id.is_(None),
        )
        .values(used_by_user_id=user_id)
    )
