"""Complaints in the console: my work, the supervisor board, the intake form, a case's page
with only the actions its caller may take now, and each action's form.

Every read goes through the API's own functions (api/routes/complaints.py) with the signed-in
staff member, so the console sees exactly what the API lets them see (CP-07, CP-19); every
action sends the same step as ``POST /complaints/{id}/<step>`` (the same StepRoutes).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import exists, func, select

from api.deps import Offset, ResourcesDep, SessionDep, TemporalDep
from api.routes import complaints as api
from api.routes import projects as api_projects
from api.steps import HumanStep, Intake
from console.cases import Family, add_case_routes, created_id, form_of, idempotent
from console.forms import fields_of, parse
from console.render import DUE_SOON, PAGE_SIZE, page
from console.session import ConsoleStaff, CsrfChecked, SessionCookie
from models.clock import ClockOutcome
from models.complaint.messages import ComplaintCreate, StaffSurveyBody
from models.complaint.vocabulary import ComplaintStep, Severity, Status
from models.project.vocabulary import TERMINAL_STAGES, Stage
from models.staff import Staff
from storage import tables as t

router = APIRouter()

#: The steps the console offers on a case page, in the order of the work (the staff member
#: complained about answers CP-16's survey from their inbox, not from a case they cannot read).
ACTIONS = [s for s in ComplaintStep if s not in (ComplaintStep.staff_survey, ComplaintStep.change_terms)]


def _visible(staff: Staff) -> Any:
    """CP-19, CP-07: the API's list filter (the caller is a viewer, not the target). A viewer
    row is looked up for each case (its primary key) rather than joined: the lists then read
    the open cases from ``ix_complaint_open`` (migration 0012), however long the closed
    history, instead of every case the caller ever could read (bench/console_pages.py)."""
    viewer = t.CaseViewer
    return (
        select(t.Complaint)
        .where(exists().where(viewer.case_ref == t.Complaint.workflow_id, viewer.staff_id == staff.id))
        .where(func.coalesce(t.Complaint.target_staff_id, "") != staff.id)
    )


def _breached() -> Any:
    c = t.CaseClock
    return exists().where(
        c.case_ref == t.Complaint.workflow_id, c.outcome == ClockOutcome.breached.value, c.fulfilled_at.is_(None)
    )


def _filtered(q: Any, status: Status | None, severity: Severity | None, level: int | None, handler: str | None) -> Any:
    if status is not None:
        q = q.where(t.Complaint.status == status.value)
    if severity is not None:
        q = q.where(t.Complaint.severity == severity.value)
    if level is not None:
        q = q.where(t.Complaint.escalation_level == level)
    if handler:
        q = q.where(t.Complaint.handler_id == handler)
    return q


Level = Annotated[int | None, Query(ge=0, le=3)]


@router.get("/work", response_class=HTMLResponse)
async def my_work(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    db: SessionDep,
    status: Status | None = None,
    severity: Severity | None = None,
    level: Level = None,
    offset: Offset = 0,
) -> Response:
    """The open complaints the caller handles or received (their first responder), soonest due
    first; overdue, due within the hour and paused stand out; and the running projects the
    caller implements or whose review waits for the caller's role."""
    q = _visible(staff).where(
        t.Complaint.status != Status.closed.value,
        (t.Complaint.handler_id == staff.id) | (t.Complaint.first_responder_id == staff.id),
    )
    q = _filtered(q, status, severity, level, None)
    rows = list(
        await db.scalars(
            q.order_by(t.Complaint.next_due_at.is_(None), t.Complaint.next_due_at, t.Complaint.received_at)
            .limit(PAGE_SIZE + 1)
            .offset(offset)
        )
    )
    projects = [
        p
        for p in await api_projects.list_projects(
            staff, db, stage=None, implementer_id=None, flag=None, limit=200, offset=0
        )
        if Stage(p["stage"]) not in TERMINAL_STAGES
        and (staff.id in p["implementer_ids"] or p.get("review_waiting_for") == staff.role.value)
    ]
    return page(
        request,
        "work.html",
        session,
        staff,
        projects=projects,
        cases=[r.view for r in rows[:PAGE_SIZE]],
        more=len(rows) > PAGE_SIZE,
        offset=offset,
        filters={"status": status, "severity": severity, "level": level},
        statuses=[s.value for s in Status],
        severities=[s.value for s in Severity],
    )


