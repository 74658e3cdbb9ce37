"""The human-step routes of a family of case: one POST per step, made from the family's steps
table, so that the routers do not each repeat the endpoint (api/routes/complaints.py,
api/routes/projects.py)."""

import inspect
from collections.abc import Awaitable, Callable, Collection, Sequence
from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import HumanStepDep
from api.steps import HumanStep


def add_step_routes(
    router: APIRouter,
    *,
    case_param: str,
    name: str,
    routes: Sequence[tuple[StrEnum, str, str]],
    body_of: Callable[[StrEnum], type[BaseModel]],
    take: Callable[[StrEnum, str, BaseModel, HumanStep], Awaitable[Any]],
    response_model: type[BaseModel],
    responses: dict[int | str, dict[str, Any]],
    optional_body: Collection[StrEnum] = (),
) -> None:
    """One ``POST /{case_param}/<path>`` per human step of a family (``routes``: the step, its
    path, its summary): the body is the step's body type (``body_of``; for a step in
    ``optional_body`` the body may be left out and defaults to an empty one), and the endpoint
    answers through the Idempotency-Key with ``take(step, case id, body, human)``."""
    for step, path, summary in routes:
        body_type = body_of(step)
        optional = step in optional_body

        async def endpoint(step: StrEnum = step, body_type: type[BaseModel] = body_type, **kw: Any) -> Any:
            human: HumanStep = kw["human"]
            body = kw["body"] if kw["body"] is not None else body_type()
            return await human.idem.answer(200, lambda: take(step, kw[case_param], body, human))

        case = inspect.Parameter(case_param, inspect.Parameter.KEYWORD_ONLY, annotation=str)
        human = inspect.Parameter("human", inspect.Parameter.KEYWORD_ONLY, annotation=HumanStepDep)
        if optional:
            body = inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=body_type | None, default=None)
            params = [case, human, body]
        else:
            params = [case, inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=body_type), human]
        endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        endpoint.__name__ = f"{name}_{step.value}"
        router.add_api_route(
            f"/{{{case_param}}}/{path}",
            endpoint,
            methods=["POST"],
            response_model=response_model,
            responses=responses,
            summary=summary,
        )
