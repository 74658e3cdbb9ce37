"""The tier review's clock (CC-04): the review is confirmed within ``tier_review_deadline`` of
its opening; when that runs out the department's managers and supervisors are reminded, again
every ``tier_review_reminder_interval`` until it is confirmed."""

from __future__ import annotations

from datetime import datetime

from models.case import Outcome, staff_notes
from models.staff import Role
from models.tier_review.state import TierReviewState
from models.tier_review.vocabulary import Clock, ReviewStage


def next_clock(s: TierReviewState) -> tuple[Clock, datetime] | None:
    if s.stage is not ReviewStage.open or s.due_at is None:
        return None
    return Clock.confirm, s.due_at


def reminded(s: TierReviewState) -> list[str]:
    """Who a late review reminds: the department's managers first, then its supervisors."""
    managers = [r.id for r in s.reviewers if r.role is Role.manager]
    return managers + [r.id for r in s.reviewers if r.role is not Role.manager]


def apply_clock(clock: Clock, state: TierReviewState, now: datetime) -> Outcome[TierReviewState]:
    """CC-04: the review was not confirmed in time: a reminder, and the clock runs again for
    the reminder interval."""
    s = state.model_copy(deep=True)
    due = s.due_at
    assert due is not None
    s.reminders += 1
    s.due_at = due + s.policy.tier_review_reminder_interval
    s.seq += 1
    notes = staff_notes(
        reminded(s),
        "tier_review_overdue",
        f"CC-04: the tier review {s.period} of {s.department} was due {due:%Y-%m-%d %H:%M} UTC; "
        f"confirm it (POST /tier-reviews/{s.id}/confirm)",
    )
    data = {
        "clock": clock.value,
        "due_at": due.isoformat(),
        "reminders": s.reminders,
        "next_due_at": s.due_at.isoformat(),
        "lateness_seconds": max((now - due).total_seconds(), 0.0),
    }
    return Outcome(s, "tier_review_reminder", None, data, notes, clock=clock.value)