@router.get("/board", response_class=HTMLResponse)
async def board(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    db: SessionDep,
    status: Status | None = None,
    severity: Severity | None = None,
    level: Level = None,
    handler: Annotated[str | None, Query(max_length=64)] = None,
    offset: Offset = 0,
) -> Response:
    """The supervisor board: the complaints the caller may read, not closed, by escalation
    level and by handler; those in breach and those due within the hour first. Its filters are
    in the query string: a board is shared by its URL."""
    now = datetime.now(UTC)
    base = _filtered(_visible(staff).where(t.Complaint.status != Status.closed.value), status, severity, level, handler)
    breached = list(await db.scalars(base.where(_breached()).order_by(t.Complaint.next_due_at).limit(PAGE_SIZE)))
    soon = list(
        await db.scalars(
            base.where(~_breached(), t.Complaint.next_due_at > now, t.Complaint.next_due_at <= now + DUE_SOON)
            .order_by(t.Complaint.next_due_at)
            .limit(PAGE_SIZE)
        )
    )
    sub = base.subquery()
    by_level: dict[int, int] = dict(
        (await db.execute(select(sub.c.escalation_level, func.count()).group_by(sub.c.escalation_level))).all()
    )
    by_handler = (
        await db.execute(
            select(sub.c.handler_id, func.count()).group_by(sub.c.handler_id).order_by(func.count().desc())
        )
    ).all()
    rows = list(
        await db.scalars(
            base.order_by(t.Complaint.escalation_level.desc(), t.Complaint.next_due_at)
            .limit(PAGE_SIZE + 1)
            .offset(offset)
        )
    )
    return page(
        request,
        "board.html",
        session,
        staff,
        breached=[r.view for r in breached],
        soon=[r.view for r in soon],
        by_level=by_level,
        by_handler=by_handler,
        cases=[r.view for r in rows[:PAGE_SIZE]],
        more=len(rows) > PAGE_SIZE,
        offset=offset,
        filters={"status": status, "severity": severity, "level": level, "handler": handler},
        statuses=[s.value for s in Status],
        severities=[s.value for s in Severity],
    )


# --- registering ----------------------------------------------------------------------------


def _intake_form(values: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"values": values or {}, "idem": secrets.token_urlsafe(16)}


@router.get("/complaints/new", response_class=HTMLResponse)
async def new_complaint(request: Request, staff: ConsoleStaff, session: SessionCookie) -> Response:
    return page(request, "complaint_new.html", session, staff, errors={}, **_intake_form())


def _nested(form: dict[str, list[str]]) -> dict[str, Any]:
    """``complainant.name`` → ``{"complainant": {"name": …}}``; empty fields left out."""
    out: dict[str, Any] = {}
    for key, values in form.items():
        if key in ("csrf_token", "idem") or not values or values[0].strip() == "":
            continue
        head, _, tail = key.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = values[0].strip()
        else:
            out[head] = values[0].strip()
    return out


