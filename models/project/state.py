"""The client project as its workflow holds it (and carries across continue-as-new), the
workflow's input, and the pure queries the rules ask of the state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from models.case import CaseInput
from models.clock import ClockAccount, Pause
from models.confidential import Confidential
from models.policy import ProjectPolicy
from models.project.messages import ProjectCreate
from models.project.vocabulary import TERMINAL_STAGES, BudgetPhase, Decision, Flag, Progress, Stage
from models.staff import Role, StaffRef


class Approval(BaseModel):
    """One decision on a chain (review, budget, expense, annual report, termination)."""

    role: Role
    staff_id: str
    approved: bool
    note: Confidential | None = None
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
    description: Confidential
    submitted_by: str
    submitted_at: datetime
    status: Decision = Decision.pending
    approvals: list[Approval] = Field(default_factory=list)


class FollowUp(BaseModel):
    at: datetime
    by: str
    note: Confidential
    progress: Progress


class Supply(BaseModel):
    month: str
    amount: Decimal
    recorded_by: str
    at: datetime


class Termination(BaseModel):
    reason: Confidential
    requested_by: str
    requested_at: datetime
    status: Decision = Decision.pending
    decided_by: str | None = None
    note: Confidential | None = None


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
    rejection_reason: Confidential | None = None
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
    #: ND-11: when the supply first reached the standard; the deputy leader then confirms
    standard_reached_at: datetime | None = None
    #: the corrected ND-03 and ND-08/ND-11 rules (the cap on every budget together, a rejected
    #: budget restarting the clock, months of supply at the batch amount between approval and
    #: now, completion confirmed by the deputy leader) apply: True; False: this run replays
    #: steps taken before them (``workflow.patched``, asked by the workflow at the first step
    #: they concern); None: not asked yet, the corrected rules
    corrected: bool | None = None

    suspended_since: datetime | None = None
    suspended_seconds: float = 0.0  # accumulated over every suspension
    suspension_reason: Confidential | None = None
    #: ND-09, issue 14: every suspension as the clocks' shared pause record
    pauses: list[Pause] = Field(default_factory=list)
    #: issue 14: every run of every clock, accounted (models.clock.reconcile)
    clocks: list[ClockAccount] = Field(default_factory=list)

    study_pending: bool = False
    study_decisions: list[Approval] = Field(default_factory=list)
    annual_pending: bool = False
    annual_report: Confidential | None = None
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


class ProjectInput(CaseInput):
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

    def acting_staff_id(self) -> str:
        return self.applicant.id


# --- queries ------------------------------------------------------------------------------


def next_in_chain(chain: Sequence[Role], approvals: Sequence[Approval]) -> Role | None:
    """ND-02/03/04/08: the role whose decision a chain waits for (None once complete)."""
    return chain[len(approvals)] if len(approvals) < len(chain) else None


def officers_in_role(state: ProjectState, role: Role) -> list[StaffRef]:
    """The project's officers (review group, leaders, finance) who hold ``role``."""
    return [o for o in state.officers if o.role is role]


def current_budget(state: ProjectState) -> Budget | None:
    """ND-03: the budget in force, the last one approved."""
    for b in reversed(state.budgets):
        if b.status is Decision.approved:
            return b
    return None


def pending_budget(state: ProjectState) -> Budget | None:
    for b in reversed(state.budgets):
        if b.status is Decision.pending:
            return b
    return None


def expense(state: ProjectState, expense_id: str | None) -> Expense | None:
    for e in state.expenses:
        if e.id == expense_id:
            return e
    return None


def line_spent(state: ProjectState, line: str) -> Decimal:
    """ND-04: what a budget line carries already: approved and pending expenses."""
    return sum(
        (e.amount for e in state.expenses if e.line == line and e.status is not Decision.rejected),
        Decimal(0),
    )


def expense_totals(state: ProjectState) -> dict[str, Any]:
    """ND-10: the expenses totalled (approved, still pending, and by budget line)."""
    approved = [e for e in state.expenses if e.status is Decision.approved]
    by_line: dict[str, Decimal] = {}
    for e in approved:
        by_line[e.line] = by_line.get(e.line, Decimal(0)) + e.amount
    return {
        "expense_total": sum((e.amount for e in approved), Decimal(0)),
        "expense_pending": sum((e.amount for e in state.expenses if e.status is Decision.pending), Decimal(0)),
        "expense_by_line": by_line,
    }


def _month_index(month: str) -> int:
    year, m = month.split("-")
    return int(year) * 12 + int(m) - 1


def consecutive_supply_months(months: Iterable[str]) -> int:
    """ND-08/ND-11: the longest run of consecutive calendar months with supply."""
    idx = sorted({_month_index(m) for m in months})
    best = run = 0
    prev: int | None = None
    for i in idx:
        run = run + 1 if prev is not None and i == prev + 1 else 1
        best = max(best, run)
        prev = i
    return best


def standard_reached(months: Iterable[str], policy: ProjectPolicy) -> bool:
    """ND-11 (and ND-08): supply in N consecutive months (3), of months that count."""
    return consecutive_supply_months(months) >= policy.supply_months_to_complete


def corrected(state: ProjectState) -> bool:
    """Whether the corrected ND-03 / ND-08 / ND-11 rules apply (see ``ProjectState.corrected``)."""
    return state.corrected is not False


def monthly_batch(state: ProjectState) -> Decimal | None:
    """ND-08/ND-11: the supply a month of this project's product line needs to count."""
    return state.policy.monthly_batch(state.application.product_line)


def month_counts(state: ProjectState, supply: Supply) -> bool:
    """ND-08/ND-11: a month of supply counts toward the standard only at or above the line's
    monthly batch amount (before the correction every month counted)."""
    if not corrected(state):
        return True
    batch = monthly_batch(state)
    return batch is not None and supply.amount >= batch


def counted_months(state: ProjectState) -> list[str]:
    """ND-08/ND-11: the months of supply that count toward the standard."""
    return [x.month for x in state.supplies if month_counts(state, x)]


def supply_run(state: ProjectState) -> int:
    """ND-08/ND-11: the longest run of consecutive calendar months that count."""
    return consecutive_supply_months(counted_months(state))


def supply_standard_met(state: ProjectState) -> bool:
    """ND-08/ND-11: the standard, N consecutive months (3) each at the batch amount."""
    return standard_reached(counted_months(state), state.policy)


def preliminary_budgeted(state: ProjectState) -> Decimal:
    """ND-03: what the preliminary budgets, every one not rejected, provide together."""
    return sum(
        (b.total for b in state.budgets if b.phase is BudgetPhase.preliminary and b.status is not Decision.rejected),
        Decimal(0),
    )


def spent_before_breakthrough(state: ProjectState) -> Decimal:
    """ND-03: the development expenses claimed before the breakthrough (all but the refused)."""
    b = state.breakthrough_at
    return sum(
        (e.amount for e in state.expenses if e.status is not Decision.rejected and (b is None or e.submitted_at < b)),
        Decimal(0),
    )


# --- in-place helpers for transitions and clocks (on a copy of the state) ----------------


def set_flag(s: ProjectState, flag: Flag, on: bool) -> None:
    if on and flag not in s.flags:
        s.flags.append(flag)
    if not on and flag in s.flags:
        s.flags.remove(flag)


class EligibilityInput(BaseModel):
    client_name: Confidential
    product_line: str
    expected_annual_business: Decimal
    policy: ProjectPolicy
    #: the workflow's input (its proof is checked here), and when the workflow started
    start: ProjectInput | None = None
    started_at: datetime | None = None
