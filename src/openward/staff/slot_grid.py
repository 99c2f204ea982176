"""The slot grid: a doctor's working windows on one local day (the week's hours, plus extra
hours, minus leave), cut into whole slots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from openward.staff.models import AvailabilityException, Doctor, WeeklyHours

Window = tuple[datetime, datetime]


def _subtract(windows: list[Window], cut: Window) -> list[Window]:
    out: list[Window] = []
    for start, end in windows:
        if cut[1] <= start or end <= cut[0]:
            out.append((start, end))
            continue
        if start < cut[0]:
            out.append((start, cut[0]))
        if cut[1] < end:
            out.append((cut[1], end))
    return out


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def window_rows(doctor_id: int, day: date) -> list[Select[Any]]:
    """What the doctor's hours on one day are made of, as selects of (kind, start, end):
    the week's blocks ("week") and the day's exceptions ("extra", "leave"). A caller may
    send them in a union with its own rows of the same shape (see `windows_from`)."""
    week = select(literal("week").label("kind"), WeeklyHours.start, WeeklyHours.end).where(
        WeeklyHours.doctor_id == doctor_id, WeeklyHours.weekday == day.weekday()
    )
    exceptional = select(
        AvailabilityException.kind, AvailabilityException.start, AvailabilityException.end
    ).where(
        AvailabilityException.doctor_id == doctor_id,
        AvailabilityException.day == day,
        AvailabilityException.is_active,
    )
    return [week, exceptional]


async def working_windows(
    db: AsyncSession, doctor_id: int, day: date, zone: ZoneInfo
) -> list[Window]:
    """The doctor's hours on one local day: the week's blocks, plus extra hours, minus leave
    (the week's blocks and the day's exceptions read in one statement)."""
    rows = (await db.execute(union_all(*window_rows(doctor_id, day)))).all()
    return windows_from(rows, day, zone)


def windows_from(rows: Sequence[Any], day: date, zone: ZoneInfo) -> list[Window]:
    """The working windows the rows of `window_rows` make (rows of other kinds are ignored)."""
    windows = [(_at(day, r.start, zone), _at(day, r.end, zone)) for r in rows if r.kind == "week"]
    exceptions = [r for r in rows if r.kind in ("extra", "leave")]
    for extra in (e for e in exceptions if e.kind == "extra" and e.start and e.end):
        windows.append((_at(day, extra.start, zone), _at(day, extra.end, zone)))
    windows.sort()
    merged: list[Window] = []
    for start, end in windows:  # extra hours may touch or overlap the week's blocks
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    for leave in (e for e in exceptions if e.kind == "leave"):
        if leave.start is None or leave.end is None:
            return []
        merged = _subtract(merged, (_at(day, leave.start, zone), _at(day, leave.end, zone)))
    return merged


def grid(windows: list[Window], slot_minutes: int) -> list[Window]:
    """Whole slots from the start of each window; a remainder too short for a slot is unused."""
    step = timedelta(minutes=slot_minutes)
    slots: list[Window] = []
    for start, end in windows:
        cursor = start
        while cursor + step <= end:
            slots.append((cursor, cursor + step))
            cursor += step
    return slots


async def grid_slots(db: AsyncSession, doctor: Doctor, day: date, zone: ZoneInfo) -> list[Window]:
    return grid(await working_windows(db, doctor.id, day, zone), doctor.slot_minutes)
