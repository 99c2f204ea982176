"""The laboratory as JSON: the catalogue, orders through their steps, results, trends and the
printed report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from openward.core.actors import Actor
from openward.core.params import BreakGlassReason, Offset, QueryId, RowId
from openward.core.pdf import pdf_response
from openward.identity.access import DB, require, settings_of
from openward.lab import catalogue as lab_catalogue
from openward.lab import orders as lab_orders
from openward.lab import results as lab_results
from openward.lab import schemas
from openward.lab import workflow as lab_workflow

router = APIRouter(prefix="/api/v1", tags=["lab"])

CatalogueReader = Annotated[Actor, require("lab:catalogue")]
Orderer = Annotated[Actor, require("lab:order")]
Reader = Annotated[Actor, require("lab:read")]
Lab = Annotated[Actor, require("lab:process")]
Acknowledger = Annotated[Actor, require("lab:acknowledge")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/lab/tests", response_model=schemas.LabTestList, summary="The test catalogue")
async def list_tests(actor: CatalogueReader, db: DB):
    items = await lab_catalogue.list_tests(db)
    return {"items": items, "total": len(items)}


@router.post(
    "/lab/orders",
    response_model=schemas.LabOrderOut,
    status_code=status.HTTP_201_CREATED,
    summary="Order tests (repeated codes count once; an unknown code is refused)",
)
async def create_order(
    data: schemas.LabOrderCreate,
    actor: Orderer,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    order = await lab_orders.create_order(db, actor, data, break_glass_reason=x_break_glass_reason)
    return await lab_results.detail(db, actor, order.id, break_glass_reason=x_break_glass_reason)


@router.get(
    "/lab/orders",
    response_model=schemas.LabOrderList,
    summary="Orders: the lab's worklist (stat, urgent, then oldest) or the reader's own",
)
async def list_orders(
    actor: Reader,
    db: DB,
    status: schemas.Status | None = None,
    patient_id: QueryId = None,
    priority: schemas.Priority | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    x_break_glass_reason: BreakGlassReason = None,
):
    rows, total = await lab_orders.list_orders(
        db,
        actor,
        status=status,
        patient_id=patient_id,
        priority=priority,
        limit=limit,
        offset=offset,
        break_glass_reason=x_break_glass_reason,
    )
    return {"items": await lab_orders.summaries(db, actor, rows), "total": total}


@router.get("/lab/orders/{order_id}", response_model=schemas.LabOrderOut)
async def get_order(
    order_id: RowId, actor: Reader, db: DB, x_break_glass_reason: BreakGlassReason = None
):
    return await lab_results.detail(db, actor, order_id, break_glass_reason=x_break_glass_reason)


@router.post(
    "/lab/orders/{order_id}/collect",
    response_model=schemas.LabOrderOut,
    summary="The specimen was collected (ordered -> collected)",
)
async def collect(order_id: RowId, actor: Lab, db: DB):
    await lab_workflow.collect(db, actor, order_id)
    return await lab_results.detail(db, actor, order_id)


@router.post(
    "/lab/orders/{order_id}/start",
    response_model=schemas.LabOrderOut,
    summary="Analysis started (collected -> in_progress)",
)
async def start(order_id: RowId, actor: Lab, db: DB):
    await lab_workflow.start(db, actor, order_id)
    return await lab_results.detail(db, actor, order_id)


@router.post(
    "/lab/orders/{order_id}/results",
    response_model=schemas.LabOrderOut,
    summary="Enter or correct values; the order is resulted once every analyte has one",
)
async def enter_results(order_id: RowId, data: schemas.ResultsIn, actor: Lab, db: DB):
    await lab_workflow.enter_results(db, actor, order_id, data.results)
    return await lab_results.detail(db, actor, order_id)


@router.post(
    "/lab/orders/{order_id}/verify",
    response_model=schemas.LabOrderOut,
    summary="Release the results to the doctor, and to the patient once acknowledged or after "
    "the release delay (resulted -> verified); 409 second_person_required for whoever "
    "entered them",
)
async def verify(order_id: RowId, request: Request, actor: Lab, db: DB):
    settings = settings_of(request)
    await lab_workflow.verify(
        db,
        actor,
        order_id,
        release_hours=settings.result_release_hours,
        allow_self_verification=settings.allow_self_verification,
    )
    return await lab_results.detail(db, actor, order_id)


@router.post(
    "/lab/orders/{order_id}/acknowledge",
    response_model=schemas.AcknowledgementOut,
    summary="The ordering doctor has seen the verified results (they reach the patient now)",
)
async def acknowledge(order_id: RowId, actor: Acknowledger, db: DB):
    order = await lab_workflow.acknowledge(db, actor, order_id)
    return await lab_results.acknowledgement(db, order)


@router.post(
    "/lab/orders/{order_id}/cancel",
    response_model=schemas.LabOrderOut,
    summary="Cancel with a reason (ordering staff or the lab; not once verified)",
)
async def cancel(order_id: RowId, data: schemas.CancelIn, actor: Reader, db: DB):
    await lab_workflow.cancel(db, actor, order_id, data.reason)
    return await lab_results.detail(db, actor, order_id)


@router.get(
    "/lab/orders/{order_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The lab report"}},
    summary="The verified report as PDF",
)
async def report_pdf(
    order_id: RowId,
    request: Request,
    actor: Reader,
    db: DB,
    x_break_glass_reason: BreakGlassReason = None,
):
    settings = settings_of(request)
    content, filename = await lab_results.report_pdf(
        db,
        actor,
        order_id,
        hospital_name=settings.hospital_name,
        zone=settings.zone,
        break_glass_reason=x_break_glass_reason,
    )
    return pdf_response(content, filename)


@router.get(
    "/patients/{patient_id}/lab-trends",
    response_model=schemas.LabTrend,
    summary="Earlier verified values of one analyte, oldest first",
)
async def lab_trends(
    patient_id: RowId,
    actor: Reader,
    db: DB,
    analyte: Annotated[str, Query(min_length=1, max_length=20)],
    x_break_glass_reason: BreakGlassReason = None,
):
    return await lab_results.trend(
        db, actor, patient_id, analyte, break_glass_reason=x_break_glass_reason
    )
