"""The clinical record: encounters with ICD-10 diagnoses, vital signs, allergies, problems,
care plans, and the chart that shows them with what other domains add to its timeline."""

from __future__ import annotations

from openward.clinical import (
    allergies,
    api,
    cards,
    demo,
    demo_visits,
    models,
    pages,
    visit_history,
)
from openward.config import STAFF_ROLES
from openward.core.domains import DemoRun, Domain
from openward.patients.events import AllergiesReported
from openward.patients.service import BANNER_FACTS, VISIT_HISTORY


async def _demo(run: DemoRun) -> None:
    run.progress("charts")
    await demo.seed(run.db, now=run.now, zone=run.zone)
    run.progress("visit records")
    await demo_visits.record_past_visits(run.db, now=run.now, zone=run.zone)


domain = Domain(
    name="clinical",
    layer=6,
    api=[api.router],
    pages=[pages.router],
    models=[models],
    permissions={
        # Doctors their own patients (break-the-glass for others); patients their own chart
        # read-only (scoped in the service).
        "chart:read": ("nurse", "doctor", "patient"),
        "encounters:write": ("doctor",),
        "vitals:write": ("nurse", "doctor"),
        "vitals:ward": ("nurse",),  # today's vital signs of every patient (the nurse's cards)
        "chart:write": ("nurse", "doctor"),  # allergies, problems, care plans
        "icd10:read": STAFF_ROLES,
        # A patient's own clinical pages (results, prescriptions, chart).
        "clinical:self": ("patient",),
    },
    subscribers=[(AllergiesReported, allergies.allergies_reported)],
    dashboard_cards=[cards.cards],
    extends=[
        (VISIT_HISTORY, visit_history.history),
        (BANNER_FACTS, allergies.banner_facts),
    ],
    demo=_demo,
    demo_steps=["charts", "visit records"],
)
