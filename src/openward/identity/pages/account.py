"""The signed-in user's own account: where they are signed in, their password and their
two-step verification."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request

from openward.core.actors import Actor
from openward.core.errors import DomainError
from openward.identity import service as identity_service
from openward.identity.access import DB, SESSION_COOKIE, current_user, settings_of
from openward.identity.pages._shared import Me, qr_svg
from openward.web.forms import flash, form_failure, read_form, redirect
from openward.web.templating import render

router = APIRouter(include_in_schema=False)


async def _account_context(
    request: Request, db, actor: Actor, user=None, errors=None, mfa=None
) -> dict:
    return {
        "user": user or current_user(request),
        "errors": errors or {},
        "mfa": mfa,
        "sign_ins": await identity_service.active_sign_ins(db, settings_of(request), actor),
        "settings_idle": identity_service.minutes(settings_of(request).session_idle_minutes),
        "settings_api_days": settings_of(request).api_sign_in_max_days,
    }


@router.get("/account")
async def account_page(request: Request, actor: Me, db: DB):
    return render(request, "identity/account.html", await _account_context(request, db, actor))


@router.post("/account/sign-ins/{sign_in_id}/end")
async def account_end_sign_in(
    request: Request,
    sign_in_id: Annotated[str, Path(max_length=24, pattern=r"^(web|api)-[0-9]{1,11}$")],
    actor: Me,
    db: DB,
):
    await read_form(request)
    try:
        await identity_service.end_sign_in(db, actor, sign_in_id)
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, "/account")
    if sign_in_id == f"web-{actor.session_id}":
        response = redirect(request, "/login?" + urlencode({"notice": "signed_out"}))
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    flash(request, "That sign-in has ended.")
    return redirect(request, "/account")


@router.post("/account/sign-out-everywhere")
async def account_sign_out_everywhere(request: Request, actor: Me, db: DB):
    await read_form(request)
    await identity_service.sign_out_everywhere(db, actor)
    response = redirect(request, "/login?" + urlencode({"notice": "signed_out_everywhere"}))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/password")
async def account_password(request: Request, actor: Me, db: DB):
    form = await read_form(request)
    user = current_user(request)
    try:
        await identity_service.change_own_password(
            db,
            settings_of(request),
            actor,
            user,
            str(form.get("current_password", "")),
            str(form.get("new_password", "")),
            str(form.get("confirm_password", "")),
        )
    except DomainError as exc:
        errors = await form_failure(db, exc)
        user = await identity_service.get_user(db, actor.id or 0)
        return render(
            request,
            "identity/account.html",
            await _account_context(request, db, actor, user=user, errors=errors),
        )
    flash(request, "Your password has been changed. Other sign-ins have been ended.")
    return redirect(request, "/account")


@router.post("/account/mfa/setup")
async def account_mfa_setup(request: Request, actor: Me, db: DB):
    await read_form(request)
    user = current_user(request)
    settings = settings_of(request)
    try:
        secret, uri = await identity_service.start_mfa_setup(db, settings, actor, user)
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, "/account")
    return render(
        request,
        "identity/account.html",
        await _account_context(
            request, db, actor, user=user, mfa={"secret": secret, "qr_svg": qr_svg(uri)}
        ),
    )


@router.post("/account/mfa/enable")
async def account_mfa_enable(request: Request, actor: Me, db: DB):
    form = await read_form(request)
    user = current_user(request)
    settings = settings_of(request)
    try:
        await identity_service.enable_mfa(db, settings, actor, user, str(form.get("code", "")))
    except DomainError as exc:
        errors = await form_failure(db, exc)
        user = await identity_service.get_user(db, actor.id or 0)
        mfa = None
        if uri := identity_service.totp_uri_for(settings, user):
            mfa = {"secret": user.totp_secret, "qr_svg": qr_svg(uri)}
        return render(
            request,
            "identity/account.html",
            await _account_context(request, db, actor, user=user, errors=errors, mfa=mfa),
        )
    flash(request, "Two-step verification is on.")
    return redirect(request, "/account")
