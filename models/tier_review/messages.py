"""What crosses the tier review's boundaries (CC-04): the confirmation people send, the
department's customers the opening reads, and the workflows' inputs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.case import StepInput, Strict
from models.confidential import Text
from models.customer.vocabulary import BlacklistScope, CreditClass, Flag, Tier
from models.policy import CustomerPolicy
from models.staff import StaffRef


class ConfirmBody(Strict):
    """CC-04: the department's tiers are confirmed (changes are made on each customer with
    POST /customers/{id}/tier before), with an optional note."""

    note: Text | None = None


class ConfirmInput(StepInput[ConfirmBody]):
    pass


class ReviewedCustomer(BaseModel):
    """One customer of the department as the review reads it (ids and classes only)."""

    id: str
    owner_id: str | None
    tier: Tier | None
    credit_class: CreditClass | None
    blacklist: BlacklistScope | None = None
    flags: list[Flag] = Field(default_factory=list)


class DepartmentQuery(BaseModel):
    department: str


class DepartmentFacts(BaseModel):
    """What the opening reads: the department's customers with an account, and its
    supervisors and managers (from the staff file)."""

    customers: list[ReviewedCustomer]
    reviewers: list[StaffRef]


class TierReviewInput(BaseModel):
    """The review's input: ``id`` (``2026-H2-customer_service``), the period, the department,
    and the policy it keeps."""

    id: str
    period: str
    department: str
    policy: CustomerPolicy


class ScheduledTierReview(BaseModel):
    """What the review schedule starts with: the company's timezone and the policy (resolved
    when ``make run`` creates or updates the schedule); ``at`` stands for the scheduled time
    when started by hand."""

    timezone: str
    policy: CustomerPolicy
    at: datetime | None = None


class ScheduledReviews(BaseModel):
    """What the scheduled workflow answers: the period and the reviews it started (or found)."""

    period: str
    started: list[str]
    existing: list[str]
