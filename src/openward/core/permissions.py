"""Roles map to named permissions; routes declare permissions, never role names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import iter_route_contexts

from openward.config import ROLES

# Every signed-in person may use their own account (me, logout, MFA set-up, dashboard).
SELF = "account:self"


# permission -> roles and role -> permissions, as the installed domains declared them
# (core.domains.install fills both).
_BY_PERMISSION: dict[str, tuple[str, ...]] = {}
_BY_ROLE: dict[str, frozenset[str]] = {}


def set_table(table: dict[str, tuple[str, ...]]) -> None:
    _BY_PERMISSION.clear()
    _BY_PERMISSION.update(table)
    _BY_ROLE.clear()
    _BY_ROLE.update(
        {role: frozenset(p for p, roles in table.items() if role in roles) for role in ROLES}
    )


def permission_table() -> dict[str, tuple[str, ...]]:
    """The whole role -> permission matrix of this installation, one permission a row."""
    return dict(_BY_PERMISSION)


PERMISSION_ATTR = "__openward_permission__"
PUBLIC = "public"


def matrix_text() -> str:
    """The role x permission matrix as a table to read (x: the role holds it)."""
    table = permission_table()
    width = max((len(p) for p in table), default=10)
    lines = [" ".join(["permission".ljust(width), *(role[:5].ljust(5) for role in ROLES)])]
    for permission in sorted(table):
        marks = ("x" if role in table[permission] else "." for role in ROLES)
        lines.append(" ".join([permission.ljust(width), *(m.ljust(5) for m in marks)]))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def has_permission(role: str, permission: str) -> bool:
    """Default deny: nothing is allowed until the domains are installed."""
    return permission in _BY_ROLE.get(role, frozenset())


def _walk(dependant: Any) -> Iterator[Any]:
    for dep in getattr(dependant, "dependencies", ()):
        yield dep.call
        yield from _walk(dep)


def declared_permission(route: Any) -> str | None:
    """The permission (or PUBLIC) a route declares through its dependencies; None if none."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    for call in _walk(dependant):
        marker = getattr(call, PERMISSION_ATTR, None)
        if marker is not None:
            return marker
    return None


# Framework routes that are public by nature: the API contract, its docs, static files.
FRAMEWORK_PUBLIC_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
STATIC_PREFIX = "/static"


def all_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route the app serves, with included routers expanded."""
    yield from iter_route_contexts(list(routes))


def undeclared_routes(routes: Iterable[Any]) -> list[str]:
    """Routes (methods path) that declare no permission: default deny makes them a bug."""
    missing = []
    for route in all_routes(routes):
        path = getattr(route, "path", "?")
        if getattr(route, "dependant", None) is None and (
            path in FRAMEWORK_PUBLIC_PATHS
            or path == STATIC_PREFIX
            or path.startswith(STATIC_PREFIX + "/")
        ):
            continue
        if declared_permission(route) is None:
            methods = ",".join(sorted(getattr(route, "methods", None) or ["*"]))
            missing.append(f"{methods} {path}")
    return missing
