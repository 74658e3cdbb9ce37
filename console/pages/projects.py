"""New-client development projects in the console (ND rules): the list the caller may see, the
application form, and a project's page with only the caller's actions (ND-13: the API's
visibility, through its own functions)."""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Offset, ResourcesDep, SessionDep, TemporalDep
from api.routes import projects as api
from api.steps import Intake
from console.cases import Family, ItemAction, add_case_routes, created_id, form_of, idempotent
from console.forms import fields_of, parse
from console.render import PAGE_SIZE, page
from console.session import ConsoleStaff, CsrfChecked, SessionCookie
from models.project.messages import ProjectCreate
from models.project.vocabulary import TERMINAL_STAGES, Flag, ProjectStep, Stage

router = APIRouter()

#: The actions a project page offers, with the API path of each (an expense's decision is an
#: action on each expense waiting for one: PROJECTS.item_actions).
PATHS = {**api.STEP_ROUTES.paths, ProjectStep.expense: "expenses"}


PROJECTS = Family(
    prefix="projects",
    template="project.html",
    steps=api.STEP_ROUTES,
    paths=PATHS,
    row=lambda db, pid, staff, res: api._visible_project(db, pid, staff),
    history=lambda db, pid, staff, res: api.project_history(pid, staff, db),
    clocks=lambda db, pid, staff, res: api.project_clocks(pid, staff, db),
    closed=lambda view: Stage(view["stage"]) in TERMINAL_STAGES,
    timezone=lambda res: res.project_policy().timezone,
    item_actions=[
        ItemAction(
            ProjectStep.expense_decision,
            "expense_id",
            lambda view: [
                (e["id"], f"{e['id']} · {e['line']} · {e['amount']} · {e['description']}")
                for e in view["expenses"]
                if e["status"] == "pending"
            ],
            lambda expense_id: f"expenses/{expense_id}/decision",
        )
    ],
)


@router.get("/projects", response_class=HTMLResponse)
async def projects(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    db: SessionDep,
    stage: Stage | None = None,
    flag: Flag | None = None,
    offset: Offset = 0,
) -> Response:
    rows = await api.list_projects(
        staff, db, stage=stage, implementer_id=None, flag=flag, limit=PAGE_SIZE + 1, offset=offset
    )
    return page(
        request,
        "projects.html",
        session,
        staff,
        projects=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        offset=offset,
        stage=stage,
        flag=flag,
        stages=[s.value for s in Stage],
        flags=[f.value for f in Flag],
    )


def _new_form(values: dict[str, Any] | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"fields": fields_of(ProjectCreate, values, errors), "idem": secrets.token_urlsafe(16)}


@router.get("/projects/new", response_class=HTMLResponse)
async def new_project(request: Request, staff: ConsoleStaff, session: SessionCookie) -> Response:
    return page(request, "project_new.html", session, staff, error=None, **_new_form({"implementer_ids": [staff.id]}))


@router.post("/projects/new", response_class=HTMLResponse)
async def apply(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    res: ResourcesDep,
    client: TemporalDep,
    _csrf: CsrfChecked,
) -> Response:
    """ND-01: the application, as POST /client-projects."""
    form = await form_of(request)
    body, values, errors = parse(ProjectCreate, form, ZoneInfo(res.project_policy().timezone))
    if not isinstance(body, ProjectCreate):
        return page(
            request, "project_new.html", session, staff, status_code=422, error=None, **_new_form(values, errors)
        )
    idem = idempotent(res, staff, "/console/projects/new", form.get("idem", [""])[0], repr(sorted(values.items())))
    intake = Intake(staff, res, client, idem, request.app.state.intake_wait_seconds)
    try:
        answer = await api.create_project(body, intake)
    except HTTPException as e:
        return page(
            request,
            "project_new.html",
            session,
            staff,
            status_code=e.status_code,
            error=str(e.detail),
            **_new_form(values),
        )
    pid = created_id(answer)
    return RedirectResponse(f"/console/projects/{pid}?registered=1", status_code=303)


add_case_routes(router, PROJECTS)  # after the more specific routes above
