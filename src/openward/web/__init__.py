"""The web front end: layout, static files, error pages and every domain's page router."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from openward.core import problems

STATIC_DIR = Path(__file__).parent / "static"

_TITLES = {
    403: "You don't have access to this page",
    404: "We couldn't find that page",
    405: "That action isn't available here",
    500: "Something went wrong on our side",
}


def render_error_page(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None,
) -> Response | None:
    """Pages get a friendly page (or the sign-in page) instead of problem+json."""
    from openward.web.templating import render

    if status == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        url = f"/login?next={quote(target, safe='')}"
        if code == "session_expired":
            reason = getattr(request.state, "session_end_reason", None) or "expired"
            url += f"&notice={quote(reason, safe='')}"
        response = RedirectResponse(url, status_code=303)
        if code == "session_expired":
            from openward.identity.access import SESSION_COOKIE

            response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    return render(
        request,
        "web/error.html",
        {
            "status": status,
            "code": code,
            "title": _TITLES.get(status, title),
            "detail": detail,
            "errors": errors or [],
            "request_id": problems.request_id(request),
        },
        status_code=status,
    )


def install(app: FastAPI) -> None:
    from openward.audit import pages as audit_pages
    from openward.clinical import pages as clinical_pages
    from openward.identity import pages as identity_pages
    from openward.lab import pages as lab_pages
    from openward.notifications import pages as notifications_pages
    from openward.patients import pages as patients_pages
    from openward.pharmacy import pages as pharmacy_pages
    from openward.radiology import pages as radiology_pages
    from openward.reports import pages as reports_pages
    from openward.scheduling import pages as scheduling_pages
    from openward.staff import pages as staff_pages

    problems.page_renderer = render_error_page
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(identity_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(reports_pages.router)
    app.include_router(patients_pages.router)
    app.include_router(staff_pages.router)
    app.include_router(scheduling_pages.router)
    app.include_router(clinical_pages.router)
    app.include_router(pharmacy_pages.router)
    app.include_router(lab_pages.router)
    app.include_router(radiology_pages.router)
    app.include_router(notifications_pages.router)
