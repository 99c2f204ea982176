"""The whole role x permission matrix, and which roles reach each route, as files a reviewer
reads: both were written before the domains declared their own permissions (issue 11) and
must not change unless a change means to (then update the file in the same commit)."""

from __future__ import annotations

import difflib
from pathlib import Path

from openward.app import create_app
from openward.config import ROLES, Settings
from openward.core import permissions
from openward.core.permissions import PUBLIC, all_routes, declared_permission, has_permission

HERE = Path(__file__).parent


def _differences(expected_file: str, actual: str) -> str:
    expected = (HERE / expected_file).read_text()
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            expected_file,
            "this checkout",
        )
    )


def test_the_role_permission_matrix_is_the_one_on_file():
    actual = permissions.matrix_text()
    print(actual)  # the whole matrix, for `pytest -s`
    assert _differences("permission_matrix.txt", actual) == ""


def test_every_route_is_open_to_exactly_the_roles_on_file(tmp_path):
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/matrix.db",
        secret_key="s" * 40,
        log_level="WARNING",
    )
    rows = []
    for route in all_routes(create_app(settings).routes):
        permission = declared_permission(route)
        methods = ",".join(sorted(getattr(route, "methods", None) or ["*"]))
        if permission == PUBLIC:
            roles = "public"
        elif permission is None:
            roles = "-"
        else:
            roles = " ".join(role for role in ROLES if has_permission(role, permission))
        rows.append(f"{methods} {getattr(route, 'path', '?')} | {permission} | {roles}")
    assert _differences("route_role_matrix.txt", "\n".join(sorted(rows)) + "\n") == ""


def test_a_permission_granted_twice_or_to_an_unknown_role_stops_the_app():
    from openward.core.domains import Domain, permission_table

    twice = [
        Domain("a", permissions={"x:read": ("admin",)}),
        Domain("b", permissions={"x:read": ()}),
    ]
    try:
        permission_table(twice)
    except RuntimeError as exc:
        assert "x:read is declared by two domains" in str(exc)
    else:
        raise AssertionError("a permission declared by two domains was accepted")
    try:
        permission_table([Domain("c", permissions={"y:read": ("surgeon",)})])
    except RuntimeError as exc:
        assert "unknown roles ['surgeon']" in str(exc)
    else:
        raise AssertionError("an unknown role was accepted")


def test_domains_listed_higher_layers_first_are_refused_and_nothing_changes():
    from openward.app import DOMAINS
    from openward.core import domains
    from openward.core.domains import Domain

    before = domains.installed()
    try:
        domains.install([Domain("wards", layer=7), Domain("people", layer=1)])
    except RuntimeError as exc:
        assert "lower layers first" in str(exc)
    else:
        raise AssertionError("domains in the wrong order were installed")
    assert domains.installed() == before == tuple(DOMAINS)
