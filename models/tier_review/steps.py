"""The tier review as a table of one step (CC-04): a supervisor or manager of the department
confirms the tiers (once). The opening reads the department's customers and asks its
supervisors and managers to review them; once confirmed the result is filed with the tiers as
they are then."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.case import Change, Outcome, Refusal, StepInput, StepRule, staff_notes, take_step
from models.staff import Role
from models.tier_review.clocks import reminded
from models.tier_review.messages import ConfirmInput, DepartmentFacts, TierReviewInput
from models.tier_review.state import TierReviewState, share_text, tier_figures
from models.tier_review.vocabulary import REVIEWER_ROLES, ReviewStage, ReviewStep

ReviewOutcome = Outcome[TierReviewState]


def new_review(inp: TierReviewInput, workflow_id: str, now: datetime) -> TierReviewState:
    return TierReviewState(
        id=inp.id,
        workflow_id=workflow_id,
        period=inp.period,
        department=inp.department,
        policy=inp.policy,
        created_at=now,
    )


def is_reviewer(role: Role, department: str, s: TierReviewState) -> bool:
    """CC-04: a department's supervisors and managers review its customers."""
    return role in REVIEWER_ROLES and department == s.department


def _opening_data(s: TierReviewState) -> dict[str, Any]:
    assert s.figures is not None
    return {
        "period": s.period,
        "department": s.department,
        "customers": [c.id for c in s.customers],
        "figures": s.figures.model_dump(mode="json"),
    }


def apply_opening(state: TierReviewState, facts: DepartmentFacts, now: datetime) -> ReviewOutcome:
    """CC-04: the department's customers and their shares by tier; its supervisors and managers
    are asked to confirm or change the tiers, within ``tier_review_deadline``."""
    s = state.model_copy(deep=True)
    s.customers, s.reviewers = facts.customers, facts.reviewers
    s.figures = tier_figures(s.customers, s.policy, s.department)
    s.stage = ReviewStage.open
    s.due_at = now + s.policy.tier_review_deadline
    s.seq += 1
    over = "; ".join(f"{o.tier.value} over its cap" for o in s.figures.over_cap)
    notes = staff_notes(
        reminded(s),
        "tier_review",
        f"CC-04: tier review {s.period} of {s.department}: {s.figures.total} customers ({share_text(s.figures)})"
        + (f"; {over}" if over else "")
        + f". Confirm or change the tiers (POST /customers/{{id}}/tier), then confirm the review "
        f"(POST /tier-reviews/{s.id}/confirm) by {s.due_at:%Y-%m-%d %H:%M} UTC",
    )
    return Outcome(s, "tier_review_opened", None, _opening_data(s) | {"due_at": s.due_at.isoformat()}, notes)


def apply_filing(state: TierReviewState, facts: DepartmentFacts, now: datetime) -> ReviewOutcome:
    """CC-04: the confirmed review's result is filed: the department's tiers as they are once
    confirmed (after the changes made during the review)."""
    s = state.model_copy(deep=True)
    s.customers = facts.customers
    s.figures = tier_figures(s.customers, s.policy, s.department)
    s.seq += 1
    return Outcome(s, "tier_review_filed", None, _opening_data(s))


# --- the step -----------------------------------------------------------------------------


def reviewer(inp: ConfirmInput, s: TierReviewState) -> Refusal | None:
    if is_reviewer(inp.actor.role, inp.actor.department, s):
        return None
    return Refusal("forbidden", f"CC-04: a supervisor or manager of department {s.department} confirms its tier review")


def still_open(inp: ConfirmInput, s: TierReviewState) -> Refusal | None:
    if s.stage is ReviewStage.opening:
        return Refusal("conflict", f"CC-04: the tier review {s.id} is still reading the department's customers")
    if s.stage is ReviewStage.confirmed:
        return Refusal("conflict", f"CC-04: the tier review {s.id} is confirmed already (by {s.confirmed_by})")
    return None


def _confirm(inp: ConfirmInput, s: TierReviewState, now: datetime) -> Change:
    s.stage = ReviewStage.confirmed
    s.confirmed_at, s.confirmed_by, s.note = now, inp.actor.id, inp.body.note
    s.due_at = None
    others = [r for r in reminded(s) if r != inp.actor.id]
    notes = staff_notes(
        others, "tier_review_confirmed", f"CC-04: tier review {s.period} of {s.department} confirmed by {inp.actor.id}"
    )
    return Change(data={"reminders": s.reminders}, notifications=notes, texts={"note": inp.body.note})


STEPS: dict[ReviewStep, StepRule[Any, TierReviewState]] = {
    ReviewStep.confirm: StepRule(ConfirmInput, [reviewer, still_open], _confirm),
}


def apply_step(step: ReviewStep, inp: StepInput[Any], state: TierReviewState, now: datetime) -> ReviewOutcome:
    return take_step(STEPS[step], step.value, inp, state, now)
