"""The worker process SIGKILLed in the middle of a complaint: a new worker finishes the case,
and every write happened exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.complaint.messages import ComplaintStepInput
from models.complaint.views import ComplaintView
from models.complaint.vocabulary import ComplaintStep
from models.staff import Directory
from starter.intake import start_complaint
from tests.steps import complaint_step
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id

from .conftest import WorkerFactory, case_rows, phoned_in_complaint

pytestmark = pytest.mark.faults


class WriteLock:
    """Holds SQLite's write lock, so a step's write waits (and retries) while reads go on."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=10)

    def __enter__(self) -> WriteLock:
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *_: object) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def step(
    directory: Directory, which: ComplaintStep, actor: str, body: dict, **extra: object
) -> ComplaintStepInput[Any]:
    staff = directory.get(actor)
    assert staff is not None
    return complaint_step(which, staff.ref, body, **extra)


async def wait_until_stuck(task: asyncio.Task, seconds: float = 2.5) -> None:
    await asyncio.sleep(seconds)
    assert not task.done(), "the step finished although its write was blocked"


async def test_worker_sigkilled_between_activities_finishes_once(
    dev_env: WorkflowEnvironment, worker_process: WorkerFactory, sqlite_url: str, staff_file: Path
) -> None:
    """Promise: a worker killed (SIGKILL) in the middle of a complaint loses nothing and doubles
    nothing. Killed twice: during intake (the customer look-up done, its write not yet) and
    during a step's write; a new worker process each time finishes the case; every case_event
    is there exactly once (seq 1..N, no gap, no duplicate) and no notification is doubled."""
    db_path = sqlite_url.removeprefix("sqlite:///")
    directory = Directory.from_file(staff_file)
    inp = phoned_in_complaint(directory)
    cid = inp.id
    client = dev_env.client
    task_queue = worker_process.task_queue  # type: ignore[attr-defined]

    # 1. intake: the look-up (a read) runs, the write waits on the lock; SIGKILL the worker there
    worker = worker_process(sqlite_url)
    with WriteLock(db_path):
        intake = asyncio.create_task(start_complaint(client, task_queue, inp))
        await wait_until_stuck(intake, 4)
        worker.kill()
        worker.wait(timeout=10)
    worker = worker_process(sqlite_url)
    view = await asyncio.wait_for(intake, timeout=60)
    assert view.id == cid
    handle: WorkflowHandle = client.get_workflow_handle(complaint_workflow_id(cid), result_type=ComplaintView)

    # 2. assign, classify; then the plan's write blocked and the worker SIGKILLed again
    await handle.execute_update(
        ComplaintWorkflow.assign,
        step(
            directory,
            ComplaintStep.assign,
            "cs-1",
            {"handler_id": "ops-2"},
            handler=directory.get("ops-2").ref,  # type: ignore[union-attr]
            handler_chain=directory.chain("ops-2"),
        ),
    )
    await handle.execute_update(
        ComplaintWorkflow.classify,
        step(
            directory,
            ComplaintStep.classify,
            "ops-2",
            {"category": "business", "subtype": "timeliness", "validity": "valid", "severity": "general"},
        ),
    )
    with WriteLock(db_path):
        plan = asyncio.create_task(
            handle.execute_update(
                ComplaintWorkflow.plan, step(directory, ComplaintStep.plan, "ops-2", {"plan": "re-deliver"})
            )
        )
        await wait_until_stuck(plan)
        worker.kill()
        worker.wait(timeout=10)
    worker_process(sqlite_url)
    assert (await asyncio.wait_for(plan, timeout=60)).plan == "re-deliver"

    # 3. finish the case with the new worker
    await handle.execute_update(
        ComplaintWorkflow.resolve,
        step(directory, ComplaintStep.resolve, "ops-2", {"result": "re-delivered", "reply_channel": "letter"}),
    )
    await handle.execute_update(
        ComplaintWorkflow.survey, step(directory, ComplaintStep.survey, "cs-1", {"satisfied": True, "score": 5})
    )
    final = await asyncio.wait_for(handle.result(), timeout=60)
    assert final.archived

    evs, notes, complaint = await case_rows(sqlite_url, handle.id, cid)
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
    assert [e.kind for e in evs] == [
        "registered",
        "assign",
        "classify",
        "plan",
        "resolve",
        "survey",
        "closed",
        "archived",
    ]
    assert notes, "the steps notify someone"
    doubled = [k for k, n in Counter((x.seq, x.recipient_kind, x.recipient_id, x.kind) for x in notes).items() if n > 1]
    assert doubled == []
    assert complaint is not None and complaint.archived and complaint.seq == len(evs)
