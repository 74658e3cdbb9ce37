"""The intake API (FastAPI). Its OpenAPI at /openapi.json is the reference.

Reads come from the database projection the activities keep; human steps go to the workflow as
Temporal updates, whose validators refuse what is not allowed now (409) before anything is
written.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.exc import DBAPIError
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from config import Settings, get_settings
from infra.logs import configure_logging
from infra.process import settle_heap
from infra.temporal import TemporalUnavailable, connect
from models.complaint import (
    STEP_BODIES,
    AssignBody,
    ComplaintCreate,
    ComplaintView,
    Severity,
    Status,
    Step,
    StepInput,
)
from models.policy import load_complaint_policy
from models.staff import Directory, Staff
from starter.idempotency import KEY_HEADER, Idempotent
from starter.intake import intake_input, new_complaint_id, start_complaint
from storage import tables as t
from storage.engine import make_engine, sessions
from workflows.complaint import workflow_id_for

log = structlog.get_logger()

T = TypeVar("T")

ERROR_STATUS = {"Conflict": 409, "Forbidden": 403, "Invalid": 422, "ReadOnly": 409}


class Problem(BaseModel):
    detail: str


class Unprocessable(BaseModel):
    """422: a sentence naming the problem, or FastAPI's list of field errors."""

    detail: str | list[dict[str, Any]]


class EventOut(BaseModel):
    seq: int
    kind: str
    actor_id: str | None
    at: datetime
    data: dict[str, Any]


class NotificationOut(BaseModel):
    id: int
    case_ref: str
    kind: str
    message: str
    channel: str | None
    created_at: datetime


class ComplaintAccepted(BaseModel):
    """202: the complaint is registered (or will be), without its content."""

    id: str
    workflow_id: str
    status: Status


class Health(BaseModel):
    api: str
    database: str
    temporal: str


# --- wiring -------------------------------------------------------------------------------


class AppState:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        engine: AsyncEngine,
        client: Client | None,
        intake_wait_seconds: float,
    ):
        self.settings = settings
        self.intake_wait_seconds = intake_wait_seconds
        self.directory = directory
        self.engine = engine
        self.sessions = sessions(engine)
        self.client = client


def app_state(request: Request) -> AppState:
    return request.app.state.app


async def db_session(st: Annotated[AppState, Depends(app_state)]) -> AsyncIterator[AsyncSession]:
    async with st.sessions() as session:
        yield session


async def temporal(st: Annotated[AppState, Depends(app_state)]) -> Client:
    if st.client is None:
        st.client = await connect(st.settings, timeout=5)  # TemporalUnavailable if it cannot
    return st.client


def current_staff(
    st: Annotated[AppState, Depends(app_state)],
    x_api_key: Annotated[str | None, Header(description="the caller's API key")] = None,
) -> Staff:
    staff = st.directory.authenticate(x_api_key)
    if staff is None:
        raise HTTPException(401, "missing or unknown X-API-Key", headers={"WWW-Authenticate": "X-API-Key"})
    return staff


AppDep = Annotated[AppState, Depends(app_state)]
SessionDep = Annotated[AsyncSession, Depends(db_session)]
TemporalDep = Annotated[Client, Depends(temporal)]
CurrentStaff = Annotated[Staff, Depends(current_staff)]


async def idempotent(
    request: Request, st: AppDep, staff: CurrentStaff, idempotency_key: Annotated[str | None, KEY_HEADER] = None
) -> Idempotent:
    """Every POST's ``Idempotency-Key`` (starter/idempotency.py)."""
    return await Idempotent.of(request, st.sessions, staff.id, idempotency_key)


IdempotentDep = Annotated[Idempotent, Depends(idempotent)]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no or unknown API key"},
    403: {"model": Problem, "description": "CP-07/CP-19: not yours to see or do"},
    404: {"model": Problem, "description": "no such complaint"},
    409: {"model": Problem, "description": "not allowed now (the reason says why)"},
    413: {"model": Problem, "description": "request body too large (the limit is named)"},
    422: {"model": Unprocessable, "description": "bad input: the field and the problem are named"},
    502: {"model": Problem, "description": "Temporal refused the request"},
    503: {"model": Problem, "description": "Temporal or the database is unavailable"},
}


# --- complaints ---------------------------------------------------------------------------

router = APIRouter(prefix="/complaints", tags=["complaints"])


async def _visible_case(db: AsyncSession, complaint_id: str, staff: Staff) -> t.Complaint:
    row = await db.get(t.Complaint, complaint_id)
    if row is None:
        raise HTTPException(404, f"complaint {complaint_id} not found")
    if row.target_staff_id == staff.id:
        raise HTTPException(403, "CP-07: the staff member complained about cannot read it")
    seen = await db.scalar(
        select(t.CaseViewer.staff_id).where(t.CaseViewer.case_ref == row.workflow_id, t.CaseViewer.staff_id == staff.id)
    )
    if seen is None:
        raise HTTPException(403, "CP-19: only the complaint's receiver, handler, investigator and their leaders")
    return row


