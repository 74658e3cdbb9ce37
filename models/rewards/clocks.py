"""The rewards round's clocks (ND-12): each stage's step is due within its policy deadline;
when one runs out the people who owe the step are reminded, again every reminder interval."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.case import Outcome, staff_notes
from models.rewards.state import RewardsState, officers_in_role
from models.rewards.vocabulary import STAGE_CLOCK, STAGE_STEP, STEP_ROLE, Clock, RewardStage
from models.staff import Role


def allowed(s: RewardsState, stage: RewardStage) -> timedelta:
    p = s.policy
    return {
        RewardStage.proposing: p.reward_propose_deadline,
        RewardStage.reviewing: p.reward_review_deadline,
        RewardStage.deciding: p.reward_decide_deadline,
    }[stage]


def enter(s: RewardsState, stage: RewardStage, now: datetime) -> None:
    """In place: the round waits for ``stage``'s step from ``now``, due within its deadline."""
    s.stage = stage
    s.stage_since = now
    s.reminders = 0
    s.due_at = None if stage is RewardStage.approved else now + allowed(s, stage)


def next_clock(s: RewardsState) -> tuple[Clock, datetime] | None:
    if s.stage is RewardStage.approved or s.due_at is None or s.totals is None:
        return None
    return STAGE_CLOCK[s.stage], s.due_at


def apply_clock(clock: Clock, state: RewardsState, now: datetime) -> Outcome[RewardsState]:
    """A stage's deadline ran out: the role that owes the step is reminded (and the group
    leader); the clock runs again for the reminder interval."""
    s = state.model_copy(deep=True)
    due = s.due_at
    assert due is not None
    step = STAGE_STEP[s.stage]
    role = STEP_ROLE[step]
    s.reminders += 1
    s.due_at = due + s.policy.reward_reminder_interval
    notes = staff_notes(
        officers_in_role(s, role, Role.group_leader),
        "rewards_overdue",
        f"Rewards {s.year}: the {step.value} step ({role.value}) was due {due:%Y-%m-%d %H:%M} UTC (ND-12)",
    )
    s.seq += 1
    data = {
        "clock": clock.value,
        "due_at": due.isoformat(),
        "reminders": s.reminders,
        "next_due_at": s.due_at.isoformat(),
        "lateness_seconds": max((now - due).total_seconds(), 0.0),
    }
    return Outcome(s, "rewards_reminder", None, data, notes, clock=clock.value)
