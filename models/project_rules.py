"""The new-client development project rules (ND-01 … ND-11, ND-13) as plain functions: no
Temporal, no database, no clock.

Each function names the rule of ../shared/RULES.md it decides. The workflow calls them with
``workflow.now()`` and the state it holds; the API calls the same functions to answer 403.
Transitions (``apply_*``) return a new state and what to record; they never mutate their input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from models.complaint import Notification
from models.complaint_rules import Refusal
from models.policy import ProjectPolicy
from models.project import (
    ANNUAL_CHAIN,
    BUDGET_CHAIN,
    EXPENSE_CHAIN,
    GROUP_ROLES,
    REVIEW_CHAIN,
    RUNNING_STAGES,
    AnnualReportBody,
    Approval,
    Budget,
    BudgetBody,
    BudgetLine,
    BudgetLineView,
    BudgetPhase,
    BudgetView,
    Clock,
    ContinueBody,
    Decision,
    DecisionBody,
    Eligibility,
    Expense,
    ExpenseBody,
    ExpenseView,
    Flag,
    FollowUp,
    FollowUpBody,
    Progress,
    ProjectInput,
    ProjectState,
    ProjectStep,
    ProjectStepInput,
    ProjectView,
    ReasonBody,
    ReviewBody,
    Stage,
    Supply,
    SupplyBody,
    Termination,
)
from models.staff import Role, StaffRef

__all__ = ["Refusal", "ProjectOutcome"]

PROGRESS_ORDER = {Progress.none: 0, Progress.some: 1, Progress.breakthrough: 2}


@dataclass
class ProjectOutcome:
    """What a transition produced: the new state and what to write down."""

    state: ProjectState
    kind: str
    actor_id: str | None
    data: dict[str, Any] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)


# --- eligibility (ND-01) ------------------------------------------------------------------


def same_client(a: str, b: str) -> bool:
    """ND-01: client names compare case-insensitively, surrounding spaces ignored."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def eligibility(
    client_name: str,
    product_line: str,
    expected_annual_business: Decimal,
    policy: ProjectPolicy,
    customer_names: Iterable[tuple[str, str]] = (),
) -> Eligibility:
    """ND-01: eligible only if the client is not already a customer (``customer_names`` are
    the registry's (id, name) pairs) and the expected annual business reaches the product
    line's threshold (cast-ball 3,000,000; equipment 1,000,000 by default)."""
    for cid, name in customer_names:
        if same_client(name, client_name):
            return Eligibility(
                eligible=False,
                reason=f"ND-01: {client_name} is already a customer ({cid}); only new clients",
                existing_customer_id=cid,
            )
    thresholds = policy.thresholds()
    if product_line not in thresholds:
        return Eligibility(
            eligible=False,
            reason=f"ND-01: product line {product_line} has no threshold; known: {', '.join(sorted(thresholds))}",
        )
    if expected_annual_business < thresholds[product_line]:
        return Eligibility(
            eligible=False,
            reason=(
                f"ND-01: expected annual business {expected_annual_business} is below the "
                f"{product_line} threshold {thresholds[product_line]}"
            ),
        )
    return Eligibility(eligible=True)


# --- who sees, who acts -------------------------------------------------------------------


def may_view(actor: StaffRef, implementer_ids: Sequence[str]) -> bool:
    """ND-13: the review group, the leaders (deputy and leader) and the project's
    implementers; nobody else."""
    return actor.role in GROUP_ROLES or actor.id in implementer_ids


def next_in_chain(chain: Sequence[Role], approvals: Sequence[Approval]) -> Role | None:
    """ND-02/03/04/08: the role whose decision a chain waits for (None once complete)."""
    return chain[len(approvals)] if len(approvals) < len(chain) else None


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


def budget_within_cap(phase: BudgetPhase, total: Decimal, policy: ProjectPolicy) -> bool:
    """ND-03: before a substantive breakthrough the budget total may not exceed the cap
    (30,000); after one, no cap (the group, the deputy and the leader approve)."""
    return phase is BudgetPhase.substantive or total <= policy.budget_cap_before_breakthrough


