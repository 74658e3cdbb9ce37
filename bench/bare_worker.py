"""A worker for the bare reference workflows (run as a process so its memory can be read)."""

from __future__ import annotations

import asyncio

from temporalio.worker import Worker

from bench.bare import BareDueTimerWorkflow, BareLifecycleWorkflow, BareTimerWorkflow
from config import get_settings
from infra.temporal import connect


async def main() -> None:
    settings = get_settings()
    # the bare reference: the plain pydantic converter, whatever PAYLOAD_KEY says
    client = await connect(settings, key="")
    await Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[BareLifecycleWorkflow, BareTimerWorkflow, BareDueTimerWorkflow],
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
    ).run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
