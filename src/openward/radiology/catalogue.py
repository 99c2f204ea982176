"""The imaging catalogue as it is read: modalities, exams and the exam an order names."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.radiology import schemas
from openward.radiology.errors import ExamNotFound
from openward.radiology.models import ImagingExam, Modality


def modality_label(code: str, name: str) -> str:
    """A modality as a choice reads: its name, with the code added only when the name does
    not already carry an abbreviation ("Computed tomography (CT)", "Ultrasound (US)")."""
    if "(" in name:
        return name
    return f"{name} ({code})"


async def list_modalities(db: AsyncSession) -> list[schemas.ModalityOut]:
    counts = dict(
        (
            await db.execute(
                select(ImagingExam.modality_id, func.count(ImagingExam.id))
                .where(ImagingExam.is_active)
                .group_by(ImagingExam.modality_id)
            )
        ).all()
    )
    rows = await db.scalars(select(Modality).where(Modality.is_active).order_by(Modality.name))
    return [
        schemas.ModalityOut(id=m.id, code=m.code, name=m.name, exams=int(counts.get(m.id, 0)))
        for m in rows
    ]


def exam_out(exam: ImagingExam, modality: Modality) -> schemas.ExamOut:
    return schemas.ExamOut(
        id=exam.id,
        code=exam.code,
        name=exam.name,
        modality_code=modality.code,
        modality_name=modality.name,
        body_part=exam.body_part,
        price=exam.price,
        duration_minutes=exam.duration_minutes,
        preparation=exam.preparation,
    )


async def list_exams(
    db: AsyncSession, *, modality: str | None = None, q: str | None = None
) -> list[schemas.ExamOut]:
    """Active exams by modality and name; `modality` is a DICOM code, `q` words of the name,
    code or body part."""
    query = (
        select(ImagingExam, Modality)
        .join(Modality, Modality.id == ImagingExam.modality_id)
        .where(ImagingExam.is_active, Modality.is_active)
    )
    if modality:
        query = query.where(Modality.code == modality.strip().upper())
    for word in (q or "").lower().split():
        query = query.where(
            or_(
                func.lower(ImagingExam.name).contains(word, autoescape=True),
                func.lower(ImagingExam.code).contains(word, autoescape=True),
                func.lower(func.coalesce(ImagingExam.body_part, "")).contains(
                    word, autoescape=True
                ),
            )
        )
    rows = await db.execute(query.order_by(Modality.name, ImagingExam.name))
    return [exam_out(exam, mod) for exam, mod in rows.all()]


async def find_exam(db: AsyncSession, data: schemas.OrderCreate) -> tuple[ImagingExam, Modality]:
    query = select(ImagingExam, Modality).join(Modality, Modality.id == ImagingExam.modality_id)
    if data.exam_code is not None:
        code = data.exam_code.strip().upper()
        row = (await db.execute(query.where(ImagingExam.code == code))).first()
        field, named = "exam_code", f"code {data.exam_code!r}"
    else:
        row = (await db.execute(query.where(ImagingExam.id == data.exam_id))).first()
        field, named = "exam_id", f"id {data.exam_id}"
    if row is None or not row[0].is_active or not row[1].is_active:
        raise ExamNotFound(f"There is no imaging exam with {named} in the catalogue.", field=field)
    return row[0], row[1]


async def exams_of(db: AsyncSession, exam_ids: set[int]) -> dict[int, tuple[ImagingExam, Modality]]:
    if not exam_ids:
        return {}
    rows = await db.execute(
        select(ImagingExam, Modality)
        .join(Modality, Modality.id == ImagingExam.modality_id)
        .where(ImagingExam.id.in_(exam_ids))
    )
    return {exam.id: (exam, modality) for exam, modality in rows.all()}
