"""What crosses the complaint's boundaries: the intake, each step's body and typed input, and
the inputs and answers of its activities."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from models.case import CaseInput, DecisionBody, StepInput, Strict, TermsBody
from models.complaint.vocabulary import (
    Category,
    Channel,
    InvalidReason,
    Motive,
    ReplyChannel,
    Severity,
    SeverityReason,
    Subtype,
    TargetKind,
    Validity,
)
from models.confidential import CONFIDENTIAL, Confidential, ShortId, ShortText, Text
from models.policy import ComplaintPolicy
from models.staff import StaffRef

Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-]{5,32}$"), CONFIDENTIAL]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), CONFIDENTIAL
]

# --- intake -------------------------------------------------------------------------------


class Complainant(Strict):
    """CP-02: every field optional, so an anonymous complaint is accepted."""

    name: ShortText | None = None
    phone: Phone | None = None
    #: issue 17: where the acknowledgement (CP-21) and a written result (CP-14) are mailed
    email: Email | None = None
    #: the language of what is mailed to the complainant (Chinese unless said)
    language: Literal["zh", "en"] | None = None
    customer_id: ShortId | None = None


class Target(Strict):
    kind: TargetKind
    staff_id: ShortId | None = None
    name: ShortText | None = None

    @model_validator(mode="after")
    def _staff_needs_id(self) -> Target:
        if self.kind is TargetKind.staff and not self.staff_id:
            raise ValueError("target.staff_id is required when target.kind is staff")
        return self


class ComplaintCreate(Strict):
    """Body of POST /complaints (CP-01, CP-02)."""

    channel: Channel
    complainant: Complainant = Field(default_factory=Complainant)
    target: Target
    summary: ShortText
    description: Text | None = None
    occurred_at: AwareDatetime | None = None
    subject_ref: ShortText | None = None


class ComplaintInput(CaseInput):
    """Input of ComplaintWorkflow: the complaint, the people around it, and its terms."""

    id: str
    complaint: ComplaintCreate
    receiver: StaffRef
    receiver_chain: list[StaffRef]
    crisis_team: list[StaffRef]
    policy: ComplaintPolicy

    def acting_staff_id(self) -> str:
        return self.receiver.id


# --- human steps: the bodies people send --------------------------------------------------


class AssignBody(Strict):
    handler_id: ShortId
    investigator_id: ShortId | None = None


class ClassifyBody(Strict):
    category: Category
    subtype: Subtype | None = None
    #: CP-05: a service complaint about service *attitude* (服務態度): only such a complaint
    #: raised more than a calendar month after the incident is invalid for lateness
    attitude: bool = False
    validity: Validity
    invalid_reason: InvalidReason | None = None
    #: CP-05: an invalid complaint's motive; general when not given (an unfounded anonymous
    #: complaint is malicious whatever is given)
    motive: Motive | None = None
    severity: Severity = Severity.general
    severity_reasons: list[SeverityReason] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _coherent(self) -> ClassifyBody:
        if self.category is Category.business and self.subtype is None:
            raise ValueError("subtype is required for a business complaint (CP-04)")
        if self.category is Category.service and self.subtype is not None:
            raise ValueError("subtype applies to business complaints only (CP-04)")
        if self.category is Category.business and self.attitude:
            raise ValueError("attitude applies to service complaints only (CP-05)")
        if self.validity is Validity.invalid and self.invalid_reason is None:
            raise ValueError("invalid_reason is required when validity is invalid (CP-05)")
        if self.validity is Validity.valid and (self.invalid_reason or self.motive):
            raise ValueError("invalid_reason and motive apply to invalid complaints only")
        return self


class PlanBody(Strict):
    plan: Text


class InvestigationBody(Strict):
    """CP-11: facts from both sides and loopholes; no field for a commitment."""

    findings: Text
    loopholes: Text | None = None


class EscalateBody(Strict):
    reason: Text


class CompensationBody(Strict):
    amount: Decimal = Field(gt=0, le=Decimal("100000000"), decimal_places=2)
    reason: Text


class MajorReportBody(Strict):
    report: Text


class ResolveBody(Strict):
    result: Text
    reply_channel: ReplyChannel = ReplyChannel.letter


class SurveyBody(Strict):
    satisfied: bool
    score: int | None = Field(default=None, ge=1, le=5)
    comment: Text | None = None


class StaffSurveyBody(Strict):
    """CP-16: the staff member complained about accepts the result, or not."""

    satisfied: bool
    comment: Text | None = None


class WaitForCustomerBody(Strict):
    """Issue 14: why the case waits on the customer (confidential: a text of the event)."""

    reason: Text


class ResumeBody(Strict):
    """Issue 14: the wait is over (the customer's reply, if any: confidential)."""

    note: Text | None = None


# --- human steps: what each update carries ------------------------------------------------

Body = TypeVar("Body", bound=Strict)


class ComplaintStepInput(StepInput[Body]):
    """A complaint step's update input: who acts, the typed body, and the staff the step names,
    resolved by the API (with their leadership chains) before the workflow sees them."""

    handler: StaffRef | None = None
    handler_chain: list[StaffRef] = Field(default_factory=list)
    investigator: StaffRef | None = None
    investigator_chain: list[StaffRef] = Field(default_factory=list)


AssignInput = ComplaintStepInput[AssignBody]
ClassifyInput = ComplaintStepInput[ClassifyBody]
PlanInput = ComplaintStepInput[PlanBody]
InvestigationInput = ComplaintStepInput[InvestigationBody]
EscalateInput = ComplaintStepInput[EscalateBody]
CompensationInput = ComplaintStepInput[CompensationBody]
CompensationDecisionInput = ComplaintStepInput[DecisionBody]
MajorReportInput = ComplaintStepInput[MajorReportBody]
ResolveInput = ComplaintStepInput[ResolveBody]
SurveyInput = ComplaintStepInput[SurveyBody]
StaffSurveyInput = ComplaintStepInput[StaffSurveyBody]
WaitForCustomerInput = ComplaintStepInput[WaitForCustomerBody]
ResumeInput = ComplaintStepInput[ResumeBody]
ChangeTermsInput = ComplaintStepInput[TermsBody]

# --- activities ---------------------------------------------------------------------------


class CustomerLookup(BaseModel):
    """CP-03 / CP-06: what the customer registry and past complaints say at intake."""

    customer_verified: bool
    customer_id: str | None
    repeat_of: list[str] = Field(default_factory=list)
    #: why the start is not proven to come through the API (None: it is, or was recorded
    #: before starts were proven)
    refusal: str | None = None


class LookupInput(BaseModel):
    complaint_id: str
    customer_id: str | None
    phone: Confidential | None
    received_at: datetime
    repeat_window: timedelta
    #: the workflow's input, whose proof the look-up checks, and when the workflow started
    start: ComplaintInput | None = None
    started_at: datetime | None = None


class ReassignInput(BaseModel):
    """CP-13: who takes over from a handler who let the resolution deadline pass: a staff member
    of another department than ``department`` (the original handler's), never one of
    ``exclude``."""

    department: str
    exclude: list[str]


class Reassignment(BaseModel):
    handler: StaffRef | None
    handler_chain: list[StaffRef] = Field(default_factory=list)
