"""Deliveries (issue 17): every e-mail and webhook call the steps gave, and how each went.

A manager or the general manager sees them all and may send a failed one again; anyone else
sees the mails addressed to them. Nothing here names an address or quotes a text.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from activities.delivery import start_deliveries
from api.deps import CurrentStaff, Offset, ResourcesDep, RowId, SessionDep, TemporalDep
from api.errors import ERRORS
from api.schemas import DeliveryOut
from models.delivery import DeliveryChannel, DeliveryStatus, sees_every_delivery
from models.staff import Staff
from storage import tables as t
from storage.outbox import DeliveryStart, summary_of

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


def _visible(staff: Staff) -> Any:
    if sees_every_delivery(staff.role):
        return True
    return (t.Delivery.recipient_kind == "staff") & (t.Delivery.recipient_id == staff.id)


@router.get("", response_model=list[DeliveryOut], responses=ERRORS, summary="Deliveries, newest first")
async def deliveries(
    staff: CurrentStaff,
    db: SessionDep,
    status: DeliveryStatus | None = None,
    channel: DeliveryChannel | None = None,
    case_ref: Annotated[str | None, Query(max_length=100, description="a case's workflow id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Any:
    query = select(t.Delivery).where(_visible(staff))
    if status is not None:
        query = query.where(t.Delivery.status == status.value)
    if channel is not None:
        query = query.where(t.Delivery.channel == channel.value)
    if case_ref is not None:
        query = query.where(t.Delivery.case_ref == case_ref)
    rows = await db.scalars(query.order_by(t.Delivery.id.desc()).limit(limit).offset(offset))
    return [DeliveryOut.model_validate(r, from_attributes=True) for r in rows]


async def _visible_one(delivery_id: RowId, staff: Staff, db: SessionDep) -> t.Delivery:
    row = await db.scalar(select(t.Delivery).where(t.Delivery.id == delivery_id, _visible(staff)))
    if row is None:
        raise HTTPException(404, "no such delivery, or not one of yours")
    return row


@router.get("/{delivery_id}", response_model=DeliveryOut, responses=ERRORS, summary="One delivery")
async def delivery(delivery_id: RowId, staff: CurrentStaff, db: SessionDep) -> Any:
    return DeliveryOut.model_validate(await _visible_one(delivery_id, staff, db), from_attributes=True)


@router.post(
    "/{delivery_id}/retry",
    response_model=DeliveryOut,
    responses=ERRORS,
    summary="Send a failed delivery again (a manager or the general manager)",
)
async def retry(delivery_id: RowId, staff: CurrentStaff, db: SessionDep, res: ResourcesDep, client: TemporalDep) -> Any:
    if not sees_every_delivery(staff.role):
        raise HTTPException(403, "only a manager or the general manager sends a delivery again")
    row = await _visible_one(delivery_id, staff, db)
    if row.status != DeliveryStatus.failed.value:
        raise HTTPException(409, f"delivery {delivery_id} is {row.status}: only a failed one is sent again")
    row.status, row.attempts, row.last_error = DeliveryStatus.pending.value, 0, None
    row.workflow_id, row.updated_at = f"delivery-{uuid.uuid4().hex}", datetime.now(UTC)
    start = DeliveryStart(
        row.id,
        row.workflow_id,
        DeliveryChannel(row.channel),
        summary_of({"channel": row.channel, "kind": row.kind, "case_ref": row.case_ref}),
    )
    out = DeliveryOut.model_validate(row, from_attributes=True)
    await db.commit()
    await start_deliveries(client, res.settings.task_queue, res.delivery_terms(), [start])
    return out
