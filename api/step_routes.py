"""The human-step endpoints of a family of case, made from its steps table: one
``POST /{case}/<path>`` per step, so that no router repeats the endpoint, the look-up, the
update call or the refusal mapping (api/routes/complaints.py, api/routes/projects.py)."""

import inspect
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import HumanStepDep
from api.steps import Case, HumanStep
from models.case import StepRule
from workflows.kernel import CaseWorkflow


@dataclass(frozen=True)
class StepRoutes:
    """How a family's step endpoints reach its cases."""

    router: APIRouter
    steps: Mapping[Any, StepRule[Any, Any]]
    workflow: type[CaseWorkflow[Any, Any]]
    #: the path parameter naming the case (``complaint_id``) and the operation names' prefix
    case_param: str
    name: str
    responses: dict[int | str, dict[str, Any]]
    #: the case the caller may act on (404, 403, or 409 when it no longer takes steps)
    open_case: Callable[[HumanStep, str, Any], Awaitable[Case]]
    #: the step's typed update input (422 for an unknown staff member it names)
    step_input: Callable[[HumanStep, Any, BaseModel, dict[str, Any]], BaseModel]
    #: the 409 when the workflow's run is over
    closed: str
    #: steps whose body may be left out (an empty one is sent)
    optional_body: Collection[Any] = ()
    #: the path of each step's endpoint (``assign``, ``compensation/decision``), as added
    paths: dict[Any, str] = field(default_factory=dict)

    async def take(self, step: Any, case_id: str, body: BaseModel, human: HumanStep, **extra: Any) -> Any:
        """The step on the case, answered with the case as its workflow holds it after."""
        return await human.take(
            lambda: self.open_case(human, case_id, step),
            lambda: self.step_input(human, step, body, extra),
            self.workflow.update_for(step),
            closed=self.closed,
        )

    def add(self, routes: Sequence[tuple[StrEnum, str, str]]) -> None:
        """One endpoint per (step, path, summary), answering through the Idempotency-Key."""
        for step, path, summary in routes:
            self.paths[step] = path
            self._add(step, path, summary, self.steps[step].body)

    def _add(self, step: StrEnum, path: str, summary: str, body_type: type[BaseModel]) -> None:
        async def endpoint(**kw: Any) -> Any:
            human: HumanStep = kw["human"]
            body = kw["body"] if kw["body"] is not None else body_type()
            return await human.idem.answer(200, lambda: self.take(step, kw[self.case_param], body, human))

        kind = inspect.Parameter.KEYWORD_ONLY
        case = inspect.Parameter(self.case_param, kind, annotation=str)
        human = inspect.Parameter("human", kind, annotation=HumanStepDep)
        if step in self.optional_body:
            params = [case, human, inspect.Parameter("body", kind, annotation=body_type | None, default=None)]
        else:
            params = [case, inspect.Parameter("body", kind, annotation=body_type), human]
        endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        endpoint.__name__ = f"{self.name}_{step.value}"
        self.router.add_api_route(
            f"/{{{self.case_param}}}/{path}",
            endpoint,
            methods=["POST"],
            response_model=self.workflow.family.view_type,
            responses=self.responses,
            summary=summary,
        )
