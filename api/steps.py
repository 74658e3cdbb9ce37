"""What every router's intake and step endpoints share.

An intake (``Intake``) starts the case's workflow and waits for its registration, or answers
202 when no worker registered it in time. A human step (``HumanStep``) looks up the case the
caller may act on, gives the database connection back, sends the step to the workflow as a
Temporal update (called by reference: the workflow's update method for the step, with the
step's typed input) and maps a refusal to its HTTP answer (api/errors.py); ``send_step`` is the
one place that sends a step."""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.workflow import UpdateMethodMultiParam

from api.errors import CLOSED_RUN, refusal_to_http
from api.idempotency import Idempotent
from api.schemas import ClockOut, EventOut
from infra.bootstrap import Resources
from models.staff import Staff
from starter.intake import CaseKind, In, register
from storage import tables as t

V = TypeVar("V")


class Case(Protocol):
    """A case's row in the read model (complaint, client_project)."""

    @property
    def workflow_id(self) -> str: ...


C = TypeVar("C", bound=Case)


async def send_step(
    client: Client,
    workflow_id: str,
    update: UpdateMethodMultiParam[[Any, Any], V],
    inp: BaseModel,
    update_id: str | None,
    closed: str,
) -> V:
    """The step's update on the workflow's current run, answered with the case as the workflow
    holds it after the step. Refused by the update's validator: the refusal's status
    (refusal_to_http); the run is over: 409 ``closed``."""
    handle = client.get_workflow_handle(workflow_id)  # no run id: the current run
    try:
        return await handle.execute_update(update, inp, id=update_id)
    except WorkflowUpdateFailedError as e:
        raise refusal_to_http(e) from None
    except RPCError as e:
        if e.status in CLOSED_RUN:
            raise HTTPException(409, closed) from None
        raise


async def history_of(db: AsyncSession, case: Case) -> list[EventOut]:
    """Every event of the case, in order (GET /complaints/{id}/history, /client-projects/…)."""
    events = await db.scalars(
        select(t.CaseEvent).where(t.CaseEvent.case_ref == case.workflow_id).order_by(t.CaseEvent.seq)
    )
    return [EventOut(seq=e.seq, kind=e.kind, actor_id=e.actor_id, at=e.at, data=e.data) for e in events]


async def clocks_of(db: AsyncSession, case: Case) -> list[ClockOut]:
    """Issue 14: every run of every clock of the case, in order (GET …/clocks)."""
    rows = await db.scalars(select(t.CaseClock).where(t.CaseClock.case_ref == case.workflow_id).order_by(t.CaseClock.n))
    return [
        ClockOut(
            clock=r.clock,
            started_at=r.started_at,
            allowed_seconds=r.allowed_seconds,
            due_at=r.due_at,
            outcome=r.outcome,
            pauses=r.pauses,
            warnings=r.warnings,
            ended_at=r.ended_at,
            fulfilled_at=r.fulfilled_at,
            used_seconds=r.used_seconds,
            lateness_seconds=r.lateness_seconds,
        )
        for r in rows
    ]


class HumanStep:
    """What a step endpoint needs (api.deps.HumanStepDep): the caller, the process's
    resources, the request's database session, the Temporal client and the Idempotency-Key."""

    def __init__(self, staff: Staff, resources: Resources, db: AsyncSession, client: Client, idem: Idempotent):
        self.staff, self.resources, self.db, self.client, self.idem = staff, resources, db, client, idem

    async def take(
        self,
        case: Callable[[], Awaitable[C]],
        step_input: Callable[[], BaseModel],
        update: UpdateMethodMultiParam[[Any, Any], V],
        closed: str,
    ) -> V:
        """``case()`` looks the case up (404, 403, or 409 when it no longer takes steps); the
        session is closed before the workflow works; ``step_input()`` builds the update's
        input (422 for an unknown staff member it names)."""
        row = await case()
        await self.db.close()  # do not hold a connection while the workflow works
        inp = step_input()
        return await send_step(self.client, row.workflow_id, update, inp, self.idem.update_id, closed)


class Intake:
    """What an intake endpoint needs (api.deps.IntakeDep): the caller, the process's resources,
    the Temporal client, the Idempotency-Key and how long to wait for the registration."""

    def __init__(self, staff: Staff, resources: Resources, client: Client, idem: Idempotent, wait: float):
        self.staff, self.resources, self.client, self.idem, self.wait = staff, resources, client, idem, wait

    async def registered(self, kind: CaseKind[In, V], inp: In, accepted: dict[str, Any]) -> V | JSONResponse:
        """The case once its workflow registered it (starter.intake.register), or 202 with
        ``accepted`` when it was started durably but no worker registered it in time."""
        view = await register(self.client, self.resources.settings.task_queue, kind, inp, self.wait)
        if view is None:  # started durably, registers as soon as a worker runs: accepted, not lost
            return JSONResponse(status_code=202, content=accepted)
        return view
