"""The caller's inbox: the notifications the workflows sent to them."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import CurrentStaff, SessionDep
from api.errors import ERRORS
from api.schemas import NotificationOut
from storage import tables as t

router = APIRouter()


@router.get(
    "/notifications",
    response_model=list[NotificationOut],
    responses=ERRORS,
    tags=["notifications"],
    summary="The caller's inbox, newest first",
)
async def notifications(staff: CurrentStaff, db: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    rows = await db.scalars(
        select(t.Notification)
        .where(t.Notification.recipient_kind == "staff", t.Notification.recipient_id == staff.id)
        .order_by(t.Notification.id.desc())
        .limit(limit)
    )
    return [
        NotificationOut(
            id=n.id, case_ref=n.case_ref, kind=n.kind, message=n.message, channel=n.channel, created_at=n.created_at
        )
        for n in rows
    ]
