"""What happens to a client project: the application, each human step (one row of ``STEPS``
each: its typed input, its guards, its transition), the hand-over and continue-as-new.
Transitions change a copy of the state; the functions here never mutate their input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.case import (
    Change,
    Notification,
    Outcome,
    Refusal,
    StepRule,
    due_changes,
    staff_notes,
    step_refusal,
    take_step,
)
from models.clock import Pause, is_paused, run_due
from models.project.clocks import DUE_FIELDS, next_clock, postpone_clocks, stop_clocks
from models.project.guards import (
    may_change_terms,
    may_claim_expense,
    may_confirm_completion,
    may_decide_annual,
    may_decide_budget,
    may_decide_expense,
    may_decide_study,
    may_decide_termination,
    may_follow_up,
    may_record_supply,
    may_report_annual,
    may_request_termination,
    may_resume,
    may_review,
    may_submit_budget,
    may_suspend,
    not_suspended,
    past_review,
    still_open,
    supply_month_possible,
    visible,
    visible_or_finance,
)
from models.project.messages import (
    AnnualReportDecisionInput,
    AnnualReportInput,
    BudgetDecisionInput,
    BudgetInput,
    ChangeTermsInput,
    CompletionInput,
    Eligibility,
    ExpenseDecisionInput,
    ExpenseInput,
    FollowUpInput,
    ProjectStepInput,
    ResumeInput,
    ReviewInput,
    StudyDecisionInput,
    SupplyInput,
    SuspendInput,
    TerminateDecisionInput,
    TerminateInput,
)
from models.project.state import (
    Approval,
    Budget,
    BudgetLine,
    Expense,
    FollowUp,
    ProjectInput,
    ProjectState,
    Supply,
    Termination,
    corrected,
    current_budget,
    expense,
    expense_totals,
    month_counts,
    next_in_chain,
    officers_in_role,
    pending_budget,
    set_flag,
    supply_run,
    supply_standard_met,
)
from models.project.vocabulary import (
    ANNUAL_CHAIN,
    BUDGET_CHAIN,
    EXPENSE_CHAIN,
    PROGRESS_ORDER,
    REVIEW_CHAIN,
    Decision,
    Flag,
    Progress,
    ProjectStep,
    Stage,
)
from models.staff import Role, StaffRef

ProjectOutcome = Outcome[ProjectState]


# --- what transitions share ---------------------------------------------------------------


def _close(s: ProjectState, stage: Stage, now: datetime) -> dict[str, Any]:
    """The project ends at ``stage``: its clocks stop and its expenses are totalled (ND-10)."""
    s.stage, s.closed_at = stage, now
    s.study_pending = s.annual_pending = False
    s.suspended_since = None
    if is_paused(s.pauses):
        s.pauses[-1].until = now
    stop_clocks(s)
    totals = expense_totals(s)
    s.expense_total_at_close = totals["expense_total"]
    return {
        "expense_total": str(totals["expense_total"]),
        "expense_pending": str(totals["expense_pending"]),
        "expense_by_line": {k: str(v) for k, v in totals["expense_by_line"].items()},
    }


def _approve_project(s: ProjectState, now: datetime) -> list[Notification]:
    """ND-02 approved: every clock starts (ND-03, ND-05 … ND-08)."""
    p = s.policy
    s.stage, s.approved_at = Stage.approved, now
    s.budget_due_at = p.due("budget", now, p.budget_deadline)
    s.follow_up_due_at = p.due("follow_up", now, p.follow_up_interval)
    s.attention_due_at = p.due("attention", now, p.attention_after)
    s.study_due_at = p.due("study", now, p.study_after)
    s.annual_review_due_at = p.due("annual_review", now, p.annual_review_after)
    return staff_notes(
        s.implementers,
        "project_approved",
        f"Project {s.id} approved: submit the budget by {s.budget_due_at:%Y-%m-%d %H:%M} UTC",
    )


def _decide(approvals: list[Approval], actor: StaffRef, approved: bool, note: str | None, now: datetime) -> Approval:
    a = Approval(role=actor.role, staff_id=actor.id, approved=approved, note=note, at=now)
    approvals.append(a)
    return a


# --- the application (ND-01) --------------------------------------------------------------


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
            {"existing_customer_id": found.existing_customer_id},
            staff_notes(
                [s.applicant],
                "application_refused",
                f"Project application for {app.client_name} refused: {found.reason}",
            ),
            texts={"reason": found.reason},
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
        staff_notes(
            officers_in_role(s, Role.review_group),
            "review_due",
            f"Project {s.id} ({app.client_name}): evaluate the application",
        ),
    )


# --- one transition per step --------------------------------------------------------------


def review(inp: ReviewInput, s: ProjectState, now: datetime) -> Change:
    """ND-02: one decision on the chain; a rejection ends the project, the leader's approval
    starts it."""
    actor, body = inp.actor, inp.body
    _decide(s.reviews, actor, body.approved, body.note, now)
    data: dict[str, Any] = {"role": actor.role.value, "approved": body.approved}
    if not body.approved:
        s.rejection_reason = f"ND-02: rejected by the {actor.role.value}: {body.note or 'no reason given'}"
        _close(s, Stage.rejected, now)
        s.expense_total_at_close = None
        notes = staff_notes([s.applicant, *s.implementers], "project_rejected", f"Project {s.id}: {s.rejection_reason}")
    elif (nxt := next_in_chain(REVIEW_CHAIN, s.reviews)) is None:
        notes = _approve_project(s, now)
        data["approved_at"] = now.isoformat()
    else:
        notes = staff_notes(officers_in_role(s, nxt), "review_due", f"Project {s.id}: your review ({nxt.value}) is due")
    return Change(data, notes, {"note": body.note})


def budget(inp: BudgetInput, s: ProjectState, now: datetime) -> Change:
    """ND-03: the budget goes to the first of its phase's chain; the budget clock stops."""
    body = inp.body
    b = Budget(
        phase=body.phase,
        lines=[BudgetLine(name=ln.name, amount=ln.amount) for ln in body.lines],
        submitted_by=inp.actor.id,
        submitted_at=now,
    )
    s.budgets.append(b)
    on_time = Flag.budget_overdue not in s.flags
    s.budget_due_at = None
    set_flag(s, Flag.budget_overdue, False)
    first = BUDGET_CHAIN[b.phase][0]
    notes = staff_notes(
        officers_in_role(s, first),
        "budget_decision_due",
        f"Project {s.id}: decide the {b.phase.value} budget of {b.total}",
    )
    data = {
        "phase": b.phase.value,
        "total": str(b.total),
        "on_time": on_time,
        "lines": [{"name": ln.name, "amount": str(ln.amount)} for ln in b.lines],
    }
    return Change(data, notes)


