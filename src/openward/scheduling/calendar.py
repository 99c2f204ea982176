"""The calendar: a doctor's or a department's day or week, slot by slot: free, booked, checked
in, completed, a no-show, or the doctor on leave; outside the doctor's hours, nothing.

Who sees whose names: the front desk every patient's, a doctor their own patients' (another
doctor's visits show only that the time is taken); the names shown are audited as a list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import dates
from openward.core.actors import Actor
from openward.core.errors import PermissionDenied
from openward.db import utcnow
from openward.scheduling import timing
from openward.scheduling.access import FRONT_DESK, Shown, shown_columns
from openward.scheduling.errors import DoctorChoiceMissing
from openward.scheduling.lists import _audit_list
from openward.scheduling.models import Appointment
from openward.scheduling.slots import DayPlan, day_plans
from openward.staff import service as staff_service

VIEWS = ("day", "week")
# States a cell can be in, in the order the legend shows them.
STATES = ("free", "booked", "checked_in", "completed", "no_show", "leave", "past")


@dataclass(frozen=True)
class Cell:
    """One slot (or one visit) in a doctor's day, in the hospital's time."""

    start: datetime
    end: datetime
    state: str
    appointment_id: int | None = None
    patient_name: str = ""
    patient_mrn: str = ""
    overdue: bool = False

    @property
    def key(self) -> str:
        return f"{self.start:%H:%M}"


@dataclass(frozen=True)
class Column:
    """One doctor on one day."""

    doctor_id: int
    doctor_name: str
    department_name: str
    day: date
    cells: list[Cell]
    works: bool  # has hours that day (before leave)
    on_leave_all_day: bool

    def at(self, key: str) -> Cell | None:
        return next((c for c in self.cells if c.key == key), None)

    def count(self, state: str) -> int:
        return sum(1 for c in self.cells if c.state == state)


@dataclass(frozen=True)
class Calendar:
    view: str
    day: date
    days: list[date]
    today: date
    doctor_id: int | None
    department_id: int | None
    title: str
    doctors: list[tuple[int, str, str]]  # (id, name, department), in column order
    columns: list[Column] = field(default_factory=list)

    @property
    def previous(self) -> date:
        return self.day - timedelta(days=7 if self.view == "week" else 1)

    @property
    def next(self) -> date:
        return self.day + timedelta(days=7 if self.view == "week" else 1)

    def column(self, doctor_id: int, day: date) -> Column | None:
        return next((c for c in self.columns if c.doctor_id == doctor_id and c.day == day), None)

    @property
    def times(self) -> list[str]:
        """Every start time some column has a cell at, in order (the grid's rows)."""
        return sorted({cell.key for column in self.columns for cell in column.cells})


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


async def calendar(
    db: AsyncSession,
    actor: Actor,
    *,
    zone: ZoneInfo,
    day: date,
    view: str = "day",
    doctor_id: int | None = None,
    department_id: int | None = None,
    now: datetime | None = None,
) -> Calendar:
    """A doctor's (one column a day) or a department's (one column per doctor) day or week."""
    if actor.role == "patient":
        raise PermissionDenied("The calendar is for the clinic's staff.")
    if (doctor_id is None) == (department_id is None):
        raise DoctorChoiceMissing("Choose a doctor or a department.", field="doctor_id")
    view = view if view in VIEWS else "day"
    days = week_of(day) if view == "week" else [day]
    dates.check_day(days[0], field="date")
    dates.check_day(days[-1] + timedelta(days=1), field="date")
    now = now or utcnow()
    if doctor_id is not None:
        views = [await staff_service.doctor_view(db, doctor_id)]
        title = views[0].name
    else:
        assert department_id is not None
        department = await staff_service.get_department(db, department_id)
        views, _ = await staff_service.list_doctors(db, department_id=department_id, limit=200)
        title = department.name
    start, end = dates.day_bounds(days[0], days[-1], zone)
    ids = [v.doctor.id for v in views]
    rows = (
        await db.execute(
            select(Appointment, *shown_columns())
            .where(
                Appointment.doctor_id.in_(ids),
                Appointment.status != "cancelled",
                Appointment.start_at < end,
                Appointment.end_at > start,
            )
            .order_by(Appointment.start_at)
        )
    ).all()
    my_doctor_id = await staff_service.doctor_id_of(db, actor) if actor.role == "doctor" else None
    named = [row[0] for row in rows if actor.role in FRONT_DESK or row[0].doctor_id == my_doctor_id]
    await _audit_list(db, actor, named)
    named_ids = {a.id for a in named}
    columns = []
    for v in views:
        plans = await day_plans(db, v.doctor, days, zone)
        for d in days:
            visits = [
                (row[0], Shown.of(row[1:]))
                for row in rows
                if row[0].doctor_id == v.doctor.id and row[0].start_at.astimezone(zone).date() == d
            ]
            columns.append(
                Column(
                    doctor_id=v.doctor.id,
                    doctor_name=v.name,
                    department_name=v.department.name,
                    day=d,
                    cells=_cells(plans[d], v.doctor.slot_minutes, visits, named_ids, zone, now),
                    works=bool(plans[d].hours),
                    on_leave_all_day=plans[d].on_leave_all_day,
                )
            )
    return Calendar(
        view=view,
        day=day,
        days=days,
        today=now.astimezone(zone).date(),
        doctor_id=doctor_id,
        department_id=department_id,
        title=title,
        doctors=[(v.doctor.id, v.name, v.department.name) for v in views],
        columns=columns,
    )


def _cells(
    plan: DayPlan,
    slot_minutes: int,
    visits: list[tuple[Appointment, Shown]],
    named_ids: set[int],
    zone: ZoneInfo,
    now: datetime,
) -> list[Cell]:
    cells: list[Cell] = []
    for start, end in plan.slots:
        cells.append(
            Cell(start.astimezone(zone), end.astimezone(zone), "free" if start > now else "past")
        )
    bookable = set(plan.slots)
    for slot in staff_service.grid(plan.hours, slot_minutes):
        if slot not in bookable and plan.on_leave_at(slot):
            cells.append(Cell(slot[0].astimezone(zone), slot[1].astimezone(zone), "leave"))
    for appointment, shown in visits:
        begins, ends = appointment.start_at, appointment.end_at
        # A visit covers the slots it overlaps (free or past ones), whatever the grid says.
        cells = [
            c
            for c in cells
            if c.state not in ("free", "past") or not (c.start < ends and begins < c.end)
        ]
        visible = appointment.id in named_ids
        cells.append(
            Cell(
                begins.astimezone(zone),
                ends.astimezone(zone),
                appointment.status,
                appointment.id if visible else None,
                shown.patient_name if visible else "",
                shown.patient_mrn if visible else "",
                timing.is_overdue(appointment, now),
            )
        )
    cells.sort(key=lambda c: (c.start, c.state))
    return cells
