"""Shapes of the complaint lifecycle: intake, human steps, the case state, its events."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from models.policy import ComplaintPolicy
from models.staff import StaffRef

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-]{5,32}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- vocabularies -------------------------------------------------------------------------


class Channel(StrEnum):
    """CP-01: every channel enters through the same intake."""

    phone = "phone"
    walk_in = "walk_in"
    online_chat = "online_chat"
    email = "email"
    letter = "letter"
    hotline = "hotline"
    authority_referral = "authority_referral"
    revisit = "revisit"


class TargetKind(StrEnum):
    staff = "staff"
    department = "department"
    product = "product"
    service = "service"


class Status(StrEnum):
    received = "received"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class Category(StrEnum):
    """CP-04."""

    service = "service"
    business = "business"


class Subtype(StrEnum):
    """CP-04: subtypes of a business complaint."""

    goods_discrepancy = "goods_discrepancy"
    timeliness = "timeliness"
    information_error = "information_error"
    insurance_claims = "insurance_claims"
    other = "other"


class Validity(StrEnum):
    valid = "valid"
    invalid = "invalid"


class InvalidReason(StrEnum):
    """CP-05: the six reasons of 第九條."""

    facts_contradicted = "facts_contradicted"  # (1) facts differ, the complainant is responsible
    prohibited_service = "prohibited_service"  # (2) asked for a service the company forbids
    extortion = "extortion"  # (3) provocation, threatening with the complaint
    anonymous_unfounded = "anonymous_unfounded"  # (4) anonymous, no facts or not borne out
    unverifiable = "unverifiable"  # (5) facts incomplete, cannot be traced or verified
    late_attitude_complaint = "late_attitude_complaint"  # (6) attitude, raised after a month


class Motive(StrEnum):
    """CP-05: motive of an invalid complaint (第十一條)."""

    general = "general"
    malicious = "malicious"


class Severity(StrEnum):
    general = "general"
    important = "important"
    major = "major"


SEVERITY_ORDER = {Severity.general: 0, Severity.important: 1, Severity.major: 2}


class SeverityReason(StrEnum):
    """CP-06: each of these makes a complaint major."""

    media_exposure = "media_exposure"
    customer_conflict = "customer_conflict"
    repeat_complaint = "repeat_complaint"
    head_office = "head_office"
    blockade = "blockade"
    return_exchange = "return_exchange"


class ReplyChannel(StrEnum):
    """CP-14: written form preferred."""

    letter = "letter"
    email = "email"
    sms = "sms"
    phone = "phone"
    in_person = "in_person"


class ApprovalLevel(StrEnum):
    """CP-12: who approves a compensation of a given amount."""

    leader = "leader"
    manager = "manager"
    general_manager = "general_manager"


class CompensationStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class ClosedReason(StrEnum):
    invalid = "invalid"
    satisfied = "satisfied"
    survey_unanswered = "survey_unanswered"


class Step(StrEnum):
    """Human steps, each a Temporal update (and a POST on the API)."""

    assign = "assign"
    classify = "classify"
    plan = "plan"
    investigation = "investigation"
    escalate = "escalate"
    compensation = "compensation"
    compensation_decision = "compensation_decision"
    major_report = "major_report"
    resolve = "resolve"
    survey = "survey"


class Deadline(StrEnum):
    """The clocks of a complaint; each is a named Temporal timer."""

    plan = "plan"
    resolution = "resolution"
    major_report = "major_report"
    survey = "survey"


# --- intake -------------------------------------------------------------------------------


class Complainant(Strict):
    """CP-02: every field optional, so an anonymous complaint is accepted."""

    name: ShortText | None = None
    phone: Phone | None = None
    customer_id: ShortText | None = None


class Target(Strict):
    kind: TargetKind
    staff_id: ShortText | None = None
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


class IntakeInput(BaseModel):
    """Input of ComplaintWorkflow: the complaint, the people around it, and its terms."""

    id: str
    complaint: ComplaintCreate
    receiver: StaffRef
    receiver_chain: list[StaffRef]
    crisis_team: list[StaffRef]
    policy: ComplaintPolicy


# --- human steps: API bodies --------------------------------------------------------------


class AssignBody(Strict):
    handler_id: ShortText
    investigator_id: ShortText | None = None


class ClassifyBody(Strict):
    category: Category
    subtype: Subtype | None = None
    validity: Validity
    invalid_reason: InvalidReason | None = None
    motive: Motive | None = None
    severity: Severity = Severity.general
    severity_reasons: list[SeverityReason] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _coherent(self) -> ClassifyBody:
        if self.category is Category.business and self.subtype is None:
            raise ValueError("subtype is required for a business complaint (CP-04)")
        if self.category is Category.service and self.subtype is not None:
            raise ValueError("subtype applies to business complaints only (CP-04)")
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


class DecisionBody(Strict):
    approved: bool
    note: Text | None = None


class MajorReportBody(Strict):
    report: Text


class ResolveBody(Strict):
    result: Text
    reply_channel: ReplyChannel = ReplyChannel.letter


class SurveyBody(Strict):
    satisfied: bool
    score: int | None = Field(default=None, ge=1, le=5)
    comment: Text | None = None


STEP_BODIES: dict[Step, type[Strict]] = {
    Step.assign: AssignBody,
    Step.classify: ClassifyBody,
    Step.plan: PlanBody,
    Step.investigation: InvestigationBody,
    Step.escalate: EscalateBody,
    Step.compensation: CompensationBody,
    Step.compensation_decision: DecisionBody,
    Step.major_report: MajorReportBody,
    Step.resolve: ResolveBody,
    Step.survey: SurveyBody,
}


class StepInput(BaseModel):
    """What an update carries: who acts, the body, and staff the step names, resolved."""

    actor: StaffRef
    body: dict[str, Any]
    handler: StaffRef | None = None
    handler_chain: list[StaffRef] = Field(default_factory=list)
    investigator: StaffRef | None = None
    investigator_chain: list[StaffRef] = Field(default_factory=list)


# --- the case -----------------------------------------------------------------------------


class Compensation(BaseModel):
    amount: Decimal
    reason: str
    required_level: ApprovalLevel
    status: CompensationStatus = CompensationStatus.pending
    requested_by: str
    decided_by: str | None = None
    note: str | None = None


class ComplaintState(BaseModel):
    """The case as the workflow holds it; its snapshot is the database projection."""

    id: str
    workflow_id: str
    complaint: ComplaintCreate
    received_at: datetime
    receiver: StaffRef
    receiver_chain: list[StaffRef]
    crisis_team: list[StaffRef]
    policy: ComplaintPolicy
    seq: int = 0

    status: Status = Status.received
    closed_reason: ClosedReason | None = None
    closed_at: datetime | None = None
    customer_verified: bool = False
    repeat_of: list[str] = Field(default_factory=list)

    category: Category | None = None
    subtype: Subtype | None = None
    validity: Validity | None = None
    invalid_reason: InvalidReason | None = None
    motive: Motive | None = None
    severity: Severity = Severity.general
    severity_reasons: list[SeverityReason] = Field(default_factory=list)

    handler: StaffRef | None = None
    handler_chain: list[StaffRef] = Field(default_factory=list)
    former_handler_ids: list[str] = Field(default_factory=list)
    investigator: StaffRef | None = None
    investigator_chain: list[StaffRef] = Field(default_factory=list)
    escalation_level: int = 0
    escalated_to: list[str] = Field(default_factory=list)

    clock_started_at: datetime
    plan: str | None = None
    plan_recorded_at: datetime | None = None
    plan_overdue: bool = False
    resolution_overdue: bool = False
    findings: str | None = None
    loopholes: str | None = None
    compensation: Compensation | None = None
    major_since: datetime | None = None
    major_report: str | None = None
    major_report_overdue: bool = False
    result: str | None = None
    reply_channel: ReplyChannel | None = None
    resolved_at: datetime | None = None
    reply_sent_at: datetime | None = None
    satisfied: bool | None = None
    score: int | None = None
    reopen_count: int = 0
    archived: bool = False
    case_file: str | None = None

    # --- derived -----------------------------------------------------------------------
    @property
    def owner(self) -> StaffRef:
        """CP-20: the first responder owns the case until it is assigned."""
        return self.handler or self.receiver

    @property
    def owner_chain(self) -> list[StaffRef]:
        return self.handler_chain if self.handler else self.receiver_chain

    @property
    def open(self) -> bool:
        return self.status in (Status.received, Status.in_progress)

    @property
    def target_staff_id(self) -> str | None:
        return self.complaint.target.staff_id if self.complaint.target.kind == "staff" else None

    @property
    def plan_due_at(self) -> datetime | None:
        if not self.open or self.plan is not None:
            return None
        return self.clock_started_at + self.policy.plan_deadline

    @property
    def resolution_due_at(self) -> datetime | None:
        if not self.open:
            return None
        return self.clock_started_at + self.policy.resolution_deadline

    @property
    def major_report_due_at(self) -> datetime | None:
        if self.major_since is None or self.major_report is not None or self.status is Status.closed:
            return None
        return self.major_since + self.policy.major_report_deadline

    @property
    def revisit_due_at(self) -> datetime | None:
        if self.status is not Status.resolved or self.resolved_at is None:
            return None
        return self.resolved_at + self.policy.revisit_deadline

    @property
    def survey_due_at(self) -> datetime | None:
        if self.status is not Status.resolved or self.resolved_at is None:
            return None
        return self.resolved_at + self.policy.survey_wait

    def due(self, deadline: Deadline) -> datetime | None:
        return {
            Deadline.plan: self.plan_due_at if not self.plan_overdue else None,
            Deadline.resolution: self.resolution_due_at if not self.resolution_overdue else None,
            Deadline.major_report: self.major_report_due_at if not self.major_report_overdue else None,
            Deadline.survey: self.survey_due_at,
        }[deadline]


class ComplaintView(BaseModel):
    """GET /complaints/{id}: the case as it is now."""

    id: str
    workflow_id: str
    status: Status
    closed_reason: ClosedReason | None
    channel: Channel
    complainant: Complainant
    target: Target
    summary: str
    description: str | None
    occurred_at: datetime | None
    subject_ref: str | None
    received_at: datetime
    receiver_id: str
    first_responder_id: str
    customer_verified: bool
    repeat_of: list[str]
    category: Category | None
    subtype: Subtype | None
    validity: Validity | None
    invalid_reason: InvalidReason | None
    motive: Motive | None
    severity: Severity
    severity_reasons: list[SeverityReason]
    handler_id: str | None
    investigator_id: str | None
    escalation_level: int
    escalated_to: list[str]
    plan: str | None
    plan_recorded_at: datetime | None
    plan_due_at: datetime | None
    resolution_due_at: datetime | None
    major_report_due_at: datetime | None
    revisit_due_at: datetime | None
    survey_due_at: datetime | None
    next_due_at: datetime | None
    plan_overdue: bool
    resolution_overdue: bool
    major_report_overdue: bool
    findings: str | None
    loopholes: str | None
    compensation: Compensation | None
    major_report: str | None
    result: str | None
    reply_channel: ReplyChannel | None
    reply_sent_at: datetime | None
    resolved_at: datetime | None
    satisfied: bool | None
    score: int | None
    reopen_count: int
    closed_at: datetime | None
    archived: bool
    case_file: str | None
    seq: int


class CaseEvent(BaseModel):
    """One line of a case's history: what happened, who did it, when."""

    seq: int
    kind: str
    actor_id: str | None
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class Notification(BaseModel):
    """A message to a staff member's inbox, or to the complainant (recipient_id None)."""

    recipient_kind: str  # "staff" | "complainant"
    recipient_id: str | None
    kind: str
    message: str
    channel: str | None = None


