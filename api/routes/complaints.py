"""The complaints: intake, reads, and the human steps (CP rules).

Reads come from the database projection the activities keep; human steps go to the workflow as
Temporal updates, whose validators refuse what is not allowed now (409) before anything is
written.
"""

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentStaff, HumanStepDep, IntakeDep, Offset, SessionDep
from api.errors import ERRORS
from api.schemas import ClockOut, ComplaintAccepted, EventOut, StaffSurveyOut
from api.step_routes import StepRoutes
from api.steps import HumanStep, Intake, clocks_of, history_of
from models.complaint.messages import AssignBody, ComplaintCreate, ComplaintStepInput, StaffSurveyBody
from models.complaint.steps import STEPS
from models.complaint.views import ComplaintView
from models.complaint.vocabulary import ComplaintStep, Severity, Status
from models.staff import Staff
from starter.intake import COMPLAINT, intake_input, new_case_id
from storage import tables as t
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id

log = structlog.get_logger()

router = APIRouter(prefix="/complaints", tags=["complaints"])


async def _visible_case(db: AsyncSession, complaint_id: str, staff: Staff) -> t.Complaint:
    row = await db.get(t.Complaint, complaint_id)
    if row is None:
        raise HTTPException(404, f"complaint {complaint_id} not found")
    if row.target_staff_id == staff.id:
        raise HTTPException(403, "CP-07: the staff member complained about cannot read it")
    if not await _is_viewer(db, row, staff):
        raise HTTPException(403, "CP-19: only the complaint's receiver, handler, investigator and their leaders")
    return row


@router.post(
    "",
    status_code=201,
    response_model=ComplaintView,
    responses={
        **ERRORS,
        202: {
            "model": ComplaintAccepted,
            "description": "accepted: registration still running, "
            "or the caller is the staff member complained about (CP-07: no case returned)",
        },
    },
    summary="Register a complaint (CP-01, CP-02, CP-03, CP-20)",
)
async def create_complaint(body: ComplaintCreate, intake: IntakeDep) -> Any:
    return await intake.idem.answer(
        201,
        lambda: _register(
            body, intake, intake.idem.new_id(lambda: new_case_id(timezone=intake.resources.complaint_policy().timezone))
        ),
    )


async def _register(body: ComplaintCreate, intake: Intake, cid: str) -> Any:
    res, staff = intake.resources, intake.staff
    if body.target.staff_id is not None and res.directory.get(body.target.staff_id) is None:
        raise HTTPException(422, f"target.staff_id: unknown staff {body.target.staff_id}")
    inp = intake_input(cid, body, staff, res.directory, res.complaint_policy())
    accepted = {"id": cid, "workflow_id": complaint_workflow_id(cid), "status": Status.received.value}
    view = await intake.registered(COMPLAINT, inp, accepted)
    if isinstance(view, JSONResponse):
        return view
    log.info("complaint_registered", complaint=cid, receiver=staff.id)
    if body.target.staff_id == staff.id:
        # CP-07: registered (nothing lost: the receiver's leaders see it), but the staff
        # member complained about never reads it, not even in this answer.
        return JSONResponse(status_code=202, content=accepted)
    return view


