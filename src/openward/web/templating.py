"""Jinja2 set-up shared by every domain's pages: one layout, role-aware navigation."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from openward import __version__
from openward.core import domains
from openward.core.actors import Actor
from openward.web.dates import DateEntry, entry_for
from openward.web.forms import csrf_token_for, finish_response, pop_flash
from openward.web.navigation import menu_for
from openward.web.status import status_label, status_of

_PACKAGE = Path(__file__).resolve().parent.parent
_TEMPLATE_DIRS = [
    _PACKAGE / "web" / "templates",
    *sorted(p for p in _PACKAGE.glob("*/templates") if p.parent.name != "web"),
]

ROLE_LABELS = {
    "admin": "Administrator",
    "receptionist": "Receptionist",
    "nurse": "Nurse",
    "doctor": "Doctor",
    "pharmacist": "Pharmacist",
    "lab_technician": "Lab technician",
    "radiologist": "Radiologist",
    "billing": "Billing",
    "patient": "Patient",
}


def _local_time(
    value: datetime | None, request: Request | None = None, fmt: str = "%d %b %Y %H:%M"
) -> str:
    if value is None:
        return "—"
    zone = request.app.state.settings.zone if request is not None else None
    return (value.astimezone(zone) if zone else value).strftime(fmt)


def _day(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else "—"


env = Environment(
    loader=FileSystemLoader([str(d) for d in _TEMPLATE_DIRS]),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["day"] = _day
env.filters["role_label"] = lambda role: ROLE_LABELS.get(role or "", role or "—")
env.filters["zip_rows"] = lambda labels, values: [
    (label, value, None) for label, value in zip(labels, values, strict=True)
]
env.filters["status_label"] = status_label
env.globals["status_of"] = status_of
env.globals["version"] = __version__
# How dates are typed in the page being rendered (OPENWARD_LOCALE): a global, because the
# `field` macro is imported without the page's context.
_date_entry: ContextVar[DateEntry | None] = ContextVar("date_entry", default=None)
env.globals["date_entry"] = lambda: _date_entry.get() or entry_for("en-GB")
env.globals["ROLE_LABELS"] = ROLE_LABELS
env.globals["role_options"] = lambda roles: [(role, ROLE_LABELS.get(role, role)) for role in roles]

templates = Jinja2Templates(env=env)


def add_domain_filters() -> None:
    """The filters the installed domains bring (the patients' `mrn`, ...)."""
    env.filters.update(domains.template_filters())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
):
    """A page with the layout's needs filled in: actor, menu, CSRF token, flash messages."""
    actor: Actor | None = getattr(request.state, "actor", None)
    settings = request.app.state.settings
    ctx: dict[str, Any] = {
        "actor": actor,
        "menu": menu_for(actor, request.url.path) if actor else [],
        "csrf_token": csrf_token_for(request),
        "hospital_name": settings.hospital_name,
        "html_lang": settings.locale,
        "idle_seconds": settings.session_idle_minutes * 60,
        "flashes": pop_flash(request),
        "unread_notifications": getattr(request.state, "unread_notifications", None),
        "when": lambda value, fmt="%d %b %Y %H:%M": _local_time(value, request, fmt),
    }
    ctx.update(context or {})
    _date_entry.set(entry_for(settings.locale))
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    finish_response(request, response)
    return response
