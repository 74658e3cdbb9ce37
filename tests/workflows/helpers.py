"""Helpers for the ComplaintWorkflow tests on the time-skipping server: intake and step inputs
built from the demo staff file, starting a case, polling its state, and reading what the
activities wrote to the database."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from models.complaint.messages import ComplaintCreate, ComplaintInput
from models.complaint.views import ComplaintView
from models.policy import ComplaintPolicy
from models.staff import Directory
from storage import tables as t
from tests.steps import RawComplaintStepInput
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id

# Who is who in data/staff.json:
#   customer service: cs-1, cs-2 (staff) -> cs-sup (supervisor) -> cs-mgr (manager) -> gm
#   operations:       ops-1, ops-2, ops-3 (staff) -> ops-sup -> ops-mgr -> gm
RECEIVER = "cs-1"
HANDLER = "ops-1"
INVESTIGATOR = "ops-2"
TARGET = "ops-3"  # the staff member complained about (CP-07)


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def new_phone() -> str:
    """A phone no other case uses: the database is session-wide, and two cases with the same
    phone inside 30 days are a repeat complaint (CP-06), which would make them major."""
    return f"+86 {uuid.uuid4().int % 10**11:011d}"


def intake(
    directory: Directory,
    cid: str,
    *,
    receiver: str = RECEIVER,
    target_staff: str | None = TARGET,
    complainant: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    policy: ComplaintPolicy | None = None,
) -> ComplaintInput:
    target = {"kind": "staff", "staff_id": target_staff} if target_staff else {"kind": "service", "name": "delivery"}
    rec = directory.get(receiver)
    assert rec is not None
    return ComplaintInput(
        id=cid,
        complaint=ComplaintCreate(
            channel="phone",
            complainant=complainant if complainant is not None else {"name": "Zhang San", "phone": new_phone()},
            target=target,
            summary="The delivery arrived three days late",
            occurred_at=occurred_at,
        ),
        receiver=rec.ref,
        receiver_chain=directory.chain(receiver),
        crisis_team=directory.crisis_team(),
        policy=policy or ComplaintPolicy(),
    )


def step(
    directory: Directory,
    actor: str,
    body: dict[str, Any],
    *,
    handler: str | None = None,
    investigator: str | None = None,
) -> RawComplaintStepInput:
    """A step's input as the API sends it (staff resolved to refs with their leadership
    chains), its body as JSON: the workflow decodes it into the step's typed input."""
    a = directory.get(actor)
    assert a is not None, actor
    inp = RawComplaintStepInput(actor=a.ref, body=body)
    if handler is not None:
        h = directory.get(handler)
        assert h is not None
        inp.handler, inp.handler_chain = h.ref, directory.chain(handler)
    if investigator is not None:
        i = directory.get(investigator)
        assert i is not None
        inp.investigator, inp.investigator_chain = i.ref, directory.chain(investigator)
    return inp


VALID_SERVICE = {"category": "service", "validity": "valid"}
MAJOR_MEDIA = {
    "category": "business",
    "subtype": "timeliness",
    "validity": "valid",
    "severity_reasons": ["media_exposure"],
}


class Cases:
    """Starts cases on one task queue and terminates, at teardown, whatever still runs (so an
    abandoned timer never lingers on the shared time-skipping server)."""

    def __init__(self, client: Client, task_queue: str, directory: Directory) -> None:
        self.client = client
        self.task_queue = task_queue
        self.directory = directory
        self.handles: list[WorkflowHandle[Any, ComplaintView]] = []

    async def start(self, inp: ComplaintInput) -> tuple[WorkflowHandle[Any, ComplaintView], ComplaintView]:
        handle = await self.client.start_workflow(
            ComplaintWorkflow.run, inp, id=complaint_workflow_id(inp.id), task_queue=self.task_queue
        )
        self.handles.append(handle)
        view = await handle.execute_update(ComplaintWorkflow.registered_case)
        return handle, view

    async def open_case(
        self, *, investigator: str | None = INVESTIGATOR, **kw: Any
    ) -> tuple[WorkflowHandle[Any, ComplaintView], ComplaintView]:
        """Registered by cs-1 and assigned to ops-1 (investigator ops-2); about ops-3 unless
        ``target_staff`` says otherwise."""
        handle, _ = await self.start(intake(self.directory, new_id(), **kw))
        body: dict[str, Any] = {"handler_id": HANDLER}
        if investigator:
            body["investigator_id"] = investigator
        view = await handle.execute_update(
            ComplaintWorkflow.assign,
            step(self.directory, RECEIVER, body, handler=HANDLER, investigator=investigator),
        )
        return handle, view

    async def close(self) -> None:
        for h in self.handles:
            try:
                await h.terminate(reason="test over")
            except Exception:  # noqa: BLE001 - already completed
                pass


