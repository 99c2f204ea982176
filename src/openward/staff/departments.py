"""Departments: creating, listing and editing them, with the count of active doctors."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.staff import schemas
from openward.staff.errors import DepartmentExists, DepartmentNotFound
from openward.staff.models import Department, Doctor


async def _doctor_counts(db: AsyncSession) -> dict[int, int]:
    rows = await db.execute(
        select(Doctor.department_id, func.count(Doctor.id))
        .where(Doctor.is_active)
        .group_by(Doctor.department_id)
    )
    return {dept_id: count for dept_id, count in rows.all()}


def department_out(department: Department, counts: dict[int, int]) -> schemas.DepartmentOut:
    out = schemas.DepartmentOut.model_validate(department)
    out.doctor_count = counts.get(department.id, 0)
    return out


async def _name_taken(db: AsyncSession, name: str, skip_id: int = 0) -> bool:
    found = await db.scalar(
        select(Department.id).where(
            func.lower(Department.name) == name.lower(), Department.id != skip_id
        )
    )
    return found is not None


async def create_department(
    db: AsyncSession, actor: Actor, data: schemas.DepartmentCreate
) -> schemas.DepartmentOut:
    if await _name_taken(db, data.name):
        raise DepartmentExists(field="name")
    department = Department(**data.model_dump())
    try:
        async with db.begin_nested():
            db.add(department)
            await db.flush()
    except IntegrityError:
        raise DepartmentExists(field="name") from None
    await audit.record(
        db,
        actor,
        "department.create",
        object_type="department",
        object_id=department.id,
        detail={"name": department.name},
    )
    return department_out(department, {})


async def get_department(db: AsyncSession, department_id: int) -> Department:
    department = await db.get(Department, department_id)
    if department is None:
        raise DepartmentNotFound()
    return department


async def department_detail(db: AsyncSession, department_id: int) -> schemas.DepartmentOut:
    return department_out(await get_department(db, department_id), await _doctor_counts(db))


async def list_departments(
    db: AsyncSession, *, include_inactive: bool = False
) -> list[schemas.DepartmentOut]:
    query = select(Department).order_by(Department.name)
    if not include_inactive:
        query = query.where(Department.is_active)
    counts = await _doctor_counts(db)
    return [department_out(d, counts) for d in await db.scalars(query)]


async def update_department(
    db: AsyncSession, actor: Actor, department_id: int, data: schemas.DepartmentUpdate
) -> schemas.DepartmentOut:
    department = await get_department(db, department_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") and await _name_taken(db, changes["name"], skip_id=department.id):
        raise DepartmentExists(field="name")
    changed = []
    for field, value in changes.items():
        if value is None and field in ("name", "is_active"):
            continue
        if getattr(department, field) != value:
            setattr(department, field, value)
            changed.append(field)
    await db.flush()
    await audit.record(
        db,
        actor,
        "department.update",
        object_type="department",
        object_id=department.id,
        detail={"fields": changed},
    )
    return department_out(department, await _doctor_counts(db))