@router.get("", response_model=list[ComplaintView], responses=ERRORS, summary="List the complaints you may see")
async def list_complaints(
    staff: CurrentStaff,
    db: SessionDep,
    status: Status | None = None,
    severity: Severity | None = None,
    handler_id: str | None = None,
    escalation_level: Annotated[int | None, Query(ge=0, le=3)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Any:
    q = (
        select(t.Complaint.view)
        .join(t.CaseViewer, t.CaseViewer.case_ref == t.Complaint.workflow_id)
        .where(t.CaseViewer.staff_id == staff.id)
        .where(func.coalesce(t.Complaint.target_staff_id, "") != staff.id)
    )
    if status is not None:
        q = q.where(t.Complaint.status == status.value)
    if severity is not None:
        q = q.where(t.Complaint.severity == severity.value)
    if handler_id is not None:
        q = q.where(t.Complaint.handler_id == handler_id)
    if escalation_level is not None:
        q = q.where(t.Complaint.escalation_level == escalation_level)
    rows = await db.scalars(q.order_by(t.Complaint.received_at.desc()).limit(limit).offset(offset))
    return list(rows)


@router.get("/{complaint_id}", response_model=ComplaintView, responses=ERRORS, summary="The complaint as it is now")
async def get_complaint(complaint_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return (await _visible_case(db, complaint_id, staff)).view


@router.get("/{complaint_id}/history", response_model=list[EventOut], responses=ERRORS, summary="Every event, in order")
async def complaint_history(complaint_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return await history_of(db, await _visible_case(db, complaint_id, staff))


@router.get(
    "/{complaint_id}/clocks",
    response_model=list[ClockOut],
    responses=ERRORS,
    summary="Every run of every clock: due, pauses, warnings, met or breached, lateness (issue 14)",
)
async def complaint_clocks(complaint_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return await clocks_of(db, await _visible_case(db, complaint_id, staff))


# --- human steps --------------------------------------------------------------------------


async def _open_case(human: HumanStep, complaint_id: str, step: ComplaintStep) -> t.Complaint:
    if step is ComplaintStep.staff_survey:
        return await _case_of_target(human, complaint_id)
    row = await _visible_case(human.db, complaint_id, human.staff)
    if row.archived:
        raise HTTPException(409, "CP-17: the complaint is archived and read-only")
    return row


async def _case_of_target(human: HumanStep, complaint_id: str) -> t.Complaint:
    """CP-16: the staff member complained about reaches their case to answer the survey, and
    only once its result is out; anyone else is refused here (the workflow checks again).
    CP-07: they read nothing of it (StaffSurveyOut)."""
    row = await human.db.get(t.Complaint, complaint_id)
    if row is None:
        raise HTTPException(404, f"complaint {complaint_id} not found")
    if row.target_staff_id != human.staff.id:
        if row.target_staff_id is not None and await _is_viewer(human.db, row, human.staff):
            raise HTTPException(403, "CP-16: only the staff member complained about answers this survey")
        raise HTTPException(403, "CP-19: only the complaint's receiver, handler, investigator and their leaders")
    if row.archived or row.status != Status.resolved.value:
        raise HTTPException(403, "CP-07: the staff member complained about is asked once the result is out")
    return row


async def _is_viewer(db: AsyncSession, row: t.Complaint, staff: Staff) -> bool:
    seen = await db.scalar(
        select(t.CaseViewer.staff_id).where(t.CaseViewer.case_ref == row.workflow_id, t.CaseViewer.staff_id == staff.id)
    )
    return seen is not None


def _step_input(
    human: HumanStep, step: ComplaintStep, body: BaseModel, extra: dict[str, Any]
) -> ComplaintStepInput[Any]:
    """The step's typed update input; an assignment carries the chains of the staff it names
    (422 for an unknown one)."""
    directory = human.resources.directory
    inp = STEPS[step].input(actor=human.staff.ref, body=body)
    if isinstance(body, AssignBody):
        handler = directory.get(body.handler_id)
        if handler is None:
            raise HTTPException(422, f"handler_id: unknown staff {body.handler_id}")
        inp.handler, inp.handler_chain = handler.ref, directory.chain(handler.id)
        if body.investigator_id is not None:
            investigator = directory.get(body.investigator_id)
            if investigator is None:
                raise HTTPException(422, f"investigator_id: unknown staff {body.investigator_id}")
            inp.investigator, inp.investigator_chain = investigator.ref, directory.chain(investigator.id)
    return inp


STEP_ROUTES = StepRoutes(
    router,
    STEPS,
    ComplaintWorkflow,
    "complaint_id",
    "complaint",
    ERRORS,
    _open_case,
    _step_input,
    closed="the complaint is closed",
)
STEP_ROUTES.add(
    [
        (ComplaintStep.assign, "assign", "Assign a handler (and an investigator) (CP-07, CP-11, CP-20)"),
        (ComplaintStep.classify, "classify", "Category, validity and severity (CP-04, CP-05, CP-06, CP-10)"),
        (ComplaintStep.plan, "plan", "Record the handling plan (CP-08)"),
        (ComplaintStep.investigation, "investigation", "Record the investigation (CP-11)"),
        (ComplaintStep.escalate, "escalate", "Escalate one level up the ladder (CP-09)"),
        (ComplaintStep.compensation, "compensation", "Request a compensation (CP-12)"),
        (ComplaintStep.compensation_decision, "compensation/decision", "Approve or refuse a compensation (CP-12)"),
        (ComplaintStep.major_report, "major-report", "File the major-complaint report (CP-10)"),
        (ComplaintStep.resolve, "resolve", "Record the result sent to the complainant (CP-14, CP-15)"),
        (ComplaintStep.survey, "survey", "Record the satisfaction survey (CP-16)"),
        (
            ComplaintStep.wait_for_customer,
            "wait-for-customer",
            "Wait on the customer: the resolution clock stops (issue 14)",
        ),
        (ComplaintStep.resume, "resume", "The customer replied: the resolution clock runs again (issue 14)"),
    ]
)


@router.post(
    "/{complaint_id}/staff-survey",
    response_model=StaffSurveyOut,
    responses=ERRORS,
    summary="The staff member complained about accepts the result or not (CP-16; sees the result only, CP-07)",
)
async def complaint_staff_survey(complaint_id: str, body: StaffSurveyBody, human: HumanStepDep) -> Any:
    async def answer() -> StaffSurveyOut:
        view = await STEP_ROUTES.take(ComplaintStep.staff_survey, complaint_id, body, human)
        return StaffSurveyOut(complaint_id=view.id, status=view.status, result=view.result, accepted=body.satisfied)

    return await human.idem.answer(200, answer)
