"""The worker's workflow sandbox (infra.sandbox.workflow_runner): the SDK's sandbox with its default
restrictions, whose few lines of in-sandbox code are compiled once per worker (BENCHMARKS.md).
The workflows must stay guarded: a workflow that reads the wall clock is refused, not run (it
was not while every module was passed through the sandbox). And the speed-up must really be
in use: an SDK upgrade that stops running code through ``_run_code`` would lose it silently."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from infra import sandbox
from tests.workflows.sandbox_probe import ReadsTheWallClock, SleepsAndEchoes


async def test_the_worker_sandbox_still_refuses_a_non_deterministic_call(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    """On the dev server: a workflow whose every task fails, left on the shared time-skipping
    server, stopped it from skipping time for every test after this one (each long sleep then
    timed out)."""
    client = dev_env.client
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ReadsTheWallClock],
        workflow_runner=sandbox.workflow_runner(),
    ):
        handle = await client.start_workflow(
            ReadsTheWallClock.run, id=f"clock-{uuid.uuid4().hex}", task_queue=task_queue
        )
        failure = ""
        for _ in range(100):
            async for event in handle.fetch_history_events():
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                    failure = event.workflow_task_failed_event_attributes.failure.message
            if failure:
                break
            await asyncio.sleep(0.1)
        await handle.terminate("test over")
    assert "datetime.datetime.now" in failure, failure


async def test_the_worker_sandbox_compiles_its_code_once(time_env: WorkflowEnvironment, task_queue: str) -> None:
    client = time_env.client
    sandbox._compiled.cache_clear()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[SleepsAndEchoes],
        workflow_runner=sandbox.workflow_runner(),
    ):
        for i in range(3):
            assert (
                await client.execute_workflow(
                    SleepsAndEchoes.run, f"echo {i}", id=f"echo-{uuid.uuid4().hex}", task_queue=task_queue
                )
                == f"echo {i}"
            )
    info = sandbox._compiled.cache_info()
    # a handful of distinct lines (import the workflow, create it, activate, find a payload's
    # context), each run many times: compiled once, then found in the cache
    assert 0 < info.misses <= 10, info
    assert info.hits > 3 * info.misses, info
