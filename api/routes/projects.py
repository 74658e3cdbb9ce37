"""The new-client development projects (ND rules).

Reads come from the ``client_project`` projection the activities keep; human steps go to the
workflow as Temporal updates, whose validators refuse what is not allowed now (409) or not the
caller's to do (403) before anything is written. ND-13: a project is visible only to the review
group, the leaders and its implementers.
"""

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentStaff, HumanStepDep, IntakeDep, Offset, SessionDep
from api.errors import ERRORS
from api.schemas import ClockOut, EventOut, ExpenseDecisionOut, ExpenseOut, Problem, ProjectAccepted, Unprocessable
from api.step_routes import StepRoutes
from api.steps import HumanStep, Intake, clocks_of, history_of
from models.case import DecisionBody
from models.project.guards import may_reach
from models.project.messages import ExpenseBody, ProjectCreate
from models.project.steps import STEPS
from models.project.views import ProjectView
from models.project.vocabulary import GROUP_ROLES, TERMINAL_STAGES, Flag, ProjectStep, Stage
from models.staff import Staff
from starter.intake import PROJECT, new_case_id, project_input
from storage import tables as t
from workflows.project import ClientProjectWorkflow, project_workflow_id

log = structlog.get_logger()

PROJECT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": Problem, "description": "ND-13: not a project of yours, or not your step"},
    404: {"model": Problem, "description": "no such project"},
    422: {"model": Unprocessable, "description": "bad input: the field and the problem are named"},
}
#: the Location header of a 201
LOCATION = {"Location": {"description": "where to read what was created", "schema": {"type": "string"}}}

router = APIRouter(prefix="/client-projects", tags=["client projects"])


# --- reads --------------------------------------------------------------------------------


async def _visible_project(
    db: AsyncSession, project_id: str, staff: Staff, step: ProjectStep | None = None
) -> t.ClientProject:
    row = await db.get(t.ClientProject, project_id)
    if row is None:
        raise HTTPException(404, f"project {project_id} not found")
    if not may_reach(staff.ref, row.implementer_ids, step):
        raise HTTPException(403, "ND-13: a project is visible to the review group, the leaders and its implementers")
    return row


def _json_list_has(column: Any, value: str) -> Any:
    """A JSON list column holds ``value`` (portable: matched on its JSON text)."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f'%"{escaped}"%', escape="\\")


@router.post(
    "",
    status_code=201,
    response_model=ProjectView,
    responses={
        **PROJECT_ERRORS,
        201: {
            "description": "the project: under review, or (ND-01) refused as ineligible, kept in its rejected "
            "stage with refused true and the reason",
            "headers": LOCATION,
        },
        202: {"model": ProjectAccepted, "description": "accepted; registration still running"},
    },
    summary="Apply for a new-client development project (ND-01, ND-02)",
)
async def create_project(body: ProjectCreate, intake: IntakeDep) -> Any:
    return await intake.idem.answer(
        201,
        lambda: _apply(
            body, intake, intake.idem.new_id(lambda: new_case_id(timezone=intake.resources.project_policy().timezone))
        ),
        location=lambda p: f"/client-projects/{p['id']}",
    )


async def _apply(body: ProjectCreate, intake: Intake, pid: str) -> Any:
    res, staff = intake.resources, intake.staff
    if not (staff.id in body.implementer_ids or staff.role in GROUP_ROLES):
        raise HTTPException(403, "ND-13: apply as one of the project's implementers")
    try:
        inp = project_input(pid, body, staff, res.directory, res.project_policy())
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    accepted = {"id": pid, "workflow_id": project_workflow_id(pid), "stage": Stage.under_review.value}
    view = await intake.registered(PROJECT, inp, accepted)
    if isinstance(view, JSONResponse):  # started durably; no worker has checked the application yet
        return view
    if view.refused:  # ND-01: refused with the reason, and kept (the lists, GET and the inbox show it)
        log.info("project_refused", project=pid, applicant=staff.id)
    else:
        log.info("project_applied", project=pid, applicant=staff.id)
    return view


@router.get(
    "", response_model=list[ProjectView], responses=PROJECT_ERRORS, summary="List the projects you may see (ND-13)"
)
async def list_projects(
    staff: CurrentStaff,
    db: SessionDep,
    stage: Stage | None = None,
    implementer_id: str | None = None,
    flag: Flag | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Any:
    q = select(t.ClientProject.view)
    if staff.role not in GROUP_ROLES:
        q = q.where(_json_list_has(t.ClientProject.implementer_ids, staff.id))
    if stage is not None:
        q = q.where(t.ClientProject.stage == stage.value)
    if implementer_id is not None:
        q = q.where(_json_list_has(t.ClientProject.implementer_ids, implementer_id))
    if flag is not None:
        q = q.where(_json_list_has(t.ClientProject.flags, flag.value))
    rows = await db.scalars(q.order_by(t.ClientProject.created_at.desc()).limit(limit).offset(offset))
    return list(rows)


@router.get("/{project_id}", response_model=ProjectView, responses=PROJECT_ERRORS, summary="The project as it is now")
async def get_project(project_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return (await _visible_project(db, project_id, staff)).view


@router.get(
    "/{project_id}/history", response_model=list[EventOut], responses=PROJECT_ERRORS, summary="Every event, in order"
)
async def project_history(project_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return await history_of(db, await _visible_project(db, project_id, staff))


@router.get(
    "/{project_id}/clocks",
    response_model=list[ClockOut],
    responses=PROJECT_ERRORS,
    summary="Every run of every clock: due, suspensions, warnings, met or breached, lateness (issue 14)",
)
async def project_clocks(project_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return await clocks_of(db, await _visible_project(db, project_id, staff))


# --- human steps --------------------------------------------------------------------------


async def _open_project(human: HumanStep, project_id: str, step: ProjectStep) -> t.ClientProject:
    row = await _visible_project(human.db, project_id, human.staff, step)
    if Stage(row.stage) in TERMINAL_STAGES:
        raise HTTPException(409, f"the project is {row.stage}")
    return row


def _step_input(human: HumanStep, step: ProjectStep, body: BaseModel, extra: dict[str, Any]) -> BaseModel:
    """The step's typed update input (an expense decision names its expense)."""
    return STEPS[step].input(actor=human.staff.ref, body=body, expense_id=extra.get("expense_id"))


