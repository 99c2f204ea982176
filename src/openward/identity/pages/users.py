"""The admin's user pages: the list and search, creating and changing an account, and the
actions on it (approve, deactivate, unlock, reset two-step verification)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from openward.config import ROLES
from openward.core.errors import DomainError, ValidationFailed
from openward.core.params import Offset, RowId
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.identity.access import DB, settings_of
from openward.identity.errors import ProfileFieldsInvalid
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


def _profile_input(form, role: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The profile fields posted for this role (a doctor's): as the service takes them, and
    as typed (to show again). Other roles' forms carry none, whatever was typed there."""
    profile = identity_service.profile_for(role)
    if profile is None:
        return {}, {}
    typed = form_values(form, *profile.schema.model_fields)
    return profile.form_input(typed), typed


async def _failure(db, exc: Exception) -> dict[str, str]:
    """Errors by field; a profile's errors name each of its fields."""
    if isinstance(exc, ProfileFieldsInvalid):
        await db.rollback()
        return {e["field"]: e["message"] for e in exc.errors()}
    return await form_failure(db, exc)


async def _profile_context(db, users=()) -> dict[str, Any]:
    return {
        "profiles": await identity_service.profile_forms(db),
        "profile_missing": await identity_service.lacking_profile(db, list(users)),
    }


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
    lacking = await identity_service.accounts_lacking_profile(db)
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
            "profile_missing": await identity_service.lacking_profile(db, users),
            "lacking_total": len(lacking),
        },
    )


@router.get("/admin/users/new")
async def user_new_page(request: Request, actor: Admin, db: DB):
    role = request.query_params.get("role", "")
    return render(
        request,
        "identity/user_form.html",
        {
            "values": {"role": role if role in ROLES else ""},
            "errors": {},
            "roles": ROLES,
            "user": None,
            **await _profile_context(db),
        },
    )


@router.post("/admin/users/new")
async def user_new_submit(request: Request, actor: Admin, db: DB):
    form = await read_form(request)
    values = form_values(form, "username", "full_name", "email", "phone", "role")
    fields, typed = _profile_input(form, values["role"])
    try:
        data = schemas.UserCreate(**values, password=str(form.get("password", "")))
        user = await identity_service.create_account(db, actor, data, fields)
    except (ValidationError, DomainError) as exc:
        errors = also_password(await _failure(db, exc), values, form)
        if isinstance(exc, ValidationError):  # so every mistake can be fixed in one go
            errors.update(identity_service.profile_problems(values["role"], fields))
        return render(
            request,
            "identity/user_form.html",
            {
                "values": {**values, **typed},
                "errors": errors,
                "roles": ROLES,
                "user": None,
                **await _profile_context(db),
            },
        )
    flash(request, f"Created {ROLE_LABELS[user.role].lower()} account '{user.username}'.")
    return redirect(request, f"/admin/users/{user.id}")


@router.get("/admin/users/{user_id}")
async def user_page(request: Request, user_id: RowId, actor: Admin, db: DB):
    user = await identity_service.get_user(db, user_id)
    return await _user_page(request, db, user, values=None, errors={})


async def _user_page(
    request: Request,
    db,
    user,
    values,
    errors,
    status_code: int = 200,
    profile_values: dict[str, str] | None = None,
):
    locked = await identity_service.locked_usernames(db, settings_of(request), [user.username])
    history, _ = await identity_service.account_history(db, user.id)
    profile = await _profile_context(db, [user])
    return render(
        request,
        "identity/user_form.html",
        {
            "user": user,
            "locked": user.username in locked,
            "roles": ROLES,
            "errors": errors,
            "history": history,
            **profile,
            "profile_values": profile_values or {},
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
    user = await identity_service.get_user(db, user_id)
    becomes = values["role"] if values["role"] != user.role else None
    fields, typed = _profile_input(form, becomes)
    try:
        data = schemas.UserUpdate(**values, password=password or None)
        await identity_service.change_account(db, actor, user_id, data, fields)
    except (ValidationError, DomainError) as exc:
        errors = await _failure(db, exc)
        user = await identity_service.get_user(db, user_id)
        values["username"] = user.username
        return await _user_page(request, db, user, {**values, **typed}, errors)
    flash(request, "Changes saved.")
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id}/profile")
async def user_profile_submit(request: Request, user_id: RowId, actor: Admin, db: DB):
    """Complete the profile of an account made without one (a doctor's, from before)."""
    form = await read_form(request)
    user = await identity_service.get_user(db, user_id)
    fields, typed = _profile_input(form, user.role)
    try:
        await identity_service.complete_profile(db, actor, user_id, fields)
    except DomainError as exc:
        errors = await _failure(db, exc)
        user = await identity_service.get_user(db, user_id)
        return await _user_page(request, db, user, None, errors, profile_values=typed)
    profile = identity_service.profile_for(user.role)
    label = profile.label.lower() if profile else "profile"
    flash(request, f"Completed {user.full_name}'s {label}; the account is ready for work.")
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
            user = await identity_service.get_user(db, user_id)
            name = user.full_name
            fields, typed = _profile_input(form, user.role)
            try:
                await identity_service.approve_account(db, actor, user_id, fields)
            except DomainError as exc:
                if not fields and not isinstance(exc, ProfileFieldsInvalid):
                    raise
                errors = await _failure(db, exc)
                if not fields:  # from a list's Approve button: the profile is asked there
                    flash(request, f"Complete {name}'s profile to approve the account.", "error")
                    return redirect(request, f"/admin/users/{user_id}#profile")
                user = await identity_service.get_user(db, user_id)
                return await _user_page(request, db, user, None, errors, profile_values=typed)
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
