"""Identity's domain errors, each with the stable code clients rely on."""

from __future__ import annotations

from openward.core.errors import (
    Conflict,
    DomainError,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)


class AccountLocked(DomainError):
    status = 429
    code = "account_locked"
    title = "Too many failed sign-ins: this account is locked for a while"
    keep_writes = True


def wait_then(error: type[DomainError], message: str, seconds: int) -> DomainError:
    """A throttle's refusal: says how long to wait, in words and in Retry-After."""
    return error(message, headers={"Retry-After": str(seconds)}, extra={"retry_after": seconds})


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"
    title = "Too many failed attempts from here: wait a while before trying again"
    keep_writes = True


class SignInEnded(InvalidToken):
    code = "sign_in_ended"
    title = "This sign-in has ended; sign in again"
    keep_writes = True


class SignInNotFound(NotFound):
    code = "sign_in_not_found"
    title = "No such sign-in of yours"


class RegistrationRefused(Conflict):
    code = "registration_refused"
    title = "An online account cannot be created with these details"
    keep_writes = True  # the count and the audit row of the refusal; nothing else is written


class AccountPending(PermissionDenied):
    code = "account_pending"
    title = "This account is waiting for an administrator's approval"


class AccountDisabled(PermissionDenied):
    code = "account_disabled"
    title = "This account has been deactivated"


class MfaCodeInvalid(InvalidCredentials):
    code = "mfa_invalid"
    title = "The verification code is wrong or has expired"


class MfaNotSetUp(Conflict):
    code = "mfa_not_set_up"
    title = "Start the second-factor set-up first"


class MfaAlreadyOn(Conflict):
    code = "mfa_already_on"
    title = "Two-step verification is already on; an administrator can reset it for a new phone"


class RefreshTokenReused(InvalidToken):
    code = "refresh_token_reused"
    title = "This refresh token was already used; every session from that sign-in is revoked"


class SessionExpired(DomainError):
    status = 401
    code = "session_expired"
    title = "Your session has ended"
    keep_writes = True


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "No such user"


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "That username is already in use"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "That e-mail address is already in use"


class WeakPassword(ValidationFailed):
    code = "weak_password"
    title = "The password does not meet the policy"


class InvalidUsername(ValidationFailed):
    code = "invalid_username"
    title = (
        "Usernames are 3-150 characters: letters, digits and . _ - @, starting with a letter "
        "or digit"
    )


class WrongCurrentPassword(ValidationFailed):
    code = "wrong_current_password"
    title = "The current password is not right"
    keep_writes = True  # the failure counts towards the sign-in throttle


class PasswordsDiffer(ValidationFailed):
    code = "passwords_differ"
    title = "The two new passwords are not the same"


class LastAdmin(Conflict):
    code = "last_admin"
    title = "The hospital must keep at least one active administrator"


class ProfileFieldsInvalid(ValidationFailed):
    """The profile an account of this role needs (a doctor's) is missing fields or has bad
    ones: every such field is named, as a request validation error names them."""

    code = "validation_error"
    title = "The request has invalid fields"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        names = ", ".join(e["field"] for e in errors)
        super().__init__(f"Check these fields: {names}.")
        self.field_errors = errors

    def errors(self) -> list[dict[str, str]]:
        return self.field_errors


class ProfileExists(Conflict):
    code = "profile_exists"
    title = "This account already has its profile"


class NoProfileForRole(Conflict):
    code = "no_profile_for_role"
    title = "Accounts of this role have no profile to complete"


__all__ = [
    "AccountDisabled",
    "AccountLocked",
    "AccountPending",
    "EmailTaken",
    "InvalidCredentials",
    "InvalidToken",
    "InvalidUsername",
    "LastAdmin",
    "MfaCodeInvalid",
    "MfaNotSetUp",
    "NoProfileForRole",
    "PasswordsDiffer",
    "ProfileExists",
    "ProfileFieldsInvalid",
    "RefreshTokenReused",
    "RegistrationRefused",
    "SessionExpired",
    "SignInEnded",
    "SignInNotFound",
    "TooManyAttempts",
    "UserNotFound",
    "UsernameTaken",
    "WeakPassword",
    "WrongCurrentPassword",
    "wait_then",
]
