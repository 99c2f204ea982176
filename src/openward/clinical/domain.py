"""The clinical record: encounters with ICD-10 diagnoses, vital signs, allergies, problems,
care plans, and the chart that shows them with what other domains add to its timeline."""

from __future__ import annotations

from openward.clinical import api, cards, demo, models, pages
from openward.config import STAFF_ROLES
from openward.core.domains import DemoRun, Domain


async def _demo(run: DemoRun) -> None:
    run.progress("charts")
    await demo.seed(run.db, now=run.now, zone=run.zone)


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
        "chart:write": ("nurse", "doctor"),  # allergies, problems, care plans
        "icd10:read": STAFF_ROLES,
        # A patient's own clinical pages (results, prescriptions, chart).
        "clinical:self": ("patient",),
    },
    dashboard_cards=[cards.cards],
    demo=_demo,
    demo_steps=["charts"],
)
