"""Sign-in, sign-out, registration, own account and the admin's user pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from openward.config import ROLES, SELF_SERVICE_STAFF_ROLES
from openward.core.actors import Actor
from openward.core.errors import DomainError, ValidationFailed
from openward.core.origin import origin_of
from openward.core.params import Offset, RowId
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.identity.access import (
    DB,
    SESSION_COOKIE,
    current_user,
    optional_actor,
    public,
    require,
    settings_of,
)
from openward.identity.passwords import policy_problem
from openward.web.forms import (
    flash,
    form_failure,
    form_values,
    pydantic_errors,
    read_form,
    redirect,
)
from openward.web.templating import ROLE_LABELS, render

router = APIRouter(include_in_schema=False)

Me = Annotated[Actor, require("account:self")]
Admin = Annotated[Actor, require("users:manage")]

STAFF_ROLES = list(SELF_SERVICE_STAFF_ROLES)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never bounce a user to another site after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#0b3b40")


def _signed_in_response(request: Request, cookie_token: str, target: str):
    response = redirect(request, _safe_next(target))
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


# ---------------------------------------------------------------- sign-in


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
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request,
        "identity/login.html",
        {
            "values": {},
            "errors": {},
            "next": _safe_next(next),
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
    target = _safe_next(values["next"])
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
            status_code=exc.status,
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
            status_code=exc.status,
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
            "qr_svg": _qr_svg(uri),
            "action": "/login/mfa-enrol",
            "during_sign_in": True,
        },
        status_code=422 if errors else 200,
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


# ---------------------------------------------------------------- self-registration


def _also_password(errors: dict[str, str], values: dict, form) -> dict[str, str]:
    """When other fields fail first, still say what is wrong with the password, so the
    person fixes everything in one go."""
    if "password" not in errors:
        problem = policy_problem(str(form.get("password", "")), values.get("username", ""))
        if problem:
            errors["password"] = problem
    return errors


@router.get("/register", dependencies=[public])
async def register_page(request: Request):
    return render(request, "identity/register.html", {"values": {}, "errors": {}})


@router.post("/register", dependencies=[public])
async def register_submit(request: Request, db: DB):
    form = await read_form(request)
    values = form_values(
        form,
        "username",
        "full_name",
        "email",
        "phone",
        "date_of_birth",
        "sex",
        "mrn",
        "activation_code",
    )
    try:
        data = schemas.RegisterPatientIn(**values, password=str(form.get("password", "")))
        user, _patient_id, mrn = await identity_service.register_patient(
            db, settings_of(request), origin_of(request), data
        )
    except (ValidationError, DomainError) as exc:
        errors = _also_password(await form_failure(db, exc), values, form)
        return render(
            request, "identity/register.html", {"values": values, "errors": errors}, status_code=422
        )
    return render(
        request,
        "identity/registered.html",
        {"kind": "patient", "username": user.username, "mrn": mrn},
        status_code=201,
    )


@router.get("/register/staff", dependencies=[public])
async def register_staff_page(request: Request):
    return render(
        request, "identity/register_staff.html", {"values": {}, "errors": {}, "roles": STAFF_ROLES}
    )


@router.post("/register/staff", dependencies=[public])
async def register_staff_submit(request: Request, db: DB):
    form = await read_form(request)
    values = form_values(form, "username", "full_name", "email", "phone", "role")
    try:
        data = schemas.RegisterStaffIn(**values, password=str(form.get("password", "")))
        user = await identity_service.register_staff(
            db, settings_of(request), origin_of(request), data
        )
    except (ValidationError, DomainError) as exc:
        errors = _also_password(await form_failure(db, exc), values, form)
        return render(
            request,
            "identity/register_staff.html",
            {"values": values, "errors": errors, "roles": STAFF_ROLES},
            status_code=422,
        )
    return render(
        request,
        "identity/registered.html",
        {"kind": "staff", "username": user.username},
        status_code=202,
    )


# ---------------------------------------------------------------- own account


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
            status_code=exc.status,
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
            request, db, actor, user=user, mfa={"secret": secret, "qr_svg": _qr_svg(uri)}
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
            mfa = {"secret": user.totp_secret, "qr_svg": _qr_svg(uri)}
        return render(
            request,
            "identity/account.html",
            await _account_context(request, db, actor, user=user, errors=errors, mfa=mfa),
            status_code=exc.status,
        )
    flash(request, "Two-step verification is on.")
    return redirect(request, "/account")


# ---------------------------------------------------------------- user administration

_PAGE = 25


@router.get("/admin/users")
async def users_page(
    request: Request,
    actor: Admin,
    db: DB,
    q: Annotated[str | None, Query(max_length=100)] = None,
    role: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    offset: Offset = 0,
):
    role = role if role in ROLES else None
    status = status if status in ("active", "pending", "inactive") else None
    users, total = await identity_service.list_users(
        db, role=role, q=q, status=status, limit=_PAGE, offset=offset
    )
    locked = await identity_service.locked_usernames(
        db, settings_of(request), [u.username for u in users]
    )
    query = urlencode({k: v for k, v in {"q": q, "role": role, "status": status}.items() if v})
    return render(
        request,
        "identity/users.html",
        {
            "users": users,
            "total": total,
            "locked": locked,
            "q": q or "",
            "role": role or "",
            "status": status or "",
            "offset": offset,
            "limit": _PAGE,
            "base_query": query,
            "roles": ROLES,
        },
    )


@router.get("/admin/users/new")
async def user_new_page(request: Request, actor: Admin):
    return render(
        request,
        "identity/user_form.html",
        {
            "values": {"role": request.query_params.get("role", "")},
            "errors": {},
            "roles": ROLES,
            "user": None,
        },
    )


@router.post("/admin/users/new")
async def user_new_submit(request: Request, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, "username", "full_name", "email", "phone", "role")
    try:
        data = schemas.UserCreate(**values, password=str(form.get("password", "")))
        user = await identity_service.create_user(db, actor, data)
    except (ValidationError, DomainError) as exc:
        errors = _also_password(await form_failure(db, exc), values, form)
        return render(
            request,
            "identity/user_form.html",
            {"values": values, "errors": errors, "roles": ROLES, "user": None},
            status_code=422,
        )
    flash(request, f"Created {ROLE_LABELS[user.role].lower()} account '{user.username}'.")
    return redirect(request, f"/admin/users/{user.id}")


@router.get("/admin/users/{user_id}")
async def user_page(request: Request, user_id: RowId, actor: Admin, db: DB):
    user = await identity_service.get_user(db, user_id)
    return await _user_page(request, db, user, values=None, errors={})


async def _user_page(request: Request, db, user, values, errors, status_code: int = 200):
    locked = await identity_service.locked_usernames(db, settings_of(request), [user.username])
    history, _ = await identity_service.account_history(db, user.id)
    return render(
        request,
        "identity/user_form.html",
        {
            "user": user,
            "locked": user.username in locked,
            "roles": ROLES,
            "errors": errors,
            "history": history,
            "values": values
            or {
                "username": user.username,
                "full_name": user.full_name,
                "email": user.email or "",
                "phone": user.phone or "",
                "role": user.role,
            },
        },
        status_code=status_code,
    )


@router.post("/admin/users/{user_id}")
async def user_edit_submit(request: Request, user_id: RowId, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, "full_name", "email", "phone", "role")
    password = str(form.get("password", ""))
    try:
        data = schemas.UserUpdate(**values, password=password or None)
        await identity_service.update_user(db, actor, user_id, data)
    except (ValidationError, DomainError) as exc:
        errors = await form_failure(db, exc)
        user = await identity_service.get_user(db, user_id)
        values["username"] = user.username
        return await _user_page(request, db, user, values, errors, status_code=422)
    flash(request, "Changes saved.")
    return redirect(request, f"/admin/users/{user_id}")


_ACTIONS = {
    "deactivate": ("Account deactivated; its sign-ins have ended.", "deactivated"),
    "activate": ("Account reactivated.", "activated"),
    "approve": ("Account approved; the user can now sign in.", "approved"),
    "unlock": ("Sign-in lockout lifted.", "unlocked"),
    "reset-mfa": ("Two-step verification removed; the user will enrol again.", "reset"),
}


@router.post("/admin/users/{user_id}/{action}")
async def user_action_submit(request: Request, user_id: RowId, action: str, actor: Admin, db: DB):
    form = await read_form(request)
    if action not in _ACTIONS:
        flash(request, "Unknown action.", "error")
        return redirect(request, f"/admin/users/{user_id}")
    try:
        if action == "deactivate":
            try:  # the same bounds as the API (the column holds 500 characters)
                reason = schemas.DeactivateIn(reason=form.get("reason") or None).reason
            except ValidationError as exc:
                raise ValidationFailed(pydantic_errors(exc)["reason"], field="reason") from None
            await identity_service.set_active(db, actor, user_id, False, reason)
        elif action == "activate":
            await identity_service.set_active(db, actor, user_id, True)
        elif action == "approve":
            await identity_service.approve(db, actor, user_id)
        elif action == "unlock":
            await identity_service.unlock(db, settings_of(request), actor, user_id)
        else:
            await identity_service.reset_mfa(db, actor, user_id)
    except DomainError as exc:
        await form_failure(db, exc)
        flash(request, exc.detail, "error")
        return redirect(request, f"/admin/users/{user_id}")
    flash(request, _ACTIONS[action][0])
    target = form.get("return_to")
    return redirect(request, _safe_next(str(target)) if target else f"/admin/users/{user_id}")
