"""Each role's landing page: its dashboard with real figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from openward.core.actors import Actor
from openward.identity.access import DB, require
from openward.lab import results as lab_results
from openward.radiology import service as radiology_service
from openward.reports import results as results_inbox
from openward.reports import service as reports_service
from openward.web.status import status_label
from openward.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
async def dashboard_page(
    request: Request, actor: Annotated[Actor, require("dashboard:view")], db: DB
):
    data = await reports_service.dashboard(db, request.app.state.settings, actor)
    figures = data["figures"]
    per_role = figures.get("users_per_role") or {}
    biggest = max(per_role.values(), default=0) or 1
    bars = [(role, count, round(count * 20 / biggest) * 5) for role, count in per_role.items()]
    today = datetime.now(request.app.state.settings.zone).date().isoformat()
    return render(
        request,
        "reports/dashboard.html",
        {"data": data, "bars": bars, "status_rows": _status_rows, "today_iso": today},
    )


def _status_rows(counts: dict[str, int]) -> list[tuple[str, int, None]]:
    return [(status_label(status), n, None) for status, n in counts.items()]


@router.get("/results")
async def results_page(
    request: Request,
    actor: Annotated[Actor, require("results:inbox")],
    db: DB,
    show: Annotated[str | None, Query(max_length=20)] = None,
):
    """The results inbox, or only the results still to acknowledge (?show=to_acknowledge)."""
    to_acknowledge = show == "to_acknowledge"
    rows = await results_inbox.inbox(db, actor, to_acknowledge=to_acknowledge)
    return render(request, "reports/results.html", {"rows": rows, "to_acknowledge": to_acknowledge})


@router.get("/my/results")
async def my_results_page(
    request: Request, actor: Annotated[Actor, require("clinical:self")], db: DB
):
    """A patient's own results: lab orders ready and waiting, and imaging reports."""
    ready, waiting = await lab_results.my_orders(db, actor)
    imaging = await radiology_service.my_reports(db, actor)
    return render(
        request,
        "lab/my_results.html",
        {"ready": ready, "waiting": waiting, "imaging": imaging},
    )
