"""An inquiry as its workflow holds it (CC-06), and who may read it (CP-19's rule for cases)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.clock import ClockAccount
from models.confidential import Confidential
from models.inquiry.messages import InquiryCreate
from models.inquiry.vocabulary import InquiryStatus
from models.policy import InquiryPolicy
from models.staff import StaffRef


class InquiryState(BaseModel):
    id: str
    workflow_id: str
    inquiry: InquiryCreate
    receiver: StaffRef
    receiver_chain: list[StaffRef] = Field(default_factory=list)
    policy: InquiryPolicy
    received_at: datetime
    due_at: datetime
    seq: int = 0
    status: InquiryStatus = InquiryStatus.open
    #: CC-06: the answer clock ran out unanswered (escalated to the receiver's leader)
    late: bool = False
    escalated_to: str | None = None
    assignee: StaffRef | None = None
    assignee_chain: list[StaffRef] = Field(default_factory=list)
    answered_at: datetime | None = None
    answered_by: str | None = None
    answer: Confidential | None = None
    answered_within_deadline: bool | None = None
    #: issue 14: every run of the answer clock
    clocks: list[ClockAccount] = Field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status is InquiryStatus.open


def direct_leader(s: InquiryState) -> StaffRef | None:
    """The receiver's direct leader (CC-06: whom a late inquiry is escalated to)."""
    return s.receiver_chain[0] if s.receiver_chain else None


def viewers(s: InquiryState) -> list[str]:
    """Who may read the inquiry: the receiver, the assignee, and the leaders above each of
    them (as CP-19 for complaints); nobody else."""
    people = [s.receiver, *s.receiver_chain]
    if s.assignee is not None:
        people += [s.assignee, *s.assignee_chain]
    return list(dict.fromkeys(p.id for p in people))
