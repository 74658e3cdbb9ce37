"""A worker for the bare reference workflows (run as a process so its memory can be read)."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare import BareLifecycleWorkflow, BareTimerWorkflow
from config import data_converter, get_settings


async def main() -> None:
    settings = get_settings()
    # the bare reference: no payload encryption, whatever PAYLOAD_KEY says
    client = await Client.connect(settings.temporal_address, data_converter=data_converter(key=""))
    await Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[BareLifecycleWorkflow, BareTimerWorkflow],
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
    ).run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
