"""Signing in and out in the browser: password, second factor or enrolment, the session
cookie, sign-out and the keep-alive."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from openward.core.errors import DomainError
from openward.core.origin import origin_of
from openward.identity import service as identity_service
from openward.identity.access import DB, SESSION_COOKIE, optional_actor, public, settings_of
from openward.identity.pages._shared import Me, qr_svg, safe_next
from openward.web.forms import flash, form_failure, form_values, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)


def _signed_in_response(request: Request, cookie_token: str, target: str):
    response = redirect(request, safe_next(target))
    # A browser-session cookie (no Max-Age): closing the browser ends it; the server still
    # ends the session after the idle and absolute limits. Secure over HTTPS: see
    # core/transport_security.py.
    response.set_cookie(
        SESSION_COOKIE,
        cookie_token,
        httponly=True,
        samesite="lax",
        secure=settings_of(request).cookie_secure,
        path="/",
    )
    return response


@router.get("/", dependencies=[public])
async def home(request: Request, db: DB):
    actor = await optional_actor(request, db)
    return RedirectResponse("/dashboard" if actor else "/login", status_code=303)


@router.get("/login", dependencies=[public])
async def login_page(
    request: Request,
    db: DB,
    next: Annotated[str | None, Query(max_length=500)] = None,
    notice: Annotated[str | None, Query(max_length=32)] = None,
):
    if await optional_actor(request, db):
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request,
        "identity/login.html",
        {
            "values": {},
            "errors": {},
            "next": safe_next(next),
            "notice": _notice_text(notice, settings_of(request).session_idle_minutes),
        },
    )


def _notice_text(code: str | None, idle_minutes: int) -> str | None:
    """Notices are codes, not text from the URL, so a link cannot put words in our mouth."""
    minutes = identity_service.minutes(idle_minutes)
    return {
        "idle": f"You were signed out after {minutes} without activity.",
        "expired": "Your session has ended; please sign in again.",
        "deactivated": "Your session has ended; please sign in again.",
        "signed_out": "You have signed out.",
        "signed_out_everywhere": "You have signed out on every device and app.",
    }.get(code or "")


@router.post("/login", dependencies=[public])
async def login_submit(request: Request, db: DB):
    form = await read_form(request)
    values = form_values(form, "username", "next")
    target = safe_next(values["next"])
    settings = settings_of(request)
    try:
        outcome = await identity_service.check_credentials(
            db, settings, origin_of(request), values["username"], str(form.get("password", ""))
        )
    except DomainError as exc:
        errors = await form_failure(db, exc)
        errors = {"form": errors.get("form") or next(iter(errors.values()))}
        return render(
            request,
            "identity/login.html",
            {"values": values, "errors": errors, "next": target},
        )
    if isinstance(outcome, identity_service.MfaChallenge):
        if outcome.setup_required:
            return await _enrol_page(request, db, outcome.token, target, {})
        return render(
            request, "identity/mfa.html", {"mfa_token": outcome.token, "next": target, "errors": {}}
        )
    opened = await identity_service.open_session(db, settings, origin_of(request), outcome)
    return _signed_in_response(request, opened.cookie_token, target)


@router.post("/login/mfa", dependencies=[public])
async def login_mfa_submit(request: Request, db: DB):
    form = await read_form(request)
    values = form_values(form, "mfa_token", "code", "next")
    settings = settings_of(request)
    try:
        user = await identity_service.check_mfa(
            db, settings, origin_of(request), values["mfa_token"], values["code"]
        )
    except DomainError as exc:
        errors = await form_failure(db, exc)
        if exc.code in ("invalid_token", "account_locked"):
            flash(request, exc.detail, "error")
            return redirect(request, "/login")
        return render(
            request,
            "identity/mfa.html",
            {"mfa_token": values["mfa_token"], "next": values["next"], "errors": errors},
        )
    opened = await identity_service.open_session(db, settings, origin_of(request), user)
    return _signed_in_response(request, opened.cookie_token, values["next"])


async def _enrol_page(request: Request, db, mfa_token: str, target: str, errors: dict):
    settings = settings_of(request)
    user = await identity_service.user_for_enrolment(db, settings, mfa_token)
    actor = identity_service.actor_for(user, origin_of(request), "anonymous")
    if not errors or not user.totp_secret:
        secret, uri = await identity_service.start_mfa_setup(db, settings, actor, user)
    else:
        secret = user.totp_secret
        uri = identity_service.totp_uri_for(settings, user)
    return render(
        request,
        "identity/mfa_enrol.html",
        {
            "mfa_token": mfa_token,
            "next": target,
            "errors": errors,
            "secret": secret,
            "qr_svg": qr_svg(uri),
            "action": "/login/mfa-enrol",
            "during_sign_in": True,
        },
    )


@router.post("/login/mfa-enrol", dependencies=[public])
async def login_enrol_submit(request: Request, db: DB):
    form = await read_form(request)
    values = form_values(form, "mfa_token", "code", "next")
    settings = settings_of(request)
    try:
        user = await identity_service.user_for_enrolment(db, settings, values["mfa_token"])
        actor = identity_service.actor_for(user, origin_of(request), "anonymous")
        await identity_service.enable_mfa(db, settings, actor, user, values["code"])
    except DomainError as exc:
        errors = await form_failure(db, exc)
        if exc.code in ("invalid_token", "account_locked"):
            flash(request, exc.detail, "error")
            return redirect(request, "/login")
        return await _enrol_page(request, db, values["mfa_token"], values["next"], errors)
    opened = await identity_service.open_session(db, settings, origin_of(request), user)
    flash(request, "Two-step verification is on. You will be asked for a code at each sign-in.")
    return _signed_in_response(request, opened.cookie_token, values["next"])


@router.post("/logout")
async def logout_submit(request: Request, actor: Me, db: DB):
    form = await read_form(request)
    idle = form.get("reason") == "idle"
    await identity_service.close_session(db, actor, actor.session_id, idle=idle)
    response = redirect(
        request, "/login?" + urlencode({"notice": "idle" if idle else "signed_out"})
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/session/keepalive")
async def keepalive(actor: Me) -> dict[str, str]:
    """Page activity keeps the session alive; the guard itself refreshes last-seen."""
    return {"status": "ok"}
