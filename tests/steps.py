"""Building a step's typed update input in tests, as the API builds it (the API gets the body
already typed from FastAPI; tests write bodies as JSON-like dicts)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from models.complaint.messages import ComplaintStepInput
from models.complaint.steps import STEPS
from models.complaint.vocabulary import ComplaintStep
from models.staff import StaffRef


def complaint_step(
    step: ComplaintStep, actor: StaffRef, body: dict[str, Any] | None, **extra: Any
) -> ComplaintStepInput[Any]:
    """The typed input of ``step``. A test that checks a refusal which does not depend on the
    body may leave it out: the input is then built unvalidated, and only the guards run."""
    input_type = STEPS[step].input
    if body is None:
        return input_type.model_construct(actor=actor, body=None, **extra)
    return input_type.model_validate({"actor": actor, "body": body, **extra})


class RawComplaintStepInput(BaseModel):
    """A complaint step's input as JSON on the wire, the body an untyped dict: what any client
    of the Temporal frontend may send. The workflow decodes it into the step's typed input."""

    actor: StaffRef
    body: dict[str, Any]
    handler: StaffRef | None = None
    handler_chain: list[StaffRef] = Field(default_factory=list)
    investigator: StaffRef | None = None
    investigator_chain: list[StaffRef] = Field(default_factory=list)
