"""How staff's pages show a fee, a time and a doctor's initials, and the department choices
of their forms: for staff's pages and scheduling's directory and profile pages alike."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

from fastapi import Request

from openward.staff import service as staff_service
from openward.web.templating import render


def money(value: Decimal | float | None) -> str:
    """A fee as people read it: thousands separated, always two decimals."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def _hhmm(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def initials(name: str) -> str:
    """Two letters for a doctor's avatar: first and last name, titles left out."""
    words = [w for w in name.replace(".", " ").split() if w.lower() not in ("dr", "prof")]
    chosen = [words[0], words[-1]] if len(words) > 1 else words
    return "".join(w[0] for w in chosen).upper()


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200):
    """render() with this package's formatting helpers."""
    return render(
        request,
        name,
        {"money": money, "hhmm": _hhmm, "initials": initials, **context},
        status_code=status_code,
    )


async def department_options(db, current_id: int | None = None) -> list[tuple[str, str]]:
    """Open departments (and the doctor's current one, even if it has since closed)."""
    departments = await staff_service.list_departments(db, include_inactive=True)
    return [
        (str(d.id), d.name if d.is_active else f"{d.name} (closed)")
        for d in departments
        if d.is_active or d.id == current_id
    ]