@router.post(
    "",
    status_code=201,
    response_model=ComplaintView,
    responses={**ERRORS, 202: {"model": ComplaintAccepted, "description": "accepted: registration still running, "
                                  "or the caller is the staff member complained about (CP-07: no case returned)"}},
    summary="Register a complaint (CP-01, CP-02, CP-03, CP-20)",
)
async def create_complaint(
    body: ComplaintCreate, staff: CurrentStaff, st: AppDep, client: TemporalDep, idem: IdempotentDep
) -> Any:
    return await idem.answer(201, lambda: _register(body, staff, st, client, idem.new_id(new_complaint_id)))


async def started(client: Client, workflow_id: str) -> bool:
    """Whether the workflow exists."""
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as e:
        if e.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def registered_or_accepted(client: Client, workflow_id: str, start: Awaitable[T], wait: float) -> T | None:
    """Await an intake's update-with-start for at most ``wait`` seconds: the registered case,
    or None when the waiting stopped first (ours, or Temporal's) but the workflow exists, that
    is, was started durably and registers as soon as a worker runs (the caller answers 202).
    If it does not exist, nothing was started: 503, and a retry (with the same
    Idempotency-Key) is safe."""
    try:
        return await asyncio.wait_for(start, timeout=wait)
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
        if await started(client, workflow_id):
            return None
        raise TemporalUnavailable("the case was not started in time; retry with the same Idempotency-Key") from None


async def _register(body: ComplaintCreate, staff: Staff, st: AppState, client: Client, cid: str) -> Any:
    if body.target.staff_id is not None and st.directory.get(body.target.staff_id) is None:
        raise HTTPException(422, f"target.staff_id: unknown staff {body.target.staff_id}")
    inp = intake_input(cid, body, staff, st.directory, load_complaint_policy())
    view = await registered_or_accepted(
        client, workflow_id_for(cid), start_complaint(client, st.settings.task_queue, inp), st.intake_wait_seconds
    )
    if view is None:  # started durably; no worker has written the intake yet: accepted, not lost
        return JSONResponse(
            status_code=202,
            content={"id": cid, "workflow_id": workflow_id_for(cid), "status": Status.received.value},
        )
    log.info("complaint_registered", complaint=cid, receiver=staff.id)
    if body.target.staff_id == staff.id:
        # CP-07: registered (nothing lost: the receiver's leaders see it), but the staff
        # member complained about never reads it, not even in this answer.
        return JSONResponse(
            status_code=202,
            content={"id": cid, "workflow_id": workflow_id_for(cid), "status": Status.received.value},
        )
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
    offset: Annotated[int, Query(ge=0)] = 0,
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


