"""Every request body field has a bound: each text a maximum length (no longer than its
column), each list a maximum number of items; an over-long value is a 422 naming the field."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import httpx
from annotated_types import Le, Lt, MaxLen
from pydantic import EmailStr
from sqlalchemy import String

import openward
from openward.core.permissions import all_routes
from openward.core.schemas import InputModel
from openward.db import Base
from openward.models import load_all_models
from tests.conftest import bearer
from tests.web.pages import csrf_of, sign_in, text_of


def _input_models() -> list[type[InputModel]]:
    found: list[type[InputModel]] = []
    for module in pkgutil.walk_packages(openward.__path__, "openward."):
        if module.name.endswith(".schemas"):
            loaded = importlib.import_module(module.name)
            for _, cls in inspect.getmembers(loaded, inspect.isclass):
                if issubclass(cls, InputModel) and cls.__module__ == loaded.__name__:
                    found.append(cls)
    return found


def _unbounded(schema: dict[str, Any], path: str, out: list[str]) -> None:
    """Text without max_length (or a pattern) and lists without max_length, in a core schema."""
    kind = schema.get("type")
    if kind == "definitions":
        _unbounded(schema["schema"], path, out)
    elif kind in ("nullable", "default", "function-before", "function-after", "function-wrap"):
        if "schema" in schema:
            _unbounded(schema["schema"], path, out)
    elif kind == "str":
        if schema.get("max_length") is None and schema.get("pattern") is None:
            out.append(path)
    elif kind in ("list", "set", "frozenset"):
        if schema.get("max_length") is None:
            out.append(path)
        if isinstance(schema.get("items_schema"), dict):
            _unbounded(schema["items_schema"], path + "[]", out)
    elif kind == "dict":
        out.append(path)
    elif kind == "union":
        for choice in schema["choices"]:
            _unbounded(choice if isinstance(choice, dict) else choice[0], path, out)
    elif kind == "model":
        _unbounded(schema["schema"], path, out)
    elif kind == "model-fields":
        for name, field in schema["fields"].items():
            _unbounded(field["schema"], f"{path}.{name}", out)
    elif kind == "lax-or-strict":
        _unbounded(schema["strict_schema"], path, out)
    elif kind == "json-or-python":
        _unbounded(schema["python_schema"], path, out)
    elif kind == "chain":
        for step in schema["steps"]:
            _unbounded(step, path, out)


def _email_fields(cls: type[InputModel]) -> set[str]:
    # email-validator refuses addresses over 254 characters (the columns' length).
    return {
        f"{cls.__name__}.{name}"
        for name, field in cls.model_fields.items()
        if EmailStr in (field.annotation, *getattr(field.annotation, "__args__", ()))
    }


def test_every_text_and_list_of_every_input_schema_is_bounded():
    models = _input_models()
    assert len(models) > 50  # the walk found the schemas
    unbounded: list[str] = []
    for cls in models:
        found: list[str] = []
        _unbounded(cls.__pydantic_core_schema__, cls.__name__, found)
        unbounded += [path for path in found if path not in _email_fields(cls)]
    assert unbounded == []


# Fields whose namesake column is not where they are stored.
_STORED_ELSEWHERE = {
    "ReasonIn.reason": "doctors.deactivated_reason, 500 characters",
    # Looked up, never stored: the MRN as printed on the activation slip, separators too.
    "RegisterPatientIn.mrn": "patients.mrn holds the normalised 16-character form",
}


def test_no_input_field_takes_more_characters_than_its_column_holds():
    """Where a field and a column of the schema's own domain share a name, the field's
    maximum is at most the longest such column (so a long value is a 422, not a database
    error)."""
    load_all_models()
    columns: dict[tuple[str, str], int] = {}
    for mapper in Base.registry.mappers:
        domain = mapper.class_.__module__.split(".")[1]
        for column in mapper.local_table.columns:
            if isinstance(column.type, String) and column.type.length:
                key = (domain, column.name)
                columns[key] = max(columns.get(key, 0), column.type.length)
    too_long = []
    for cls in _input_models():
        domain = cls.__module__.split(".")[1]
        for name, field in cls.model_fields.items():
            limit = next((m.max_length for m in field.metadata if isinstance(m, MaxLen)), None)
            column = columns.get((domain, name))
            if f"{cls.__name__}.{name}" in _STORED_ELSEWHERE:
                continue
            if column is not None and limit is not None and limit > column:
                too_long.append(f"{cls.__name__}.{name}: {limit} > {column}")
    assert too_long == []


# ---------------------------------------------------------------- through HTTP


async def test_an_over_long_name_is_a_422_naming_the_field(client: httpx.AsyncClient, as_role):
    headers = await as_role("receptionist")
    response = await client.post(
        "/api/v1/patients",
        headers=headers,
        json={
            "given_name": "A" * 101,
            "family_name": "Haddad",
            "date_of_birth": "1980-02-03",
            "sex": "female",
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == ["given_name"]


async def test_an_over_long_mfa_token_is_a_422_not_work(client: httpx.AsyncClient):
    response = await client.post(
        "/api/v1/auth/mfa", json={"mfa_token": "x" * 100_000, "code": "123456"}
    )
    assert response.status_code == 422
    assert "mfa_token" in [e["field"] for e in response.json()["errors"]]


async def test_an_over_long_list_is_a_422_naming_the_list(client: httpx.AsyncClient, as_role):
    headers = await as_role("doctor")
    response = await client.post(
        "/api/v1/lab/orders",
        headers=headers,
        json={"patient_id": 1, "tests": ["CBC"] * 31},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["tests"]
    too_long_code = await client.post(
        "/api/v1/lab/orders", headers=headers, json={"patient_id": 1, "tests": ["C" * 5000]}
    )
    assert too_long_code.status_code == 422
    assert [e["field"] for e in too_long_code.json()["errors"]] == ["tests.0"]


async def test_a_page_deactivation_reason_over_the_column_is_a_message_not_a_500(
    client: httpx.AsyncClient, make_user
):
    """The admin page read the reason straight from the form: 600 characters reached a
    500-character column (a database error on PostgreSQL)."""
    admin = await make_user("admin")
    nurse = await make_user("nurse")
    await sign_in(client, admin.username)
    page = await client.get(f"/admin/users/{nurse.id}")
    response = await client.post(
        f"/admin/users/{nurse.id}/deactivate",
        data={"csrf_token": csrf_of(page.text), "reason": "r" * 600},
    )
    assert response.status_code == 303
    shown = text_of((await client.get(f"/admin/users/{nurse.id}")).text)
    assert "at most 500 characters" in shown
    listed = await client.get(
        f"/api/v1/users/{nurse.id}", headers=await bearer(client, admin.username)
    )
    assert listed.json()["is_active"] is True


async def test_a_page_field_longer_than_any_field_takes_is_refused(
    client: httpx.AsyncClient, make_user
):
    admin = await make_user("admin")
    nurse = await make_user("nurse")
    await sign_in(client, admin.username)
    page = await client.get(f"/admin/users/{nurse.id}")
    response = await client.post(
        f"/admin/users/{nurse.id}/deactivate",
        data={"csrf_token": csrf_of(page.text), "reason": "r" * 20_001},
    )
    assert response.status_code == 422
    assert "too long" in text_of(response.text)


def test_every_query_and_header_parameter_is_bounded(assembled_app):
    """Numbers have a maximum and text a maximum length (or a pattern), as in core/params."""

    def dependants(dependant):
        yield dependant
        for sub in dependant.dependencies:
            yield from dependants(sub)

    unbounded = set()
    for route in all_routes(assembled_app.routes):
        if getattr(route, "dependant", None) is None:
            continue
        for dependant in dependants(route.dependant):
            for param in dependant.query_params + dependant.header_params:
                kind, meta = str(param.field_info.annotation), param.field_info.metadata
                if "int" in kind and not any(isinstance(m, (Le, Lt)) for m in meta):
                    unbounded.add(f"{route.path} {param.name}")
                if "str" in kind and not any(
                    isinstance(m, MaxLen) or getattr(m, "pattern", None) for m in meta
                ):
                    unbounded.add(f"{route.path} {param.name}")
    assert sorted(unbounded) == []