def budget_decision(inp: BudgetDecisionInput, s: ProjectState, now: datetime) -> Change:
    """ND-03: one decision on the budget's chain; the last approval puts it in force."""
    actor, body = inp.actor, inp.body
    b = pending_budget(s)
    assert b is not None
    _decide(b.approvals, actor, body.approved, body.note, now)
    data: dict[str, Any] = {"role": actor.role.value, "approved": body.approved, "phase": b.phase.value}
    chain = BUDGET_CHAIN[b.phase]
    if not body.approved:
        b.status = Decision.rejected
        notes = staff_notes(
            s.implementers, "budget_rejected", f"Project {s.id}: budget rejected by the {actor.role.value}"
        )
        if corrected(s) and current_budget(s) is None:  # ND-03: 7 days again for a new budget
            s.budget_due_at = s.policy.due("budget", now, s.policy.budget_deadline)
            data["budget_due_at"] = s.budget_due_at.isoformat()
    elif (nxt := next_in_chain(chain, b.approvals)) is None:
        b.status = Decision.approved
        if s.stage is Stage.approved:
            s.stage = Stage.active
        notes = staff_notes(s.implementers, "budget_approved", f"Project {s.id}: budget of {b.total} approved")
    else:
        notes = staff_notes(
            officers_in_role(s, nxt), "budget_decision_due", f"Project {s.id}: decide the budget of {b.total}"
        )
    data["status"] = b.status.value
    return Change(data, notes, {"note": body.note})


