"""Starting a case's workflow: a complaint, a new-client development project, a year's rewards
round or an inquiry (CC-06). Shared by the API (api/routes/*), the command line and the
benchmarks."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from infra.calendars import with_calendar
from infra.temporal import TemporalUnavailable
from models.calendar import DEFAULT_TIMEZONE, local_date
from models.complaint.messages import ComplaintCreate, ComplaintInput
from models.complaint.views import ComplaintView
from models.customer.messages import CustomerCreate
from models.customer.state import CustomerInput, account_input
from models.customer.views import CustomerView
from models.inquiry.messages import InquiryCreate, InquiryInput
from models.inquiry.views import InquiryView
from models.policy import ComplaintPolicy, CustomerPolicy, InquiryPolicy, ProjectPolicy
from models.project.messages import ProjectCreate
from models.project.state import ProjectInput
from models.project.views import ProjectView
from models.rewards.messages import RewardsInput
from models.rewards.views import RewardsView
from models.staff import Directory, Role, Staff
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id
from workflows.customer import CustomerAccountWorkflow, customer_workflow_id
from workflows.inquiry import InquiryWorkflow, inquiry_workflow_id
from workflows.project import ClientProjectWorkflow, project_workflow_id
from workflows.rewards import RewardsWorkflow, rewards_workflow_id

T = TypeVar("T")
V = TypeVar("V")


class HasId(Protocol):
    id: str


In = TypeVar("In", bound=HasId)

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_case_id(now: datetime | None = None, timezone: str = DEFAULT_TIMEZONE) -> str:
    """A readable, sortable id: ``20261124-7F3K2Q``, dated by the company's calendar."""
    day = local_date(now or datetime.now(UTC), timezone)
    return f"{day:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def complaint_static_summary(complaint_id: str, complaint: ComplaintCreate) -> str:
    """What the Temporal UI shows for the workflow: ids and kinds, no text anyone wrote."""
    return f"Complaint {complaint_id} · {complaint.channel.value} · about a {complaint.target.kind.value}"


def intake_input(
    complaint_id: str,
    complaint: ComplaintCreate,
    receiver: Staff,
    directory: Directory,
    policy: ComplaintPolicy,
    now: datetime | None = None,
) -> ComplaintInput:
    """The complaint's workflow input: its policy with the concrete business calendar when a
    clock counts working time (``with_calendar``: the case keeps it), ``now`` its start."""
    return ComplaintInput(
        id=complaint_id,
        complaint=complaint,
        receiver=receiver.ref,
        receiver_chain=directory.chain(receiver.id),
        crisis_team=directory.crisis_team(),
        policy=with_calendar(policy, now),
    )


# --- new-client development projects ------------------------------------------------------


def project_static_summary(inp: ProjectInput) -> str:
    """What the Temporal UI shows for a project's workflow: no client name (confidential)."""
    return f"New-client project {inp.id} · {inp.application.product_line}"


def project_input(
    project_id: str,
    application: ProjectCreate,
    applicant: Staff,
    directory: Directory,
    policy: ProjectPolicy,
    history_limit: int | None = None,
    now: datetime | None = None,
) -> ProjectInput:
    """The project's workflow input: its policy with the concrete business calendar when a
    clock counts working time (``with_calendar``: the case keeps it), ``now`` its start."""
    implementers = []
    for sid in application.implementer_ids:
        s = directory.get(sid)
        if s is None:
            raise ValueError(f"implementer_ids: unknown staff {sid}")
        if s.role is not Role.staff:
            raise ValueError(f"implementer_ids: {sid} is not a sales staff member")
        implementers.append(s.ref)
    extra = {"history_limit": history_limit} if history_limit else {}
    return ProjectInput(
        id=project_id,
        application=application,
        applicant=applicant.ref,
        implementers=implementers,
        officers=directory.with_role(Role.review_group, Role.deputy_leader, Role.group_leader, Role.finance),
        policy=with_calendar(policy, now),
        **extra,
    )


# --- customer accounts (issue 16) ---------------------------------------------------------


def customer_static_summary(inp: CustomerInput) -> str:
    """What the Temporal UI shows for an account's workflow: ids only (the name is confidential)."""
    origin = f" · from project {inp.from_project}" if inp.from_project else ""
    return f"Customer account {inp.id} · {inp.owner.department}{origin}"


def customer_input(
    customer_id: str,
    create: CustomerCreate,
    opened_by: Staff,
    directory: Directory,
    policy: CustomerPolicy,
    from_project: str | None = None,
    history_limit: int | None = None,
    now: datetime | None = None,
) -> CustomerInput:
    """The account's workflow input (models.customer.state.account_input), its policy with the
    concrete calendar when a clock counts working time. ValueError names a bad field."""
    return account_input(
        customer_id,
        create,
        opened_by.ref,
        directory,
        with_calendar(policy, now),
        from_project=from_project,
        history_limit=history_limit,
    )


# --- inquiries (CC-06) --------------------------------------------------------------------


