"""The caller's inbox: the notifications the workflows sent to them, and how they want each
kind of notification (issue 17: inbox, e-mail or both)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import delete, select

from api.deps import CurrentStaff, RowId, SessionDep, SettingsDep
from api.errors import ERRORS
from api.schemas import NotificationOut, NotificationPreferences, PreferencesBody
from infra.mail import subjects
from models.delivery import ANY_KIND, DeliveryMode
from models.staff import Staff
from storage import tables as t

router = APIRouter()


def _out(n: t.Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        case_ref=n.case_ref,
        kind=n.kind,
        message=n.message,
        channel=n.channel,
        created_at=n.created_at,
        read_at=n.read_at,
    )


@router.get(
    "/notifications",
    response_model=list[NotificationOut],
    responses=ERRORS,
    tags=["notifications"],
    summary="The caller's inbox, newest first",
)
async def notifications(
    staff: CurrentStaff,
    db: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    unread: Annotated[bool, Query(description="only those not read yet")] = False,
) -> Any:
    query = select(t.Notification).where(
        t.Notification.recipient_kind == "staff", t.Notification.recipient_id == staff.id
    )
    if unread:
        query = query.where(t.Notification.read_at.is_(None))
    rows = await db.scalars(query.order_by(t.Notification.id.desc()).limit(limit))
    return [_out(n) for n in rows]


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationOut,
    responses=ERRORS,
    tags=["notifications"],
    summary="Mark one of the caller's notifications read",
)
async def mark_read(notification_id: RowId, staff: CurrentStaff, db: SessionDep) -> Any:
    n = await db.get(t.Notification, notification_id)
    if n is None or n.recipient_kind != "staff" or n.recipient_id != staff.id:
        raise HTTPException(404, "no such notification in your inbox")
    if n.read_at is None:
        n.read_at = datetime.now(UTC)
        await db.commit()
    return _out(n)


async def _preferences(staff: Staff, db: SessionDep, settings: SettingsDep) -> NotificationPreferences:
    rows = await db.execute(
        select(t.NotificationPreference.kind, t.NotificationPreference.mode).where(
            t.NotificationPreference.staff_id == staff.id
        )
    )
    return NotificationPreferences(
        default=DeliveryMode(settings.notify_default_mode),
        email=bool(staff.email),
        mail_enabled=settings.mail_enabled,
        kinds={kind: DeliveryMode(mode) for kind, mode in rows},
    )


@router.get(
    "/me/notification-preferences",
    response_model=NotificationPreferences,
    responses=ERRORS,
    tags=["notifications"],
    summary="How the caller receives each kind of notification",
)
async def preferences(staff: CurrentStaff, db: SessionDep, settings: SettingsDep) -> Any:
    return await _preferences(staff, db, settings)


@router.put(
    "/me/notification-preferences",
    response_model=NotificationPreferences,
    responses=ERRORS,
    tags=["notifications"],
    summary="Choose inbox, email or both for kinds of notification",
)
async def choose(body: PreferencesBody, staff: CurrentStaff, db: SessionDep, settings: SettingsDep) -> Any:
    known = subjects()
    unknown = sorted(k for k in body.kinds if k != ANY_KIND and k not in known)
    if unknown:
        raise HTTPException(422, f"unknown notification kind: {', '.join(unknown)} (one of * or {', '.join(known)})")
    now = datetime.now(UTC)
    async with db.begin():
        await db.execute(
            delete(t.NotificationPreference).where(
                t.NotificationPreference.staff_id == staff.id, t.NotificationPreference.kind.in_(list(body.kinds))
            )
        )
        db.add_all(
            t.NotificationPreference(staff_id=staff.id, kind=kind, mode=mode.value, updated_at=now)
            for kind, mode in body.kinds.items()
            if mode is not None
        )
    return await _preferences(staff, db, settings)
