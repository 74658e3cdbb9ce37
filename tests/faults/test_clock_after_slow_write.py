"""A deadline armed by a workflow task that wrote slowly still fires at its due time.

A Temporal timer starts when the workflow task that asked for it completes, and a task that
writes completes only after its write. Under load (or, here, with the database held locked)
that is seconds after the task's own time, from which the deadline was counted."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from models.policy import load_complaint_policy
from models.staff import Directory
from starter.intake import start_complaint
from workflows.complaint import complaint_workflow_id

from .conftest import WorkerFactory, phoned_in_complaint
from .test_worker_killed import WriteLock

pytestmark = pytest.mark.faults

PLAN_DEADLINE = timedelta(seconds=10)  # longer than the held write may take, retries included
WRITE_HELD = 4.0  # seconds the intake's write waits on the lock


def event_times(db_path: str, case_ref: str, kind: str) -> tuple[datetime, datetime] | None:
    """When the case's ``kind`` event was written, and the due time it records."""
    with sqlite3.connect(db_path) as db:
        row = db.execute(
            "SELECT at, json_extract(data, '$.due_at') FROM case_event WHERE case_ref = ? AND kind = ?",
            (case_ref, kind),
        ).fetchone()
    if row is None:
        return None
    at, due = (datetime.fromisoformat(v.replace(" ", "T")).replace(tzinfo=None) for v in row)
    return at, due


async def event_written(db_path: str, case_ref: str, kind: str) -> tuple[datetime, datetime] | None:
    """``event_times`` once the event is there (None after 30 s)."""
    for _ in range(120):
        found = event_times(db_path, case_ref, kind)
        if found:
            return found
        await asyncio.sleep(0.25)
    return None


async def test_cp08_plan_deadline_fires_at_due_time_after_a_slow_intake_write(
    dev_env: WorkflowEnvironment, worker_process: WorkerFactory, sqlite_url: str, staff_file: Path
) -> None:
    """CP-08: the plan clock runs from receipt. The intake's write is held for 4 s (the case is
    registered 4 s or more after it was received); the 10 s plan deadline must still escalate
    at receipt + 10 s, not at registration + 10 s."""
    db_path = sqlite_url.removeprefix("sqlite:///")
    directory = Directory.from_file(staff_file)
    inp = phoned_in_complaint(directory, load_complaint_policy().model_copy(update={"plan_deadline": PLAN_DEADLINE}))
    cid = inp.id
    worker_process(sqlite_url)
    with WriteLock(db_path):
        intake = asyncio.create_task(start_complaint(dev_env.client, worker_process.task_queue, inp))  # type: ignore[attr-defined]
        await asyncio.sleep(WRITE_HELD)
        assert not intake.done(), "the intake finished although its write was held"
    view = await asyncio.wait_for(intake, timeout=30)
    assert view.plan_due_at is not None

    found = await event_written(db_path, complaint_workflow_id(cid), "plan_overdue")
    assert found is not None, "the plan deadline never escalated"
    at, due = found
    late = (at - due).total_seconds()
    # Counted from the task's time it would land ~WRITE_HELD seconds late; from the write's end
    # it lands at its due time (plus Temporal's own dispatch, well under a second here).
    assert 0 <= late < WRITE_HELD / 2, f"escalated {late:.2f} s after its due time"
