"""Shapes of the new-client development project (ND rules): application, human steps, the
project state the workflow holds, its view and what an activity writes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from models.complaint import CaseEvent, Notification, ShortText, Strict, Text
from models.policy import ProjectPolicy
from models.staff import Role, StaffRef

LineName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
ProductLine = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_]{0,39}$")
]
Money = Annotated[Decimal, Field(gt=0, le=Decimal("1000000000000"), decimal_places=2)]
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


# --- vocabularies -------------------------------------------------------------------------


class Stage(StrEnum):
    under_review = "under_review"  # ND-02: the approval chain runs
    approved = "approved"  # approved, no budget approved yet (ND-03)
    active = "active"  # a budget is approved: development runs
    suspended = "suspended"  # ND-09
    completed = "completed"  # ND-11
    terminated = "terminated"  # ND-07, ND-08, ND-10
    rejected = "rejected"  # ND-01 ineligible, or ND-02 rejected


TERMINAL_STAGES = (Stage.completed, Stage.terminated, Stage.rejected)
RUNNING_STAGES = (Stage.approved, Stage.active)


class Flag(StrEnum):
    special_attention = "special_attention"  # ND-06
    special_study = "special_study"  # ND-07
    annual_review = "annual_review"  # ND-08
    follow_up_overdue = "follow_up_overdue"  # ND-05
    budget_overdue = "budget_overdue"  # ND-03


class Progress(StrEnum):
    none = "none"
    some = "some"
    breakthrough = "breakthrough"


class BudgetPhase(StrEnum):
    """ND-03: 前期開發預算 before a breakthrough, 實質性開發預算 after."""

    preliminary = "preliminary"
    substantive = "substantive"


class Decision(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class ProjectStep(StrEnum):
    """Human steps, each a Temporal update (and a POST on the API)."""

    review = "review"
    budget = "budget"
    budget_decision = "budget_decision"
    expense = "expense"
    expense_decision = "expense_decision"
    follow_up = "follow_up"
    supply = "supply"
    study_decision = "study_decision"
    annual_report = "annual_report"
    annual_report_decision = "annual_report_decision"
    suspend = "suspend"
    resume = "resume"
    terminate = "terminate"
    terminate_decision = "terminate_decision"


class Clock(StrEnum):
    """The clocks of a project; each is a named Temporal timer."""

    budget = "budget"  # ND-03
    follow_up = "follow_up"  # ND-05
    attention = "attention"  # ND-06
    study = "study"  # ND-07
    annual_review = "annual_review"  # ND-08


#: ND-02: the approval chain of an application, in order.
REVIEW_CHAIN = (Role.review_group, Role.deputy_leader, Role.group_leader)
#: ND-03: who approves a budget, in order, by phase.
BUDGET_CHAIN = {
    BudgetPhase.preliminary: (Role.deputy_leader, Role.group_leader),
    BudgetPhase.substantive: (Role.review_group, Role.deputy_leader, Role.group_leader),
}
#: ND-04: reimbursement of an expense, in order.
EXPENSE_CHAIN = (Role.deputy_leader, Role.finance, Role.group_leader)
#: ND-08: the written report is evaluated by the group, the deputy gives an opinion, the
#: leader decides.
ANNUAL_CHAIN = (Role.review_group, Role.deputy_leader, Role.group_leader)
#: ND-13: who sees every project (besides each project's implementers).
GROUP_ROLES = (Role.review_group, Role.deputy_leader, Role.group_leader)


# --- application --------------------------------------------------------------------------


class ProjectCreate(Strict):
    """Body of POST /client-projects: the 立項申請書 (ND-01)."""

    client_name: ShortText
    background: Text
    contact_channel: ShortText
    approach: Text
    product_line: ProductLine
    expected_annual_business: Money
    implementer_ids: list[ShortText] = Field(min_length=1, max_length=10)

    @field_validator("implementer_ids")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("implementer_ids must be unique")
        return v


class ProjectInput(BaseModel):
    """Input of ClientProjectWorkflow. ``state`` is set when the workflow continues as new."""

    id: str
    application: ProjectCreate
    applicant: StaffRef
    implementers: list[StaffRef]
    #: the review group, the leaders and finance, told when a step waits for them
    officers: list[StaffRef] = Field(default_factory=list)
    policy: ProjectPolicy
    #: continue as new once the history holds this many events (or the server suggests it)
    history_limit: int = Field(2000, ge=10)
    state: ProjectState | None = None


class Eligibility(BaseModel):
    """What the check_eligibility activity found (ND-01)."""

    eligible: bool
    reason: str | None = None
    existing_customer_id: str | None = None


class EligibilityInput(BaseModel):
    client_name: str
    product_line: str
    expected_annual_business: Decimal
    policy: ProjectPolicy


# --- human steps: API bodies --------------------------------------------------------------


class ReviewBody(Strict):
    approved: bool
    note: Text | None = None


class BudgetLineIn(Strict):
    name: LineName
    amount: Money


class BudgetBody(Strict):
    phase: BudgetPhase
    lines: list[BudgetLineIn] = Field(min_length=1, max_length=50)

    @field_validator("lines")
    @classmethod
    def _unique(cls, v: list[BudgetLineIn]) -> list[BudgetLineIn]:
        if len({line.name for line in v}) != len(v):
            raise ValueError("budget line names must be unique")
        return v


class DecisionBody(Strict):
    approved: bool
    note: Text | None = None


class ExpenseBody(Strict):
    line: LineName
    amount: Money
    description: Text


class FollowUpBody(Strict):
    note: Text
    progress: Progress = Progress.none


class SupplyBody(Strict):
    month: Month
    amount: Money


class ContinueBody(Strict):
    """A continue-or-terminate decision (ND-07, ND-08); ``continue`` on the wire."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    continue_: bool = Field(alias="continue")
    note: Text | None = None


