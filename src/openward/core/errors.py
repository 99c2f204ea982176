"""Domain errors: each has a stable `code` and an HTTP status; one handler renders them."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A rule of the hospital said no. Raised by services, never `HTTPException`."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"
    # True when the service deliberately wrote something (an audit row, a failed-login
    # count) that must be kept although the request fails.
    keep_writes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.field = field
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(self.detail)

    def errors(self) -> list[dict[str, str]]:
        if self.field is None:
            return []
        return [{"field": self.field, "message": self.detail}]


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    title = "Sign-in required"


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"
    title = "Wrong username or password"
    keep_writes = True


class InvalidToken(DomainError):
    status = 401
    code = "invalid_token"
    title = "The token is invalid or has expired"
    keep_writes = True


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    title = "You do not have permission to do this"
    keep_writes = True


class CsrfFailed(PermissionDenied):
    """A cookie-authenticated write without the session's CSRF token (form or header)."""

    code = "csrf_failed"
    title = "The form has expired; reload the page and try again"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"
    title = "The request has invalid fields"
