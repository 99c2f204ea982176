"""The test catalogue: tests with their analytes, default ranges and critical limits, and the
tests, analytes and ranges of one order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.lab import schemas
from openward.lab.flags import as_float
from openward.lab.models import LabAnalyte, LabOrderTest, LabReferenceRange, LabTest


async def _analytes_of(
    db: AsyncSession, test_ids: Sequence[int]
) -> tuple[dict[int, list[LabAnalyte]], dict[int, list[LabReferenceRange]]]:
    """Analytes per test and reference ranges per analyte: two queries for any number."""
    analytes: dict[int, list[LabAnalyte]] = defaultdict(list)
    ranges: dict[int, list[LabReferenceRange]] = defaultdict(list)
    if not test_ids:
        return analytes, ranges
    rows = await db.scalars(
        select(LabAnalyte)
        .where(LabAnalyte.test_id.in_(set(test_ids)))
        .order_by(LabAnalyte.test_id, LabAnalyte.position, LabAnalyte.id)
    )
    found = list(rows)
    for analyte in found:
        analytes[analyte.test_id].append(analyte)
    if found:
        for rng in await db.scalars(
            select(LabReferenceRange)
            .where(LabReferenceRange.analyte_id.in_([a.id for a in found]))
            .order_by(LabReferenceRange.id)
        ):
            ranges[rng.analyte_id].append(rng)
    return analytes, ranges


def _range_out(rng: LabReferenceRange) -> dict[str, Any]:
    return {
        "sex": rng.sex,
        "age_min_years": rng.age_min_years,
        "age_max_years": rng.age_max_years,
        "low": as_float(rng.low),
        "high": as_float(rng.high),
    }


async def list_tests(
    db: AsyncSession, *, include_inactive: bool = False
) -> list[schemas.LabTestOut]:
    """The catalogue with each test's analytes, default ranges and critical limits."""
    query = select(LabTest).order_by(LabTest.name)
    if not include_inactive:
        query = query.where(LabTest.is_active)
    tests = list(await db.scalars(query))
    analytes, ranges = await _analytes_of(db, [t.id for t in tests])
    return [
        schemas.LabTestOut(
            code=t.code,
            name=t.name,
            specimen=t.specimen,
            price=t.price,
            turnaround_hours=t.turnaround_hours,
            analytes=[
                schemas.AnalyteOut(
                    code=a.code,
                    name=a.name,
                    unit=a.unit,
                    low=as_float(a.low),
                    high=as_float(a.high),
                    critical_low=as_float(a.critical_low),
                    critical_high=as_float(a.critical_high),
                    normal_text=a.normal_text,
                    ranges=[_range_out(r) for r in ranges.get(a.id, [])],
                )
                for a in analytes.get(t.id, [])
            ],
        )
        for t in tests
    ]


async def order_analytes(
    db: AsyncSession, order_id: int
) -> tuple[
    list[tuple[LabTest, LabOrderTest]],
    dict[int, list[LabAnalyte]],
    dict[int, list[LabReferenceRange]],
]:
    rows = (
        await db.execute(
            select(LabTest, LabOrderTest)
            .join(LabOrderTest, LabOrderTest.test_id == LabTest.id)
            .where(LabOrderTest.order_id == order_id)
            .order_by(LabOrderTest.id)
        )
    ).all()
    tests = [(t, ot) for t, ot in rows]
    analytes, ranges = await _analytes_of(db, [t.id for t, _ in tests])
    return tests, analytes, ranges
