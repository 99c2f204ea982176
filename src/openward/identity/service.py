"""Identity as other domains call it: accounts, sign-in, sessions, sign-ins and MFA, each
kept in its own module beside this one and named here so callers need one import.

`accounts` (creating, finding and changing users; the admin's actions; one's own password),
`registration` (staff asking for an account; the e-mail refusal), `sign_in` (password, second
factor, API tokens), `sign_in_throttling` (when a sign-in must wait), `sessions` (browser
sessions), `sign_ins` (where a user is signed in, ending those) and `mfa` (enrolment)."""

from __future__ import annotations

from openward.identity.accounts import (
    account_history,
    actor_for,
    approve,
    change_own_password,
    check_password,
    check_username,
    create_user,
    find_by_username,
    full_names,
    get_user,
    ids_whose_name_contains,
    is_staff_role,
    list_users,
    name_of,
    normalize_username,
    pending_approvals,
    reset_mfa,
    set_active,
    unlock,
    update_user,
    users_by_ids,
    users_per_role,
)
from openward.identity.mfa import (
    enable_mfa,
    mfa_state,
    start_mfa_setup,
    totp_uri_for,
    user_for_enrolment,
)
from openward.identity.registration import (
    REGISTRATION_REFUSED,
    refuse_unusable_email,
    register_staff,
)
from openward.identity.sessions import (
    OpenSession,
    actor_from_session,
    close_session,
    open_session,
)
from openward.identity.sign_in import (
    MfaChallenge,
    TokenPair,
    actor_from_access_token,
    check_credentials,
    check_mfa,
    issue_tokens,
    logout,
    refresh_tokens,
)
from openward.identity.sign_in_throttling import (
    KNOWN_ADDRESS_DAYS,
    known_address,
    locked_usernames,
    login_window_start,
    minutes,
)
from openward.identity.sign_ins import (
    SignInRow,
    active_sign_ins,
    end_sign_in,
    recent_sign_ins,
    sign_out_everywhere,
)

__all__ = [
    "KNOWN_ADDRESS_DAYS",
    "REGISTRATION_REFUSED",
    "MfaChallenge",
    "OpenSession",
    "SignInRow",
    "TokenPair",
    "account_history",
    "active_sign_ins",
    "actor_for",
    "actor_from_access_token",
    "actor_from_session",
    "approve",
    "change_own_password",
    "check_credentials",
    "check_mfa",
    "check_password",
    "check_username",
    "close_session",
    "create_user",
    "enable_mfa",
    "end_sign_in",
    "find_by_username",
    "full_names",
    "get_user",
    "ids_whose_name_contains",
    "is_staff_role",
    "issue_tokens",
    "known_address",
    "list_users",
    "locked_usernames",
    "login_window_start",
    "logout",
    "mfa_state",
    "minutes",
    "name_of",
    "normalize_username",
    "open_session",
    "pending_approvals",
    "recent_sign_ins",
    "refresh_tokens",
    "refuse_unusable_email",
    "register_staff",
    "reset_mfa",
    "set_active",
    "sign_out_everywhere",
    "start_mfa_setup",
    "totp_uri_for",
    "unlock",
    "update_user",
    "user_for_enrolment",
    "users_by_ids",
    "users_per_role",
]
