"""Who may see a client project and take which step, and when: each guard answers None
(allowed) or the ``Refusal`` that names its rule. The steps table (models.project.steps) lists,
per step, the guards it passes through in order; ``forbidden`` (403) says who, ``conflict``
(409) says when."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from models.calendar import local_month
from models.case import Refusal
from models.policy import ProjectPolicy
from models.project.messages import BudgetInput, Eligibility, ExpenseInput, ProjectStepInput, SupplyInput
from models.project.state import (
    ProjectState,
    corrected,
    current_budget,
    expense,
    line_spent,
    next_in_chain,
    pending_budget,
    preliminary_budgeted,
    spent_before_breakthrough,
    supply_run,
    supply_standard_met,
)
from models.project.vocabulary import (
    ANNUAL_CHAIN,
    BUDGET_CHAIN,
    EXPENSE_CHAIN,
    GROUP_ROLES,
    REVIEW_CHAIN,
    BudgetPhase,
    Decision,
    ProjectStep,
    Stage,
)
from models.staff import Role, StaffRef

Input = ProjectStepInput[Any]

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
    blacklisted: Mapping[str, str] | None = None,
) -> Eligibility:
    """ND-01: eligible only if the client is not already a customer (``customer_names`` are
    the registry's (id, name) pairs) and the expected annual business reaches the product
    line's threshold (cast-ball 3,000,000; equipment 1,000,000 by default). CC-04: a customer
    on a blacklist that binds the applicant (``blacklisted``: customer id → ``company``, or
    ``department`` when it is the applicant's department's) gets no business, and the refusal
    says so."""
    for cid, name in customer_names:
        if same_client(name, client_name):
            scope = (blacklisted or {}).get(cid)
            if scope is not None:
                return Eligibility(
                    eligible=False,
                    reason=f"CC-04: {client_name} ({cid}) is on the {scope} blacklist: no business",
                    existing_customer_id=cid,
                )
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


# --- predicates ---------------------------------------------------------------------------


def may_view(actor: StaffRef, implementer_ids: Sequence[str]) -> bool:
    """ND-13: the review group, the leaders (deputy and leader) and the project's
    implementers; nobody else."""
    return actor.role in GROUP_ROLES or actor.id in implementer_ids


def budget_within_cap(phase: BudgetPhase, total: Decimal, policy: ProjectPolicy, already: Decimal = Decimal(0)) -> bool:
    """ND-03: before a substantive breakthrough the project's development spending, every
    budget together (``already``: what the earlier preliminary budgets not rejected provide),
    may not exceed the cap (30,000); after one, no cap (the group, the deputy and the leader
    approve)."""
    return phase is BudgetPhase.substantive or already + total <= policy.budget_cap_before_breakthrough


def expense_within_tolerance(line_amount: Decimal, already_spent: Decimal, amount: Decimal, tolerance: Decimal) -> bool:
    """ND-04: an expense may take its budget line at most ``tolerance`` (5%) above budget."""
    return already_spent + amount <= line_amount * (Decimal(1) + tolerance)


def _is_implementer(actor: StaffRef, state: ProjectState) -> bool:
    return actor.id in state.implementer_ids


def _implementer_or_group(actor: StaffRef, state: ProjectState) -> bool:
    return _is_implementer(actor, state) or actor.role in GROUP_ROLES


def _chain_refusal(rule: str, what: str, actor: StaffRef, chain: Sequence[Role], nxt: Role | None) -> Refusal | None:
    if actor.role not in chain:
        return Refusal("forbidden", f"{rule}: {what} is decided by {' → '.join(r.value for r in chain)}")
    if nxt is None:
        return Refusal("conflict", f"{rule}: {what} is already decided")
    if actor.role is not nxt:
        return Refusal("conflict", f"{rule}: {what} waits for the {nxt.value} first")
    return None


# --- guards steps share -------------------------------------------------------------------


def visible(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-13: only the review group, the leaders and the project's implementers."""
    if not may_view(inp.actor, s.implementer_ids):
        return Refusal("forbidden", "ND-13: only the review group, the leaders and the project's implementers")
    return None


def may_reach(actor: StaffRef, implementer_ids: Sequence[str], step: ProjectStep | None = None) -> bool:
    """ND-13, ND-04: who may reach a project (to read it, or to take ``step`` on it): the review
    group, the leaders and its implementers; finance, for an expense decision only (it decides
    a reimbursement without seeing the project)."""
    finance_on_expense = step is ProjectStep.expense_decision and actor.role is Role.finance
    return finance_on_expense or may_view(actor, implementer_ids)


def visible_or_finance(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-13, ND-04: as ``visible``, but finance may act on an expense without seeing the
    project (the step's row in the table uses this guard)."""
    if may_reach(inp.actor, s.implementer_ids, ProjectStep.expense_decision):
        return None
    return visible(inp, s)


def still_open(inp: Input, s: ProjectState) -> Refusal | None:
    """A completed, terminated or rejected project takes no step."""
    if not s.open:
        return Refusal("conflict", f"the project is {s.stage.value}")
    return None


def past_review(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-02: nothing but the review while the application is under review."""
    if s.stage is Stage.under_review:
        return Refusal("conflict", "ND-02: the application is still under review")
    return None


def not_suspended(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-09: a suspended project is resumed (or terminated) first."""
    if s.stage is Stage.suspended:
        return Refusal("conflict", "ND-09: the project is suspended; resume it first")
    return None


# --- one guard per step -------------------------------------------------------------------


def may_review(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-02: the review group, then the deputy leader, then the leader, once each."""
    if s.stage is not Stage.under_review:
        return Refusal("conflict", "ND-02: the application is already approved")
    return _chain_refusal("ND-02", "the application", inp.actor, REVIEW_CHAIN, next_in_chain(REVIEW_CHAIN, s.reviews))


def may_change_terms(inp: Input, s: ProjectState) -> Refusal | None:
    """Issue 14: a project's terms change only on purpose, by the development group's leader
    (who applies next year's calendar to the open projects)."""
    if inp.actor.role is not Role.group_leader:
        return Refusal("forbidden", "issue 14: the development group's leader changes a project's terms")
    return None


def may_resume(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-09: the implementers or the review group resume a suspended project."""
    if not _implementer_or_group(inp.actor, s):
        return Refusal("forbidden", "ND-09: the implementers or the review group resume a project")
    if s.stage is not Stage.suspended:
        return Refusal("conflict", "ND-09: the project is not suspended")
    return None


def may_suspend(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-09: the implementers or the review group suspend a project."""
    if not _implementer_or_group(inp.actor, s):
        return Refusal("forbidden", "ND-09: the implementers or the review group suspend a project")
    return None


def may_submit_budget(inp: BudgetInput, s: ProjectState) -> Refusal | None:
    """ND-03: the implementers submit one budget at a time: preliminary (capped) before a
    breakthrough, substantive after."""
    if not _is_implementer(inp.actor, s):
        return Refusal("forbidden", "ND-03: the project's implementers submit the budget")
    if pending_budget(s) is not None:
        return Refusal("conflict", "ND-03: a budget already waits for approval")
    body = inp.body
    if body.phase is BudgetPhase.substantive and s.breakthrough_at is None:
        return Refusal("conflict", "ND-03: a substantive budget comes after a breakthrough")
    if body.phase is BudgetPhase.preliminary and s.breakthrough_at is not None:
        return Refusal("conflict", "ND-03: after a breakthrough the budget is substantive (group, deputy, leader)")
    total = sum((line.amount for line in body.lines), Decimal(0))
    already = preliminary_budgeted(s) if corrected(s) else Decimal(0)
    if not budget_within_cap(body.phase, total, s.policy, already):
        return Refusal(
            "conflict",
            f"ND-03: before a breakthrough the project's development spending, every budget "
            f"together, may not exceed {s.policy.budget_cap_before_breakthrough} "
            f"(budgeted already {already}, asked {total})",
        )
    return None


def may_decide_budget(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-03: the pending budget's chain, in order (by its phase)."""
    b = pending_budget(s)
    if b is None:
        return Refusal("conflict", "ND-03: no budget waits for a decision")
    chain = BUDGET_CHAIN[b.phase]
    return _chain_refusal("ND-03", "the budget", inp.actor, chain, next_in_chain(chain, b.approvals))


def may_claim_expense(inp: ExpenseInput, s: ProjectState) -> Refusal | None:
    """ND-04: the implementers claim against a line of the approved budget, at most the
    tolerance (5%) above it."""
    if not _is_implementer(inp.actor, s):
        return Refusal("forbidden", "ND-04: the project's implementers claim development expenses")
    budget = current_budget(s)
    if budget is None:
        return Refusal("conflict", "ND-04: no approved budget yet")
    body = inp.body
    line = next((ln for ln in budget.lines if ln.name == body.line), None)
    if line is None:
        return Refusal("conflict", f"ND-04: the budget has no line {body.line}")
    spent = line_spent(s, line.name)
    if not expense_within_tolerance(line.amount, spent, body.amount, s.policy.expense_tolerance):
        return Refusal(
            "conflict",
            f"ND-04: {body.amount} on {line.name} (budget {line.amount}, already {spent}) exceeds "
            f"the line by more than {s.policy.expense_tolerance * 100:.0f}%; a new budget "
            "approval is needed first",
        )
    cap = s.policy.budget_cap_before_breakthrough
    if corrected(s) and s.breakthrough_at is None and (before := spent_before_breakthrough(s)) + body.amount > cap:
        return Refusal(
            "conflict",
            f"ND-03: before a breakthrough the project's development spending may not exceed {cap} "
            f"(already {before}, asked {body.amount})",
        )
    return None


def may_decide_expense(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-04: deputy, finance, leader in order; nobody approves their own expense."""
    e = expense(s, inp.expense_id)
    if e is None:
        return Refusal("conflict", f"ND-04: no expense {inp.expense_id}")
    if e.status is not Decision.pending:
        return Refusal("conflict", f"ND-04: expense {e.id} is already {e.status.value}")
    if inp.actor.id == e.submitted_by:
        return Refusal("forbidden", "ND-04: nobody approves their own expense")
    return _chain_refusal(
        "ND-04", f"expense {e.id}", inp.actor, EXPENSE_CHAIN, next_in_chain(EXPENSE_CHAIN, e.approvals)
    )


def may_follow_up(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-05: the implementers record follow-ups."""
    if not _is_implementer(inp.actor, s):
        return Refusal("forbidden", "ND-05: the project's implementers record follow-ups")
    return None


def may_record_supply(inp: SupplyInput, s: ProjectState) -> Refusal | None:
    """ND-11: the implementers or the deputy leader record supply, once per month."""
    if not (_is_implementer(inp.actor, s) or inp.actor.role is Role.deputy_leader):
        return Refusal("forbidden", "ND-11: the implementers or the deputy leader record supply")
    if any(x.month == inp.body.month for x in s.supplies):
        return Refusal("conflict", f"ND-11: supply for {inp.body.month} is already recorded")
    return None


def supply_month_possible(inp: SupplyInput, s: ProjectState, now: datetime) -> Refusal | None:
    """ND-11: a month of supply is a calendar month of the company's timezone from the month
    of approval (supply after approval in that month counts: the batch amount decides) to the
    current month, never one still to come."""
    if not corrected(s) or s.approved_at is None:
        return None
    month, tz = inp.body.month, s.policy.timezone
    first, current = local_month(s.approved_at, tz), local_month(now, tz)
    if month < first:
        return Refusal("invalid", f"ND-11: month {month} is before the project's approval ({first}, {tz})")
    if month > current:
        return Refusal("invalid", f"ND-11: month {month} is in the future (the month is {current} in {tz})")
    return None


def may_confirm_completion(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-11: the deputy leader, who reviews the project's progress, confirms completion once
    the supply meets the standard."""
    if inp.actor.role is not Role.deputy_leader:
        return Refusal("forbidden", "ND-11: the deputy leader confirms a project's completion")
    if not supply_standard_met(s):
        p = s.policy
        return Refusal(
            "conflict",
            f"ND-11: the standard is not met: {supply_run(s)} of {p.supply_months_to_complete} consecutive "
            f"months of supply at the monthly batch amount",
        )
    return None


def may_decide_study(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-07: the review group decides after the special study."""
    if inp.actor.role is not Role.review_group:
        return Refusal("forbidden", "ND-07: the review group decides after the special study")
    if not s.study_pending:
        return Refusal("conflict", "ND-07: no special study waits for a decision")
    return None


def may_report_annual(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-08: the implementers write one report when the annual review is due."""
    if not _is_implementer(inp.actor, s):
        return Refusal("forbidden", "ND-08: the implementers write the annual report")
    if not s.annual_pending:
        return Refusal("conflict", "ND-08: no annual review is due")
    if s.annual_report is not None:
        return Refusal("conflict", "ND-08: the annual report is already submitted")
    return None


def may_decide_annual(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-08: after the report, the group, the deputy, then the leader, in order."""
    if inp.actor.role not in ANNUAL_CHAIN:
        return _chain_refusal("ND-08", "the annual review", inp.actor, ANNUAL_CHAIN, None)
    if not s.annual_pending:
        return Refusal("conflict", "ND-08: no annual review is due")
    if s.annual_report is None:
        return Refusal("conflict", "ND-08: the implementers' written report comes first")
    return _chain_refusal(
        "ND-08", "the annual review", inp.actor, ANNUAL_CHAIN, next_in_chain(ANNUAL_CHAIN, s.annual_decisions)
    )


def may_request_termination(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-10: the implementers request a termination in writing, one at a time."""
    if not _is_implementer(inp.actor, s):
        return Refusal("forbidden", "ND-10: the implementers request a termination in writing")
    if s.termination is not None and s.termination.status is Decision.pending:
        return Refusal("conflict", "ND-10: a termination request already waits for the review group")
    return None


def may_decide_termination(inp: Input, s: ProjectState) -> Refusal | None:
    """ND-10: the review group decides a pending termination request."""
    if inp.actor.role is not Role.review_group:
        return Refusal("forbidden", "ND-10: the review group approves a termination")
    if s.termination is None or s.termination.status is not Decision.pending:
        return Refusal("conflict", "ND-10: no termination request waits for a decision")
    return None
