"""The caller's inbox: their notifications, newest first, each linking to its case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import RowId, SessionDep
from api.routes import inbox as api_inbox
from console.render import console_path, page
from console.session import ConsoleStaff, CsrfChecked, SessionCookie
from models.complaint.steps import RESULT_FOR_STAFF

router = APIRouter()


def _link(case_ref: str, kind: str) -> str | None:
    """A notification's page: its case's, or (CP-16) the survey of the staff member complained
    about, who may not read the case (CP-07)."""
    if kind == RESULT_FOR_STAFF:
        return f"{console_path(case_ref)}/staff-survey"
    return console_path(case_ref)


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    db: SessionDep,
    unread: Annotated[bool, Query()] = False,
) -> Response:
    rows = await api_inbox.notifications(staff, db, limit=200, unread=unread)
    links = {n.id: _link(n.case_ref, n.kind) for n in rows}
    return page(request, "inbox.html", session, staff, notes=rows, links=links, unread=unread)


@router.post("/inbox/{notification_id}/read")
async def read(notification_id: RowId, staff: ConsoleStaff, db: SessionDep, _csrf: CsrfChecked) -> Response:
    await api_inbox.mark_read(notification_id, staff, db)
    return RedirectResponse("/console/inbox", status_code=303)