def inquiry_static_summary(inp: InquiryInput) -> str:
    """What the Temporal UI shows for an inquiry's workflow: ids and the channel only (no
    question, no contact, no name)."""
    customer = f" · customer {inp.inquiry.customer_id}" if inp.inquiry.customer_id else ""
    return f"Inquiry {inp.id} · {inp.inquiry.channel.value}{customer}"


def inquiry_input(
    inquiry_id: str,
    inquiry: InquiryCreate,
    receiver: Staff,
    directory: Directory,
    policy: InquiryPolicy,
    now: datetime | None = None,
) -> InquiryInput:
    """The inquiry's workflow input (CC-06): its receiver (the first responder) with the leaders
    above them, and its policy with the concrete business calendar when the answer clock counts
    working time (``with_calendar``: the case keeps it)."""
    return InquiryInput(
        id=inquiry_id,
        inquiry=inquiry,
        receiver=receiver.ref,
        receiver_chain=directory.chain(receiver.id),
        policy=with_calendar(policy, now),
    )


# --- starting any case -------------------------------------------------------------------


@dataclass(frozen=True)
class CaseKind(Generic[In, V]):
    """How a family of case starts: its workflow's run method, the update that answers once the
    case is registered, its workflow id (from the case's id) and the static summary the
    Temporal UI shows (no name, no phone)."""

    run: Callable[[Any, In], Awaitable[V]]
    registered: UpdateMethodMultiParam[[Any], V]
    workflow_id: Callable[[str], str]
    summary: Callable[[In], str]
    #: whether a closed workflow's id may start again (a year's rewards round may not: ND-12)
    id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE


COMPLAINT: CaseKind[ComplaintInput, ComplaintView] = CaseKind(
    ComplaintWorkflow.run,
    ComplaintWorkflow.registration(),
    complaint_workflow_id,
    lambda inp: complaint_static_summary(inp.id, inp.complaint),
)
PROJECT: CaseKind[ProjectInput, ProjectView] = CaseKind(
    ClientProjectWorkflow.run, ClientProjectWorkflow.registration(), project_workflow_id, project_static_summary
)
#: Issue 16: a customer's account (``customer-<id>``), one per customer for as long as it is one.
CUSTOMER: CaseKind[CustomerInput, CustomerView] = CaseKind(
    CustomerAccountWorkflow.run,
    CustomerAccountWorkflow.registration(),
    customer_workflow_id,
    customer_static_summary,
)
#: ND-12: a year's rewards round, one per year (``rewards-<year>``): a second start attaches to
#: the running round, and a closed (approved) one is never started again.
REWARDS: CaseKind[RewardsInput, RewardsView] = CaseKind(
    RewardsWorkflow.run,
    RewardsWorkflow.registration(),
    rewards_workflow_id,
    lambda inp: f"Year-end rewards {inp.year}",
    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
)

#: CC-06: an inquiry (``inquiry-<id>``).
INQUIRY: CaseKind[InquiryInput, InquiryView] = CaseKind(
    InquiryWorkflow.run, InquiryWorkflow.registration(), inquiry_workflow_id, inquiry_static_summary
)


async def start_case(client: Client, task_queue: str, kind: CaseKind[In, V], inp: In) -> V:
    """Start the case's workflow and wait until it is registered (update-with-start). Starting
    the same id again attaches to the running case instead of making a second one."""
    op = WithStartWorkflowOperation(
        kind.run,
        inp,
        id=kind.workflow_id(inp.id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=kind.id_reuse_policy,
        static_summary=kind.summary(inp),
    )
    return await client.execute_update_with_start_workflow(kind.registered, start_workflow_operation=op)


async def start_complaint(client: Client, task_queue: str, inp: ComplaintInput) -> ComplaintView:
    return await start_case(client, task_queue, COMPLAINT, inp)


async def start_project(client: Client, task_queue: str, inp: ProjectInput) -> ProjectView:
    return await start_case(client, task_queue, PROJECT, inp)


async def register(client: Client, task_queue: str, kind: CaseKind[In, V], inp: In, wait: float) -> V | None:
    """The API's intake of every case: start it and wait at most ``wait`` seconds for its
    registration (registered_or_accepted: None when it was started
    durably but is not registered yet; TemporalUnavailable when nothing was started)."""
    start = start_case(client, task_queue, kind, inp)
    return await registered_or_accepted(client, kind.workflow_id(inp.id), start, wait)


# --- waiting for an intake ----------------------------------------------------------------


async def started(client: Client, workflow_id: str) -> bool:
    """Whether the workflow exists."""
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as e:
        if e.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def registered_or_accepted(client: Client, workflow_id: str, start: Awaitable[T], wait: float) -> T | None:
    """Await an intake's update-with-start for at most ``wait`` seconds: the registered case,
    or None when the waiting stopped first (ours, or Temporal's) but the workflow exists, that
    is, was started durably and registers as soon as a worker runs (the caller answers 202).
    If it does not exist, nothing was started: TemporalUnavailable (503), and a retry (with
    the same Idempotency-Key) is safe."""
    try:
        return await asyncio.wait_for(start, timeout=wait)
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
        if await started(client, workflow_id):
            return None
        raise TemporalUnavailable("the case was not started in time; retry with the same Idempotency-Key") from None