def expense_claim(inp: ExpenseInput, s: ProjectState, now: datetime) -> Change:
    """ND-04: an expense is claimed against a budget line and goes to the deputy leader."""
    body = inp.body
    e = Expense(
        id=f"E{len(s.expenses) + 1}",
        line=body.line,
        amount=body.amount,
        description=body.description,
        submitted_by=inp.actor.id,
        submitted_at=now,
    )
    s.expenses.append(e)
    notes = staff_notes(
        officers_in_role(s, EXPENSE_CHAIN[0]),
        "expense_decision_due",
        f"Project {s.id}: decide expense {e.id} of {e.amount}",
    )
    return Change({"expense_id": e.id, "line": e.line, "amount": str(e.amount)}, notes, {"description": e.description})


def expense_decision(inp: ExpenseDecisionInput, s: ProjectState, now: datetime) -> Change:
    """ND-04: one decision on the reimbursement chain (deputy, finance, leader)."""
    actor, body = inp.actor, inp.body
    e = expense(s, inp.expense_id)
    assert e is not None
    _decide(e.approvals, actor, body.approved, body.note, now)
    if not body.approved:
        e.status = Decision.rejected
        notes = staff_notes(
            s.implementers, "expense_rejected", f"Project {s.id}: expense {e.id} refused by the {actor.role.value}"
        )
    elif (nxt := next_in_chain(EXPENSE_CHAIN, e.approvals)) is None:
        e.status = Decision.approved
        notes = staff_notes(s.implementers, "expense_approved", f"Project {s.id}: expense {e.id} reimbursed")
    else:
        notes = staff_notes(
            officers_in_role(s, nxt), "expense_decision_due", f"Project {s.id}: decide expense {e.id} of {e.amount}"
        )
    data = {
        "expense_id": e.id,
        "role": actor.role.value,
        "approved": body.approved,
        "status": e.status.value,
    }
    return Change(data, notes, {"note": body.note})


def follow_up(inp: FollowUpInput, s: ProjectState, now: datetime) -> Change:
    """ND-05: the follow-up clock re-arms; ND-06 progress clears special attention; ND-07 the
    first breakthrough is recorded."""
    body = inp.body
    s.follow_ups.append(FollowUp(at=now, by=inp.actor.id, note=body.note, progress=body.progress))
    s.follow_up_due_at = s.policy.due("follow_up", now, s.policy.follow_up_interval)
    set_flag(s, Flag.follow_up_overdue, False)
    if PROGRESS_ORDER[body.progress] > PROGRESS_ORDER[s.progress]:
        s.progress = body.progress
    if body.progress is not Progress.none:
        set_flag(s, Flag.special_attention, False)
    notes: list[Notification] = []
    if body.progress is Progress.breakthrough and s.breakthrough_at is None:
        s.breakthrough_at = now
        notes = staff_notes(
            officers_in_role(s, Role.deputy_leader),
            "breakthrough",
            f"Project {s.id}: substantive breakthrough recorded",
        )
    data = {"progress": body.progress.value, "next_due_at": s.follow_up_due_at.isoformat()}
    return Change(data, notes, {"note": body.note})


