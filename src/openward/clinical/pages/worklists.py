"""The lists behind the clinical dashboard cards: encounters to sign, encounters of the last
7 days, and today's vital signs (all, mine, out of range)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from openward.clinical import worklists
from openward.clinical.pages._shared import EncounterWriter
from openward.core.actors import Actor
from openward.identity.access import DB, require, settings_of
from openward.web.templating import render

router = APIRouter(include_in_schema=False)

WardNurse = Annotated[Actor, require("vitals:ward")]


@router.get("/work/encounters")
async def encounters_worklist(
    request: Request,
    actor: EncounterWriter,
    db: DB,
    show: Annotated[str, Query(max_length=20)] = "to_sign",
):
    chosen = show if show in worklists.ENCOUNTER_LISTS else "to_sign"
    rows, total = await worklists.my_encounters(db, actor, chosen)
    return render(
        request,
        "clinical/worklist_encounters.html",
        {"rows": rows, "total": total, "show": chosen, "tabs": worklists.ENCOUNTER_LISTS},
    )


@router.get("/work/vital-signs")
async def vitals_worklist(
    request: Request,
    actor: WardNurse,
    db: DB,
    show: Annotated[str, Query(max_length=20)] = "flagged",
):
    chosen = show if show in worklists.VITALS_LISTS else "flagged"
    rows, total = await worklists.vitals_today(db, actor, chosen, zone=settings_of(request).zone)
    return render(
        request,
        "clinical/worklist_vitals.html",
        {"rows": rows, "total": total, "show": chosen, "tabs": worklists.VITALS_LISTS},
    )
