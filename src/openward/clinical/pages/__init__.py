"""Clinical pages: the patient chart (allergy banner, problems, medications, vital signs with
their trend, encounters, care plans and one timeline), the patient's own read-only chart,
and the encounter form with a server-side ICD-10 search that works without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter

from openward.clinical.pages import (
    allergies_problems,
    care_plans,
    chart,
    encounters,
    vitals,
    worklists,
)

router = APIRouter(include_in_schema=False)
# The order URLs are matched in; keep it (encounters.py declares /encounters/new first).
router.include_router(chart.router)
router.include_router(vitals.router)
router.include_router(allergies_problems.router)
router.include_router(care_plans.router)
router.include_router(encounters.router)
router.include_router(worklists.router)
