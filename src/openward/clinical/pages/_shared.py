"""What the clinical pages share: who may do what, the chart page every chart form falls back
to (with its small-form and status-button handling) and the break-glass page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import ValidationError

from openward.clinical import chart as clinical_chart
from openward.clinical import vitals as vital_rules
from openward.clinical.trend import trend_panels
from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.core.params import parse_id
from openward.identity import service as identity_service
from openward.identity.access import require, settings_of
from openward.patients import service as patients_service
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

ChartReader = Annotated[Actor, require("chart:read")]
ChartWriter = Annotated[Actor, require("chart:write")]
VitalsWriter = Annotated[Actor, require("vitals:write")]
EncounterWriter = Annotated[Actor, require("encounters:write")]
Self = Annotated[Actor, require("clinical:self")]

SEVERITY_LABELS = {
    "unknown": "Severity not known",
    "mild": "Mild",
    "moderate": "Moderate",
    "severe": "Severe",
    "life_threatening": "Life-threatening",
}


def _age(born, today) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _first_error(errors: dict[str, str], prefix: str) -> dict[str, str]:
    """Service errors such as 'diagnoses.1.code' shown on the field the page has."""
    return {k: v for k, v in errors.items() if k.startswith(prefix)}


async def _staff_options(db) -> list[tuple[str, str]]:
    options = []
    for role in ("doctor", "nurse"):
        users, _ = await identity_service.list_users(db, role=role, status="active", limit=200)
        options += [(str(u.id), f"{u.full_name} ({role})") for u in users]
    return options


async def render_chart(
    request: Request,
    db,
    actor: Actor,
    patient_id: int,
    *,
    break_glass_reason: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    open_form: str | None = None,
    status_code: int = 200,
    own: bool = False,
):
    record = await clinical_chart.chart(
        db, actor, patient_id, break_glass_reason=break_glass_reason
    )
    zone = settings_of(request).zone
    today = datetime.now(zone).date()
    can_write = actor.can("chart:write") and not own
    return render(
        request,
        "clinical/chart.html",
        {
            "c": record,
            "p": record.patient,
            "age": _age(record.patient.date_of_birth, today),
            "today": today.isoformat(),
            "own": own,
            "break_glass_reason": break_glass_reason,
            "errors": errors or {},
            "values": values or {},
            "open_form": open_form,
            "can_write": can_write,
            "can_vitals": actor.can("vitals:write") and not own,
            "panels": trend_panels(list(reversed(record.vitals)), zone),
            "labels": vital_rules.LABELS,
            "units": vital_rules.UNITS,
            "normal": vital_rules.NORMAL,
            "severity_labels": SEVERITY_LABELS,
            "staff": await _staff_options(db) if can_write else [],
            "banner": await patients_service.banner(db, record.patient.id, zone),
        },
        status_code=status_code,
    )


def render_break_glass(request: Request, patient_id: int, errors: dict, values: dict, status: int):
    return render(
        request,
        "clinical/break_glass.html",
        {
            "patient_id": patient_id,
            "errors": errors,
            "values": values,
            "min": patients_service.BREAK_GLASS_MIN,
        },
        status_code=status,
    )


async def chart_form(
    request: Request,
    db,
    actor: Actor,
    patient_id: int,
    form_name: str,
    action,
    done: str,
    fields: tuple[str, ...],
    anchor: str,
):
    """A small form on the chart: do it and go back, or re-render the chart with messages."""
    form = await read_form(request)
    values = form_values(form, *fields)
    try:
        await action(values)
    except (ValidationError, DomainError) as exc:
        errors = plain_limits(await form_failure(db, exc))
        if isinstance(exc, DomainError) and exc.status == 403:
            flash(request, exc.detail, "error")
            return redirect(request, f"/patients/{patient_id}/chart")
        return await render_chart(
            request,
            db,
            actor,
            patient_id,
            errors={f"{form_name}.{k}": v for k, v in errors.items()},
            values={f"{form_name}.{k}": v for k, v in values.items()},
            open_form=form_name,
        )
    flash(request, done)
    return redirect(request, f"/patients/{patient_id}/chart#{anchor}")


async def chart_status(
    request: Request,
    db,
    change: Callable[[str | None], Awaitable[tuple[int, str]]],
    failed: str,
    anchor: str,
    *,
    anchor_on_refusal: bool = False,
):
    """A status button on the chart: change it and go back to its section, or go back to the
    chart with the refusal flashed. `change` answers the patient's id and what to flash."""
    form = await read_form(request)
    values = form_values(form, "status", "patient_id")
    try:
        patient_id, done = await change(values["status"] or None)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        flash(request, next(iter(errors.values()), failed), "error")
        back = f"/patients/{parse_id(values['patient_id']) or 0}/chart"
        return redirect(request, f"{back}#{anchor}" if anchor_on_refusal else back)
    flash(request, done)
    return redirect(request, f"/patients/{patient_id}/chart#{anchor}")


def plain_limits(errors: dict[str, str]) -> dict[str, str]:
    """ "Input should be less than or equal to 300" said the way a nurse reads it."""
    out = {}
    for name, message in errors.items():
        if name in vital_rules.PLAUSIBLE and message.startswith("Input should be"):
            low, high = vital_rules.PLAUSIBLE[name]
            unit = vital_rules.UNITS.get(name, "")
            message = f"Not a possible reading: enter {low:g}–{high:g} {unit}."
        out[name] = message
    return out


def blank_to_none(values: dict[str, str]) -> dict[str, Any]:
    return {k: (v if v != "" else None) for k, v in values.items()}
