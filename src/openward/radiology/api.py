"""Radiology as JSON: the catalogue, imaging orders through their steps, reports and images."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile, status
from fastapi.responses import FileResponse

from openward.core.actors import Actor
from openward.core.params import BreakGlassReason, Offset, QueryId, RowId
from openward.identity.access import DB, require, settings_of
from openward.radiology import attachments as radiology_attachments
from openward.radiology import catalogue as radiology_catalogue
from openward.radiology import orders as radiology_orders
from openward.radiology import schemas
from openward.radiology import workflow as radiology_workflow
from openward.radiology import worklist as radiology_worklist
from openward.radiology.uploads import LimitedUploadRoute

router = APIRouter(prefix="/api/v1/radiology", tags=["radiology"])
# Uploads stream through a route that stops an oversized body as it arrives.
upload_router = APIRouter(route_class=LimitedUploadRoute)

Catalogue = Annotated[Actor, require("radiology:catalogue")]
Reader = Annotated[Actor, require("radiology:read")]
Orderer = Annotated[Actor, require("radiology:order")]
Scheduler = Annotated[Actor, require("radiology:schedule")]
Radiologist = Annotated[Actor, require("radiology:process")]
Acknowledger = Annotated[Actor, require("radiology:acknowledge")]
Limit = Annotated[int, Query(ge=1, le=200)]
ATTACHMENT_ERRORS = {
    413: {"description": "The file is larger than settings.upload_max_mb (file_too_large)"},
    422: {"description": "Empty file or a type other than JPEG, PNG, PDF or DICOM"},
}


def _zone(request: Request):
    return settings_of(request).zone


async def _out(request: Request, db, actor: Actor, order) -> schemas.OrderOut:
    return await radiology_orders.present_one(db, actor, order, _zone(request))


# ---------------------------------------------------------------- catalogue


@router.get("/modalities", response_model=schemas.ModalityList)
async def modalities(actor: Catalogue, db: DB):
    items = await radiology_catalogue.list_modalities(db)
    return {"items": items, "total": len(items)}


@router.get("/exams", response_model=schemas.ExamList)
async def exams(
    actor: Catalogue,
    db: DB,
    modality: Annotated[
        str | None, Query(max_length=10, description="DICOM code: CT, MR...")
    ] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    items = await radiology_catalogue.list_exams(db, modality=modality, q=q)
    return {"items": items, "total": len(items)}


# ---------------------------------------------------------------- orders


@router.post(
    "/orders",
    response_model=schemas.OrderOut,
    status_code=status.HTTP_201_CREATED,
    summary="Order an imaging exam (doctors, nurses, the front desk)",
)
async def create_order(
    data: schemas.OrderCreate,
    request: Request,
    actor: Orderer,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    order = await radiology_orders.create_order(
        db, actor, data, break_glass_reason=x_break_glass_reason
    )
    return await _out(request, db, actor, order)


@router.get(
    "/orders",
    response_model=schemas.OrderList,
    summary="Imaging orders: stat first, then urgent, then by booked time or the oldest",
)
async def list_orders(
    request: Request,
    actor: Reader,
    db: DB,
    status: schemas.Status | None = None,
    patient_id: QueryId = None,
    modality: Annotated[str | None, Query(max_length=10)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    x_break_glass_reason: BreakGlassReason = None,
):
    rows, total = await radiology_worklist.list_orders(
        db,
        actor,
        status=status,
        patient_id=patient_id,
        modality=modality,
        break_glass_reason=x_break_glass_reason,
        limit=limit,
        offset=offset,
    )
    return {
        "items": await radiology_orders.present(db, actor, rows, _zone(request)),
        "total": total,
    }


@router.get("/orders/{order_id}", response_model=schemas.OrderOut)
async def get_order(
    order_id: RowId,
    request: Request,
    actor: Reader,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    order = await radiology_orders.get_for(
        db, actor, order_id, break_glass_reason=x_break_glass_reason
    )
    return await _out(request, db, actor, order)


@router.post(
    "/orders/{order_id}/schedule",
    response_model=schemas.OrderOut,
    summary="Book the exam's time (again while scheduled: reschedule)",
)
async def schedule(
    order_id: RowId, data: schemas.ScheduleIn, request: Request, actor: Scheduler, db: DB
):
    order = await radiology_workflow.schedule(
        db, actor, order_id, data.scheduled_at, zone=_zone(request)
    )
    return await _out(request, db, actor, order)


@router.post("/orders/{order_id}/perform", response_model=schemas.OrderOut)
async def perform(order_id: RowId, request: Request, actor: Radiologist, db: DB):
    order = await radiology_workflow.perform(db, actor, order_id)
    return await _out(request, db, actor, order)


@router.post(
    "/orders/{order_id}/report",
    response_model=schemas.OrderOut,
    summary="Write (or, before verification, rewrite) the report",
)
async def report(
    order_id: RowId, data: schemas.ReportIn, request: Request, actor: Radiologist, db: DB
):
    order = await radiology_workflow.report(db, actor, order_id, data)
    return await _out(request, db, actor, order)


@router.post(
    "/orders/{order_id}/verify",
    response_model=schemas.OrderOut,
    summary="Sign the report off (a second radiologist: 409 second_person_required for its "
    "author); the doctor reads it now, the patient once acknowledged or after the delay",
)
async def verify(order_id: RowId, request: Request, actor: Radiologist, db: DB):
    settings = settings_of(request)
    order = await radiology_workflow.verify(
        db,
        actor,
        order_id,
        release_hours=settings.result_release_hours,
        allow_self_verification=settings.allow_self_verification,
    )
    return await _out(request, db, actor, order)


@router.post(
    "/orders/{order_id}/acknowledge",
    response_model=schemas.AcknowledgementOut,
    summary="The requesting doctor has read the verified report (it reaches the patient now)",
)
async def acknowledge(order_id: RowId, actor: Acknowledger, db: DB):
    order = await radiology_workflow.acknowledge(db, actor, order_id)
    return await radiology_orders.acknowledgement(db, order)


@router.post(
    "/orders/{order_id}/cancel",
    response_model=schemas.OrderOut,
    summary="Cancel before the exam is performed",
)
async def cancel(order_id: RowId, data: schemas.CancelIn, request: Request, actor: Reader, db: DB):
    order = await radiology_workflow.cancel(db, actor, order_id, data.reason)
    return await _out(request, db, actor, order)


# ---------------------------------------------------------------- attachments


@upload_router.post(
    "/orders/{order_id}/attachments",
    response_model=schemas.AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Attach an image or document (JPEG, PNG, PDF, DICOM; type checked by content)",
    responses=ATTACHMENT_ERRORS,
)
async def upload(
    order_id: RowId,
    request: Request,
    actor: Radiologist,
    db: DB,
    file: Annotated[UploadFile, File(description="The image or document")],
):
    settings = settings_of(request)
    attachment = await radiology_attachments.attach(
        db,
        actor,
        order_id,
        source=file.file,
        filename=file.filename,
        media_dir=settings.media_dir,
        max_bytes=settings.upload_max_mb * 1024 * 1024,
    )
    shown = await radiology_attachments.present_attachments(db, [attachment], _zone(request))
    return shown[0]


router.include_router(upload_router)


@router.get("/orders/{order_id}/attachments", response_model=schemas.AttachmentList)
async def attachments(
    order_id: RowId,
    request: Request,
    actor: Reader,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    rows = await radiology_attachments.list_attachments(
        db, actor, order_id, break_glass_reason=x_break_glass_reason
    )
    items = await radiology_attachments.present_attachments(db, rows, _zone(request))
    return {"items": items, "total": len(items)}


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}},
    summary="Download an attachment (audited; patients only with the verified report)",
)
async def download(
    attachment_id: RowId,
    request: Request,
    actor: Reader,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    attachment, path = await radiology_attachments.open_attachment(
        db,
        actor,
        attachment_id,
        media_dir=settings_of(request).media_dir,
        break_glass_reason=x_break_glass_reason,
    )
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
