"""What crosses the inquiry's boundaries (CC-06): the intake, each step's body and typed input,
and the start check of its first activity."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.case import CaseInput, StepInput, Strict
from models.confidential import ShortId, ShortText, Text
from models.inquiry.vocabulary import InquiryChannel
from models.policy import InquiryPolicy
from models.staff import StaffRef


class InquiryCreate(Strict):
    """Body of POST /inquiries (CC-06): the caller is the receiver, its first responder."""

    customer_id: ShortId | None = None
    channel: InquiryChannel
    question: Text
    contact: ShortText | None = None


class InquiryInput(CaseInput):
    """Input of InquiryWorkflow: the inquiry, its receiver and their leaders, and its terms."""

    id: str
    inquiry: InquiryCreate
    receiver: StaffRef
    receiver_chain: list[StaffRef] = Field(default_factory=list)
    policy: InquiryPolicy

    def acting_staff_id(self) -> str:
        return self.receiver.id


class AnswerBody(Strict):
    """CC-06: the answer given to the customer."""

    answer: Text


class InquiryAssignBody(Strict):
    """CC-06: the staff member who is to answer."""

    assignee_id: ShortId


class AnswerInput(StepInput[AnswerBody]):
    pass


class AssignInput(StepInput[InquiryAssignBody]):
    """The assignee resolved by the API (with the leaders above them); None: unknown staff."""

    assignee: StaffRef | None = None
    assignee_chain: list[StaffRef] = Field(default_factory=list)


class StartCheck(BaseModel):
    """Input of the check_inquiry_start activity: the start, to prove it came through the API."""

    start: InquiryInput
    started_at: datetime | None = None


class StartChecked(BaseModel):
    """Why the start is refused (None: it came through the API)."""

    refusal: str | None = None
