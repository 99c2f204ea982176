"""A new record is one INSERT that answers with the row: a random MRN that is already taken
is drawn again (nothing half-written, no error), and a national id another record took
meanwhile is refused by name."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from openward.core.actors import Actor
from openward.db import session_scope
from openward.patients import registration
from openward.patients.errors import NationalIdTaken
from openward.patients.models import Patient


async def _create(db, **fields):
    return await registration.create(
        db,
        Actor.system("test"),
        given_name=fields.pop("given_name", "Ada"),
        family_name=fields.pop("family_name", "Lovelace"),
        date_of_birth=date(1985, 12, 10),
        sex="female",
        **fields,
    )


async def test_a_taken_mrn_is_drawn_again_and_the_record_is_written_once(app, monkeypatch):
    async with session_scope(app.state.sessionmaker) as db:
        first = await _create(db)
    drawn = iter([first.mrn, first.mrn, "7000000001"])
    monkeypatch.setattr(registration, "new_mrn", lambda: next(drawn))
    async with session_scope(app.state.sessionmaker) as db:
        second = await _create(db, given_name="Grace", family_name="Hopper")
    assert second.mrn == "7000000001" and second.id != first.id
    async with app.state.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Patient)) == 2


async def test_a_national_id_taken_in_between_is_refused_by_name(app, monkeypatch):
    async with session_scope(app.state.sessionmaker) as db:
        await _create(db, national_id="QQ123456C")
    # The check before the insert saw no owner (another desk took it in between).
    monkeypatch.setattr(registration, "_national_id_owner", _owner_only_the_second_time())
    with pytest.raises(NationalIdTaken):
        async with session_scope(app.state.sessionmaker) as db:
            await _create(db, given_name="Grace", national_id="QQ123456C")
    async with app.state.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Patient)) == 1


def _owner_only_the_second_time():
    calls = {"n": 0}

    async def owner(db, national_id, skip_id=0):
        calls["n"] += 1
        if calls["n"] == 1:
            return None
        return await db.scalar(select(Patient.id).where(Patient.national_id == national_id))

    return owner
