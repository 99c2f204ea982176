"""JSON routes for sign-in, tokens, staff registration and user management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from openward.core.actors import Actor
from openward.core.origin import origin_of
from openward.core.params import Offset, RowId
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.identity.access import (
    DB,
    current_user,
    public,
    require,
    resolve_actor,
    settings_of,
)
from openward.identity.errors import InvalidToken
from openward.identity.models import User

router = APIRouter(prefix="/api/v1", tags=["identity"])

Me = Annotated[Actor, require("account:self")]
Admin = Annotated[Actor, require("users:manage")]


def _token_out(pair: identity_service.TokenPair) -> schemas.TokenOut:
    return schemas.TokenOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        user=schemas.UserBrief.model_validate(pair.user),
    )


@router.post(
    "/auth/login",
    response_model=schemas.TokenOut | schemas.MfaChallengeOut,
    dependencies=[public],
    summary="Sign in with username and password",
    responses={
        401: {"description": "Wrong credentials"},
        403: {"description": "Pending or deactivated account"},
        429: {"description": "Account locked"},
    },
)
async def login(body: schemas.LoginIn, request: Request, db: DB):
    settings = settings_of(request)
    origin = origin_of(request)
    outcome = await identity_service.check_credentials(
        db, settings, origin, body.username, body.password
    )
    if isinstance(outcome, identity_service.MfaChallenge):
        return schemas.MfaChallengeOut(
            mfa_token=outcome.token,
            expires_in=outcome.expires_in,
            mfa_setup_required=outcome.setup_required,
        )
    return _token_out(await identity_service.issue_tokens(db, settings, origin, outcome))


@router.post(
    "/auth/mfa",
    response_model=schemas.TokenOut,
    dependencies=[public],
    summary="Finish signing in with the authenticator code",
)
async def login_mfa(body: schemas.MfaIn, request: Request, db: DB):
    settings = settings_of(request)
    origin = origin_of(request)
    user = await identity_service.check_mfa(db, settings, origin, body.mfa_token, body.code)
    return _token_out(await identity_service.issue_tokens(db, settings, origin, user, mfa=True))


@router.post(
    "/auth/refresh",
    response_model=schemas.TokenOut,
    dependencies=[public],
    summary="Exchange a refresh token for a new pair (rotation)",
)
async def refresh(body: schemas.RefreshIn, request: Request, db: DB):
    pair = await identity_service.refresh_tokens(
        db, settings_of(request), origin_of(request), body.refresh_token
    )
    return _token_out(pair)


@router.post("/auth/logout", status_code=204, summary="Sign out: revoke refresh tokens")
async def logout(actor: Me, db: DB) -> Response:
    await identity_service.logout(db, actor)
    return Response(status_code=204)


@router.get(
    "/auth/sign-ins",
    response_model=list[schemas.SignInOut],
    summary="Where I am signed in: browser sessions and API sign-ins",
)
async def sign_ins(actor: Me, request: Request, db: DB):
    rows = await identity_service.active_sign_ins(db, settings_of(request), actor)
    return [schemas.SignInOut.model_validate(row, from_attributes=True) for row in rows]


@router.delete(
    "/auth/sign-ins/{sign_in_id}",
    status_code=204,
    summary="End one of my sign-ins",
    responses={404: {"description": "No such sign-in of yours"}},
)
async def end_sign_in(
    sign_in_id: Annotated[str, Path(max_length=24, pattern=r"^(web|api)-[0-9]{1,11}$")],
    actor: Me,
    db: DB,
) -> Response:
    await identity_service.end_sign_in(db, actor, sign_in_id)
    return Response(status_code=204)


@router.post(
    "/auth/sign-out-everywhere",
    status_code=204,
    summary="End every browser session and API sign-in of mine, this one included",
)
async def sign_out_everywhere(actor: Me, db: DB) -> Response:
    await identity_service.sign_out_everywhere(db, actor)
    return Response(status_code=204)


@router.get("/auth/me", response_model=schemas.UserOut, summary="The signed-in user")
async def me(actor: Me, request: Request):
    return schemas.UserOut.model_validate(current_user(request))


async def _enrolling_user(request: Request, db, mfa_token: str | None) -> tuple[User, Actor, bool]:
    """MFA set-up runs for a signed-in user, or mid-sign-in for roles that must enrol."""
    settings = settings_of(request)
    if mfa_token:
        user = await identity_service.user_for_enrolment(db, settings, mfa_token)
        return user, identity_service.actor_for(user, origin_of(request), "anonymous"), True
    actor = await resolve_actor(request, db)
    if actor is None:
        raise InvalidToken("Sign in, or pass the mfa_token from the sign-in response.")
    return current_user(request), actor, False


@router.post(
    "/auth/mfa/setup",
    response_model=schemas.MfaSetupOut,
    dependencies=[public],
    summary="Start TOTP set-up: returns the secret and otpauth URI",
)
async def mfa_setup(request: Request, db: DB, body: schemas.MfaSetupIn | None = None):
    user, actor, _ = await _enrolling_user(request, db, body.mfa_token if body else None)
    secret, uri = await identity_service.start_mfa_setup(db, settings_of(request), actor, user)
    return schemas.MfaSetupOut(secret=secret, otpauth_uri=uri)


@router.post(
    "/auth/mfa/enable",
    response_model=schemas.MfaEnabledOut,
    dependencies=[public],
    summary="Confirm TOTP set-up with a code from the app",
)
async def mfa_enable(body: schemas.MfaEnableIn, request: Request, db: DB):
    settings = settings_of(request)
    user, actor, enrolling = await _enrolling_user(request, db, body.mfa_token)
    await identity_service.enable_mfa(db, settings, actor, user, body.code)
    tokens = None
    if enrolling:
        tokens = _token_out(
            await identity_service.issue_tokens(db, settings, origin_of(request), user, mfa=True)
        )
    return schemas.MfaEnabledOut(tokens=tokens)


@router.post(
    "/auth/register-staff",
    status_code=202,
    response_model=schemas.RegisteredStaffOut,
    dependencies=[public],
    summary="Staff asks for an account (needs approval)",
)
async def register_staff(body: schemas.RegisterStaffIn, request: Request, db: DB):
    user = await identity_service.register_staff(db, settings_of(request), origin_of(request), body)
    return schemas.RegisteredStaffOut(id=user.id, username=user.username, role=user.role)


# ---------------------------------------------------------------- user management


async def _user_out(db, request: Request, user: User) -> schemas.UserOut:
    locked = await identity_service.locked_usernames(db, settings_of(request), [user.username])
    out = schemas.UserOut.model_validate(user)
    out.locked = user.username in locked
    out.profile_missing = bool(await identity_service.lacking_profile(db, [user]))
    return out


@router.post(
    "/users",
    status_code=201,
    response_model=schemas.UserOut,
    summary="Create a user (a doctor with their profile, in one transaction)",
    responses={422: {"description": "Invalid fields, or a doctor's profile fields missing"}},
)
async def create_user(body: schemas.AccountCreate, actor: Admin, request: Request, db: DB):
    user = await identity_service.create_account(db, actor, body.account(), body.profile_fields())
    return await _user_out(db, request, user)


@router.get("/users", response_model=schemas.UserList, summary="List and search users")
async def list_users(
    actor: Admin,
    request: Request,
    db: DB,
    role: schemas.Role | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(pattern="^(active|pending|inactive)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
):
    users, total = await identity_service.list_users(
        db, role=role, q=q, status=status, limit=limit, offset=offset
    )
    locked = await identity_service.locked_usernames(
        db, settings_of(request), [u.username for u in users]
    )
    missing = await identity_service.lacking_profile(db, users)
    items = []
    for user in users:
        out = schemas.UserOut.model_validate(user)
        out.locked = user.username in locked
        out.profile_missing = user.id in missing
        items.append(out)
    return schemas.UserList(items=items, total=total)


@router.get("/users/{user_id}", response_model=schemas.UserOut, summary="One user")
async def get_user(user_id: RowId, actor: Admin, request: Request, db: DB):
    return await _user_out(db, request, await identity_service.get_user(db, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=schemas.UserOut,
    summary="Change a user (made a doctor: with the profile they lack)",
)
async def update_user(
    user_id: RowId, body: schemas.AccountUpdate, actor: Admin, request: Request, db: DB
):
    user = await identity_service.change_account(
        db, actor, user_id, body.account(), body.profile_fields()
    )
    return await _user_out(db, request, user)


@router.post(
    "/users/{user_id}/profile",
    status_code=201,
    response_model=schemas.UserOut,
    summary="Complete the profile an account's role needs (a doctor's, made without one)",
    responses={
        409: {"description": "profile_exists, or no_profile_for_role"},
        422: {"description": "The profile's fields missing or invalid"},
    },
)
async def complete_profile(
    user_id: RowId, body: schemas.ProfileFieldsIn, actor: Admin, request: Request, db: DB
):
    user = await identity_service.complete_profile(db, actor, user_id, body.profile_fields())
    return await _user_out(db, request, user)


@router.post(
    "/users/{user_id}/deactivate",
    response_model=schemas.UserOut,
    summary="Deactivate: sign-in and tokens stop working at once",
)
async def deactivate_user(
    user_id: RowId,
    actor: Admin,
    request: Request,
    db: DB,
    body: schemas.DeactivateIn | None = None,
):
    reason = body.reason if body else None
    user = await identity_service.set_active(db, actor, user_id, False, reason)
    return await _user_out(db, request, user)


@router.post("/users/{user_id}/activate", response_model=schemas.UserOut, summary="Reactivate")
async def activate_user(user_id: RowId, actor: Admin, request: Request, db: DB):
    user = await identity_service.set_active(db, actor, user_id, True)
    return await _user_out(db, request, user)


@router.post(
    "/users/{user_id}/approve",
    response_model=schemas.UserOut,
    summary="Approve a self-registered staff account (a doctor's with their profile)",
    responses={422: {"description": "A doctor's profile fields missing or invalid"}},
)
async def approve_user(
    user_id: RowId,
    actor: Admin,
    request: Request,
    db: DB,
    body: schemas.ProfileFieldsIn | None = None,
):
    fields = body.profile_fields() if body else {}
    user = await identity_service.approve_account(db, actor, user_id, fields)
    return await _user_out(db, request, user)


@router.post(
    "/users/{user_id}/unlock", response_model=schemas.UserOut, summary="Lift a sign-in lockout"
)
async def unlock_user(user_id: RowId, actor: Admin, request: Request, db: DB):
    return await _user_out(
        db, request, await identity_service.unlock(db, settings_of(request), actor, user_id)
    )


@router.post(
    "/users/{user_id}/reset-mfa",
    response_model=schemas.UserOut,
    summary="Remove the second factor (lost phone); the user enrols again",
)
async def reset_mfa(user_id: RowId, actor: Admin, request: Request, db: DB):
    return await _user_out(db, request, await identity_service.reset_mfa(db, actor, user_id))
