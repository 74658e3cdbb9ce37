"""What people and supervisors read of a client project: its view (GET /client-projects/{id})
and what the Temporal UI shows it waits for."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from models.clock import clocks_overdue, clocks_running, in_breach
from models.confidential import Confidential
from models.project.clocks import next_clock, next_warning_of
from models.project.state import (
    Approval,
    Budget,
    Expense,
    FollowUp,
    ProjectState,
    Supply,
    Termination,
    current_budget,
    expense_totals,
    line_spent,
    monthly_batch,
    next_in_chain,
    pending_budget,
    supply_run,
)
from models.project.vocabulary import (
    ANNUAL_CHAIN,
    BUDGET_CHAIN,
    EXPENSE_CHAIN,
    REVIEW_CHAIN,
    BudgetPhase,
    Clock,
    Decision,
    Flag,
    Progress,
    Stage,
)
from models.staff import Role


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
    client_name: Confidential
    background: Confidential
    contact_channel: Confidential
    approach: Confidential
    product_line: str
    expected_annual_business: Decimal
    implementer_ids: list[str]
    applicant_id: str
    created_at: datetime
    reviews: list[Approval]
    review_waiting_for: Role | None
    rejection_reason: Confidential | None
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
    consecutive_supply_months: int  # of months at the monthly batch amount (ND-08, ND-11)
    suspended_since: datetime | None
    suspended_seconds: float
    suspension_reason: Confidential | None
    study_pending: bool
    study_decisions: list[Approval]
    annual_pending: bool
    annual_report: Confidential | None
    annual_decisions: list[Approval]
    annual_waiting_for: Role | None
    termination: Termination | None
    expense_total_at_close: Decimal | None
    closed_at: datetime | None
    customer_id: str | None
    runs: int
    seq: int
    #: issue 14: the clocks in breach, and when the next warning before a breach is due
    sla_breached: list[str] = []
    next_warning_at: datetime | None = None
    #: ND-01: the application was refused as ineligible (``rejection_reason`` says why)
    refused: bool = False
    #: ND-08/ND-11: the supply a month needs to count toward the standard
    monthly_batch_amount: Decimal | None = None
    #: ND-11: when the supply met the standard; until the deputy leader confirms, it waits
    standard_reached_at: datetime | None = None
    completion_waiting_for: Role | None = None


def _budget_view(state: ProjectState, b: Budget | None) -> BudgetView | None:
    if b is None:
        return None
    lines = []
    for ln in b.lines:
        spent = line_spent(state, ln.name)
        lines.append(BudgetLineView(name=ln.name, amount=ln.amount, spent=spent, remaining=ln.amount - spent))
    return BudgetView(
        phase=b.phase,
        status=b.status,
        total=b.total,
        lines=lines,
        approvals=b.approvals,
        submitted_by=b.submitted_by,
        submitted_at=b.submitted_at,
        waiting_for=next_in_chain(BUDGET_CHAIN[b.phase], b.approvals) if b.status is Decision.pending else None,
    )


def describe_waiting(state: ProjectState) -> str:
    """Current details for the Temporal UI: what the project waits for, until when. Ids,
    roles and times only: never a reason or a note (confidential)."""
    nxt = next_clock(state)
    parts = [f"next clock: {nxt[0].value} at {nxt[1]:%Y-%m-%d %H:%M} UTC"] if nxt else []
    running = [c for c in clocks_running(state.clocks) if not nxt or not c.startswith(f"{nxt[0].value} ")]
    parts += [f"running: {', '.join(running)}"] if running else []
    overdue = clocks_overdue(state.clocks)
    if overdue:  # issue 14: overdue clocks, and with whom the project is
        parts.append(f"overdue: {', '.join(overdue)}; with {', '.join(state.implementer_ids)}")
    until = f" ({'; '.join(parts)})" if parts else ""
    who = ", ".join(state.implementer_ids)
    if state.stage is Stage.rejected:
        return "Refused: not eligible (ND-01)" if state.refused else "Rejected on review (ND-02)"
    if state.stage is Stage.completed:
        return f"Completed: handed to sales as customer {state.customer_id or '(pending)'}"
    if state.stage is Stage.terminated:
        return f"Terminated; expenses totalled {state.expense_total_at_close}"
    if state.stage is Stage.under_review:
        role = next_in_chain(REVIEW_CHAIN, state.reviews)
        return f"Waiting for the {role.value if role else '?'} review of the application"
    if state.stage is Stage.suspended:
        paused = ", ".join(c for c in clocks_running(state.clocks) if " paused since " in c)
        return f"Suspended since {state.suspended_since:%Y-%m-%d %H:%M} UTC; clocks stopped" + (
            f" ({paused})" if paused else ""
        )
    if state.standard_reached_at is not None:
        return f"Standard met: waiting for the deputy leader to confirm the completion (ND-11){until}"
    if state.termination and state.termination.status is Decision.pending:
        return f"Waiting for the review group to decide the termination request{until}"
    if state.annual_pending:
        if state.annual_report is None:
            return f"Waiting for the annual report from {who}{until}"
        role = next_in_chain(ANNUAL_CHAIN, state.annual_decisions)
        return f"Waiting for the {role.value if role else '?'} on the annual review{until}"
    if state.study_pending:
        return f"Waiting for the review group to decide after the special study{until}"
    pb = pending_budget(state)
    if pb is not None:
        role = next_in_chain(BUDGET_CHAIN[pb.phase], pb.approvals)
        return f"Waiting for the {role.value if role else '?'} to decide the budget{until}"
    if current_budget(state) is None:
        return f"Waiting for the budget from {who}{until}"
    for e in state.expenses:
        if e.status is Decision.pending:
            role = next_in_chain(EXPENSE_CHAIN, e.approvals)
            return f"Waiting for the {role.value if role else '?'} to decide expense {e.id}{until}"
    return f"Development under way: waiting for the next follow-up from {who}{until}"


def view_of(state: ProjectState) -> ProjectView:
    app = state.application
    nxt = next_clock(state)
    return ProjectView(
        id=state.id,
        workflow_id=state.workflow_id,
        stage=state.stage,
        flags=state.flags,
        client_name=app.client_name,
        background=app.background,
        contact_channel=app.contact_channel,
        approach=app.approach,
        product_line=app.product_line,
        expected_annual_business=app.expected_annual_business,
        implementer_ids=state.implementer_ids,
        applicant_id=state.applicant.id,
        created_at=state.created_at,
        reviews=state.reviews,
        review_waiting_for=next_in_chain(REVIEW_CHAIN, state.reviews) if state.stage is Stage.under_review else None,
        rejection_reason=state.rejection_reason,
        approved_at=state.approved_at,
        budget_due_at=state.budget_due_at,
        follow_up_due_at=state.follow_up_due_at,
        attention_due_at=state.attention_due_at,
        study_due_at=state.study_due_at,
        annual_review_due_at=state.annual_review_due_at,
        next_due_at=nxt[1] if nxt else None,
        next_clock=nxt[0] if nxt else None,
        budget=_budget_view(state, current_budget(state)),
        pending_budget=_budget_view(state, pending_budget(state)),
        expenses=[
            ExpenseView(
                **e.model_dump(),
                waiting_for=next_in_chain(EXPENSE_CHAIN, e.approvals) if e.status is Decision.pending else None,
            )
            for e in state.expenses
        ],
        expense_total=expense_totals(state)["expense_total"],
        follow_ups=state.follow_ups,
        follow_up_lapses=state.follow_up_lapses,
        progress=state.progress,
        breakthrough_at=state.breakthrough_at,
        supplies=state.supplies,
        consecutive_supply_months=supply_run(state),
        suspended_since=state.suspended_since,
        suspended_seconds=state.suspended_seconds,
        suspension_reason=state.suspension_reason,
        study_pending=state.study_pending,
        study_decisions=state.study_decisions,
        annual_pending=state.annual_pending,
        annual_report=state.annual_report,
        annual_decisions=state.annual_decisions,
        annual_waiting_for=next_in_chain(ANNUAL_CHAIN, state.annual_decisions)
        if state.annual_pending and state.annual_report is not None
        else None,
        termination=state.termination,
        expense_total_at_close=state.expense_total_at_close,
        closed_at=state.closed_at,
        customer_id=state.customer_id,
        runs=state.runs,
        seq=state.seq,
        sla_breached=in_breach(state.clocks),
        next_warning_at=w.at if (w := next_warning_of(state)) else None,
        refused=state.refused,
        monthly_batch_amount=monthly_batch(state),
        standard_reached_at=state.standard_reached_at,
        completion_waiting_for=Role.deputy_leader if state.open and state.standard_reached_at is not None else None,
    )
