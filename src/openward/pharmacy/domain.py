"""Pharmacy: the medicines catalogue, stock lots, prescribing with its safety checks,
dispensing, renewals; its medications and prescriptions show on the chart."""

from __future__ import annotations

from openward.clinical.chart import MEDICATIONS, TIMELINE
from openward.clinical.visit_history import VISIT_PRESCRIPTIONS
from openward.core.domains import DemoRun, Domain, Link
from openward.pharmacy import api, cards, chart, demo, models, pages, reactions
from openward.pharmacy.events import PrescriptionReady, RenewalDecided, RenewalRequested


async def _demo(run: DemoRun) -> None:
    run.progress("pharmacy")
    await demo.seed(run.db, now=run.now, zone=run.zone)


domain = Domain(
    name="pharmacy",
    layer=7,
    api=[api.router],
    pages=[pages.router],
    models=[models],
    links=[
        Link("Renewal requests", "/prescriptions/renewals", "renewals:decide", "renew", rank=60),
        Link("Pharmacy queue", "/pharmacy", "prescriptions:dispense", "pill", rank=70),
        Link("Stock", "/pharmacy/stock", "stock:read", "box", rank=80),
        Link("Medicines", "/pharmacy/medicines", "medicines:write", "pill", rank=90),
        Link("My prescriptions", "/my/prescriptions", "clinical:self", "pill", rank=160),
    ],
    permissions={
        "medicines:read": ("admin", "nurse", "doctor", "pharmacist"),
        "medicines:write": ("admin", "pharmacist"),
        "stock:read": ("admin", "pharmacist"),
        "stock:write": ("pharmacist",),
        "prescriptions:read": ("nurse", "doctor", "pharmacist", "patient"),
        "prescriptions:write": ("doctor",),
        "prescriptions:dispense": ("pharmacist",),
        "renewals:request": ("patient",),
        "renewals:decide": ("doctor",),
    },
    subscribers=[
        (PrescriptionReady, reactions.prescription_ready),
        (RenewalRequested, reactions.renewal_requested),
        (RenewalDecided, reactions.renewal_decided),
    ],
    dashboard_cards=[cards.cards],
    extends=[
        (TIMELINE, chart.timeline),
        (MEDICATIONS, chart.active_medications),
        (VISIT_PRESCRIPTIONS, chart.visit_prescriptions),
    ],
    demo=_demo,
    demo_steps=["pharmacy"],
    catalogues={"medicines and supplies": demo.seed_catalogue},
)
