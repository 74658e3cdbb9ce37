"""What goes in and out of the year-end rewards workflow (ND-12): the bodies people send, the
year's totals the start reads, and the workflow's input."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from models.case import DecisionBody, StepInput, Strict
from models.confidential import Text
from models.policy import RewardsPolicy
from models.staff import StaffRef

Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]


class RewardLine(Strict):
    """ND-12: the reward proposed for one implementer of one project."""

    project_id: str = Field(min_length=1, max_length=64)
    implementer_id: str = Field(min_length=1, max_length=64)
    amount: Money


class ProposeBody(Strict):
    """ND-12: the review group's proposal: a reward per project and implementer."""

    lines: list[RewardLine] = Field(min_length=1, max_length=2000)
    note: Text | None = None


class ProposeInput(StepInput[ProposeBody]):
    pass


class DecisionInput(StepInput[DecisionBody]):
    pass


class ProjectTotal(BaseModel):
    """One project that succeeded in the year: completed and handed to sales (ND-11), with its
    scale and collections. Collections: nothing records payments yet, so the supplied amounts
    (the months of supply, ND-08/ND-11) stand in for them."""

    project_id: str
    product_line: str
    implementer_ids: list[str]
    closed_at: datetime
    expected_annual_business: Decimal
    supplied: Decimal
    supply_months: int
    collections: Decimal


class YearTotals(BaseModel):
    """ND-12: the projects that succeeded in ``year`` (the company's calendar year) and their
    totals."""

    year: int
    timezone: str
    projects: list[ProjectTotal] = Field(default_factory=list)
    expected_total: Decimal = Decimal(0)
    supplied_total: Decimal = Decimal(0)
    collections_total: Decimal = Decimal(0)


class YearQuery(BaseModel):
    """Input of the year_totals activity."""

    year: int
    timezone: str


class YearFacts(BaseModel):
    """What the year_totals activity answers: the totals, and the officers the chain tells."""

    totals: YearTotals
    officers: list[StaffRef]


class RewardsInput(BaseModel):
    """The rewards workflow's input: the year (``id``: its digits) and the policy the round
    keeps."""

    id: str
    year: int
    policy: RewardsPolicy


class YearEnd(BaseModel):
    """The yearly schedule's input: the company's timezone and the policy of the rounds it
    starts (resolved when ``make run`` creates or updates the schedule)."""

    timezone: str
    policy: RewardsPolicy