def expense_within_tolerance(
    line_amount: Decimal, already_spent: Decimal, amount: Decimal, tolerance: Decimal
) -> bool:
    """ND-04: an expense may take its budget line at most ``tolerance`` (5%) above budget."""
    return already_spent + amount <= line_amount * (Decimal(1) + tolerance)


def _is_implementer(actor: StaffRef, state: ProjectState) -> bool:
    return actor.id in state.implementer_ids


def _chain_refusal(rule: str, what: str, actor: StaffRef, chain: Sequence[Role], nxt: Role | None) -> Refusal | None:
    if actor.role not in chain:
        return Refusal("forbidden", f"{rule}: {what} is decided by {' → '.join(r.value for r in chain)}")
    if nxt is None:
        return Refusal("conflict", f"{rule}: {what} is already decided")
    if actor.role is not nxt:
        return Refusal("conflict", f"{rule}: {what} waits for the {nxt.value} first")
    return None


def check_step(step: ProjectStep, inp: ProjectStepInput, state: ProjectState) -> Refusal | None:
    """Whether ``inp.actor`` may take ``step`` on the project now; None when allowed.
    ``forbidden`` (403) says who, ``conflict`` (409) says when."""
    actor = inp.actor
    finance_on_expense = step is ProjectStep.expense_decision and actor.role is Role.finance
    if not (may_view(actor, state.implementer_ids) or finance_on_expense):
        return Refusal("forbidden", "ND-13: only the review group, the leaders and the project's implementers")
    if not state.open:
        return Refusal("conflict", f"the project is {state.stage.value}")
    implementer = _is_implementer(actor, state)
    group = actor.role in GROUP_ROLES

    if step is ProjectStep.review:  # ND-02
        if state.stage is not Stage.under_review:
            return Refusal("conflict", "ND-02: the application is already approved")
        return _chain_refusal(
            "ND-02", "the application", actor, REVIEW_CHAIN, next_in_chain(REVIEW_CHAIN, state.reviews)
        )
    if state.stage is Stage.under_review:
        return Refusal("conflict", "ND-02: the application is still under review")

    if step is ProjectStep.resume:  # ND-09
        if not (implementer or group):
            return Refusal("forbidden", "ND-09: the implementers or the review group resume a project")
        if state.stage is not Stage.suspended:
            return Refusal("conflict", "ND-09: the project is not suspended")
        return None
    if state.stage is Stage.suspended and step not in (ProjectStep.terminate, ProjectStep.terminate_decision):
        return Refusal("conflict", "ND-09: the project is suspended; resume it first")

    if step is ProjectStep.suspend:  # ND-09
        if not (implementer or group):
            return Refusal("forbidden", "ND-09: the implementers or the review group suspend a project")
        return None

    if step is ProjectStep.budget:  # ND-03
        if not implementer:
            return Refusal("forbidden", "ND-03: the project's implementers submit the budget")
        if pending_budget(state) is not None:
            return Refusal("conflict", "ND-03: a budget already waits for approval")
        body = BudgetBody.model_validate(inp.body)
        if body.phase is BudgetPhase.substantive and state.breakthrough_at is None:
            return Refusal("conflict", "ND-03: a substantive budget comes after a breakthrough")
        if body.phase is BudgetPhase.preliminary and state.breakthrough_at is not None:
            return Refusal(
                "conflict", "ND-03: after a breakthrough the budget is substantive (group, deputy, leader)"
            )
        total = sum((line.amount for line in body.lines), Decimal(0))
        if not budget_within_cap(body.phase, total, state.policy):
            return Refusal(
                "conflict",
                f"ND-03: before a breakthrough the budget total may not exceed "
                f"{state.policy.budget_cap_before_breakthrough} (asked {total})",
            )
        return None

    if step is ProjectStep.budget_decision:  # ND-03
        b = pending_budget(state)
        if b is None:
            return Refusal("conflict", "ND-03: no budget waits for a decision")
        chain = BUDGET_CHAIN[b.phase]
        return _chain_refusal("ND-03", "the budget", actor, chain, next_in_chain(chain, b.approvals))

    if step is ProjectStep.expense:  # ND-04
        if not implementer:
            return Refusal("forbidden", "ND-04: the project's implementers claim development expenses")
        budget = current_budget(state)
        if budget is None:
            return Refusal("conflict", "ND-04: no approved budget yet")
        body = ExpenseBody.model_validate(inp.body)
        line = next((ln for ln in budget.lines if ln.name == body.line), None)
        if line is None:
            return Refusal("conflict", f"ND-04: the budget has no line {body.line}")
        spent = line_spent(state, line.name)
        if not expense_within_tolerance(line.amount, spent, body.amount, state.policy.expense_tolerance):
            return Refusal(
                "conflict",
                f"ND-04: {body.amount} on {line.name} (budget {line.amount}, already {spent}) exceeds "
                f"the line by more than {state.policy.expense_tolerance * 100:.0f}%; a new budget "
                "approval is needed first",
            )
        return None

    if step is ProjectStep.expense_decision:  # ND-04
        e = expense(state, inp.expense_id)
        if e is None:
            return Refusal("conflict", f"ND-04: no expense {inp.expense_id}")
        if e.status is not Decision.pending:
            return Refusal("conflict", f"ND-04: expense {e.id} is already {e.status.value}")
        if actor.id == e.submitted_by:
            return Refusal("forbidden", "ND-04: nobody approves their own expense")
        return _chain_refusal(
            "ND-04", f"expense {e.id}", actor, EXPENSE_CHAIN, next_in_chain(EXPENSE_CHAIN, e.approvals)
        )

    if step is ProjectStep.follow_up:  # ND-05
        if not implementer:
            return Refusal("forbidden", "ND-05: the project's implementers record follow-ups")
        return None

    if step is ProjectStep.supply:  # ND-11
        if not (implementer or actor.role is Role.deputy_leader):
            return Refusal("forbidden", "ND-11: the implementers or the deputy leader record supply")
        body = SupplyBody.model_validate(inp.body)
        if any(s.month == body.month for s in state.supplies):
            return Refusal("conflict", f"ND-11: supply for {body.month} is already recorded")
        return None

    if step is ProjectStep.study_decision:  # ND-07
        if actor.role is not Role.review_group:
            return Refusal("forbidden", "ND-07: the review group decides after the special study")
        if not state.study_pending:
            return Refusal("conflict", "ND-07: no special study waits for a decision")
        return None

    if step is ProjectStep.annual_report:  # ND-08
        if not implementer:
            return Refusal("forbidden", "ND-08: the implementers write the annual report")
        if not state.annual_pending:
            return Refusal("conflict", "ND-08: no annual review is due")
        if state.annual_report is not None:
            return Refusal("conflict", "ND-08: the annual report is already submitted")
        return None

    if step is ProjectStep.annual_report_decision:  # ND-08
        if actor.role not in ANNUAL_CHAIN:
            return _chain_refusal("ND-08", "the annual review", actor, ANNUAL_CHAIN, None)
        if not state.annual_pending:
            return Refusal("conflict", "ND-08: no annual review is due")
        if state.annual_report is None:
            return Refusal("conflict", "ND-08: the implementers' written report comes first")
        return _chain_refusal(
            "ND-08", "the annual review", actor, ANNUAL_CHAIN, next_in_chain(ANNUAL_CHAIN, state.annual_decisions)
        )

    if step is ProjectStep.terminate:  # ND-10
        if not implementer:
            return Refusal("forbidden", "ND-10: the implementers request a termination in writing")
        if state.termination is not None and state.termination.status is Decision.pending:
            return Refusal("conflict", "ND-10: a termination request already waits for the review group")
        return None

    if step is ProjectStep.terminate_decision:  # ND-10
        if actor.role is not Role.review_group:
            return Refusal("forbidden", "ND-10: the review group approves a termination")
        if state.termination is None or state.termination.status is not Decision.pending:
            return Refusal("conflict", "ND-10: no termination request waits for a decision")
        return None
    raise ValueError(f"unknown step {step}")  # pragma: no cover


