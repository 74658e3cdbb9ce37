"""The caller's inbox: their notifications, newest first, each linking to its case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import RowId, SessionDep
from api.routes import inbox as api_inbox
from console.render import console_path, page
from console.session import ConsoleStaff, CsrfChecked, SessionCookie

router = APIRouter()


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    db: SessionDep,
    unread: Annotated[bool, Query()] = False,
) -> Response:
    rows = await api_inbox.notifications(staff, db, limit=200, unread=unread)
    links = {n.id: console_path(n.case_ref) for n in rows}
    return page(request, "inbox.html", session, staff, notes=rows, links=links, unread=unread)


@router.post("/inbox/{notification_id}/read")
async def read(notification_id: RowId, staff: ConsoleStaff, db: SessionDep, _csrf: CsrfChecked) -> Response:
    await api_inbox.mark_read(notification_id, staff, db)
    return RedirectResponse("/console/inbox", status_code=303)
