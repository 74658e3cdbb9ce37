"""The worker: runs every workflow and activity of the task queue.

``python worker.py`` (``make run`` starts it). ``main(client=...)`` lets tests pass their own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from temporalio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.complaint import ComplaintActivities
from activities.project import ProjectActivities
from config import Settings, configure_logging, data_converter, get_settings, settle_heap
from storage.engine import make_engine
from workflows.complaint import ComplaintWorkflow
from workflows.project import ClientProjectWorkflow

WORKFLOWS = [ComplaintWorkflow, ClientProjectWorkflow]

log = structlog.get_logger()


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )


def build_worker(
    client: Client,
    task_queue: str,
    database_url: str,
    staff_file: Path,
    settings: Settings | None = None,
    engine: AsyncEngine | None = None,
) -> Worker:
    """The worker of every workflow and activity. Pass ``engine`` to own (and dispose) the
    database engine; otherwise the worker makes one for ``database_url``."""
    settings = settings or Settings()
    engine = engine or make_engine(database_url)
    complaints = ComplaintActivities(engine, staff_file)
    projects = ProjectActivities(engine)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            complaints.lookup_complainant,
            complaints.record_complaint_step,
            complaints.pick_reassignment,
            projects.check_eligibility,
            projects.record_project_step,
            projects.hand_over_to_sales,
        ],
        # The sandbox still guards determinism, but the project's modules (pure and free of
        # global state) are imported once, not again for every workflow run: measured in
        # BENCHMARKS.md, it is most of the worker's CPU per new case and its memory per case.
        workflow_runner=SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())
        if settings.sandbox_passthrough_all
        else SandboxedWorkflowRunner(),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
    )


async def main(client: Client | None = None) -> None:
    settings = get_settings()
    configure_logging(settings)
    client = client or await connect(settings)
    engine = make_engine(settings.database_url)
    worker = build_worker(client, settings.task_queue, settings.database_url, settings.staff_file, settings, engine)
    settle_heap(settings)
    log.info("worker_started", task_queue=settings.task_queue, address=settings.temporal_address)
    try:
        await worker.run()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
