"""Starting a complaint workflow: shared by the API and the command line."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from infra.logs import mask_phones
from models.complaint import ComplaintCreate, ComplaintView, IntakeInput
from models.policy import ComplaintPolicy
from models.staff import Directory, Role, Staff
from workflows.complaint import ComplaintWorkflow, workflow_id_for

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_complaint_id(now: datetime | None = None) -> str:
    """A readable, sortable id: ``20261124-7F3K2Q``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def static_summary(complaint_id: str, complaint: ComplaintCreate) -> str:
    """What the Temporal UI shows for the workflow: no name, no phone."""
    subject = f" · {mask_phones(complaint.subject_ref)}" if complaint.subject_ref else ""
    return (
        f"Complaint {complaint_id} · {complaint.channel.value} · about a "
        f"{complaint.target.kind.value}{subject}"
    )


def intake_input(
    complaint_id: str,
    complaint: ComplaintCreate,
    receiver: Staff,
    directory: Directory,
    policy: ComplaintPolicy,
) -> IntakeInput:
    return IntakeInput(
        id=complaint_id,
        complaint=complaint,
        receiver=receiver.ref,
        receiver_chain=directory.chain(receiver.id),
        crisis_team=directory.with_role(Role.general_manager),
        policy=policy,
    )


async def start_complaint(client: Client, task_queue: str, inp: IntakeInput) -> ComplaintView:
    """Start the workflow and wait until intake is written (update-with-start). Starting the
    same id again attaches to the running case instead of making a second one."""
    op = WithStartWorkflowOperation(
        ComplaintWorkflow.run,
        inp,
        id=workflow_id_for(inp.id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=static_summary(inp.id, inp.complaint),
    )
    return await client.execute_update_with_start_workflow(
        ComplaintWorkflow.registered_case, start_workflow_operation=op
    )
