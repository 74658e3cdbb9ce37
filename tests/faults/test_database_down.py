"""The database really unavailable while a step's activity writes (PostgreSQL refusing every
connection): the activity retries with backoff, and once the database is back the step is
written exactly once."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from models.complaint.messages import AssignBody, AssignInput, ComplaintCreate
from models.policy import load_complaint_policy
from models.staff import Directory
from starter.intake import intake_input, new_case_id, start_complaint
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id

from .conftest import WorkerFactory, case_rows, pg_block, pg_unblock

pytestmark = pytest.mark.faults

DOWN_SECONDS = 6


async def test_database_down_during_a_step_retries_and_writes_once(
    dev_env: WorkflowEnvironment,
    worker_process: WorkerFactory,
    postgres_db: tuple[str, str],
    staff_file: Path,
) -> None:
    """Promise: while the database is unavailable a step's write is retried with backoff (the
    step does not answer, nothing is lost); once the database is back it succeeds; every event
    is written once, in order, and no notification is doubled."""
    name, url = postgres_db
    directory = Directory.from_file(staff_file)
    cs1, ops2 = directory.get("cs-1"), directory.get("ops-2")
    assert cs1 is not None and ops2 is not None
    worker_process(url)
    cid = new_case_id()
    body = ComplaintCreate.model_validate(
        {
            "channel": "phone",
            "complainant": {"name": "Wang Fang", "phone": f"+86 133{secrets.randbelow(10**8):08d}"},
            "target": {"kind": "service", "name": "delivery"},
            "summary": "Late delivery",
        }
    )
    client = dev_env.client
    task_queue = worker_process.task_queue  # type: ignore[attr-defined]
    await asyncio.wait_for(
        start_complaint(client, task_queue, intake_input(cid, body, cs1, directory, load_complaint_policy())), 60
    )
    handle = client.get_workflow_handle(complaint_workflow_id(cid))

    pg_block(name)
    try:
        assign = asyncio.create_task(
            handle.execute_update(
                ComplaintWorkflow.assign,
                AssignInput(
                    actor=cs1.ref,
                    body=AssignBody(handler_id="ops-2"),
                    handler=ops2.ref,
                    handler_chain=directory.chain("ops-2"),
                ),
            )
        )
        await asyncio.sleep(DOWN_SECONDS)
        assert not assign.done(), "the step answered while the database was unavailable"
    finally:
        pg_unblock(name)
    view = await asyncio.wait_for(assign, timeout=60)
    assert view.handler_id == "ops-2"

    evs, notes, row = await case_rows(url, handle.id, cid)
    assert [(e.seq, e.kind) for e in evs] == [(1, "registered"), (2, "assign")]
    assert any(n.seq == 2 and n.recipient_id == "ops-2" for n in notes), "the assignment notifies the handler"
    assert [k for k, n in Counter((x.seq, x.recipient_id, x.kind) for x in notes).items() if n > 1] == []
    assert row is not None and row.seq == 2 and row.handler_id == "ops-2"
