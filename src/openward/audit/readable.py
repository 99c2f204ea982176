"""The audit trail as a person reads it: a patient by their MRN, people, doctors and
departments by name, and each event's details as "key: value" text ("—" when empty), not
raw JSON. The domains that keep those names lend them through `NAMES`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import domains
from openward.core.audit import AuditEvent
from openward.identity import service as identity_service

# Extension point (core.domains.Domain.extends): async (db, wanted) -> {(kind, id): label},
# where `wanted` maps a kind ("patient", "doctor", "department") to the ids a page of the
# trail mentions; a domain answers for the kinds it keeps, in one query each, and leaves
# the others out. Patients label a patient by MRN; staff a doctor and a department by name.
NAMES = "audit.names"

EMPTY = "—"
# Detail keys holding the id of something with a name, and the kind of that something.
_ID_KEYS = {
    "user_id": "user",
    "doctor_user_id": "user",
    "reported_by": "user",
    "patient_id": "patient",
    "doctor_id": "doctor",
    "department_id": "department",
}
# Object types whose id names something with a name (the rest show as "Appointment #12").
_NAMED_OBJECTS = ("user", "patient", "doctor", "department")
# Where a named thing's page is, for a link from the trail.
_PAGES = {"user": "/admin/users/{}", "patient": "/patients/{}", "doctor": "/doctors/{}"}


@dataclass
class Named:
    """A thing the trail mentions: what to show, and its page when it has one."""

    text: str
    href: str | None = None
    kind: str = ""  # what it is ("User", "Appointment"), shown before it


@dataclass
class ReadableEvent:
    event: AuditEvent
    object: Named | None
    patient: Named | None
    details: list[tuple[str, str]] = field(default_factory=list)


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def _detail_of(event: AuditEvent) -> dict[str, Any]:
    if not event.detail:
        return {}
    try:
        detail = json.loads(event.detail)
    except ValueError:
        return {"detail": event.detail}
    return detail if isinstance(detail, dict) else {"detail": detail}


def _wanted(events: Sequence[AuditEvent]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.patient_id is not None:
            wanted.setdefault("patient", set()).add(event.patient_id)
        object_id = _as_id(event.object_id)
        if event.object_type in _NAMED_OBJECTS and object_id is not None:
            wanted.setdefault(event.object_type, set()).add(object_id)
        for key, value in _detail_of(event).items():
            kind = _ID_KEYS.get(key)
            ids = value if isinstance(value, list) else [value]
            for found in (_as_id(v) for v in ids):
                if kind and found is not None:
                    wanted.setdefault(kind, set()).add(found)
    return wanted


async def _names(db: AsyncSession, wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    names: dict[tuple[str, int], str] = {}
    users = await identity_service.full_names(db, wanted.get("user", ()))
    names.update({("user", user_id): name for user_id, name in users.items()})
    others = {kind: ids for kind, ids in wanted.items() if kind != "user" and ids}
    if others:
        for lend in domains.extensions(NAMES):
            names.update(await lend(db, others))
    return names


def _label(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def _text(value: Any) -> str:
    """A detail's value in words: lists joined, nested keys written out, nothing as "—"."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(str(k)).lower()}: {_text(v)}" for k, v in value.items())
    return str(value)


def _named(kind: str, thing_id: int, names: Mapping[tuple[str, int], str]) -> Named:
    page = _PAGES.get(kind)
    name = names.get((kind, thing_id))
    if name is None:
        return Named(f"#{thing_id}")
    return Named(name, page.format(thing_id) if page else None)


def _details(event: AuditEvent, names: Mapping[tuple[str, int], str]) -> list[tuple[str, str]]:
    rows = []
    for key, value in _detail_of(event).items():
        kind = _ID_KEYS.get(key)
        if kind:
            ids = value if isinstance(value, list) else [value]
            shown = [
                _named(kind, found, names).text if (found := _as_id(v)) is not None else _text(v)
                for v in ids
            ]
            rows.append((_label(key.removesuffix("_id")), ", ".join(shown) or EMPTY))
        else:
            rows.append((_label(key), _text(value)))
    return rows


async def readable(db: AsyncSession, events: Sequence[AuditEvent]) -> list[ReadableEvent]:
    """These events as the trail page shows them: every name found in one query per kind."""
    names = await _names(db, _wanted(events))
    shown = []
    for event in events:
        object_id = _as_id(event.object_id)
        thing: Named | None = None
        if event.object_type:
            if event.object_type in _NAMED_OBJECTS and object_id is not None:
                named = _named(event.object_type, object_id, names)
                thing = Named(named.text, named.href, _label(event.object_type))
            else:
                kind = _label(event.object_type.replace("_", " "))
                thing = Named(f"#{event.object_id}" if event.object_id else "", None, kind)
        patient = (
            _named("patient", event.patient_id, names) if event.patient_id is not None else None
        )
        shown.append(ReadableEvent(event, thing, patient, _details(event, names)))
    return shown
