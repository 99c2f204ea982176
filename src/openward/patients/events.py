"""What happens to patient records, for the domains that react: allergies told at
registration become entries of the clinical allergy list (the one list)."""

from __future__ import annotations

from dataclasses import dataclass

from openward.core.actors import Actor
from openward.core.events import Event


@dataclass(frozen=True)
class ReportedAllergy:
    substance: str
    reaction: str | None
    severity: str


@dataclass(frozen=True)
class AllergiesReported(Event):
    """At registration (desk or online): the allergies told, or "no known allergies" when the
    patient was asked and said none. `actor` is who recorded it (audited by the reaction)."""

    NAME = "patient.allergies_reported"
    patient_id: int
    actor: Actor
    allergies: tuple[ReportedAllergy, ...]
    no_known_allergies: bool