# --- clocks -------------------------------------------------------------------------------


def clock_due(state: ProjectState, clock: Clock) -> datetime | None:
    """When ``clock`` runs out; None when it does not run (not approved, suspended (ND-09),
    closed, or already fired)."""
    if state.stage not in RUNNING_STAGES:
        return None
    return {
        Clock.budget: state.budget_due_at,
        Clock.follow_up: state.follow_up_due_at,
        Clock.attention: state.attention_due_at,
        Clock.study: state.study_due_at,
        Clock.annual_review: state.annual_review_due_at,
    }[clock]


def next_clock(state: ProjectState) -> tuple[Clock, datetime] | None:
    """The clock that runs out first, if any runs at all."""
    pending = [(due, c) for c in Clock if (due := clock_due(state, c)) is not None]
    if not pending:
        return None
    due, c = min(pending, key=lambda p: p[0])
    return c, due


def shift_clocks(state: ProjectState, by: timedelta) -> ProjectState:
    """ND-09: after a suspension every clock still running moves later by the time
    suspended (the 30-day follow-up, the budget and the 3/6/12-month milestones)."""
    s = state.model_copy(deep=True)
    for name in ("budget_due_at", "follow_up_due_at", "attention_due_at", "study_due_at", "annual_review_due_at"):
        due = getattr(s, name)
        if due is not None:
            setattr(s, name, due + by)
    return s


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
    """ND-11 (and ND-08): monthly batch supply, i.e. supply in N consecutive months (3)."""
    return consecutive_supply_months(months) >= policy.supply_months_to_complete