async def wait_for(
    handle: WorkflowHandle[Any, ComplaintView],
    pred: Callable[[ComplaintView], bool],
    timeout: float = 10.0,
) -> ComplaintView:
    """Poll the get_case query until ``pred`` holds (a fired timer is processed by the worker
    shortly after the server skips time)."""
    end = time.monotonic() + timeout
    while True:
        view = await handle.query(ComplaintWorkflow.get_case)
        if pred(view):
            return view
        if time.monotonic() > end:
            raise AssertionError(f"condition not reached; case is {view.model_dump(mode='json')}")
        await asyncio.sleep(0.05)


async def settled(handle: WorkflowHandle[Any, ComplaintView], quiet: float = 0.5) -> ComplaintView:
    """The case once its seq has not moved for ``quiet`` seconds (for 'nothing happened')."""
    view = await handle.query(ComplaintWorkflow.get_case)
    end = time.monotonic() + quiet
    while time.monotonic() < end:
        await asyncio.sleep(0.05)
        now = await handle.query(ComplaintWorkflow.get_case)
        if now.seq != view.seq:
            view, end = now, time.monotonic() + quiet
    return view


# --- the database -----------------------------------------------------------------------------


async def events(engine: AsyncEngine, case_ref: str) -> list[t.CaseEvent]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(t.CaseEvent).where(t.CaseEvent.case_ref == case_ref).order_by(t.CaseEvent.seq))
        return list(rows)


async def event_kinds(engine: AsyncEngine, case_ref: str) -> list[str]:
    return [e.kind for e in await events(engine, case_ref)]


async def event_count(engine: AsyncEngine, case_ref: str) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(t.CaseEvent).where(t.CaseEvent.case_ref == case_ref))


async def notifications(engine: AsyncEngine, case_ref: str, seq: int | None = None) -> list[Any]:
    q = select(t.Notification).where(t.Notification.case_ref == case_ref)
    if seq is not None:
        q = q.where(t.Notification.seq == seq)
    async with engine.connect() as conn:
        return list(await conn.execute(q.order_by(t.Notification.id)))


async def accountability(engine: AsyncEngine, case_ref: str) -> list[Any]:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(t.AccountabilityRecord)
                .where(t.AccountabilityRecord.case_ref == case_ref)
                .order_by(t.AccountabilityRecord.id)
            )
        )


async def complaint_row(engine: AsyncEngine, cid: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(t.Complaint).where(t.Complaint.id == cid))).one()


async def event_of(engine: AsyncEngine, case_ref: str, kind: str) -> Any:
    found = [e for e in await events(engine, case_ref) if e.kind == kind]
    assert len(found) == 1, f"expected one {kind} event, got {len(found)}"
    return found[0]


def recipients(rows: list[Any], kind: str | None = None) -> set[str | None]:
    return {n.recipient_id for n in rows if kind is None or n.kind == kind}


async def refused(
    engine: AsyncEngine,
    handle: WorkflowHandle[Any, ComplaintView],
    update: Any,
    inp: RawComplaintStepInput,
    error_type: str,
) -> ApplicationError:
    """The update is refused by its validator with ``error_type`` and writes nothing."""
    before = await event_count(engine, handle.id)
    seq_before = (await handle.query(ComplaintWorkflow.get_case)).seq
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(update, inp)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError), repr(cause)
    assert cause.type == error_type, f"{cause.type}: {cause.message}"
    assert await event_count(engine, handle.id) == before
    assert (await handle.query(ComplaintWorkflow.get_case)).seq == seq_before
    return cause
