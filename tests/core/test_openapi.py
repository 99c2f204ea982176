"""/openapi.json is a contract: every /api/v1 route is in it, with the request body it takes."""

from __future__ import annotations

import typing
from collections import Counter

import httpx
import pytest
from pydantic import BaseModel

from openward.app import create_app
from openward.config import Settings
from openward.core.permissions import all_routes

ROLES = [
    "admin",
    "receptionist",
    "nurse",
    "doctor",
    "pharmacist",
    "lab_technician",
    "radiologist",
    "billing",
    "patient",
]


def _api_routes(app) -> list:
    return [
        route
        for route in all_routes(app.routes)
        if getattr(route, "path", "").startswith("/api/v1/")
    ]


def _body_model(route) -> type[BaseModel]:
    annotation = route.dependant.body_params[0].field_info.annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    raise AssertionError(f"{route.path}: no model in {annotation!r}")


# A doctor's account takes the doctor profile's fields beside the account's (issue 13).
DOCTOR_PROFILE = {
    "department_id",
    "specialization",
    "qualification",
    "experience_years",
    "consultation_fee",
    "license_number",
}


def _request_schema(document: dict, path: str, method: str) -> dict:
    """The component schema of an operation's JSON body (optional bodies included)."""
    body = document["paths"][path][method]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    refs = [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
    [ref] = [r for r in refs if r]
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """Building the document needs no database: one app (never connected) for the module."""
    path = tmp_path_factory.mktemp("openapi") / "unused.db"
    settings = Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{path}", secret_key="s" * 40
    )
    return create_app(settings)


@pytest.fixture(scope="module")
async def document(app) -> dict:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/openapi.json")
    await app.state.engine.dispose()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def test_openapi_lists_every_api_v1_route_and_method(document, app):
    routes = _api_routes(app)
    assert len(routes) >= 20
    missing = [
        f"{method} {route.path}"
        for route in routes
        for method in sorted(route.methods)
        if method.lower() not in document["paths"].get(route.path, {})
    ]
    assert missing == []


async def test_every_api_v1_route_with_a_body_documents_its_request_schema(document, app):
    with_body = [route for route in _api_routes(app) if route.dependant.body_params]
    assert {route.path for route in with_body} >= {
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/auth/register",
        "/api/v1/auth/register-staff",
        "/api/v1/auth/mfa",
        "/api/v1/auth/mfa/enable",
    }
    for route in with_body:
        for method in route.methods:
            content = document["paths"][route.path][method.lower()]["requestBody"]["content"]
            if "multipart/form-data" in content:  # an upload: the file part is documented
                ref = content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
                upload = document["components"]["schemas"][ref]
                assert upload["required"] == ["file"], route.path
                assert upload["properties"]["file"]["type"] == "string", route.path
                continue
            schema = _request_schema(document, route.path, method.lower())
            model = _body_model(route)
            fields = set(model.model_fields)
            if model.model_config.get("extra") == "allow":  # a role's profile fields beside
                fields |= DOCTOR_PROFILE
            assert set(schema.get("properties", {})) == fields, (method, route.path)


async def test_the_users_and_registration_bodies_are_documented_as_the_contract_says(document):

    create = _request_schema(document, "/api/v1/users", "post")
    doctor_profile = DOCTOR_PROFILE
    assert set(create["properties"]) == {
        "username",
        "password",
        "full_name",
        "email",
        "phone",
        "role",
        *doctor_profile,
    }
    assert set(create["required"]) == {"username", "password", "full_name", "role"}
    assert create["properties"]["role"]["enum"] == ROLES
    assert create["additionalProperties"] is False
    assert "required for role doctor" in create["properties"]["department_id"]["description"]

    patch = _request_schema(document, "/api/v1/users/{user_id}", "patch")
    assert set(patch["properties"]) == {
        "full_name",
        "email",
        "phone",
        "role",
        "password",
        *doctor_profile,
    }
    assert not patch.get("required")

    register = _request_schema(document, "/api/v1/auth/register", "post")
    assert set(register["properties"]) == {
        "username",
        "password",
        "full_name",
        "email",
        "phone",
        "date_of_birth",
        "sex",
        "mrn",
        "activation_code",
        "allergies",  # told online, they join the one allergy list (unconfirmed)
        "no_known_allergies",
    }
    assert register["properties"]["date_of_birth"]["format"] == "date"
    patient = _request_schema(document, "/api/v1/patients", "post")
    assert {"allergies", "no_known_allergies"} <= set(patient["properties"])
    assert "allergies_summary" not in patient["properties"]  # no free-text allergy summary
    assert "mrn" not in register["required"]  # only for a record the front desk made

    staff = _request_schema(document, "/api/v1/auth/register-staff", "post")
    assert set(staff["properties"]) == {
        "username",
        "password",
        "full_name",
        "email",
        "phone",
        "role",
    }
    assert set(staff["properties"]["role"]["enum"]) == set(ROLES) - {"admin", "patient"}

    mfa = _request_schema(document, "/api/v1/auth/mfa", "post")
    assert set(mfa["required"]) == {"mfa_token", "code"}
    enable = _request_schema(document, "/api/v1/auth/mfa/enable", "post")
    assert "code" in enable["required"]


async def test_documented_success_statuses_are_the_ones_returned(document):
    paths = document["paths"]
    assert "201" in paths["/api/v1/users"]["post"]["responses"]
    assert "201" in paths["/api/v1/auth/register"]["post"]["responses"]
    assert "202" in paths["/api/v1/auth/register-staff"]["post"]["responses"]
    assert "204" in paths["/api/v1/auth/logout"]["post"]["responses"]
    listed = paths["/api/v1/users"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"role", "q", "limit", "offset"}


async def test_every_operation_has_its_own_operation_id(document):
    """Client generators name a method after each operationId: duplicates break them."""
    ids = Counter(
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    )
    assert [name for name, count in ids.items() if count > 1] == []
