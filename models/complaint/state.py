"""The complaint as its workflow holds it: every clock derived from the state, so a step that
changes the state moves the clocks with it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from models.clock import ClockAccount, Pause, is_paused, pauses_since, run_due
from models.complaint.messages import ComplaintCreate
from models.complaint.vocabulary import (
    CURRENT_RULES,
    ApprovalLevel,
    Category,
    Clock,
    ClosedReason,
    CompensationStatus,
    InvalidReason,
    Motive,
    ReplyChannel,
    Severity,
    SeverityReason,
    Status,
    Subtype,
    Validity,
)
from models.confidential import Confidential
from models.policy import ComplaintPolicy
from models.staff import StaffRef


class Compensation(BaseModel):
    amount: Decimal
    reason: Confidential
    required_level: ApprovalLevel
    status: CompensationStatus = CompensationStatus.pending
    requested_by: str
    decided_by: str | None = None
    note: Confidential | None = None


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
    #: the rules the case started under (vocabulary.CURRENT_RULES; 1 before the corrected
    #: rulebook, set by the workflow behind a patch so older histories replay)
    rules: int = CURRENT_RULES

    status: Status = Status.received
    closed_reason: ClosedReason | None = None
    closed_at: datetime | None = None
    #: who closed the case (None: a clock closed it)
    closed_by: str | None = None
    customer_verified: bool = False
    repeat_of: list[str] = Field(default_factory=list)

    category: Category | None = None
    subtype: Subtype | None = None
    attitude: bool = False
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
    plan: Confidential | None = None
    plan_recorded_at: datetime | None = None
    plan_overdue: bool = False
    resolution_overdue: bool = False
    findings: Confidential | None = None
    loopholes: Confidential | None = None
    compensation: Compensation | None = None
    major_since: datetime | None = None
    major_report: Confidential | None = None
    major_report_overdue: bool = False
    result: Confidential | None = None
    reply_channel: ReplyChannel | None = None
    resolved_at: datetime | None = None
    reply_sent_at: datetime | None = None
    satisfied: bool | None = None
    score: int | None = None
    #: CP-16: the answer of the staff member complained about (None: not asked, or not yet)
    staff_satisfied: bool | None = None
    reopen_count: int = 0
    archived: bool = False
    case_file: str | None = None
    #: issue 14: every wait on the customer (the resolution clock stops while one is open)
    customer_waits: list[Pause] = Field(default_factory=list)
    #: issue 14: the leaders told that a clock nears its end (they keep reading the case, like
    #: whoever it was escalated to, after a reassignment: CP-19)
    warned_leaders: list[str] = Field(default_factory=list)
    #: issue 14: every run of every clock, accounted (models.clock.reconcile)
    clocks: list[ClockAccount] = Field(default_factory=list)

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
    def staff_survey_asked(self) -> bool:
        """CP-16: the staff member complained about (when there is one) is asked too."""
        return self.rules >= 2 and self.target_staff_id is not None

    @property
    def waiting_for_customer(self) -> bool:
        """Issue 14: the case waits on the customer (its resolution clock is stopped)."""
        return is_paused(self.customer_waits)

    @property
    def resolution_pauses(self) -> list[Pause]:
        """Issue 14: the waits on the customer of the resolution clock's current run."""
        return pauses_since(self.customer_waits, self.clock_started_at)

    @property
    def plan_due_at(self) -> datetime | None:
        if not self.open or self.plan is not None:
            return None
        return self.policy.due("plan", self.clock_started_at, self.policy.plan_deadline)

    @property
    def resolution_due_at(self) -> datetime | None:
        """CP-13, issue 14: later by exactly the time the case waited on the customer; None
        while it waits."""
        if not self.open:
            return None
        p = self.policy
        return run_due(
            self.clock_started_at, p.resolution_deadline, self.resolution_pauses, p.counts("resolution"), p.calendar
        )

    @property
    def customer_wait_due_at(self) -> datetime | None:
        """Issue 14: when an open wait on the customer has lasted ``max_customer_wait``."""
        if not self.open or not self.waiting_for_customer:
            return None
        wait = self.customer_waits[-1]
        if wait.overdue:
            return None
        return self.policy.due("customer_wait", wait.since, self.policy.max_customer_wait)

    @property
    def major_report_due_at(self) -> datetime | None:
        if self.major_since is None or self.major_report is not None or self.status is Status.closed:
            return None
        return self.policy.due("major_report", self.major_since, self.policy.major_report_deadline)

    @property
    def revisit_due_at(self) -> datetime | None:
        if self.status is not Status.resolved or self.resolved_at is None:
            return None
        return self.resolved_at + self.policy.revisit_deadline

    @property
    def survey_due_at(self) -> datetime | None:
        if self.status is not Status.resolved or self.resolved_at is None:
            return None
        return self.policy.due("survey", self.resolved_at, self.policy.survey_wait)

    def due(self, deadline: Clock) -> datetime | None:
        return {
            Clock.plan: self.plan_due_at if not self.plan_overdue else None,
            Clock.resolution: self.resolution_due_at if not self.resolution_overdue else None,
            Clock.major_report: self.major_report_due_at if not self.major_report_overdue else None,
            Clock.survey: self.survey_due_at,
            Clock.customer_wait: self.customer_wait_due_at,
        }[deadline]