class Accountability(BaseModel):
    """CP-13: an accountability record written for a staff member."""

    staff_id: str
    role: str
    reason: str


class ComplaintRecord(BaseModel):
    """Input of the record_complaint_step activity: one step, written in one transaction."""

    case: ComplaintState
    event: CaseEvent
    view: ComplaintView | None = None  # derived from case when not given
    viewers: list[str] | None = None  # derived from case when not given
    notifications: list[Notification] = Field(default_factory=list)
    accountability: list[Accountability] = Field(default_factory=list)


class StepWritten(BaseModel):
    """What record_complaint_step answers: whether this attempt wrote, and when the write ended
    (by the worker's clock). Recorded in the history with the result, so the workflow may
    count a clock it arms after the write from then: a timer starts only when the workflow
    task that asked for it completes, after the write."""

    wrote: bool
    at: datetime


class CustomerLookup(BaseModel):
    """CP-03 / CP-06: what the customer registry and past complaints say at intake."""

    customer_verified: bool
    customer_id: str | None
    repeat_of: list[str] = Field(default_factory=list)


class LookupInput(BaseModel):
    complaint_id: str
    customer_id: str | None
    phone: str | None
    received_at: datetime
    repeat_window: timedelta


class ReassignInput(BaseModel):
    """CP-13: who takes over from a handler who let the resolution deadline pass."""

    department: str
    exclude: list[str]


class Reassignment(BaseModel):
    handler: StaffRef | None
    handler_chain: list[StaffRef] = Field(default_factory=list)
