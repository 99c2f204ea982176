"""Search and lists: the search box (name words in any order, MRN, phone, national id), a
doctor's lists kept to their own patients, a form's patient step, and the dashboard figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.schemas import search_text
from openward.patients import care, schemas
from openward.patients.access import get_for
from openward.patients.models import Patient
from openward.patients.search_keys import digits_of, fold
from openward.staff import service as staff_service


async def _scope(db: AsyncSession, actor: Actor, query: Select[Any]) -> Select[Any]:
    """Lists show a doctor only their patients (care team or appointments)."""
    if actor.role != "doctor":
        return query
    doctor_id = await staff_service.doctor_id_of(db, actor)
    if doctor_id is None:
        return query.where(Patient.id.is_(None))
    return query.where(Patient.id.in_(care.patient_ids_in_care(doctor_id)))


def _matching(q: str) -> tuple[Any, Any]:
    """(where clause, rank) for a search box: name words in any order, MRN, phone, national
    id. Rank 0 is an exact identifier, 1 the exact name, 2 every word starting a name word."""
    words = fold(q).split()
    digits = digits_of(q) or ""
    name_match = and_(*[Patient.name_search.contains(w, autoescape=True) for w in words])
    word_starts = and_(
        *[
            or_(
                Patient.name_search.startswith(w, autoescape=True),
                Patient.name_search.contains(" " + w, autoescape=True),
            )
            for w in words
        ]
    )
    # Every branch is index-backed (trigram, unique or pattern indexes), so PostgreSQL can
    # combine them instead of reading the whole table.
    identifiers = [Patient.national_id == schemas.national_id_key(q)]
    found = [name_match, *identifiers] if words else list(identifiers)
    exact_id = or_(*identifiers)
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "").replace("-", "")) - 1:
        if len(digits) == 10:
            found.append(Patient.mrn == digits)
        else:
            found.append(Patient.mrn.startswith(digits))
        found.append(Patient.phone_digits.contains(digits))
        exact_id = or_(exact_id, Patient.mrn == digits)
    joined = " ".join(words)
    reversed_name = " ".join(reversed(words))
    rank = case(
        (exact_id, 0),
        (Patient.name_search.in_([joined, reversed_name]), 1),
        (word_starts, 2),
        else_=3,
    )
    return or_(*found), rank


# Counting every "García" among a million patients costs more than the page itself: the
# count stops here and the list says "1,000 or more".
COUNT_CAP = 1000


async def search(
    db: AsyncSession,
    actor: Actor,
    q: str | None,
    *,
    limit: int = 20,
    offset: int = 0,
    include_inactive: bool = False,
) -> tuple[list[Patient], int]:
    """Best matches first; without a query, the newest registrations first. The total is
    exact up to COUNT_CAP and capped there (see total_is_capped)."""
    query = select(Patient)
    if not include_inactive:
        query = query.where(Patient.is_active)
    query = await _scope(db, actor, query)
    q = search_text(q or "")  # a pasted name finds the record: NFC, no invisible characters
    if q:
        where, rank = _matching(q)
        query = query.where(where)
        ordered = query.order_by(rank, Patient.family_name, Patient.given_name, Patient.id)
    else:
        ordered = query.order_by(Patient.created_at.desc(), Patient.id.desc())
    capped = query.with_only_columns(Patient.id).limit(COUNT_CAP).subquery()
    total = int(await db.scalar(select(func.count()).select_from(capped)) or 0)
    rows = list(await db.scalars(ordered.limit(limit).offset(offset)))
    await audit.record(
        db,
        actor,
        "patient.search",
        object_type="patient",
        detail={"q": q[:100], "total": total, "shown": [p.id for p in rows]},
    )
    return rows, total


async def chosen_or_matches(
    db: AsyncSession, actor: Actor, patient_id: int | None, q: str | None
) -> tuple[Patient | None, list[Patient]]:
    """A form's patient step: the chosen patient (read as get_for does),
    or else the first ten matching what was typed."""
    if patient_id:
        return await get_for(db, actor, patient_id), []
    if q:
        matches, _ = await search(db, actor, q, limit=10)
        return None, matches
    return None, []


# ---------------------------------------------------------------- figures


async def count_active(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count(Patient.id)).where(Patient.is_active)) or 0)


async def count_registered_since(db: AsyncSession, since: object) -> int:
    query = select(func.count(Patient.id)).where(Patient.created_at >= since)
    return int(await db.scalar(query) or 0)
