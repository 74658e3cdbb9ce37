"""The new-client development project API (ND rules), a router of the intake API.

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
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from models.policy import ProjectPolicy, load_project_policy
from models.project.guards import may_view
from models.project.messages import EmptyBody, ProjectCreate
from models.project.state import ProjectInput
from models.project.steps import STEPS
from models.project.views import ExpenseView, ProjectView
from models.project.vocabulary import GROUP_ROLES, Flag, ProjectStep, Stage
from models.staff import Directory, Role, Staff
from starter.api import (
    ERROR_STATUS,
    ERRORS,
    AppDep,
    AppState,
    CurrentStaff,
    EventOut,
    IdempotentDep,
    Problem,
    SessionDep,
    TemporalDep,
    Unprocessable,
    registered_or_accepted,
)
from starter.intake import new_complaint_id
from storage import tables as t
from workflows.project import ClientProjectWorkflow, project_workflow_id

log = structlog.get_logger()

PROJECT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": Problem, "description": "ND-13: not a project of yours, or not your step"},
    404: {"model": Problem, "description": "no such project"},
    422: {"model": Unprocessable, "description": "bad input, or (POST /client-projects) ND-01 ineligible"},
}

router = APIRouter(prefix="/client-projects", tags=["client projects"])

#: Each step's body type, read off its typed input in the steps table.
STEP_BODIES: dict[ProjectStep, Any] = {step: rule.input.model_fields["body"].annotation for step, rule in STEPS.items()}


class ProjectAccepted(BaseModel):
    """202: the application is started durably, not yet registered."""

    id: str
    workflow_id: str
    stage: Stage


class ExpenseDecisionOut(BaseModel):
    """What an expense decision answers: the expense only (finance decides reimbursements
    without seeing the project, ND-04 / ND-13)."""

    project_id: str
    stage: Stage
    expense: ExpenseView


# --- starting a project -------------------------------------------------------------------


def static_summary(inp: ProjectInput) -> str:
    """What the Temporal UI shows for the workflow."""
    return f"New client {inp.application.client_name} · {inp.application.product_line} · project {inp.id}"


def project_input(
    project_id: str,
    application: ProjectCreate,
    applicant: Staff,
    directory: Directory,
    policy: ProjectPolicy,
    history_limit: int | None = None,
) -> ProjectInput:
    implementers = []
    for sid in application.implementer_ids:
        s = directory.get(sid)
        if s is None:
            raise ValueError(f"implementer_ids: unknown staff {sid}")
        if s.role is not Role.staff:
            raise ValueError(f"implementer_ids: {sid} is not a sales staff member")
        implementers.append(s.ref)
    extra = {"history_limit": history_limit} if history_limit else {}
    return ProjectInput(
        id=project_id,
        application=application,
        applicant=applicant.ref,
        implementers=implementers,
        officers=directory.with_role(Role.review_group, Role.deputy_leader, Role.group_leader, Role.finance),
        policy=policy,
        **extra,
    )


async def start_project(client: Client, task_queue: str, inp: ProjectInput) -> ProjectView:
    """Start the workflow and wait until the application is written (update-with-start)."""
    op = WithStartWorkflowOperation(
        ClientProjectWorkflow.run,
        inp,
        id=project_workflow_id(inp.id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=static_summary(inp),
    )
    return await client.execute_update_with_start_workflow(
        ClientProjectWorkflow.registered_project, start_workflow_operation=op
    )


# --- reads --------------------------------------------------------------------------------


async def _visible_project(
    db: AsyncSession, project_id: str, staff: Staff, finance_may_act: bool = False
) -> t.ClientProject:
    row = await db.get(t.ClientProject, project_id)
    if row is None:
        raise HTTPException(404, f"project {project_id} not found")
    if not (may_view(staff.ref, row.implementer_ids) or (finance_may_act and staff.role is Role.finance)):
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
    responses={**PROJECT_ERRORS, 202: {"model": ProjectAccepted, "description": "accepted; registration still running"}},
    summary="Apply for a new-client development project (ND-01, ND-02)",
)
async def create_project(
    body: ProjectCreate, staff: CurrentStaff, st: AppDep, client: TemporalDep, idem: IdempotentDep
) -> Any:
    return await idem.answer(201, lambda: _apply(body, staff, st, client, idem.new_id(new_complaint_id)))


async def _apply(body: ProjectCreate, staff: Staff, st: AppState, client: Client, pid: str) -> Any:
    if not (staff.id in body.implementer_ids or staff.role in GROUP_ROLES):
        raise HTTPException(403, "ND-13: apply as one of the project's implementers")
    try:
        inp = project_input(pid, body, staff, st.directory, load_project_policy())
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    view = await registered_or_accepted(
        client, project_workflow_id(pid), start_project(client, st.settings.task_queue, inp), st.intake_wait_seconds
    )
    if view is None:  # started durably; no worker has checked the application yet
        return JSONResponse(
            status_code=202,
            content={"id": pid, "workflow_id": project_workflow_id(pid), "stage": Stage.under_review.value},
        )
    if view.stage is Stage.rejected:  # ND-01: refused with the reason (recorded by the workflow)
        log.info("project_refused", project=pid, applicant=staff.id)
        raise HTTPException(422, view.rejection_reason or "ND-01: ineligible")
    log.info("project_applied", project=pid, applicant=staff.id)
    return view


@router.get("", response_model=list[ProjectView], responses=PROJECT_ERRORS, summary="List the projects you may see (ND-13)")
async def list_projects(
    staff: CurrentStaff,
    db: SessionDep,
    stage: Stage | None = None,
    implementer_id: str | None = None,
    flag: Flag | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
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
    row = await _visible_project(db, project_id, staff)
    events = await db.scalars(
        select(t.CaseEvent).where(t.CaseEvent.case_ref == row.workflow_id).order_by(t.CaseEvent.seq)
    )
    return [EventOut(seq=e.seq, kind=e.kind, actor_id=e.actor_id, at=e.at, data=e.data) for e in events]


# --- human steps --------------------------------------------------------------------------


async def _take_step(
    step: ProjectStep,
    project_id: str,
    body: BaseModel,
    staff: Staff,
    db: AsyncSession,
    client: Client,
    expense_id: str | None = None,
    update_id: str | None = None,
) -> ProjectView:
    row = await _visible_project(db, project_id, staff, finance_may_act=step is ProjectStep.expense_decision)
    if row.stage in (Stage.completed.value, Stage.terminated.value, Stage.rejected.value):
        raise HTTPException(409, f"the project is {row.stage}")
    await db.close()  # do not hold a connection while the workflow works
    inp = STEPS[step].input(actor=staff.ref, body=body, expense_id=expense_id)
    handle = client.get_workflow_handle(row.workflow_id)  # no run id: the current run
    try:
        return await handle.execute_update(step.value, inp, id=update_id, result_type=ProjectView)
    except WorkflowUpdateFailedError as e:
        cause = e.cause
        if isinstance(cause, ApplicationError):
            raise HTTPException(ERROR_STATUS.get(cause.type or "", 409), cause.message) from None
        raise HTTPException(409, str(cause)) from None
    except RPCError as e:
        if e.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise HTTPException(409, "the project is closed") from None
        raise


def _step_route(step: ProjectStep, path: str, summary: str) -> None:
    body_type = STEP_BODIES[step]

    if step is ProjectStep.resume:

        async def endpoint(  # type: ignore[misc]
            project_id: str,
            staff: CurrentStaff,
            db: SessionDep,
            client: TemporalDep,
            idem: IdempotentDep,
            body: EmptyBody | None = None,
        ) -> Any:
            return await idem.answer(
                200, lambda: _take_step(step, project_id, body or EmptyBody(), staff, db, client, update_id=idem.update_id)
            )

    else:

        async def endpoint(  # type: ignore[misc]
            project_id: str,
            body: body_type,  # type: ignore[valid-type]
            staff: CurrentStaff,
            db: SessionDep,
            client: TemporalDep,
            idem: IdempotentDep,
        ) -> Any:
            return await idem.answer(
                200, lambda: _take_step(step, project_id, body, staff, db, client, update_id=idem.update_id)
            )

    endpoint.__name__ = f"project_{step.value}"
    router.add_api_route(
        f"/{{project_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=ProjectView,
        responses=PROJECT_ERRORS,
        summary=summary,
    )


for _step, _path, _summary in [
    (ProjectStep.review, "review", "Review the application: review group, then deputy leader, then leader (ND-02)"),
    (ProjectStep.budget, "budget", "Submit the budget, within 7 days of approval (ND-03)"),
    (ProjectStep.budget_decision, "budget/decision", "Decide the budget, in the chain's order (ND-03)"),
    (ProjectStep.expense, "expenses", "Claim a development expense against a budget line (ND-04)"),
    (ProjectStep.follow_up, "follow-ups", "Record a follow-up, at least every 30 days (ND-05, ND-06, ND-07)"),
    (ProjectStep.supply, "supply", "Record a month of supply (ND-11)"),
    (ProjectStep.study_decision, "study-decision", "Continue or terminate after the special study (ND-07)"),
    (ProjectStep.annual_report, "annual-report", "Submit the written annual report (ND-08)"),
    (ProjectStep.annual_report_decision, "annual-report/decision", "Evaluate / decide the annual review (ND-08)"),
    (ProjectStep.suspend, "suspend", "Suspend the project with a reason; its clocks stop (ND-09)"),
    (ProjectStep.resume, "resume", "Resume; every clock moves later by the time suspended (ND-09)"),
    (ProjectStep.terminate, "terminate", "Request a termination in writing (ND-10)"),
    (ProjectStep.terminate_decision, "terminate/decision", "The review group decides a termination (ND-10)"),
]:
    _step_route(_step, _path, _summary)


@router.post(
    "/{project_id}/expenses/{expense_id}/decision",
    response_model=ExpenseDecisionOut,
    responses=PROJECT_ERRORS,
    summary="Decide a reimbursement: deputy leader, then finance, then leader (ND-04)",
)
async def expense_decision(
    project_id: str,
    expense_id: str,
    body: STEP_BODIES[ProjectStep.expense_decision],  # type: ignore[valid-type]
    staff: CurrentStaff,
    db: SessionDep,
    client: TemporalDep,
    idem: IdempotentDep,
) -> Any:
    async def decide() -> ExpenseDecisionOut:
        view = await _take_step(
            ProjectStep.expense_decision, project_id, body, staff, db, client, expense_id, idem.update_id
        )
        decided = next(e for e in view.expenses if e.id == expense_id)
        return ExpenseDecisionOut(project_id=view.id, stage=view.stage, expense=decided)

    return await idem.answer(200, decide)

