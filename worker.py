"""The worker: runs every workflow and activity of the task queue.

``python worker.py`` (``make run`` starts it). ``main(client=...)`` lets tests pass their own.
"""

from __future__ import annotations

import asyncio
import compileall
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.worker import Worker, WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox import _runner as sandbox_internals

from activities.complaint import ComplaintActivities
from activities.project import ProjectActivities
from config import ROOT, get_settings
from infra.bootstrap import Resources
from infra.logs import configure_logging
from infra.process import settle_heap
from workflows.complaint import ComplaintWorkflow
from workflows.project import ClientProjectWorkflow

WORKFLOWS = [ComplaintWorkflow, ClientProjectWorkflow]

log = structlog.get_logger()


@lru_cache(maxsize=256)
def _compiled(code: str) -> CodeType:
    return compile(code, "<string>", "exec")


class _CompiledOnceInstance(sandbox_internals._Instance):
    """The SDK's sandboxed instance, but the few lines of code it executes inside the sandbox
    are compiled once per worker instead of at every call. temporalio 1.35 runs such a line for
    every payload of every activation and completion (to find its serialization context), and
    compiling those lines was 15 % of the worker's samples; compiled once, a lifecycle case
    costs the worker 10-14 % less CPU (BENCHMARKS.md). exec of the compiled code is exec of the
    string: same globals, same sandbox, same restrictions."""

    def _run_code(self, code: str, **extra_globals: Any) -> None:
        super()._run_code(_compiled(code), **extra_globals)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CompiledOnceSandboxedWorkflowRunner(SandboxedWorkflowRunner):
    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _CompiledOnceInstance(det, self.runner_class, self.restrictions)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox the workflows run in, with the SDK's default restrictions: each workflow run
    imports its workflow module afresh inside the sandbox, so a non-deterministic call in
    workflow code (the wall clock, randomness, I/O) is refused, not run. The modules a workflow
    module imports under ``imports_passed_through()`` (the rules, the models, the activities'
    interfaces) are imported once per worker. Passing every module through (the SDK's
    ``with_passthrough_all_modules``) saved memory and CPU per case, but a passed-through
    workflow module reads the real clock unrefused: tests/workflows/test_worker_sandbox.py."""
    return CompiledOnceSandboxedWorkflowRunner(restrictions=SandboxRestrictions.default)


def compile_workflow_modules() -> None:
    """Write the workflow modules' bytecode. The sandbox imports each workflow module afresh
    for every workflow run, and with no bytecode on disk (PYTHONDONTWRITEBYTECODE, set on this
    machine) every run compiled its source again: about 2 ms of each new case's CPU. Checked
    at start-up (nothing is written if the bytecode is current); a read-only tree just goes on
    compiling."""
    compileall.compile_dir(ROOT / "workflows", quiet=2)


def build_worker(resources: Resources, client: Client) -> Worker:
    """The worker of every workflow and activity on ``resources.settings.task_queue``. The
    activities get the engine, the batch writer and the staff file of ``resources``, which
    closes them once the worker has stopped."""
    settings = resources.settings
    compile_workflow_modules()
    complaints = ComplaintActivities(resources.engine, resources.writer, settings.staff_file)
    projects = ProjectActivities(resources.engine, resources.writer)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            complaints.lookup_complainant,
            complaints.record_complaint_step,
            complaints.pick_reassignment,
            projects.check_eligibility,
            projects.record_project_step,
            projects.hand_over_to_sales,
        ],
        workflow_runner=workflow_runner(),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
    )


async def main(client: Client | None = None) -> None:
    settings = get_settings()
    configure_logging(settings)
    async with Resources(settings, client=client) as resources:
        worker = build_worker(resources, await resources.temporal())
        settle_heap(settings)
        log.info("worker_started", task_queue=settings.task_queue, address=settings.temporal_address)
        await worker.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
