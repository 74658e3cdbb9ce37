"""Building a step's typed update input in tests, as the API builds it (the API gets the body
already typed from FastAPI; tests write bodies as JSON-like dicts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field

from infra.codec import new_payload_key
from infra.proofs import StepKeys, StepSigner
from models.case import StepInput
from models.complaint.messages import ComplaintStepInput
from models.complaint.steps import STEPS
from models.complaint.steps import STEPS as COMPLAINT_STEPS
from models.complaint.vocabulary import ComplaintStep
from models.project.steps import STEPS as PROJECT_STEPS
from models.project.vocabulary import ProjectStep
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


class TypingStepSigner(StepSigner):
    """The tests' clients prove their steps as the API's client does (infra/proofs.py). Test
    steps are often written as JSON (``RawComplaintStepInput``, dict bodies): such an input is
    typed first, as the worker will decode it, so that the proof covers the body the
    validator sees."""

    def prove(self, workflow_id: str, update_id: str, step: str, args: Sequence[Any]) -> Sequence[Any]:
        if len(args) == 1 and isinstance(args[0], BaseModel) and not isinstance(args[0], StepInput):
            table: Any = COMPLAINT_STEPS if workflow_id.startswith("complaint-") else PROJECT_STEPS
            family_step = (ComplaintStep if table is COMPLAINT_STEPS else ProjectStep)(step)
            args = [table[family_step].input.model_validate(args[0].model_dump(mode="json"))]
        return super().prove(workflow_id, update_id, step, args)


#: The step key of every test worker and client (tests/conftest.py puts it in the environment).
TEST_STEP_KEY = new_payload_key("test-step")


def step_signer_for_tests() -> TypingStepSigner:
    """Its proofs last a thousand years: under the time-skipping server a session's workflow
    clock runs years ahead of the wall clock the proof's expiry is set by (the expiry itself is
    tested on the real dev server, tests/faults/test_forged_steps.py)."""
    return TypingStepSigner(StepKeys(TEST_STEP_KEY), timedelta(days=365 * 1000))
