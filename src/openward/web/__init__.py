"""The web front end: layout, templating, forms, static files and error pages. It imports
no domain: each domain's pages router is included by the app from its declaration."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from openward.core import problems
from openward.core.security import SESSION_COOKIE
from openward.web.templating import render

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
    """The layout's own pieces: static files and the error pages."""
    problems.page_renderer = render_error_page
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