STEP_ROUTES = StepRoutes(
    router,
    STEPS,
    ClientProjectWorkflow,
    "project_id",
    "project",
    PROJECT_ERRORS,
    _open_project,
    _step_input,
    closed="the project is closed",
    optional_body={ProjectStep.resume, ProjectStep.confirm_completion},  # no body needed
)
STEP_ROUTES.add(
    [
        (ProjectStep.review, "review", "Review the application: review group, then deputy leader, then leader (ND-02)"),
        (ProjectStep.budget, "budget", "Submit the budget, within 7 days of approval (ND-03)"),
        (ProjectStep.budget_decision, "budget/decision", "Decide the budget, in the chain's order (ND-03)"),
        (ProjectStep.follow_up, "follow-ups", "Record a follow-up, at least every 30 days (ND-05, ND-06, ND-07)"),
        (ProjectStep.supply, "supply", "Record a month of supply; it counts at the line's batch amount (ND-08, ND-11)"),
        (
            ProjectStep.confirm_completion,
            "completion",
            "The deputy leader confirms completion once the supply meets the standard; the client goes to sales (ND-11)",
        ),
        (ProjectStep.study_decision, "study-decision", "Continue or terminate after the special study (ND-07)"),
        (ProjectStep.annual_report, "annual-report", "Submit the written annual report (ND-08)"),
        (ProjectStep.annual_report_decision, "annual-report/decision", "Evaluate / decide the annual review (ND-08)"),
        (ProjectStep.suspend, "suspend", "Suspend the project with a reason; its clocks stop (ND-09)"),
        (ProjectStep.resume, "resume", "Resume; every clock moves later by the time suspended (ND-09)"),
        (ProjectStep.terminate, "terminate", "Request a termination in writing (ND-10)"),
        (ProjectStep.terminate_decision, "terminate/decision", "The review group decides a termination (ND-10)"),
    ]
)


def _expense_out(view: ProjectView, expense_id: str) -> ExpenseOut:
    found = next(e for e in view.expenses if e.id == expense_id)
    return ExpenseOut(project_id=view.id, stage=view.stage, expense=found)


@router.post(
    "/{project_id}/expenses",
    status_code=201,
    response_model=ExpenseOut,
    responses={**PROJECT_ERRORS, 201: {"description": "the expense claimed", "headers": LOCATION}},
    summary="Claim a development expense against a budget line (ND-04); answers the expense",
)
async def project_expense(project_id: str, body: ExpenseBody, human: HumanStepDep) -> Any:
    async def claim() -> ExpenseOut:
        view = await STEP_ROUTES.take(ProjectStep.expense, project_id, body, human)
        return _expense_out(view, view.expenses[-1].id)  # the step's own: the view right after it

    return await human.idem.answer(
        201, claim, location=lambda out: f"/client-projects/{out['project_id']}/expenses/{out['expense']['id']}"
    )


@router.get(
    "/{project_id}/expenses/{expense_id}",
    response_model=ExpenseOut,
    responses={**PROJECT_ERRORS, 404: {"model": Problem, "description": "no such project or expense"}},
    summary="One expense of the project and where it stands (ND-04; visible as the project, ND-13)",
)
async def get_expense(project_id: str, expense_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    view = ProjectView.model_validate((await _visible_project(db, project_id, staff)).view)
    if not any(e.id == expense_id for e in view.expenses):
        raise HTTPException(404, f"project {project_id} has no expense {expense_id}")
    return _expense_out(view, expense_id)


@router.post(
    "/{project_id}/expenses/{expense_id}/decision",
    response_model=ExpenseDecisionOut,
    responses=PROJECT_ERRORS,
    summary="Decide a reimbursement: deputy leader, then finance, then leader (ND-04)",
)
async def expense_decision(
    project_id: str,
    expense_id: str,
    body: DecisionBody,
    human: HumanStepDep,
) -> Any:
    async def decide() -> ExpenseDecisionOut:
        view = await STEP_ROUTES.take(ProjectStep.expense_decision, project_id, body, human, expense_id=expense_id)
        out = _expense_out(view, expense_id)
        return ExpenseDecisionOut(project_id=out.project_id, stage=out.stage, expense=out.expense)

    return await human.idem.answer(200, decide)
