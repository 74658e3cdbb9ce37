"""The inquiries (CC-06: an inquiry gets an answer within 24 hours).

``POST /inquiries`` registers one; the caller is its receiver, the first responder (首問制).
Reads come from the ``inquiry`` projection the activities keep; the steps (answer, assign) go
to the workflow as Temporal updates, whose validators refuse a step on an answered inquiry
(409) or by someone not allowed (403). An inquiry is visible to its receiver, its assignee and
the leaders above each of them (case_viewer), and to nobody else.
"""

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentStaff, IntakeDep, Offset, SessionDep
from api.errors import ERRORS
from api.schemas import ClockOut, EventOut, InquiryAccepted, Problem, Unprocessable
from api.step_routes import StepRoutes
from api.steps import HumanStep, Intake, clocks_of, history_of
from models.inquiry.messages import InquiryAssignBody, InquiryCreate
from models.inquiry.steps import STEPS
from models.inquiry.views import InquiryView
from models.inquiry.vocabulary import InquiryStatus, InquiryStep
from models.staff import Staff
from starter.intake import INQUIRY, inquiry_input, new_case_id
from storage import tables as t
from workflows.inquiry import InquiryWorkflow, inquiry_workflow_id

log = structlog.get_logger()

INQUIRY_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": Problem, "description": "CC-06: not an inquiry of yours (receiver, assignee, their leaders)"},
    404: {"model": Problem, "description": "no such inquiry"},
    409: {"model": Problem, "description": "CC-06: the inquiry was answered"},
    422: {"model": Unprocessable, "description": "bad input: the field and the problem are named"},
}
FORBIDDEN = "CC-06: an inquiry is visible to its receiver, its assignee and the leaders above them"
#: the Location header of a 201
LOCATION = {"Location": {"description": "where to read what was created", "schema": {"type": "string"}}}

router = APIRouter(prefix="/inquiries", tags=["inquiries"])


async def _is_viewer(db: AsyncSession, row: t.Inquiry, staff: Staff) -> bool:
    seen = await db.scalar(
        select(t.CaseViewer.staff_id).where(t.CaseViewer.case_ref == row.workflow_id, t.CaseViewer.staff_id == staff.id)
    )
    return seen is not None


async def _visible_inquiry(db: AsyncSession, inquiry_id: str, staff: Staff) -> t.Inquiry:
    row = await db.get(t.Inquiry, inquiry_id)
    if row is None:
        raise HTTPException(404, f"inquiry {inquiry_id} not found")
    if not await _is_viewer(db, row, staff):
        raise HTTPException(403, FORBIDDEN)
    return row


@router.post(
    "",
    status_code=201,
    response_model=InquiryView,
    responses={
        **INQUIRY_ERRORS,
        201: {"description": "the inquiry, its answer due within 24 hours (CC-06)", "headers": LOCATION},
        202: {"model": InquiryAccepted, "description": "accepted; registration still running"},
    },
    summary="Register a customer's inquiry; the caller is its receiver (CC-06)",
)
async def create_inquiry(body: InquiryCreate, intake: IntakeDep, db: SessionDep) -> Any:
    if body.customer_id is not None and await db.get(t.Customer, body.customer_id) is None:
        raise HTTPException(422, f"customer_id: unknown customer {body.customer_id}")
    await db.close()  # do not hold a connection while the workflow works
    return await intake.idem.answer(
        201,
        lambda: _register(
            body, intake, intake.idem.new_id(lambda: new_case_id(timezone=intake.resources.inquiry_policy().timezone))
        ),
        location=lambda q: f"/inquiries/{q['id']}",
    )


async def _register(body: InquiryCreate, intake: Intake, iid: str) -> Any:
    res, staff = intake.resources, intake.staff
    inp = inquiry_input(iid, body, staff, res.directory, res.inquiry_policy())
    accepted = {"id": iid, "workflow_id": inquiry_workflow_id(iid), "status": InquiryStatus.open.value}
    view = await intake.registered(INQUIRY, inp, accepted)
    if not isinstance(view, JSONResponse):
        log.info("inquiry_registered", inquiry=iid, receiver=staff.id)
    return view


