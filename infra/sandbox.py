"""The workflow sandbox every worker of this project runs its workflows in (the worker, the
replay tests, the benchmarks' mirror reference): the SDK's sandbox with its default
restrictions, its in-sandbox lines compiled once per process."""

from __future__ import annotations

import compileall
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import Any

from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox import _runner as sandbox_internals

from config import ROOT


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


def compile_workflow_modules(folder: Path = ROOT / "workflows") -> None:
    """Write the workflow modules' bytecode. The sandbox imports each workflow module afresh
    for every workflow run, and with no bytecode on disk (PYTHONDONTWRITEBYTECODE, set on this
    machine) every run compiled its source again: about 2 ms of each new case's CPU. Checked
    at start-up (nothing is written if the bytecode is current); a read-only tree just goes on
    compiling."""
    compileall.compile_dir(folder, quiet=2)