class AnnualReportBody(Strict):
    report: Text


class ReasonBody(Strict):
    reason: Text


class EmptyBody(Strict):
    note: Text | None = None


STEP_BODIES: dict[ProjectStep, type[Strict]] = {
    ProjectStep.review: ReviewBody,
    ProjectStep.budget: BudgetBody,
    ProjectStep.budget_decision: DecisionBody,
    ProjectStep.expense: ExpenseBody,
    ProjectStep.expense_decision: DecisionBody,
    ProjectStep.follow_up: FollowUpBody,
    ProjectStep.supply: SupplyBody,
    ProjectStep.study_decision: ContinueBody,
    ProjectStep.annual_report: AnnualReportBody,
    ProjectStep.annual_report_decision: ContinueBody,
    ProjectStep.suspend: ReasonBody,
    ProjectStep.resume: EmptyBody,
    ProjectStep.terminate: ReasonBody,
    ProjectStep.terminate_decision: DecisionBody,
}


class ProjectStepInput(BaseModel):
    """What an update carries: who acts, the body, and the expense it is about."""

    actor: StaffRef
    body: dict[str, Any]
    expense_id: str | None = None


# --- the project --------------------------------------------------------------------------


class Approval(BaseModel):
    """One decision on a chain (review, budget, expense, annual report, termination)."""

    role: Role
    staff_id: str
    approved: bool
    note: str | None = None
    at: datetime


class BudgetLine(BaseModel):
    name: str
    amount: Decimal


class Budget(BaseModel):
    phase: BudgetPhase
    lines: list[BudgetLine]
    submitted_by: str
    submitted_at: datetime
    status: Decision = Decision.pending
    approvals: list[Approval] = Field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


class Expense(BaseModel):
    id: str
    line: str
    amount: Decimal
    description: str
    submitted_by: str
    submitted_at: datetime
    status: Decision = Decision.pending
    approvals: list[Approval] = Field(default_factory=list)


class FollowUp(BaseModel):
    at: datetime
    by: str
    note: str
    progress: Progress


class Supply(BaseModel):
    month: str
    amount: Decimal
    recorded_by: str
    at: datetime


class Termination(BaseModel):
    reason: str
    requested_by: str
    requested_at: datetime
    status: Decision = Decision.pending
    decided_by: str | None = None
    note: str | None = None


