"""Steps only the API can send (issue 12, first part): a step or a start sent straight to Temporal (as the
``temporal`` CLI or the Web UI's "Send an Update" would send it) with a forged actor, or with a
proof taken from another case or another step, or expired, is refused by the step's validator
and writes nothing; the same steps through the API work (tests/api, tests/e2e)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from infra.codec import data_converter
from infra.proofs import StepKeys
from models.complaint.messages import ComplaintCreate
from models.complaint.steps import STEPS as COMPLAINT_STEPS
from models.complaint.vocabulary import ComplaintStep
from models.customer.messages import CustomerCreate
from models.customer.steps import STEPS as CUSTOMER_STEPS
from models.customer.vocabulary import CustomerStep
from models.inquiry.messages import InquiryCreate
from models.inquiry.steps import STEPS as INQUIRY_STEPS
from models.inquiry.vocabulary import InquiryStep
from models.policy import (
    CustomerPolicy,
    load_complaint_policy,
    load_customer_policy,
    load_inquiry_policy,
    load_project_policy,
)
from models.project.steps import STEPS as PROJECT_STEPS
from models.project.steps import new_project as new_project_state
from models.project.vocabulary import ProjectStep, Stage
from models.staff import Directory
from models.tier_review.messages import TierReviewInput
from models.tier_review.steps import STEPS as REVIEW_STEPS
from models.tier_review.vocabulary import ReviewStep
from starter.intake import (
    COMPLAINT,
    CUSTOMER,
    INQUIRY,
    PROJECT,
    CaseKind,
    customer_input,
    inquiry_input,
    intake_input,
    new_case_id,
    project_input,
    start_case,
)
from storage import tables as t
from tests.conftest import TEST_PAYLOAD_KEY
from tests.steps import TEST_STEP_KEY
from tests.workflows.helpers import event_count
from workflows.care import TierReviewWorkflow
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id
from workflows.customer import CustomerAccountWorkflow
from workflows.inquiry import InquiryWorkflow
from workflows.project import ClientProjectWorkflow

from .conftest import project_application

pytestmark = pytest.mark.faults

#: A valid body for every step (what a forger would send; the validator refuses before the
#: body matters).
COMPLAINT_BODIES: dict[ComplaintStep, dict[str, Any]] = {
    ComplaintStep.assign: {"handler_id": "ops-2"},
    ComplaintStep.classify: {"category": "service", "validity": "valid"},
    ComplaintStep.plan: {"plan": "forged plan"},
    ComplaintStep.investigation: {"findings": "forged findings"},
    ComplaintStep.escalate: {"reason": "forged"},
    ComplaintStep.compensation: {"amount": "100", "reason": "forged"},
    ComplaintStep.compensation_decision: {"approved": True},
    ComplaintStep.major_report: {"report": "forged"},
    ComplaintStep.resolve: {"result": "forged"},
    ComplaintStep.survey: {"satisfied": True},
    ComplaintStep.staff_survey: {"satisfied": True},
    ComplaintStep.wait_for_customer: {"reason": "forged"},
    ComplaintStep.resume: {},
    ComplaintStep.change_terms: {"calendar": {}},
}
PROJECT_BODIES: dict[ProjectStep, dict[str, Any]] = {
    ProjectStep.review: {"approved": True},
    ProjectStep.budget: {"phase": "preliminary", "lines": [{"name": "travel", "amount": "100"}]},
    ProjectStep.budget_decision: {"approved": True},
    ProjectStep.expense: {"line": "travel", "amount": "10", "description": "forged"},
    ProjectStep.expense_decision: {"approved": True},
    ProjectStep.follow_up: {"note": "forged"},
    ProjectStep.supply: {"month": "2026-11", "amount": "10"},
    ProjectStep.study_decision: {"continue": True},
    ProjectStep.annual_report: {"report": "forged"},
    ProjectStep.annual_report_decision: {"continue": True},
    ProjectStep.suspend: {"reason": "forged"},
    ProjectStep.resume: {},
    ProjectStep.terminate: {"reason": "forged"},
    ProjectStep.terminate_decision: {"approved": True},
    ProjectStep.confirm_completion: {},
    ProjectStep.change_terms: {"calendar": {}},
}

CUSTOMER_BODIES: dict[CustomerStep, dict[str, Any]] = {
    CustomerStep.record_service: {"kind": "visit"},
    CustomerStep.visit_report: {"service_id": "S1", "report": "forged"},
    CustomerStep.review_report: {"service_id": "S1", "approved": True},
    CustomerStep.record_delivery: {"project_id": "P-forged"},
    CustomerStep.credit_report: {"credit_class": "A", "report": "forged"},
    CustomerStep.credit_alert: {"report": "forged"},
    CustomerStep.credit_instruction: {"alert_id": "A1", "instruction": "forged"},
    CustomerStep.change_tier: {"tier": "vip", "reason": "forged"},
    CustomerStep.report_problem: {"problem": "forged"},
    CustomerStep.blacklist: {"scope": "company", "reason": "forged"},
    CustomerStep.lift_blacklist: {"reason": "forged"},
    CustomerStep.reassign: {"owner_id": "cs-2", "reason": "forged"},
    CustomerStep.survey: {"score": 5},
    CustomerStep.request_change: {"name": "Forged Name", "reason": "forged"},
    CustomerStep.decide_change: {"change_id": "R1", "approved": True},
}

#: CC-06: every inquiry step.
INQUIRY_BODIES: dict[InquiryStep, dict[str, Any]] = {
    InquiryStep.answer: {"answer": "forged answer"},
    InquiryStep.assign: {"assignee_id": "cs-2"},
}

#: CC-04: the tier review's one step.
REVIEW_BODIES: dict[ReviewStep, dict[str, Any]] = {ReviewStep.confirm: {"note": "forged"}}


def headers(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


async def forger(dev_env: WorkflowEnvironment) -> Client:
    """A client of the same server, with the payload key (as a signed-in supervisor's Web UI
    would encode) but without the step key: what the CLI or the Web UI send."""
    return await Client.connect(
        dev_env.client.service_client.config.target_host, data_converter=data_converter(key=TEST_PAYLOAD_KEY)
    )


async def refused_with_nothing_written(
    engine: AsyncEngine, client: Client, workflow_id: str, update: Any, inp: Any, update_id: str | None = None
) -> str:
    before = await event_count(engine, workflow_id)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await client.get_workflow_handle(workflow_id).execute_update(update, inp, id=update_id)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError), repr(cause)
    assert cause.type == "Forbidden", f"{cause.type}: {cause.message}"
    assert await event_count(engine, workflow_id) == before
    return cause.message


async def new_complaint(api: httpx.AsyncClient) -> str:
    body = {
        "channel": "phone",
        "complainant": {"name": "Li Lei", "phone": f"+86 136{secrets.randbelow(10**8):08d}"},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "The delivery came two days late",
    }
    r = await api.post("/complaints", json=body, headers=headers("cs-1"))
    assert r.status_code == 201, r.text
    return str(r.json()["workflow_id"])


async def new_project(api: httpx.AsyncClient) -> str:
    body = project_application().model_dump(mode="json")
    r = await api.post("/client-projects", json=body, headers=headers("sales-1"))
    assert r.status_code == 201, r.text
    return str(r.json()["workflow_id"])


async def new_customer(api: httpx.AsyncClient) -> str:
    body = {"name": f"Forged Steps Customer {secrets.token_hex(4)}", "owner_id": "cs-1"}
    r = await api.post("/customers", json=body, headers=headers("cs-sup"))
    assert r.status_code == 201, r.text
    return str(r.json()["workflow_id"])


async def new_inquiry(api: httpx.AsyncClient) -> str:
    r = await api.post("/inquiries", json={"channel": "phone", "question": "Forged?"}, headers=headers("cs-1"))
    assert r.status_code == 201, r.text
    return str(r.json()["workflow_id"])


async def test_every_step_with_a_forged_actor_is_refused_and_writes_nothing(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-07, CP-12, CP-19, ND-02, ND-13, CC-04, CC-08 … hold only if nobody can act as someone
    else: each kind of step, sent straight to Temporal claiming the general manager (or the
    development group's leader, or the customer-service manager), is refused by its validator;
    nothing is written. CC-06: so is each inquiry step claiming the receiver's general manager."""
    assert set(COMPLAINT_BODIES) == set(ComplaintStep) and set(PROJECT_BODIES) == set(ProjectStep)  # each kind
    assert set(CUSTOMER_BODIES) == set(CustomerStep)
    assert set(INQUIRY_BODIES) == set(InquiryStep)
    client = await forger(dev_env)
    complaint, project, customer = await new_complaint(api), await new_project(api), await new_customer(api)
    gm, leader, manager = directory.get("gm"), directory.get("dev-lead"), directory.get("cs-mgr")
    assert gm is not None and leader is not None and manager is not None
    for step, body in COMPLAINT_BODIES.items():
        inp = COMPLAINT_STEPS[step].input.model_validate({"actor": gm.ref, "body": body})
        reason = await refused_with_nothing_written(engine, client, complaint, ComplaintWorkflow.update_for(step), inp)
        assert "through the API" in reason and TEST_STEP_KEY.split(":")[1] not in reason
    for pstep, body in PROJECT_BODIES.items():
        inp = PROJECT_STEPS[pstep].input.model_validate({"actor": leader.ref, "body": body, "expense_id": "E1"})
        await refused_with_nothing_written(engine, client, project, ClientProjectWorkflow.update_for(pstep), inp)
    counts = {"total": 100, "vip": 0, "preferred": 0}
    cs2 = directory.get("cs-2")
    assert cs2 is not None
    for cstep, body in CUSTOMER_BODIES.items():
        extra = {"counts": counts, "new_owner": cs2.ref, "new_owner_chain": directory.chain(cs2.id)}
        inp = CUSTOMER_STEPS[cstep].input.model_validate({"actor": manager.ref, "body": body} | extra)
        reason = await refused_with_nothing_written(
            engine, client, customer, CustomerAccountWorkflow.update_for(cstep), inp
        )
        assert "through the API" in reason, reason
    inquiry = await new_inquiry(api)
    for qstep, body in INQUIRY_BODIES.items():
        inp = INQUIRY_STEPS[qstep].input.model_validate({"actor": gm.ref, "body": body, "assignee": gm.ref})
        reason = await refused_with_nothing_written(engine, client, inquiry, InquiryWorkflow.update_for(qstep), inp)
        assert "through the API" in reason