@router.get(
    "", response_model=list[InquiryView], responses=INQUIRY_ERRORS, summary="List the inquiries you may see (CC-06)"
)
async def list_inquiries(
    staff: CurrentStaff,
    db: SessionDep,
    status: InquiryStatus | None = None,
    late: bool | None = None,
    receiver_id: str | None = None,
    customer_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Any:
    q = (
        select(t.Inquiry.view)
        .join(t.CaseViewer, t.CaseViewer.case_ref == t.Inquiry.workflow_id)
        .where(t.CaseViewer.staff_id == staff.id)
    )
    if status is not None:
        q = q.where(t.Inquiry.status == status.value)
    if late is not None:
        q = q.where(t.Inquiry.late.is_(late))
    if receiver_id is not None:
        q = q.where(t.Inquiry.receiver_id == receiver_id)
    if customer_id is not None:
        q = q.where(t.Inquiry.customer_id == customer_id)
    rows = await db.scalars(q.order_by(t.Inquiry.received_at.desc(), t.Inquiry.id).limit(limit).offset(offset))
    return list(rows)


@router.get("/{inquiry_id}", response_model=InquiryView, responses=INQUIRY_ERRORS, summary="The inquiry as it is now")
async def get_inquiry(inquiry_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return (await _visible_inquiry(db, inquiry_id, staff)).view


@router.get(
    "/{inquiry_id}/history", response_model=list[EventOut], responses=INQUIRY_ERRORS, summary="Every event, in order"
)
async def inquiry_history(inquiry_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return await history_of(db, await _visible_inquiry(db, inquiry_id, staff))


@router.get(
    "/{inquiry_id}/clocks",
    response_model=list[ClockOut],
    responses=INQUIRY_ERRORS,
    summary="The answer clock: due, warnings, met or breached, lateness (CC-06, issue 14)",
)
async def inquiry_clocks(inquiry_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return await clocks_of(db, await _visible_inquiry(db, inquiry_id, staff))


# --- human steps --------------------------------------------------------------------------


async def _open_inquiry(human: HumanStep, inquiry_id: str, step: InquiryStep) -> t.Inquiry:
    row = await _visible_inquiry(human.db, inquiry_id, human.staff)
    if row.status == InquiryStatus.answered.value:
        at = f" at {row.answered_at:%Y-%m-%d %H:%M} UTC" if row.answered_at else ""
        raise HTTPException(409, f"CC-06: the inquiry was answered{at}")
    return row


def _step_input(human: HumanStep, step: InquiryStep, body: BaseModel, extra: dict[str, Any]) -> BaseModel:
    """The step's typed update input; an assignment carries the assignee and the leaders above
    them (422 for an unknown staff member)."""
    inp = STEPS[step].input(actor=human.staff.ref, body=body)
    if isinstance(body, InquiryAssignBody):
        directory = human.resources.directory
        assignee = directory.get(body.assignee_id)
        if assignee is None:
            raise HTTPException(422, f"assignee_id: unknown staff {body.assignee_id}")
        inp.assignee, inp.assignee_chain = assignee.ref, directory.chain(assignee.id)
    return inp


STEP_ROUTES = StepRoutes(
    router,
    STEPS,
    InquiryWorkflow,
    "inquiry_id",
    "inquiry",
    INQUIRY_ERRORS,
    _open_inquiry,
    _step_input,
    closed="CC-06: the inquiry was answered",
)
STEP_ROUTES.add(
    [
        (InquiryStep.answer, "answer", "Answer the inquiry: the receiver, the assignee or a leader above them (CC-06)"),
        (InquiryStep.assign, "assign", "Hand the inquiry to another staff member to answer (CC-06)"),
    ]
)