# --- transitions --------------------------------------------------------------------------


def _notes(people: Iterable[StaffRef | str], kind: str, message: str) -> list[Notification]:
    seen: list[str] = []
    for p in people:
        pid = p if isinstance(p, str) else p.id
        if pid not in seen:
            seen.append(pid)
    return [Notification(recipient_kind="staff", recipient_id=pid, kind=kind, message=message) for pid in seen]


def _role(state: ProjectState, role: Role) -> list[StaffRef]:
    return [o for o in state.officers if o.role is role]


def _flag(s: ProjectState, flag: Flag, on: bool) -> None:
    if on and flag not in s.flags:
        s.flags.append(flag)
    if not on and flag in s.flags:
        s.flags.remove(flag)


def _clear_clocks(s: ProjectState) -> None:
    s.budget_due_at = s.follow_up_due_at = s.attention_due_at = s.study_due_at = s.annual_review_due_at = None


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


def _close(s: ProjectState, stage: Stage, now: datetime) -> dict[str, Any]:
    s.stage, s.closed_at = stage, now
    s.study_pending = s.annual_pending = False
    s.suspended_since = None
    _clear_clocks(s)
    totals = expense_totals(s)
    s.expense_total_at_close = totals["expense_total"]
    return {
        "expense_total": str(totals["expense_total"]),
        "expense_pending": str(totals["expense_pending"]),
        "expense_by_line": {k: str(v) for k, v in totals["expense_by_line"].items()},
    }


def new_project(inp: ProjectInput, workflow_id: str, now: datetime) -> ProjectState:
    return ProjectState(
        id=inp.id,
        workflow_id=workflow_id,
        application=inp.application,
        applicant=inp.applicant,
        implementers=inp.implementers,
        officers=inp.officers,
        policy=inp.policy,
        created_at=now,
    )


def apply_application(state: ProjectState, found: Eligibility, now: datetime) -> ProjectOutcome:
    """ND-01: an eligible application goes to the review group (ND-02); an ineligible one is
    refused with the reason and ends."""
    s = state.model_copy(deep=True)
    s.seq += 1
    app = s.application
    if not found.eligible:
        s.stage, s.refused, s.rejection_reason, s.closed_at = Stage.rejected, True, found.reason, now
        return ProjectOutcome(
            s,
            "application_refused",
            s.applicant.id,
            {"reason": found.reason, "existing_customer_id": found.existing_customer_id},
            _notes([s.applicant], "application_refused", f"Project application for {app.client_name} refused: {found.reason}"),
        )
    return ProjectOutcome(
        s,
        "applied",
        s.applicant.id,
        {
            "product_line": app.product_line,
            "expected_annual_business": str(app.expected_annual_business),
            "implementer_ids": s.implementer_ids,
        },
        _notes(_role(s, Role.review_group), "review_due", f"Project {s.id} ({app.client_name}): evaluate the application"),
    )


