"""Laboratory: the test catalogue with reference ranges, orders, specimens, results with
flags and critical values, verification; results show on the chart and notify."""

from __future__ import annotations

from openward.clinical.chart import TIMELINE
from openward.config import ROLES
from openward.core.domains import DemoRun, Domain, Link
from openward.lab import api, cards, chart, demo, models, pages, reactions
from openward.lab.events import CriticalResult, ResultAcknowledged, ResultReady
from openward.lab.starter_catalogue import seed_catalogue


async def _demo(run: DemoRun) -> None:
    run.progress("laboratory")
    await demo.seed(
        run.db, now=run.now, zone=run.zone, release_hours=run.settings.result_release_hours
    )


domain = Domain(
    name="lab",
    layer=7,
    api=[api.router],
    pages=[pages.router],
    models=[models],
    links=[
        Link("Lab worklist", "/lab/worklist", "lab:process", "flask", rank=100),
        Link("Lab orders", "/lab/orders", "lab:order", "flask", rank=110),
    ],
    permissions={
        "lab:catalogue": ROLES,
        "lab:order": ("receptionist", "nurse", "doctor"),
        "lab:process": ("lab_technician",),
        "lab:read": ("receptionist", "nurse", "doctor", "lab_technician", "patient"),
        "lab:acknowledge": ("doctor",),
    },
    subscribers=[
        (CriticalResult, reactions.critical_result),
        (ResultReady, reactions.lab_result_ready),
        (ResultAcknowledged, reactions.lab_result_acknowledged),
    ],
    dashboard_cards=[cards.cards],
    extends=[(TIMELINE, chart.timeline)],
    demo=_demo,
    demo_steps=["laboratory"],
    catalogues={"lab tests": seed_catalogue},
)
