"""Errors become RFC 9457 problem details for the API and friendly pages for people."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from openward.core.errors import DomainError
from openward.core.middleware import apply_security_headers

log = logging.getLogger("openward.errors")

PROBLEM_JSON = "application/problem+json"
# Validation error types of OpenWard's own (not pydantic's) that keep their code in answers.
_OWN_ERROR_CODES = frozenset({"invalid_characters"})

_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("not_authenticated", "Sign-in required"),
    403: ("permission_denied", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "The request has invalid fields"),
    429: ("too_many_requests", "Too many requests"),
}

# Pages render errors themselves through this hook (set by openward.web), so core stays
# free of templates: (request, status, code, title, detail) -> Response | None.
page_renderer: Any = None


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/fhir/")) or path in ("/healthz", "/readyz"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "") or ""


def problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://openward.org/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail or title,
        "instance": request.url.path,
        "request_id": request_id(request),
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    if not wants_json(request) and page_renderer is not None:
        try:
            page = page_renderer(request, status, code, title, detail or title, errors)
        except Exception:  # the error page itself failed: fall back to plain problem+json
            log.exception("error page failed request_id=%s", request_id(request))
            page = None
        if page is not None:
            return page
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors():
        message = err.get("msg", "Invalid value")
        if err.get("type") == "missing":
            message = "This field is required."
        elif err.get("type") == "extra_forbidden":
            message = "This field is not allowed."
        entry = {"field": _field_name(tuple(err.get("loc", ()))), "message": message}
        if err.get("type") in _OWN_ERROR_CODES:  # ours: the client may act on the code
            entry["code"] = err["type"]
        errors.append(entry)
    return errors


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem(
        request,
        exc.status,
        exc.code,
        exc.title,
        exc.detail,
        exc.errors(),
        exc.headers,
        **exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    names = ", ".join(e["field"] for e in errors)
    codes = {e.get("code") for e in errors}
    return problem(
        request,
        422,
        codes.pop() if len(codes) == 1 and None not in codes else "validation_error",
        "The request has invalid fields",
        f"Check these fields: {names}.",
        errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else None
    if detail and detail.lower() == title.lower():
        detail = None
    return problem(request, exc.status_code, code, title, detail, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error request_id=%s path=%s", request_id(request), request.url.path)
    response = problem(
        request,
        500,
        "internal_error",
        "Something went wrong on our side",
        "The error was logged; quote the request id when you report it.",
    )
    apply_security_headers(response.headers)
    response.headers["X-Request-ID"] = request_id(request)
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