def supply(inp: SupplyInput, s: ProjectState, now: datetime) -> Change:
    """ND-11 / ND-08: a month of supply; it counts toward the standard at the line's monthly
    batch amount. The standard met asks the deputy leader to confirm completion (before the
    correction it completed the project at once)."""
    body = inp.body
    month = Supply(month=body.month, amount=body.amount, recorded_by=inp.actor.id, at=now)
    s.supplies.append(month)
    s.supplies.sort(key=lambda x: x.month)
    run = supply_run(s)
    data: dict[str, Any] = {
        "month": body.month,
        "amount": str(body.amount),
        "counts": month_counts(s, month),
        "consecutive_months": run,
    }
    notes: list[Notification] = []
    if not supply_standard_met(s):
        return Change(data, notes)
    if not corrected(s):
        data |= {"standard_reached": True, **_close(s, Stage.completed, now)}
        s.flags = []
        notes = staff_notes(
            [*s.implementers, *officers_in_role(s, Role.deputy_leader), *officers_in_role(s, Role.group_leader)],
            "project_completed",
            f"Project {s.id}: {run} consecutive months of supply; {s.application.client_name} goes to sales",
        )
    elif s.standard_reached_at is None:
        s.standard_reached_at = now
        set_flag(s, Flag.completion_due, True)
        data["standard_reached"] = True
        notes = staff_notes(
            officers_in_role(s, Role.deputy_leader),
            "completion_due",
            f"Project {s.id}: {run} consecutive months of batch supply; confirm the completion (ND-11)",
        )
    return Change(data, notes)


def confirm_completion(inp: CompletionInput, s: ProjectState, now: datetime) -> Change:
    """ND-11: the deputy leader confirms completion: the project closes (its clocks stop, its
    expenses are totalled) and the client goes to sales as a regular customer."""
    data: dict[str, Any] = {"consecutive_months": supply_run(s), **_close(s, Stage.completed, now)}
    s.flags = []
    notes = staff_notes(
        [*s.implementers, *officers_in_role(s, Role.deputy_leader), *officers_in_role(s, Role.group_leader)],
        "project_completed",
        f"Project {s.id} completed; {s.application.client_name} goes to sales",
    )
    return Change(data, notes, {"note": inp.body.note})


def study_decision(inp: StudyDecisionInput, s: ProjectState, now: datetime) -> Change:
    """ND-07: after the special study the review group continues or terminates."""
    body = inp.body
    _decide(s.study_decisions, inp.actor, body.continue_, body.note, now)
    s.study_pending = False
    set_flag(s, Flag.special_study, False)
    data: dict[str, Any] = {"continue": body.continue_}
    notes: list[Notification] = []
    if not body.continue_:
        data |= _close(s, Stage.terminated, now)
        notes = staff_notes(s.implementers, "project_terminated", f"Project {s.id} terminated after the special study")
    return Change(data, notes, {"note": body.note})


def annual_report(inp: AnnualReportInput, s: ProjectState, now: datetime) -> Change:
    """ND-08: the implementers' written report goes to the review group."""
    s.annual_report = inp.body.report
    notes = staff_notes(
        officers_in_role(s, ANNUAL_CHAIN[0]), "annual_review_due", f"Project {s.id}: evaluate the annual report"
    )
    return Change({}, notes, {"report": inp.body.report})


def annual_report_decision(inp: AnnualReportDecisionInput, s: ProjectState, now: datetime) -> Change:
    """ND-08: the group's evaluation and the deputy's opinion advise; the leader decides."""
    actor, body = inp.actor, inp.body
    _decide(s.annual_decisions, actor, body.continue_, body.note, now)
    data: dict[str, Any] = {"role": actor.role.value, "continue": body.continue_}
    nxt = next_in_chain(ANNUAL_CHAIN, s.annual_decisions)
    if nxt is not None:  # the group's evaluation, the deputy's opinion: advice to the leader
        notes = staff_notes(
            officers_in_role(s, nxt), "annual_review_due", f"Project {s.id}: your annual review ({nxt.value}) is due"
        )
    elif body.continue_:  # the leader decides
        s.annual_pending = False
        set_flag(s, Flag.annual_review, False)
        data["decided"] = "continue"
        notes = staff_notes(
            s.implementers, "annual_review_decided", f"Project {s.id} continues after the annual review"
        )
    else:
        data |= {"decided": "terminate", **_close(s, Stage.terminated, now)}
        notes = staff_notes(s.implementers, "project_terminated", f"Project {s.id} terminated after the annual review")
    return Change(data, notes, {"note": body.note})


