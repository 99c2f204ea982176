"""Images and documents kept with an imaging order: uploading, listing and opening them, each
checked and audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import audit
from openward.core.actors import Actor
from openward.core.errors import Conflict
from openward.db import utcnow
from openward.identity import service as identity_service
from openward.patients import minimum_necessary
from openward.radiology import images, schemas
from openward.radiology.errors import (
    AttachmentNotFound,
    EmptyFile,
    FileTooLarge,
    ReportNotVerified,
    UnsupportedFileType,
)
from openward.radiology.models import ImagingAttachment, ImagingOrder
from openward.radiology.orders import check_access, get, released, require_permission


class AttachmentOnCancelledOrder(Conflict):
    code = "order_cancelled"
    title = "Nothing can be attached to a cancelled order"


def attachment_out(attachment: ImagingAttachment, names: dict[int, str]) -> schemas.AttachmentOut:
    return schemas.AttachmentOut(
        id=attachment.id,
        order_id=attachment.order_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        sha256=attachment.sha256,
        uploaded_by=attachment.uploaded_by,
        uploaded_by_name=names.get(attachment.uploaded_by, ""),
        uploaded_at=attachment.uploaded_at,
        url=f"/api/v1/radiology/attachments/{attachment.id}",
        is_image=attachment.content_type in images.IMAGE_TYPES,
    )


async def present_attachments(
    db: AsyncSession, attachments: Sequence[ImagingAttachment], zone: ZoneInfo
) -> list[schemas.AttachmentOut]:
    names = await identity_service.full_names(db, {a.uploaded_by for a in attachments})
    out = []
    for a in attachments:
        shown = attachment_out(a, names)
        out.append(shown.model_copy(update={"uploaded_at": a.uploaded_at.astimezone(zone)}))
    return out


async def attach(
    db: AsyncSession,
    actor: Actor,
    order_id: int,
    *,
    source: BinaryIO,
    filename: str | None,
    media_dir: Path,
    max_bytes: int,
    now: datetime | None = None,
) -> ImagingAttachment:
    """Keep an image or document with the order: the type proved by its first bytes, the
    file under a random key in the media directory, its size and SHA-256 in the row."""
    require_permission(actor, "radiology:process")
    order = await get(db, order_id)
    await check_access(db, actor, order)
    if order.status == "cancelled":
        raise AttachmentOnCancelledOrder()
    try:
        stored = await anyio.to_thread.run_sync(images.store, source, media_dir, max_bytes)
    except images.TooLarge:
        raise FileTooLarge(
            f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB.",
            field="file",
        ) from None
    except images.Empty:
        raise EmptyFile(field="file") from None
    except images.Unrecognised:
        raise UnsupportedFileType(
            "The file is not a JPEG, PNG, PDF or DICOM file (checked by its content).",
            field="file",
        ) from None
    attachment = ImagingAttachment(
        order_id=order.id,
        filename=images.safe_filename(filename, stored.content_type),
        content_type=stored.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        uploaded_by=actor.id,
        uploaded_at=now or utcnow(),
    )
    try:
        async with db.begin_nested():
            db.add(attachment)
            await db.flush()
    except Exception:  # the row did not land: the file must not linger either
        images.remove(media_dir, stored.key)
        raise
    await audit.record(
        db,
        actor,
        "radiology.attachment_upload",
        object_type="imaging_attachment",
        object_id=attachment.id,
        patient_id=order.patient_id,
        detail={
            "order_id": order.id,
            "content_type": stored.content_type,
            "size": stored.size,
            "sha256": stored.sha256,
        },
    )
    return attachment


async def _images_allowed(db: AsyncSession, actor: Actor, order: ImagingOrder, action: str) -> None:
    """Images are clinical content (minimum necessary; a refusal is audited); patients see
    the images of their exam with the verified report, not before."""
    await minimum_necessary.require(
        db,
        actor,
        minimum_necessary.IMAGING,
        patient_id=order.patient_id,
        action=action,
        object_type="imaging_order",
        object_id=order.id,
    )
    if actor.role == "patient" and not released(order):
        raise ReportNotVerified("The images are shown with the verified report.")


async def list_attachments(
    db: AsyncSession, actor: Actor, order_id: int, *, break_glass_reason: str | None = None
) -> list[ImagingAttachment]:
    order = await get(db, order_id)
    await check_access(db, actor, order, break_glass_reason)
    await _images_allowed(db, actor, order, "radiology.attachment_list")
    rows = list(
        await db.scalars(
            select(ImagingAttachment)
            .where(ImagingAttachment.order_id == order.id)
            .order_by(ImagingAttachment.uploaded_at, ImagingAttachment.id)
        )
    )
    await audit.record(
        db,
        actor,
        "radiology.attachment_list",
        object_type="imaging_order",
        object_id=order.id,
        patient_id=order.patient_id,
        detail={"attachments": [a.id for a in rows]},
    )
    return rows


async def open_attachment(
    db: AsyncSession,
    actor: Actor,
    attachment_id: int,
    *,
    media_dir: Path,
    break_glass_reason: str | None = None,
) -> tuple[ImagingAttachment, Path]:
    """An attachment and the file to send, for someone who may see the patient; audited."""
    attachment = await db.get(ImagingAttachment, attachment_id)
    if attachment is None:
        raise AttachmentNotFound()
    order = await get(db, attachment.order_id)
    await check_access(db, actor, order, break_glass_reason)
    await _images_allowed(db, actor, order, "radiology.attachment_read")
    path = images.path_of(media_dir, attachment.storage_key)
    if not path.is_file():
        raise AttachmentNotFound("The file is missing from the media store.")
    await audit.record(
        db,
        actor,
        "radiology.attachment_read",
        object_type="imaging_attachment",
        object_id=attachment.id,
        patient_id=order.patient_id,
        detail={"order_id": order.id},
    )
    return attachment, path