def _approve_project(s: ProjectState, now: datetime) -> list[Notification]:
    """ND-02 approved: every clock starts (ND-03, ND-05 … ND-08)."""
    p = s.policy
    s.stage, s.approved_at = Stage.approved, now
    s.budget_due_at = now + p.budget_deadline
    s.follow_up_due_at = now + p.follow_up_interval
    s.attention_due_at = now + p.attention_after
    s.study_due_at = now + p.study_after
    s.annual_review_due_at = now + p.annual_review_after
    return _notes(
        s.implementers,
        "project_approved",
        f"Project {s.id} approved: submit the budget by {s.budget_due_at:%Y-%m-%d %H:%M} UTC",
    )


def _decide(
    approvals: list[Approval], actor: StaffRef, approved: bool, note: str | None, now: datetime
) -> Approval:
    a = Approval(role=actor.role, staff_id=actor.id, approved=approved, note=note, at=now)
    approvals.append(a)
    return a


def apply_step(step: ProjectStep, inp: ProjectStepInput, state: ProjectState, now: datetime) -> ProjectOutcome:
    """The effect of a human step that ``check_step`` allowed."""
    s = state.model_copy(deep=True)
    actor = inp.actor
    notes: list[Notification] = []
    data: dict[str, Any] = {}
    kind = step.value

    if step is ProjectStep.review:  # ND-02
        body = ReviewBody.model_validate(inp.body)
        _decide(s.reviews, actor, body.approved, body.note, now)
        data = {"role": actor.role.value, "approved": body.approved, "note": body.note}
        if not body.approved:
            s.rejection_reason = f"ND-02: rejected by the {actor.role.value}: {body.note or 'no reason given'}"
            _close(s, Stage.rejected, now)
            s.expense_total_at_close = None
            notes = _notes([s.applicant, *s.implementers], "project_rejected", f"Project {s.id}: {s.rejection_reason}")
        elif (nxt := next_in_chain(REVIEW_CHAIN, s.reviews)) is None:
            notes = _approve_project(s, now)
            data["approved_at"] = now.isoformat()
        else:
            notes = _notes(_role(s, nxt), "review_due", f"Project {s.id}: your review ({nxt.value}) is due")

    elif step is ProjectStep.budget:  # ND-03
        body = BudgetBody.model_validate(inp.body)
        b = Budget(
            phase=body.phase,
            lines=[BudgetLine(name=ln.name, amount=ln.amount) for ln in body.lines],
            submitted_by=actor.id,
            submitted_at=now,
        )
        s.budgets.append(b)
        on_time = Flag.budget_overdue not in s.flags
        s.budget_due_at = None
        _flag(s, Flag.budget_overdue, False)
        first = BUDGET_CHAIN[b.phase][0]
        notes = _notes(_role(s, first), "budget_decision_due", f"Project {s.id}: decide the {b.phase.value} budget of {b.total}")
        data = {"phase": b.phase.value, "total": str(b.total), "on_time": on_time,
                "lines": [{"name": ln.name, "amount": str(ln.amount)} for ln in b.lines]}

    elif step is ProjectStep.budget_decision:  # ND-03
        body = DecisionBody.model_validate(inp.body)
        b = pending_budget(s)
        assert b is not None
        _decide(b.approvals, actor, body.approved, body.note, now)
        data = {"role": actor.role.value, "approved": body.approved, "note": body.note, "phase": b.phase.value}
        chain = BUDGET_CHAIN[b.phase]
        if not body.approved:
            b.status = Decision.rejected
            notes = _notes(s.implementers, "budget_rejected", f"Project {s.id}: budget rejected by the {actor.role.value}")
        elif (nxt := next_in_chain(chain, b.approvals)) is None:
            b.status = Decision.approved
            if s.stage is Stage.approved:
                s.stage = Stage.active
            notes = _notes(s.implementers, "budget_approved", f"Project {s.id}: budget of {b.total} approved")
        else:
            notes = _notes(_role(s, nxt), "budget_decision_due", f"Project {s.id}: decide the budget of {b.total}")
        data["status"] = b.status.value

    elif step is ProjectStep.expense:  # ND-04
        body = ExpenseBody.model_validate(inp.body)
        e = Expense(
            id=f"E{len(s.expenses) + 1}",
            line=body.line,
            amount=body.amount,
            description=body.description,
            submitted_by=actor.id,
            submitted_at=now,
        )
        s.expenses.append(e)
        notes = _notes(_role(s, EXPENSE_CHAIN[0]), "expense_decision_due", f"Project {s.id}: decide expense {e.id} of {e.amount}")
        data = {"expense_id": e.id, "line": e.line, "amount": str(e.amount)}

    elif step is ProjectStep.expense_decision:  # ND-04
        body = DecisionBody.model_validate(inp.body)
        e = expense(s, inp.expense_id)
        assert e is not None
        _decide(e.approvals, actor, body.approved, body.note, now)
        if not body.approved:
            e.status = Decision.rejected
            notes = _notes(s.implementers, "expense_rejected", f"Project {s.id}: expense {e.id} refused by the {actor.role.value}")
        elif (nxt := next_in_chain(EXPENSE_CHAIN, e.approvals)) is None:
            e.status = Decision.approved
            notes = _notes(s.implementers, "expense_approved", f"Project {s.id}: expense {e.id} reimbursed")
        else:
            notes = _notes(_role(s, nxt), "expense_decision_due", f"Project {s.id}: decide expense {e.id} of {e.amount}")
        data = {"expense_id": e.id, "role": actor.role.value, "approved": body.approved, "note": body.note, "status": e.status.value}

    elif step is ProjectStep.follow_up:  # ND-05, ND-06, ND-07
        body = FollowUpBody.model_validate(inp.body)
        s.follow_ups.append(FollowUp(at=now, by=actor.id, note=body.note, progress=body.progress))
        s.follow_up_due_at = now + s.policy.follow_up_interval
        _flag(s, Flag.follow_up_overdue, False)
        if PROGRESS_ORDER[body.progress] > PROGRESS_ORDER[s.progress]:
            s.progress = body.progress
        if body.progress is not Progress.none:
            _flag(s, Flag.special_attention, False)
        if body.progress is Progress.breakthrough and s.breakthrough_at is None:
            s.breakthrough_at = now
            notes = _notes(_role(s, Role.deputy_leader), "breakthrough", f"Project {s.id}: substantive breakthrough recorded")
        data = {"progress": body.progress.value, "next_due_at": s.follow_up_due_at.isoformat()}

    elif step is ProjectStep.supply:  # ND-11
        body = SupplyBody.model_validate(inp.body)
        s.supplies.append(Supply(month=body.month, amount=body.amount, recorded_by=actor.id, at=now))
        s.supplies.sort(key=lambda x: x.month)
        run = consecutive_supply_months(x.month for x in s.supplies)
        data = {"month": body.month, "amount": str(body.amount), "consecutive_months": run}
        if standard_reached((x.month for x in s.supplies), s.policy):
            data |= {"standard_reached": True, **_close(s, Stage.completed, now)}
            s.flags = []
            notes = _notes(
                [*s.implementers, *_role(s, Role.deputy_leader), *_role(s, Role.group_leader)],
                "project_completed",
                f"Project {s.id}: {run} consecutive months of supply; {s.application.client_name} goes to sales",
            )

    elif step is ProjectStep.study_decision:  # ND-07
        body = ContinueBody.model_validate(inp.body)
        _decide(s.study_decisions, actor, body.continue_, body.note, now)
        s.study_pending = False
        _flag(s, Flag.special_study, False)
        data = {"continue": body.continue_, "note": body.note}
        if not body.continue_:
            data |= _close(s, Stage.terminated, now)
            notes = _notes(s.implementers, "project_terminated", f"Project {s.id} terminated after the special study")

    elif step is ProjectStep.annual_report:  # ND-08
        body = AnnualReportBody.model_validate(inp.body)
        s.annual_report = body.report
        notes = _notes(_role(s, ANNUAL_CHAIN[0]), "annual_review_due", f"Project {s.id}: evaluate the annual report")

    elif step is ProjectStep.annual_report_decision:  # ND-08
        body = ContinueBody.model_validate(inp.body)
        _decide(s.annual_decisions, actor, body.continue_, body.note, now)
        data = {"role": actor.role.value, "continue": body.continue_, "note": body.note}
        nxt = next_in_chain(ANNUAL_CHAIN, s.annual_decisions)
        if nxt is not None:  # the group's evaluation, the deputy's opinion: advice to the leader
            notes = _notes(_role(s, nxt), "annual_review_due", f"Project {s.id}: your annual review ({nxt.value}) is due")
        elif body.continue_:  # the leader decides
            s.annual_pending = False
            _flag(s, Flag.annual_review, False)
            data["decided"] = "continue"
            notes = _notes(s.implementers, "annual_review_decided", f"Project {s.id} continues after the annual review")
        else:
            data |= {"decided": "terminate", **_close(s, Stage.terminated, now)}
            notes = _notes(s.implementers, "project_terminated", f"Project {s.id} terminated after the annual review")

    elif step is ProjectStep.suspend:  # ND-09
        body = ReasonBody.model_validate(inp.body)
        s.stage, s.suspended_since, s.suspension_reason = Stage.suspended, now, body.reason
        data = {"reason": body.reason}
        notes = _notes(
            [*_role(s, Role.review_group), *_role(s, Role.deputy_leader)],
            "project_suspended",
            f"Project {s.id} suspended: {body.reason}",
        )

    elif step is ProjectStep.resume:  # ND-09
        assert s.suspended_since is not None
        paused = now - s.suspended_since
        s = shift_clocks(s, paused)
        s.suspended_seconds += paused.total_seconds()
        s.suspended_since = s.suspension_reason = None
        s.stage = Stage.active if current_budget(s) is not None else Stage.approved
        nxt_clock = next_clock(s)
        data = {
            "suspended_for_seconds": paused.total_seconds(),
            "next_clock": nxt_clock[0].value if nxt_clock else None,
            "next_due_at": nxt_clock[1].isoformat() if nxt_clock else None,
        }
        notes = _notes([*_role(s, Role.review_group), *s.implementers], "project_resumed", f"Project {s.id} resumed")

    elif step is ProjectStep.terminate:  # ND-10
        body = ReasonBody.model_validate(inp.body)
        s.termination = Termination(reason=body.reason, requested_by=actor.id, requested_at=now)
        data = {"reason": body.reason}
        notes = _notes(_role(s, Role.review_group), "termination_requested", f"Project {s.id}: termination requested: {body.reason}")

    elif step is ProjectStep.terminate_decision:  # ND-10
        body = DecisionBody.model_validate(inp.body)
        assert s.termination is not None
        s.termination.status = Decision.approved if body.approved else Decision.rejected
        s.termination.decided_by, s.termination.note = actor.id, body.note
        data = {"approved": body.approved, "note": body.note, "reason": s.termination.reason}
        if body.approved:
            data |= _close(s, Stage.terminated, now)
            notes = _notes(
                [*s.implementers, *_role(s, Role.deputy_leader), *_role(s, Role.finance)],
                "project_terminated",
                f"Project {s.id} terminated; expenses total {s.expense_total_at_close}",
            )
        else:
            notes = _notes(s.implementers, "termination_refused", f"Project {s.id}: termination refused")
    else:  # pragma: no cover
        raise ValueError(step)

    s.seq += 1
    return ProjectOutcome(s, kind, actor.id, data, notes)