async def test_a_proof_from_another_case_another_step_or_expired_is_refused(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """A proof copied from one case's history works nowhere else: not on another case, not as
    another update, not once expired; the untouched proof is accepted (and then used up)."""
    client = await forger(dev_env)
    first, second = await new_complaint(api), await new_complaint(api)
    cs1 = directory.get("cs-1")
    assert cs1 is not None
    plan = ComplaintWorkflow.update_for(ComplaintStep.escalate)
    inp = COMPLAINT_STEPS[ComplaintStep.escalate].input.model_validate({"actor": cs1.ref, "body": {"reason": "x"}})
    keys, soon = StepKeys(TEST_STEP_KEY), datetime.now(UTC) + timedelta(minutes=5)
    proven = inp.model_copy(update={"proof": keys.sign(first, "u-1", "escalate", inp, soon)})

    await refused_with_nothing_written(engine, client, second, plan, proven, "u-1")  # another case
    await refused_with_nothing_written(engine, client, first, plan, proven, "u-2")  # another update
    tampered = proven.model_copy(update={"body": proven.body.model_copy(update={"reason": "other"})})
    await refused_with_nothing_written(engine, client, first, plan, tampered, "u-1")  # another body
    past = datetime.now(UTC) - timedelta(seconds=1)
    expired = inp.model_copy(update={"proof": keys.sign(first, "u-3", "escalate", inp, past)})
    await refused_with_nothing_written(engine, client, first, plan, expired, "u-3")

    before = await event_count(engine, first)
    view = await client.get_workflow_handle(first).execute_update(plan, proven, id="u-1")
    assert view.escalation_level == 1 and await event_count(engine, first) == before + 1


async def rows_of(engine: AsyncEngine, workflow_id: str) -> int:
    """Events and projection rows the case has in the database."""
    async with engine.connect() as conn:
        events = await conn.scalar(
            select(func.count()).select_from(t.CaseEvent).where(t.CaseEvent.case_ref == workflow_id)
        )
        cases = await conn.scalar(
            select(func.count()).select_from(t.Complaint).where(t.Complaint.workflow_id == workflow_id)
        )
        projects = await conn.scalar(
            select(func.count()).select_from(t.ClientProject).where(t.ClientProject.workflow_id == workflow_id)
        )
        customers = await conn.scalar(
            select(func.count()).select_from(t.Customer).where(t.Customer.workflow_id == workflow_id)
        )
        inquiries = await conn.scalar(
            select(func.count()).select_from(t.Inquiry).where(t.Inquiry.workflow_id == workflow_id)
        )
    return int(events or 0) + int(cases or 0) + int(projects or 0) + int(customers or 0) + int(inquiries or 0)


async def start_refused(
    engine: AsyncEngine, client: Client, kind: CaseKind[Any, Any], inp: Any, task_queue: str
) -> str:
    """The start is answered with a refusal and leaves nothing in the database."""
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await start_case(client, task_queue, kind, inp)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "Forbidden", repr(cause)
    assert await rows_of(engine, kind.workflow_id(inp.id)) == 0
    return cause.message


async def test_a_case_started_around_the_api_registers_nothing(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory, task_queue: str
) -> None:
    """A complaint, a project or a customer account (CC-04) started straight through Temporal
    (claiming a receiver, an applicant or a supervisor), a proven start whose input was changed afterwards (other terms), and a
    "continued" project started from outside are refused; nothing is registered or written."""
    client = await forger(dev_env)
    gm, sales = directory.get("gm"), directory.get("sales-1")
    assert gm is not None and sales is not None
    body = ComplaintCreate.model_validate(
        {"channel": "phone", "target": {"kind": "service"}, "summary": "Forged complaint"}
    )
    forged = intake_input(new_case_id(), body, gm, directory, load_complaint_policy())
    assert "through the API" in await start_refused(engine, client, COMPLAINT, forged, task_queue)

    proven = intake_input(new_case_id(), body, gm, directory, load_complaint_policy())
    soon = datetime.now(UTC) + timedelta(minutes=5)
    proof = StepKeys(TEST_STEP_KEY).sign_start(complaint_workflow_id(proven.id), proven, soon)
    cheaper = proven.model_copy(
        update={"proof": proof, "policy": proven.policy.model_copy(update={"plan_deadline": timedelta(days=30)})}
    )
    assert "does not match" in await start_refused(engine, client, COMPLAINT, cheaper, task_queue)

    project = project_input(new_case_id(), project_application(), sales, directory, load_project_policy())
    await start_refused(engine, client, PROJECT, project, task_queue)
    continued = project.model_copy(
        update={
            "id": new_case_id(),
            "state": new_project_state(project, "x", datetime.now(UTC)).model_copy(update={"stage": Stage.active}),
        }
    )
    assert "continue only by themselves" in await start_refused(engine, client, PROJECT, continued, task_queue)

    sup = directory.get("cs-sup")
    assert sup is not None
    account = CustomerCreate.model_validate({"name": f"Forged Account {secrets.token_hex(4)}", "owner_id": "cs-1"})
    forged_account = customer_input(new_case_id(), account, sup, directory, CustomerPolicy())
    await start_refused(engine, client, CUSTOMER, forged_account, task_queue)
    # CC-06: an inquiry started straight through Temporal registers nothing either
    cs1 = directory.get("cs-1")
    assert cs1 is not None
    question = InquiryCreate.model_validate({"channel": "phone", "question": "Forged inquiry"})
    inquiry = inquiry_input(new_case_id(), question, cs1, directory, load_inquiry_policy())
    assert "through the API" in await start_refused(engine, client, INQUIRY, inquiry, task_queue)


async def test_cc04_a_forged_tier_review_confirmation_is_refused_and_writes_nothing(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory, task_queue: str
) -> None:
    """CC-04: only the department's supervisors and managers confirm its tier review, and only
    through the API: the confirmation sent straight to Temporal as the department's own
    supervisor is refused by the validator; nothing is written."""
    assert set(REVIEW_BODIES) == set(ReviewStep)
    period = f"2039-H{secrets.randbelow(2) + 1}-{secrets.token_hex(3)}"
    department = "customer_service"
    inp = TierReviewInput(
        id=f"{period}-{department}", period=period, department=department, policy=load_customer_policy()
    )
    wid = f"tier-review-{period}-{department}"
    handle = await dev_env.client.start_workflow(TierReviewWorkflow.run, inp, id=wid, task_queue=task_queue)
    await handle.execute_update(TierReviewWorkflow.registration())
    supervisor = directory.get("cs-sup")
    assert supervisor is not None
    client = await forger(dev_env)
    for step, body in REVIEW_BODIES.items():
        forged = REVIEW_STEPS[step].input.model_validate({"actor": supervisor.ref, "body": body})
        reason = await refused_with_nothing_written(engine, client, wid, TierReviewWorkflow.update_for(step), forged)
        assert "through the API" in reason
    await handle.terminate("test over")