def suspend(inp: SuspendInput, s: ProjectState, now: datetime) -> Change:
    """ND-09: the project is suspended with a reason; its clocks stop running."""
    reason = inp.body.reason
    s.stage, s.suspended_since, s.suspension_reason = Stage.suspended, now, reason
    s.pauses.append(Pause(since=now, kind="suspension", by=inp.actor.id))
    notes = staff_notes(
        [*officers_in_role(s, Role.review_group), *officers_in_role(s, Role.deputy_leader)],
        "project_suspended",
        f"Project {s.id} suspended: {reason}",
    )
    return Change({}, notes, {"reason": reason})


def resume(inp: ResumeInput, s: ProjectState, now: datetime) -> Change:
    """ND-09: every clock moves later by the time suspended."""
    assert s.suspended_since is not None
    if not is_paused(s.pauses):  # suspended before suspensions were kept as pauses
        s.pauses.append(Pause(since=s.suspended_since, kind="suspension"))
    pause = s.pauses[-1]
    pause.until, pause.resumed_by = now, inp.actor.id
    paused = now - s.suspended_since
    postpone_clocks(s, pause)
    s.suspended_seconds += paused.total_seconds()
    s.suspended_since = s.suspension_reason = None
    s.stage = Stage.active if current_budget(s) is not None else Stage.approved
    nxt_clock = next_clock(s)
    data = {
        "suspended_for_seconds": paused.total_seconds(),
        "next_clock": nxt_clock[0].value if nxt_clock else None,
        "next_due_at": nxt_clock[1].isoformat() if nxt_clock else None,
    }
    notes = staff_notes(
        [*officers_in_role(s, Role.review_group), *s.implementers], "project_resumed", f"Project {s.id} resumed"
    )
    return Change(data, notes)


def terminate(inp: TerminateInput, s: ProjectState, now: datetime) -> Change:
    """ND-10: a termination request in writing, to the review group."""
    reason = inp.body.reason
    s.termination = Termination(reason=reason, requested_by=inp.actor.id, requested_at=now)
    notes = staff_notes(
        officers_in_role(s, Role.review_group),
        "termination_requested",
        f"Project {s.id}: termination requested: {reason}",
    )
    return Change({}, notes, {"reason": reason})


def terminate_decision(inp: TerminateDecisionInput, s: ProjectState, now: datetime) -> Change:
    """ND-10: the review group decides; an approved termination totals the expenses."""
    body = inp.body
    assert s.termination is not None
    s.termination.status = Decision.approved if body.approved else Decision.rejected
    s.termination.decided_by, s.termination.note = inp.actor.id, body.note
    data: dict[str, Any] = {"approved": body.approved}
    if body.approved:
        data |= _close(s, Stage.terminated, now)
        notes = staff_notes(
            [*s.implementers, *officers_in_role(s, Role.deputy_leader), *officers_in_role(s, Role.finance)],
            "project_terminated",
            f"Project {s.id} terminated; expenses total {s.expense_total_at_close}",
        )
    else:
        notes = staff_notes(s.implementers, "termination_refused", f"Project {s.id}: termination refused")
    return Change(data, notes, {"note": body.note, "reason": s.termination.reason})


def change_terms(inp: ChangeTermsInput, s: ProjectState, now: datetime) -> Change:
    """Issue 14: new terms applied on purpose: the project keeps the new business calendar
    from now on, and each clock that runs (not paused) is due again, from the start of its run,
    its pauses counted out, as it counts (a clock that counts wall time keeps its due time);
    the event records each due time before and after. The implementers are told when one moved."""
    before = {c.value: getattr(s, name) for c, name in DUE_FIELDS.items()}
    p = s.policy = s.policy.model_copy(update={"calendar": inp.body.calendar})
    for clock, name in DUE_FIELDS.items():
        account = next((a for a in reversed(s.clocks) if a.clock == clock.value and a.open), None)
        if getattr(s, name) is None or account is None:
            continue
        due = run_due(account.started_at, account.allowed, account.pauses, p.counts(clock.value), p.calendar)
        if due is not None:
            # the same run, due again: its account moves with it (a moved due time is otherwise
            # read as a new run of the clock, models.clock.reconcile)
            setattr(s, name, due)
            account.due_at = due
    after = {c.value: getattr(s, name) for c, name in DUE_FIELDS.items()}
    notes: list[Notification] = []
    if before != after:
        notes = staff_notes(s.implementers, "terms_changed", f"Project {s.id}: a new calendar moved its due times")
    return Change(due_changes(before, after), notes)