def apply_clock(clock: Clock, state: ProjectState, now: datetime) -> ProjectOutcome:
    """What a clock does when it runs out."""
    s = state.model_copy(deep=True)
    due = clock_due(state, clock)
    data: dict[str, Any] = {"clock": clock.value, "due_at": due.isoformat() if due else None}
    notes: list[Notification] = []
    deputies = _role(s, Role.deputy_leader)
    group = _role(s, Role.review_group)

    if clock is Clock.budget:  # ND-03
        s.budget_due_at = None
        _flag(s, Flag.budget_overdue, True)
        kind = "budget_overdue"
        notes = _notes([*deputies, *s.implementers], "budget_overdue", f"Project {s.id}: no budget within the deadline (ND-03)")
    elif clock is Clock.follow_up:  # ND-05
        s.follow_up_lapses += 1
        _flag(s, Flag.follow_up_overdue, True)
        assert s.follow_up_due_at is not None
        s.follow_up_due_at = s.follow_up_due_at + s.policy.follow_up_interval  # the clock re-arms
        kind = "follow_up_lapsed"
        data |= {"lapses": s.follow_up_lapses, "next_due_at": s.follow_up_due_at.isoformat()}
        notes = _notes([*s.implementers, *deputies], "follow_up_overdue", f"Project {s.id}: no follow-up record for {s.policy.follow_up_interval.days} days (ND-05)")
    elif clock is Clock.attention:  # ND-06
        s.attention_due_at = None
        if s.progress is Progress.none:
            _flag(s, Flag.special_attention, True)
            kind = "special_attention"
            notes = _notes(group, "special_attention", f"Project {s.id}: no progress since approval (ND-06)")
        else:
            kind = "attention_checked"
        data["progress"] = s.progress.value
    elif clock is Clock.study:  # ND-07
        s.study_due_at = None
        if s.breakthrough_at is None:
            _flag(s, Flag.special_study, True)
            s.study_pending = True
            kind = "special_study"
            notes = _notes(group, "special_study", f"Project {s.id}: no breakthrough; decide to continue or terminate (ND-07)")
        else:
            kind = "study_checked"
    else:  # ND-08
        s.annual_review_due_at = None
        if not standard_reached((x.month for x in s.supplies), s.policy):
            _flag(s, Flag.annual_review, True)
            s.annual_pending = True
            kind = "annual_review"
            notes = _notes(s.implementers, "annual_report_due", f"Project {s.id}: standard not reached in a year; submit the written report (ND-08)")
            notes += _notes(group, "annual_review", f"Project {s.id}: annual review due (ND-08)")
        else:
            kind = "annual_checked"
    s.seq += 1
    return ProjectOutcome(s, kind, None, data, notes)


