"""Radiology: modalities and exams, imaging orders through scheduling, performing, reporting
and verification, images; reports show on the chart and notify."""

from __future__ import annotations

from openward.clinical.chart import TIMELINE
from openward.config import ROLES
from openward.core.domains import DemoRun, Domain, Link
from openward.radiology import api, cards, chart, demo, models, pages, reactions
from openward.radiology.events import ReportAcknowledged, ReportReady


async def _demo(run: DemoRun) -> None:
    run.progress("radiology")
    await demo.seed(run.db, now=run.now, settings=run.settings)


domain = Domain(
    name="radiology",
    layer=7,
    api=[api.router],
    pages=[pages.router],
    models=[models],
    links=[
        Link("Radiology worklist", "/radiology/worklist", "radiology:process", "scan", rank=120),
        Link("Imaging orders", "/radiology/orders", "radiology:order", "scan", rank=130),
    ],
    permissions={
        "radiology:catalogue": ROLES,
        "radiology:order": ("receptionist", "nurse", "doctor"),
        "radiology:schedule": ("receptionist", "radiologist"),
        "radiology:process": ("radiologist",),
        "radiology:read": ("receptionist", "nurse", "doctor", "radiologist", "patient"),
        "radiology:acknowledge": ("doctor",),
    },
    subscribers=[
        (ReportReady, reactions.imaging_report_ready),
        (ReportAcknowledged, reactions.imaging_report_acknowledged),
    ],
    dashboard_cards=[cards.cards],
    extends=[(TIMELINE, chart.timeline)],
    demo=_demo,
    demo_steps=["radiology"],
    catalogues={"imaging exams": demo.seed_catalogue},
)
