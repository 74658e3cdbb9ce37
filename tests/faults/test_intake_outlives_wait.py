"""Promise (README, "Answers"): if no worker registers a new complaint within
``INTAKE_WAIT_SECONDS``, POST /complaints answers 202: the workflow is started durably, nothing
is lost, and the case registers as soon as a worker runs (CP-02: one registration record).
The retry with the same Idempotency-Key then gets the registered case, and there is one case.

Real dev server, real app, real worker; the worker simply is not running at first."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from config import Settings
from storage import tables as t
from storage.engine import sessions
from tests.conftest import running_worker
from workflows.complaint import complaint_workflow_id

pytestmark = pytest.mark.faults

CS1 = {"X-API-Key": "demo-cs-1"}
BODY = {
    "channel": "hotline",
    "complainant": {"name": "Li Lei", "phone": "+86 139 0000 0202"},
    "target": {"kind": "service", "name": "delivery"},
    "summary": "Parcel left at the wrong door",
}


async def _rows(engine: AsyncEngine, complaint_id: str) -> tuple[int, int]:
    async with sessions(engine)() as db:
        cases = await db.scalar(select(func.count()).select_from(t.Complaint).where(t.Complaint.id == complaint_id))
        events = await db.scalar(
            select(func.count())
            .select_from(t.CaseEvent)
            .where(t.CaseEvent.case_ref == complaint_workflow_id(complaint_id))
        )
    return cases or 0, events or 0


async def test_cp02_intake_answers_202_when_no_worker_registers_in_time_and_the_case_registers_later(
    dev_env: WorkflowEnvironment, database_url: str, engine: AsyncEngine, staff_file: Path
) -> None:
    task_queue = f"tq-202-{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=database_url, task_queue=task_queue, staff_file=staff_file)
    app = create_app(settings, client=dev_env.client, intake_wait_seconds=1.0)
    key = {"Idempotency-Key": f"intake-{uuid.uuid4().hex}"}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test", timeout=60
        ) as api:
            first = await api.post("/complaints", json=BODY, headers=CS1 | key)
            assert first.status_code == 202, first.text
            accepted = first.json()
            cid = accepted["id"]
            assert accepted == {"id": cid, "workflow_id": complaint_workflow_id(cid), "status": "received"}

            # Durable: the workflow exists and runs, though nothing is written yet.
            described = await dev_env.client.get_workflow_handle(complaint_workflow_id(cid)).describe()
            assert described.status is WorkflowExecutionStatus.RUNNING
            assert await _rows(engine, cid) == (0, 0)
            assert (await api.get(f"/complaints/{cid}", headers=CS1)).status_code == 404

            # A worker comes up: the retry with the same key gets the registered case (waiting
            # as long as it takes here, so that a slow host does not answer 202 again).
            app.state.intake_wait_seconds = 60.0
            async with running_worker(dev_env.client, database_url, task_queue, staff_file):
                retry = await api.post("/complaints", json=BODY, headers=CS1 | key)
                assert retry.status_code == 201, retry.text
                assert retry.json()["id"] == cid
                assert retry.json()["status"] == "received"
                read = await api.get(f"/complaints/{cid}", headers=CS1)
                assert read.status_code == 200 and read.json()["id"] == cid
                await dev_env.client.get_workflow_handle(complaint_workflow_id(cid)).terminate("test over")
    assert await _rows(engine, cid) == (1, 1)  # one case, its intake written once