@router.get(
    "/{complaint_id}/history", response_model=list[EventOut], responses=ERRORS, summary="Every event, in order"
)
async def complaint_history(complaint_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    row = await _visible_case(db, complaint_id, staff)
    events = await db.scalars(select(t.CaseEvent).where(t.CaseEvent.case_ref == row.workflow_id).order_by(t.CaseEvent.seq))
    return [EventOut(seq=e.seq, kind=e.kind, actor_id=e.actor_id, at=e.at, data=e.data) for e in events]


async def _take_step(
    step: Step,
    complaint_id: str,
    body: BaseModel,
    staff: Staff,
    st: AppState,
    db: AsyncSession,
    client: Client,
    update_id: str | None = None,
) -> Any:
    row = await _visible_case(db, complaint_id, staff)
    if row.archived:
        raise HTTPException(409, "CP-17: the complaint is archived and read-only")
    await db.close()  # do not hold a connection while the workflow works
    inp = StepInput(actor=staff.ref, body=body.model_dump(mode="json"))
    if isinstance(body, AssignBody):
        handler = st.directory.get(body.handler_id)
        if handler is None:
            raise HTTPException(422, f"handler_id: unknown staff {body.handler_id}")
        inp.handler, inp.handler_chain = handler.ref, st.directory.chain(handler.id)
        if body.investigator_id is not None:
            investigator = st.directory.get(body.investigator_id)
            if investigator is None:
                raise HTTPException(422, f"investigator_id: unknown staff {body.investigator_id}")
            inp.investigator, inp.investigator_chain = investigator.ref, st.directory.chain(investigator.id)
    handle = client.get_workflow_handle(row.workflow_id)
    try:
        return await handle.execute_update(step.value, inp, id=update_id, result_type=ComplaintView)
    except WorkflowUpdateFailedError as e:
        cause = e.cause
        if isinstance(cause, ApplicationError):
            raise HTTPException(ERROR_STATUS.get(cause.type or "", 409), cause.message) from None
        raise HTTPException(409, str(cause)) from None
    except RPCError as e:
        if e.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise HTTPException(409, "the complaint is closed") from None
        raise


def _step_route(step: Step, path: str, summary: str) -> None:
    body_type = STEP_BODIES[step]

    async def endpoint(
        complaint_id: str,
        body: body_type,  # type: ignore[valid-type]
        staff: CurrentStaff,
        st: AppDep,
        db: SessionDep,
        client: TemporalDep,
        idem: IdempotentDep,
    ) -> Any:
        return await idem.answer(
            200, lambda: _take_step(step, complaint_id, body, staff, st, db, client, idem.update_id)
        )

    endpoint.__name__ = f"complaint_{step.value}"
    router.add_api_route(
        f"/{{complaint_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=ComplaintView,
        responses=ERRORS,
        summary=summary,
    )


for _step, _path, _summary in [
    (Step.assign, "assign", "Assign a handler (and an investigator) (CP-07, CP-11, CP-20)"),
    (Step.classify, "classify", "Category, validity and severity (CP-04, CP-05, CP-06, CP-10)"),
    (Step.plan, "plan", "Record the handling plan (CP-08)"),
    (Step.investigation, "investigation", "Record the investigation (CP-11)"),
    (Step.escalate, "escalate", "Escalate one level up the ladder (CP-09)"),
    (Step.compensation, "compensation", "Request a compensation (CP-12)"),
    (Step.compensation_decision, "compensation/decision", "Approve or refuse a compensation (CP-12)"),
    (Step.major_report, "major-report", "File the major-complaint report (CP-10)"),
    (Step.resolve, "resolve", "Record the result sent to the complainant (CP-14, CP-15)"),
    (Step.survey, "survey", "Record the satisfaction survey (CP-16)"),
]:
    _step_route(_step, _path, _summary)


# --- inbox and health ---------------------------------------------------------------------

other = APIRouter()


@other.get("/notifications", response_model=list[NotificationOut], responses=ERRORS, tags=["notifications"],
           summary="The caller's inbox, newest first")
async def notifications(
    staff: CurrentStaff, db: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> Any:
    rows = await db.scalars(
        select(t.Notification)
        .where(t.Notification.recipient_kind == "staff", t.Notification.recipient_id == staff.id)
        .order_by(t.Notification.id.desc())
        .limit(limit)
    )
    return [
        NotificationOut(id=n.id, case_ref=n.case_ref, kind=n.kind, message=n.message, channel=n.channel, created_at=n.created_at)
        for n in rows
    ]


@other.get("/health", response_model=Health, responses={503: {"model": Health}}, tags=["health"],
           summary="200 when the API, the database and Temporal all answer")
async def health(st: AppDep) -> Any:
    out = {"api": "ok", "database": "ok", "temporal": "ok"}
    try:
        async with st.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=3)
    except Exception as e:  # noqa: BLE001
        out["database"] = f"unavailable: {type(e).__name__}"
    try:
        client = await temporal(st)
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
    except Exception as e:  # noqa: BLE001
        out["temporal"] = f"unavailable: {type(e).__name__}"
    code = 200 if all(v == "ok" for v in out.values()) else 503
    return JSONResponse(status_code=code, content=out)


# --- the app ------------------------------------------------------------------------------


def create_app(
    settings: Settings | None = None,
    client: Client | None = None,
    directory: Directory | None = None,
    intake_wait_seconds: float | None = None,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.app = AppState(
            settings, directory or Directory.from_file(settings.staff_file), engine, client,
            settings.intake_wait_seconds if intake_wait_seconds is None else intake_wait_seconds,
        )
        yield
        await engine.dispose()

    app = FastAPI(
        title="Customer department workflows",
        version="0.1.0",
        description="Complaints as durable Temporal workflows. Every request carries X-API-Key.",
        lifespan=lifespan,
    )
    app.include_router(router)
    app.include_router(other)
    from starter.projects import router as projects_router  # imports this module: here, not on top

    app.include_router(projects_router)
    from starter.codec import BodyLimit, CodecCORS, router as codec_router

    app.include_router(codec_router)
    app.add_middleware(CodecCORS, origins=settings.codec_cors_origins)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, codec_limit=max(settings.max_body_bytes, settings.max_codec_body_bytes))

    @app.exception_handler(TemporalUnavailable)
    async def _temporal_down(_: Request, exc: TemporalUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": f"Temporal is unavailable: {exc}"})

    @app.exception_handler(DBAPIError)
    async def _database_down(_: Request, exc: DBAPIError) -> JSONResponse:
        log.error("database_error", error=type(exc.orig).__name__)
        return JSONResponse(status_code=503, content={"detail": "the database is unavailable"})

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timeout(_: Request, exc: WorkflowUpdateRPCTimeoutOrCancelledError) -> JSONResponse:
        return JSONResponse(
            status_code=503, content={"detail": "no worker answered in time; the step was not confirmed"}
        )

    @app.exception_handler(RPCError)
    async def _rpc_error(_: Request, exc: RPCError) -> JSONResponse:
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return JSONResponse(status_code=503, content={"detail": f"Temporal is unavailable: {exc.message}"})
        log.error("temporal_rpc_error", status=str(exc.status), message=exc.message)
        return JSONResponse(status_code=502, content={"detail": f"Temporal refused the request: {exc.message}"})

    return app


def main() -> None:
    import uvicorn

    settings = get_settings()
    configure_logging(settings)
    app = create_app(settings)
    settle_heap(settings)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="warning")


if __name__ == "__main__":
    main()
