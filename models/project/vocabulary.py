"""The client project's vocabulary (ND rules): the words its rules, its API and its records
share, and the approval chains its steps climb."""

from __future__ import annotations

from enum import StrEnum

from models.staff import Role


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
    completion_due = "completion_due"  # ND-11: the standard is met; the deputy leader confirms


class Progress(StrEnum):
    none = "none"
    some = "some"
    breakthrough = "breakthrough"


PROGRESS_ORDER = {Progress.none: 0, Progress.some: 1, Progress.breakthrough: 2}


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
    confirm_completion = "confirm_completion"
    study_decision = "study_decision"
    annual_report = "annual_report"
    annual_report_decision = "annual_report_decision"
    suspend = "suspend"
    resume = "resume"
    terminate = "terminate"
    terminate_decision = "terminate_decision"
    #: issue 14: new terms (a business calendar) applied on purpose to an open project
    change_terms = "change_terms"


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