# --- the table ----------------------------------------------------------------------------

#: Every step but the review passes these first: who may see the project, whether it is
#: still open, and whether its application is past review.
_REVIEWED = (visible, still_open, past_review)
#: ... and, but for resume and termination, the project is not suspended.
_RUNNING = (*_REVIEWED, not_suspended)

STEPS: dict[ProjectStep, StepRule[Any, ProjectState]] = {
    ProjectStep.review: StepRule(ReviewInput, (visible, still_open, may_review), review),
    ProjectStep.budget: StepRule(BudgetInput, (*_RUNNING, may_submit_budget), budget),
    ProjectStep.budget_decision: StepRule(BudgetDecisionInput, (*_RUNNING, may_decide_budget), budget_decision),
    ProjectStep.expense: StepRule(ExpenseInput, (*_RUNNING, may_claim_expense), expense_claim),
    ProjectStep.expense_decision: StepRule(
        ExpenseDecisionInput,
        (visible_or_finance, still_open, past_review, not_suspended, may_decide_expense),
        expense_decision,
    ),
    ProjectStep.follow_up: StepRule(FollowUpInput, (*_RUNNING, may_follow_up), follow_up),
    ProjectStep.supply: StepRule(SupplyInput, (*_RUNNING, may_record_supply), supply, (supply_month_possible,)),
    ProjectStep.confirm_completion: StepRule(CompletionInput, (*_RUNNING, may_confirm_completion), confirm_completion),
    ProjectStep.study_decision: StepRule(StudyDecisionInput, (*_RUNNING, may_decide_study), study_decision),
    ProjectStep.annual_report: StepRule(AnnualReportInput, (*_RUNNING, may_report_annual), annual_report),
    ProjectStep.annual_report_decision: StepRule(
        AnnualReportDecisionInput, (*_RUNNING, may_decide_annual), annual_report_decision
    ),
    ProjectStep.suspend: StepRule(SuspendInput, (*_RUNNING, may_suspend), suspend),
    ProjectStep.resume: StepRule(ResumeInput, (*_REVIEWED, may_resume), resume),
    ProjectStep.terminate: StepRule(TerminateInput, (*_REVIEWED, may_request_termination), terminate),
    ProjectStep.terminate_decision: StepRule(
        TerminateDecisionInput, (*_REVIEWED, may_decide_termination), terminate_decision
    ),
    # issue 14: an administrative act: any open project, by the group's leader
    ProjectStep.change_terms: StepRule(ChangeTermsInput, (still_open, may_change_terms), change_terms),
}


def check_step(step: ProjectStep, inp: ProjectStepInput[Any], state: ProjectState, now: datetime) -> Refusal | None:
    """Whether ``inp.actor`` may take ``step`` on the project at ``now``; None when allowed.
    ``forbidden`` (403) says who, ``conflict`` (409) says when, ``invalid`` (422) what."""
    return step_refusal(STEPS[step], inp, state, now)


def apply_step(step: ProjectStep, inp: ProjectStepInput[Any], state: ProjectState, now: datetime) -> ProjectOutcome:
    """The effect of a human step that ``check_step`` allowed."""
    return take_step(STEPS[step], step.value, inp, state, now)


# --- after the steps ----------------------------------------------------------------------


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
        staff_notes(
            [*s.implementers, *officers_in_role(s, Role.group_leader)],
            "handed_to_sales",
            f"{s.application.client_name} is now customer {customer_id} (project {s.id})",
        ),
    )


def apply_continue_as_new(state: ProjectState) -> ProjectState:
    """The state a new run starts from: the same project, one more run. A run that replayed
    steps taken before the corrected rules asks again in the next run (``corrected``)."""
    s = state.model_copy(deep=True)
    s.runs += 1
    if s.corrected is False:
        s.corrected = None
    return s
