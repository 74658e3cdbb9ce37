"""The case kernel's shape: every step of every family is a Temporal update named after the
step, taking the step's typed input from the rules' table, with a validator; and the names of
what running workflows already know (updates, queries) did not change when the workflows
moved onto the kernel. No server needed: this reads the workflow definitions."""

from __future__ import annotations

import ast
from enum import StrEnum
from typing import Any

import pytest
from temporalio.workflow import _Definition

from config import ROOT
from models.complaint.steps import STEPS as COMPLAINT_STEPS
from models.complaint.vocabulary import ComplaintStep
from models.project.steps import STEPS as PROJECT_STEPS
from models.project.vocabulary import ProjectStep
from workflows.complaint import ComplaintWorkflow
from workflows.kernel import CaseWorkflow
from workflows.project import ClientProjectWorkflow

FAMILIES: list[tuple[type[CaseWorkflow[Any, Any]], type[StrEnum], dict[Any, Any], set[str], set[str]]] = [
    (
        ComplaintWorkflow,
        ComplaintStep,
        COMPLAINT_STEPS,
        {"registered_case"},
        {"get_case", "available_steps", "available_items"},
    ),
    (
        ClientProjectWorkflow,
        ProjectStep,
        PROJECT_STEPS,
        {"registered_project"},
        {"get_project", "available_steps", "available_items"},
    ),
]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f[0].__name__)
def test_every_step_is_a_typed_update_with_a_validator(family: Any) -> None:
    workflow_cls, steps, table, _, _ = family
    defn = _Definition.must_from_class(workflow_cls)
    for step in steps:
        update = defn.updates[step.value]
        assert update.validator is not None, f"{step.value} has no validator"
        assert update.arg_types == [table[step].input], f"{step.value} does not take its table's input"
        assert workflow_cls.update_for(step)._defn is update


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f[0].__name__)
def test_update_and_query_names_are_the_ones_histories_know(family: Any) -> None:
    """Running workflows and stored histories name these: the kernel kept every one (and
    issue 18 added the console's two queries, which no history records)."""
    workflow_cls, steps, _, registration, queries = family
    defn = _Definition.must_from_class(workflow_cls)
    assert set(defn.updates) == {s.value for s in steps} | registration
    assert set(defn.queries) == queries


def test_a_step_of_another_family_is_not_an_update() -> None:
    with pytest.raises(LookupError):
        ComplaintWorkflow.update_for(ProjectStep.budget)


#: What workflow code may not call (the sandbox refuses these in the sandboxed workflow modules;
#: the kernel is passed through, so this test refuses them there).
NON_DETERMINISTIC = {
    "datetime.now",
    "datetime.utcnow",
    "datetime.today",
    "date.today",
    "time.time",
    "time.monotonic",
    "time.sleep",
    "asyncio.sleep",
    "uuid.uuid4",
    "random",
    "os",
    "open",
    "threading",
    "socket",
    "subprocess",
    "secrets",
}


def test_the_kernel_calls_nothing_non_deterministic() -> None:
    """The kernel runs as workflow code but is passed through the sandbox (imported once per
    worker), so the sandbox does not guard its calls: no wall clock, no randomness, no I/O, no
    threads in it; it imports nothing but the SDK's workflow API and the models."""
    source = (ROOT / "workflows" / "kernel.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            names.add(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            for alias in node.names:
                names.add((module or alias.name).split(".")[0])
    assert not names & NON_DETERMINISTIC, names & NON_DETERMINISTIC
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    allowed = (
        "workflows",  # workflows.search_attributes only: the keys, and upserts of what changed
        "infra",
        "__future__",
        "asyncio",
        "collections",
        "dataclasses",
        "datetime",
        "enum",
        "typing",
        "temporalio",
        "pydantic",
        "models",
    )
    assert all(m.split(".")[0] in allowed for m in imported), imported
    from_workflows = {
        a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "workflows" for a in n.names
    }
    assert from_workflows <= {"search_attributes"}, from_workflows