@router.post("/complaints/new", response_class=HTMLResponse)
async def register(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    res: ResourcesDep,
    client: TemporalDep,
    _csrf: CsrfChecked,
) -> Response:
    form = await form_of(request)
    data = _nested(form)
    tz = ZoneInfo(res.complaint_policy().timezone)
    if "occurred_at" in data:
        try:
            data["occurred_at"] = datetime.fromisoformat(data["occurred_at"]).replace(tzinfo=tz).isoformat()
        except ValueError:
            pass  # the model names it
    try:
        body = ComplaintCreate.model_validate(data)
    except ValidationError as e:
        errors = {".".join(str(p) for p in err["loc"]): err["msg"] for err in e.errors()}
        return page(
            request,
            "complaint_new.html",
            session,
            staff,
            status_code=422,
            errors=errors,
            values=data,
            idem=form.get("idem", [""])[0],
        )
    idem = idempotent(res, staff, "/console/complaints/new", form.get("idem", [""])[0], repr(sorted(data.items())))
    intake = Intake(staff, res, client, idem, request.app.state.intake_wait_seconds)
    try:
        answer = await api.create_complaint(body, intake)
    except HTTPException as e:
        errors = {"_": str(e.detail)}
        return page(
            request,
            "complaint_new.html",
            session,
            staff,
            status_code=e.status_code,
            errors=errors,
            values=data,
            idem=form.get("idem", [""])[0],
        )
    cid = created_id(answer)
    return RedirectResponse(f"/console/complaints/{cid}?registered=1", status_code=303)


# --- a case ---------------------------------------------------------------------------------


COMPLAINTS = Family(
    prefix="complaints",
    template="complaint.html",
    steps=api.STEP_ROUTES,
    paths={s: api.STEP_ROUTES.paths[s] for s in ACTIONS},
    row=lambda db, cid, staff, res: api._visible_case(db, cid, staff),
    history=lambda db, cid, staff, res: api.complaint_history(cid, staff, db),
    clocks=lambda db, cid, staff, res: api.complaint_clocks(cid, staff, db),
    closed=lambda view: view["status"] == Status.closed.value,
    timezone=lambda res: res.complaint_policy().timezone,
)


# --- CP-16: the staff member complained about answers, seeing the result only -----------------


def _survey_form(values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"fields": fields_of(StaffSurveyBody, values, errors), "idem": secrets.token_urlsafe(16)}


@router.get("/complaints/{complaint_id}/staff-survey", response_class=HTMLResponse)
async def staff_survey_page(
    request: Request,
    complaint_id: str,
    staff: ConsoleStaff,
    session: SessionCookie,
    db: SessionDep,
    res: ResourcesDep,
    client: TemporalDep,
) -> Response:
    """CP-16, CP-07: the result (and nothing else of the case), and the answer's form; for the
    staff member complained about only, once the result is out (the API's own check)."""
    human = HumanStep(staff, res, db, client, idempotent(res, staff, "", "", ""))
    row = await api._case_of_target(human, complaint_id)
    return page(
        request,
        "staff_survey.html",
        session,
        staff,
        complaint_id=complaint_id,
        result=row.view.get("result"),
        error=None,
        **_survey_form(),
    )


@router.post("/complaints/{complaint_id}/staff-survey", response_class=HTMLResponse)
async def staff_survey(
    request: Request,
    complaint_id: str,
    staff: ConsoleStaff,
    session: SessionCookie,
    db: SessionDep,
    res: ResourcesDep,
    client: TemporalDep,
    _csrf: CsrfChecked,
) -> Response:
    """The same step as ``POST /complaints/{id}/staff-survey``."""
    form = await form_of(request)
    body, values, errors = parse(StaffSurveyBody, form, ZoneInfo(res.complaint_policy().timezone))
    path = f"/console/complaints/{complaint_id}/staff-survey"
    if not isinstance(body, StaffSurveyBody):
        human = HumanStep(staff, res, db, client, idempotent(res, staff, "", "", ""))
        row = await api._case_of_target(human, complaint_id)
        return page(
            request,
            "staff_survey.html",
            session,
            staff,
            status_code=422,
            complaint_id=complaint_id,
            result=row.view.get("result"),
            error=None,
            **_survey_form(values, errors),
        )
    idem = idempotent(res, staff, path, form.get("idem", [""])[0], repr(sorted(values.items())))
    await api.complaint_staff_survey(complaint_id, body, HumanStep(staff, res, db, client, idem))
    return RedirectResponse("/console/inbox?answered=1", status_code=303)


add_case_routes(router, COMPLAINTS)  # after the more specific routes above
