"""The admin's user pages: the list and search, creating and changing an account, and the
actions on it (approve, deactivate, unlock, reset two-step verification)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.config import ROLES
from openward.core.errors import DomainError, ValidationFailed
from openward.core.params import Offset, RowId
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.identity.access import DB, settings_of
from openward.identity.pages._shared import Admin, safe_next
from openward.identity.passwords import also_password
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
        errors = also_password(await form_failure(db, exc), values, form)
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
    return redirect(request, safe_next(str(target)) if target else f"/admin/users/{user_id}")
