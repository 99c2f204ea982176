"""Form posts: CSRF tokens, flash messages and errors shown beside their fields."""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from openward.core.errors import CsrfFailed, DomainError, ValidationFailed
from openward.core.schemas import LONGEST_TEXT
from openward.core.security import constant_time_equal
from openward.web.dates import entry_for

CSRF_COOKIE = "ow_csrf"
DATE_MARK = "ow_date"  # hidden field naming a date field of the form
FLASH_COOKIE = "ow_flash"


def csrf_token_for(request: Request) -> str:
    """The token forms must echo: the session's when signed in, else a per-browser one."""
    session_token = getattr(request.state, "csrf_token", None)
    if session_token:
        return session_token
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


async def read_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token."""
    form = await request.form()
    for name, value in form.multi_items():
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed("This field must not contain NUL characters.", field=name)
        if isinstance(value, str) and len(value) > LONGEST_TEXT:  # no form field takes more
            raise ValidationFailed(
                f"This field is too long (at most {LONGEST_TEXT:,} characters).", field=name
            )
    sent = str(form.get("csrf_token", ""))
    expected = getattr(request.state, "csrf_token", None) or request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not constant_time_equal(sent, expected):
        raise CsrfFailed("The form has expired; reload the page and try again.")
    return _dates_as_iso(request, form)


def _dates_as_iso(request: Request, form: FormData) -> FormData:
    """Date fields (marked by the `field` macro with a hidden `ow_date`) typed in the
    hospital's format (dd/mm/yyyy for en-GB) reach the schemas as yyyy-mm-dd."""
    names = set(form.getlist(DATE_MARK))
    if not names:
        return form
    entry = entry_for(request.app.state.settings.locale)
    return FormData(
        [
            (name, entry.to_iso(value) if name in names and isinstance(value, str) else value)
            for name, value in form.multi_items()
        ]
    )


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.resolved_secret_key(), "flash")


def flash(request: Request, message: str, category: str = "success") -> None:
    pending = getattr(request.state, "flash_out", [])
    pending.append({"message": message, "category": category})
    request.state.flash_out = pending


def pop_flash(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    request.state.flash_consumed = True
    try:
        return json.loads(_serializer(request).loads(raw, max_age=300))
    except (BadSignature, ValueError):
        return []


def finish_response(request: Request, response: Response) -> Response:
    """Set the cookies this request decided on (new CSRF token, flash messages)."""
    secure = request.app.state.settings.cookie_secure
    new_csrf = getattr(request.state, "new_csrf", None)
    if new_csrf:
        response.set_cookie(
            CSRF_COOKIE, new_csrf, httponly=True, samesite="lax", secure=secure, path="/"
        )
    outgoing = getattr(request.state, "flash_out", None)
    if outgoing:
        value = _serializer(request).dumps(json.dumps(outgoing))
        response.set_cookie(
            FLASH_COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/", max_age=300
        )
    elif getattr(request.state, "flash_consumed", False):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(request: Request, url: str) -> Response:
    return finish_response(request, RedirectResponse(url, status_code=303))


def pydantic_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        field = loc[0] if loc else "form"
        message = err.get("msg", "Invalid value")
        kind = err.get("type", "")
        # A person reads these beside the field: no Python type names or option lists.
        if kind == "missing" or err.get("input") == "":
            message = "This field is required."
        elif kind == "literal_error":
            message = "Choose one of the options."
        elif kind.startswith("date_"):
            message = "Enter a valid date."
        elif message.startswith("value is not a valid email address"):
            message = "Enter a valid e-mail address, such as name@example.org."
        message = message.removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


async def form_failure(db: AsyncSession, exc: Exception) -> dict[str, str]:
    """Errors keyed by field for re-rendering a form; undoes the failed attempt's writes."""
    if isinstance(exc, ValidationError):
        return pydantic_errors(exc)
    assert isinstance(exc, DomainError)
    if exc.keep_writes:
        await db.commit()
    else:
        await db.rollback()
    return {exc.field or "form": exc.detail}


def form_values(form: FormData, *names: str) -> dict[str, Any]:
    return {name: str(form.get(name, "")).strip() for name in names}
