"""Reports: each role's dashboard (figures, lists and the installed domains' work cards),
the doctor's results inbox and the patient's own results page."""

from __future__ import annotations

from openward.config import ROLES
from openward.core.domains import Domain, Link
from openward.reports import api, cards, pages

domain = Domain(
    name="reports",
    layer=8,
    api=[api.router],
    pages=[pages.router],
    links=[
        Link("Dashboard", "/dashboard", "dashboard:view", "dashboard", rank=0),
        Link("Results", "/results", "results:inbox", "inbox", rank=50),
        Link("My results", "/my/results", "clinical:self", "flask", rank=150),
    ],
    permissions={"dashboard:view": ROLES, "results:inbox": ("doctor",)},
    dashboard_cards=[cards.cards],
)
