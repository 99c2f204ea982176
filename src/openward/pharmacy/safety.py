"""Safety checks at prescribing time: allergies, duplicate therapy and drug–drug
interactions, each a warning with a severity. The tables ship as data (pharmacy/data)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.clinical import service as clinical_service
from openward.db import utcnow
from openward.pharmacy.models import Medicine, Prescription, PrescriptionItem

DATA = Path(__file__).parent / "data"
SEVERITIES = ("minor", "moderate", "severe")
# A medicine prescribed within this many days (and not cancelled) counts as current therapy
# for the duplicate check.
DUPLICATE_WINDOW_DAYS = 30
# An allergy of unknown severity (told at registration, not yet confirmed) is treated as
# severe: the prescriber confirms with the patient or gives an override reason.
ALLERGY_SEVERITY = {
    "unknown": "severe",
    "mild": "minor",
    "moderate": "moderate",
    "severe": "severe",
    "life_threatening": "severe",
}


@dataclass(frozen=True)
class Interaction:
    drug_a: str
    drug_b: str
    severity: str
    effect: str
    reference: str


@dataclass(frozen=True)
class Finding:
    type: str  # allergy | duplicate | interaction
    severity: str  # minor | moderate | severe
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "severity": self.severity, "message": self.message}


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").split())


@lru_cache(maxsize=1)
def interactions() -> dict[frozenset[str], Interaction]:
    """The curated interaction table keyed by the (unordered) pair of generic names."""
    table: dict[frozenset[str], Interaction] = {}
    with (DATA / "interactions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pair = frozenset({_key(row["drug_a"]), _key(row["drug_b"])})
            table[pair] = Interaction(
                row["drug_a"], row["drug_b"], row["severity"], row["effect"], row["reference"]
            )
    return table


@lru_cache(maxsize=1)
def drug_classes() -> dict[str, tuple[str, frozenset[str]]]:
    """Every class name and alias -> (class name, generic names in the class)."""
    classes: dict[str, tuple[str, frozenset[str]]] = {}
    with (DATA / "drug_classes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            members = frozenset(_key(m) for m in row["members"].split("|") if m)
            entry = (row["class"], members)
            for name in [row["class"], *row["aliases"].split("|")]:
                if name:
                    classes[_key(name)] = entry
    return classes


def interaction_between(generic_a: str, generic_b: str) -> Interaction | None:
    return interactions().get(frozenset({_key(generic_a), _key(generic_b)}))


def _allergy_matches(substance: str, medicine: Medicine) -> str | None:
    """Why an allergy to `substance` covers this medicine (None when it does not)."""
    allergen = _key(substance)
    generic = _key(medicine.generic_name)
    if not allergen:
        return None
    if allergen in (generic, _key(medicine.name)) or generic in allergen.split(" "):
        return f"{medicine.generic_name}"
    for candidate in (allergen, allergen.removesuffix(" allergy")):
        found = drug_classes().get(candidate)
        if found and generic in found[1]:
            return f"{medicine.generic_name} is a {found[0]}"
    return None


def check_allergies(
    allergies: Sequence[tuple[str, str]], medicines: Sequence[Medicine]
) -> list[Finding]:
    findings = []
    for medicine in medicines:
        for substance, allergy_severity in allergies:
            why = _allergy_matches(substance, medicine)
            if why is None:
                continue
            severity = ALLERGY_SEVERITY.get(allergy_severity, "moderate")
            findings.append(
                Finding(
                    "allergy",
                    severity,
                    f"Recorded allergy to {substance} ({allergy_severity.replace('_', '-')}): "
                    f"{medicine.name} — {why}.",
                )
            )
    return findings


def check_interactions(medicines: Sequence[Medicine], current: Sequence[Medicine]) -> list[Finding]:
    """Pairs within the new prescription, and each new medicine against current therapy."""
    findings = []
    seen: set[frozenset[str]] = set()
    pairs = [(a, b) for i, a in enumerate(medicines) for b in medicines[i + 1 :]]
    pairs += [(a, b) for a in medicines for b in current]
    for a, b in pairs:
        found = interaction_between(a.generic_name, b.generic_name)
        key = frozenset({_key(a.generic_name), _key(b.generic_name)})
        if found is None or key in seen:
            continue
        seen.add(key)
        findings.append(
            Finding(
                "interaction",
                found.severity,
                f"{a.generic_name} + {b.generic_name}: {found.effect} ({found.reference})",
            )
        )
    return findings


def check_duplicates(medicines: Sequence[Medicine], current: Sequence[Medicine]) -> list[Finding]:
    findings = []
    counted: dict[str, int] = {}
    for medicine in medicines:
        counted[_key(medicine.generic_name)] = counted.get(_key(medicine.generic_name), 0) + 1
    current_generics = {_key(m.generic_name) for m in current}
    reported: set[str] = set()
    for medicine in medicines:
        generic = _key(medicine.generic_name)
        if generic in reported:
            continue
        if counted[generic] > 1:
            reported.add(generic)
            findings.append(
                Finding(
                    "duplicate",
                    "moderate",
                    f"{medicine.generic_name} appears more than once in this prescription.",
                )
            )
        elif generic in current_generics:
            reported.add(generic)
            findings.append(
                Finding(
                    "duplicate",
                    "moderate",
                    f"{medicine.generic_name} is already prescribed to this patient in the "
                    f"last {DUPLICATE_WINDOW_DAYS} days.",
                )
            )
    return findings


async def current_therapy(
    db: AsyncSession, patient_id: int, *, skip_prescription_id: int | None = None
) -> list[Medicine]:
    """Medicines of the patient's prescriptions from the duplicate window, not cancelled."""
    since = utcnow() - timedelta(days=DUPLICATE_WINDOW_DAYS)
    query = (
        select(Medicine)
        .join(PrescriptionItem, PrescriptionItem.medicine_id == Medicine.id)
        .join(Prescription, Prescription.id == PrescriptionItem.prescription_id)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.status != "cancelled",
            Prescription.created_at >= since,
        )
        .distinct()
    )
    if skip_prescription_id is not None:
        query = query.where(Prescription.id != skip_prescription_id)
    return list(await db.scalars(query))


async def check(
    db: AsyncSession,
    patient_id: int,
    medicines: Sequence[Medicine],
    *,
    skip_prescription_id: int | None = None,
) -> list[Finding]:
    """Every warning for prescribing `medicines` to the patient, most severe first."""
    allergies = await clinical_service.active_allergies(db, patient_id)
    current = await current_therapy(db, patient_id, skip_prescription_id=skip_prescription_id)
    findings = (
        check_allergies(allergies, medicines)
        + check_duplicates(medicines, current)
        + check_interactions(medicines, current)
    )
    return sorted(findings, key=lambda f: -SEVERITIES.index(f.severity))