def apply_handover(state: ProjectState, customer_id: str, created: bool, now: datetime) -> ProjectOutcome:
    """ND-11: the client is handed to sales as a regular customer."""
    s = state.model_copy(deep=True)
    s.customer_id = customer_id
    s.seq += 1
    return ProjectOutcome(
        s,
        "handed_to_sales",
        None,
        {"customer_id": customer_id, "created": created, "client_name": s.application.client_name},
        _notes([*s.implementers, *_role(s, Role.group_leader)], "handed_to_sales",
               f"{s.application.client_name} is now customer {customer_id} (project {s.id})"),
    )


def apply_continue_as_new(state: ProjectState) -> ProjectState:
    """The state a new run starts from: the same project, one more run."""
    s = state.model_copy(deep=True)
    s.runs += 1
    return s


# --- what the UI and the API show ---------------------------------------------------------


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
    """Current details for the Temporal UI: what the project waits for, until when."""
    nxt = next_clock(state)
    until = f" (next clock: {nxt[0].value} at {nxt[1]:%Y-%m-%d %H:%M} UTC)" if nxt else ""
    who = ", ".join(state.implementer_ids)
    if state.stage is Stage.rejected:
        return f"Rejected: {state.rejection_reason}"
    if state.stage is Stage.completed:
        return f"Completed: handed to sales as customer {state.customer_id or '(pending)'}"
    if state.stage is Stage.terminated:
        return f"Terminated; expenses totalled {state.expense_total_at_close}"
    if state.stage is Stage.under_review:
        role = next_in_chain(REVIEW_CHAIN, state.reviews)
        return f"Waiting for the {role.value if role else '?'} review of the application"
    if state.stage is Stage.suspended:
        return f"Suspended since {state.suspended_since:%Y-%m-%d %H:%M} UTC: {state.suspension_reason}; clocks stopped"
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
        consecutive_supply_months=consecutive_supply_months(x.month for x in state.supplies),
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
    )
