"""What a department's supervisors and managers (and the general manager) read of a tier
review (CC-04)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.case import CaseEvent, Notification
from models.confidential import Confidential
from models.tier_review.messages import ReviewedCustomer
from models.tier_review.state import TierFigures, TierReviewState
from models.tier_review.vocabulary import ReviewStage


class TierReviewView(BaseModel):
    """GET /tier-reviews/{id}: the review as it is now."""

    id: str
    workflow_id: str
    period: str
    department: str
    stage: ReviewStage
    customers: list[ReviewedCustomer]
    figures: TierFigures | None
    reviewers: list[str]
    due_at: datetime | None
    reminders: int
    confirmed_at: datetime | None
    confirmed_by: str | None
    note: Confidential | None
    created_at: datetime
    seq: int


def view_of(s: TierReviewState) -> TierReviewView:
    return TierReviewView(
        id=s.id,
        workflow_id=s.workflow_id,
        period=s.period,
        department=s.department,
        stage=s.stage,
        customers=s.customers,
        figures=s.figures,
        reviewers=[r.id for r in s.reviewers],
        due_at=s.due_at,
        reminders=s.reminders,
        confirmed_at=s.confirmed_at,
        confirmed_by=s.confirmed_by,
        note=s.note,
        created_at=s.created_at,
        seq=s.seq,
    )


def describe_waiting(s: TierReviewState) -> str:
    """The Temporal UI's current details: stages, ids and times only."""
    if s.stage is ReviewStage.confirmed:
        return f"Tier review {s.id}: confirmed by {s.confirmed_by}"
    if s.stage is ReviewStage.opening:
        return f"Tier review {s.id}: reading the department's customers"
    due = f", due {s.due_at:%Y-%m-%d %H:%M} UTC" if s.due_at else ""
    return f"Tier review {s.id}: waiting for a supervisor or manager to confirm{due}"


class TierReviewRecord(BaseModel):
    """What one step of a review writes, in one transaction (record_tier_review_step)."""

    review: TierReviewState
    view: TierReviewView
    event: CaseEvent
    notifications: list[Notification] = Field(default_factory=list)