class ProjectState(BaseModel):
    """The project as the workflow holds it (and carries across continue-as-new). Every clock
    is an absolute due time, so it survives a new run; a suspension moves them all later."""

    id: str
    workflow_id: str
    application: ProjectCreate
    applicant: StaffRef
    implementers: list[StaffRef]
    officers: list[StaffRef] = Field(default_factory=list)
    policy: ProjectPolicy
    created_at: datetime
    seq: int = 0
    runs: int = 1

    stage: Stage = Stage.under_review
    flags: list[Flag] = Field(default_factory=list)
    reviews: list[Approval] = Field(default_factory=list)
    rejection_reason: str | None = None
    refused: bool = False  # ND-01: the application was ineligible
    approved_at: datetime | None = None

    budget_due_at: datetime | None = None
    follow_up_due_at: datetime | None = None
    attention_due_at: datetime | None = None
    study_due_at: datetime | None = None
    annual_review_due_at: datetime | None = None

    budgets: list[Budget] = Field(default_factory=list)  # every one submitted, in order
    expenses: list[Expense] = Field(default_factory=list)
    follow_ups: list[FollowUp] = Field(default_factory=list)
    follow_up_lapses: int = 0
    progress: Progress = Progress.none
    breakthrough_at: datetime | None = None
    supplies: list[Supply] = Field(default_factory=list)

    suspended_since: datetime | None = None
    suspended_seconds: float = 0.0  # accumulated over every suspension
    suspension_reason: str | None = None

    study_pending: bool = False
    study_decisions: list[Approval] = Field(default_factory=list)
    annual_pending: bool = False
    annual_report: str | None = None
    annual_decisions: list[Approval] = Field(default_factory=list)
    termination: Termination | None = None
    expense_total_at_close: Decimal | None = None

    closed_at: datetime | None = None
    customer_id: str | None = None  # ND-11: the customer row the client became

    @property
    def implementer_ids(self) -> list[str]:
        return [s.id for s in self.implementers]

    @property
    def open(self) -> bool:
        return self.stage not in TERMINAL_STAGES


ProjectInput.model_rebuild()


class BudgetLineView(BaseModel):
    name: str
    amount: Decimal
    spent: Decimal  # approved and pending expenses on the line
    remaining: Decimal


class BudgetView(BaseModel):
    phase: BudgetPhase
    status: Decision
    total: Decimal
    lines: list[BudgetLineView]
    approvals: list[Approval]
    submitted_by: str
    submitted_at: datetime
    waiting_for: Role | None


class ExpenseView(Expense):
    waiting_for: Role | None


class ProjectView(BaseModel):
    """GET /client-projects/{id}: the project as it is now."""

    id: str
    workflow_id: str
    stage: Stage
    flags: list[Flag]
    client_name: str
    background: str
    contact_channel: str
    approach: str
    product_line: str
    expected_annual_business: Decimal
    implementer_ids: list[str]
    applicant_id: str
    created_at: datetime
    reviews: list[Approval]
    review_waiting_for: Role | None
    rejection_reason: str | None
    approved_at: datetime | None
    budget_due_at: datetime | None
    follow_up_due_at: datetime | None
    attention_due_at: datetime | None
    study_due_at: datetime | None
    annual_review_due_at: datetime | None
    next_due_at: datetime | None
    next_clock: Clock | None
    budget: BudgetView | None  # the budget in force (the last approved)
    pending_budget: BudgetView | None
    expenses: list[ExpenseView]
    expense_total: Decimal  # approved expenses
    follow_ups: list[FollowUp]
    follow_up_lapses: int
    progress: Progress
    breakthrough_at: datetime | None
    supplies: list[Supply]
    consecutive_supply_months: int
    suspended_since: datetime | None
    suspended_seconds: float
    suspension_reason: str | None
    study_pending: bool
    study_decisions: list[Approval]
    annual_pending: bool
    annual_report: str | None
    annual_decisions: list[Approval]
    annual_waiting_for: Role | None
    termination: Termination | None
    expense_total_at_close: Decimal | None
    closed_at: datetime | None
    customer_id: str | None
    runs: int
    seq: int


class ProjectRefusalRecord(BaseModel):
    """ND-01: an ineligible application, written to project_refusal."""

    project_id: str
    application: ProjectCreate
    applicant_id: str
    reason: str


class ProjectRecord(BaseModel):
    """Input of the record_project_step activity: one step, written in one transaction."""

    project: ProjectState
    view: ProjectView
    event: CaseEvent
    notifications: list[Notification] = Field(default_factory=list)
    refusal: ProjectRefusalRecord | None = None


class HandOverInput(BaseModel):
    """ND-11: the client becomes a regular customer."""

    project_id: str
    client_name: str


class HandOver(BaseModel):
    customer_id: str
    created: bool
