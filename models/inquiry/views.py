"""What the receiver, the assignee and their leaders read of an inquiry (CC-06)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from models.confidential import Confidential
from models.inquiry.state import InquiryState
from models.inquiry.vocabulary import InquiryChannel, InquiryStatus


class InquiryView(BaseModel):
    """GET /inquiries/{id}: the inquiry as it is now."""

    id: str
    workflow_id: str
    customer_id: str | None
    channel: InquiryChannel
    question: Confidential
    contact: Confidential | None
    receiver_id: str
    assignee_id: str | None
    status: InquiryStatus
    late: bool
    escalated_to: str | None
    received_at: datetime
    due_at: datetime
    answered_at: datetime | None
    answered_by: str | None
    answer: Confidential | None
    answered_within_deadline: bool | None
    seq: int


def view_of(s: InquiryState) -> InquiryView:
    return InquiryView(
        id=s.id,
        workflow_id=s.workflow_id,
        customer_id=s.inquiry.customer_id,
        channel=s.inquiry.channel,
        question=s.inquiry.question,
        contact=s.inquiry.contact,
        receiver_id=s.receiver.id,
        assignee_id=s.assignee.id if s.assignee else None,
        status=s.status,
        late=s.late,
        escalated_to=s.escalated_to,
        received_at=s.received_at,
        due_at=s.due_at,
        answered_at=s.answered_at,
        answered_by=s.answered_by,
        answer=s.answer,
        answered_within_deadline=s.answered_within_deadline,
        seq=s.seq,
    )


def describe_waiting(s: InquiryState) -> str:
    """The Temporal UI's current details: ids, statuses and times only (no question, no name)."""
    if not s.open:
        on_time = "on time" if s.answered_within_deadline else "late"
        at = f" at {s.answered_at:%Y-%m-%d %H:%M} UTC" if s.answered_at else ""
        return f"Inquiry {s.id}: answered{at} ({on_time})"
    who = s.assignee.id if s.assignee else s.receiver.id
    if s.late:
        return (
            f"Inquiry {s.id}: LATE, escalated to {s.escalated_to or 'nobody'}; waiting for the answer "
            f"from {who} (was due {s.due_at:%Y-%m-%d %H:%M} UTC)"
        )
    return f"Inquiry {s.id}: waiting for the answer from {who} until {s.due_at:%Y-%m-%d %H:%M} UTC"
