"""A year's rewards round as its workflow holds it, and the pure figures of the year (ND-12)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from models.calendar import zone
from models.confidential import Confidential
from models.policy import RewardsPolicy
from models.rewards.messages import ProjectTotal, RewardLine, YearTotals
from models.rewards.vocabulary import RewardStage
from models.staff import Role, StaffRef


class RewardDecision(BaseModel):
    """Finance's review or the chairman's decision."""

    role: Role
    staff_id: str
    approved: bool
    note: Confidential | None = None
    at: datetime


class RewardsState(BaseModel):
    id: str
    workflow_id: str
    year: int
    policy: RewardsPolicy
    created_at: datetime
    seq: int = 0
    totals: YearTotals | None = None
    officers: list[StaffRef] = Field(default_factory=list)
    stage: RewardStage = RewardStage.proposing
    stage_since: datetime | None = None
    due_at: datetime | None = None
    reminders: int = 0
    proposal: list[RewardLine] = Field(default_factory=list)
    proposed_by: str | None = None
    rounds: int = 0  # proposals made (a sent-back proposal is made again)
    decisions: list[RewardDecision] = Field(default_factory=list)
    sent_back_reason: Confidential | None = None
    approved_at: datetime | None = None


def officers_in_role(s: RewardsState, *roles: Role) -> list[StaffRef]:
    return [o for o in s.officers if o.role in roles]


def year_bounds(year: int, timezone: str) -> tuple[datetime, datetime]:
    """The company's calendar year ``year`` as [start, end) in UTC ("Times and calendars": a
    project closed at 01:00 on 1 January Beijing time belongs to the new year)."""
    tz = zone(timezone)
    return (
        datetime(year, 1, 1, tzinfo=tz).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC),
    )


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def totals_of(year: int, timezone: str, projects: Iterable[tuple[datetime | None, Mapping[str, Any]]]) -> YearTotals:
    """ND-12: the projects that succeeded in ``year``: completed (ND-11), handed to sales (a
    customer id) and closed within the company's calendar year; each with its scale (expected
    and supplied business) and collections (the supplied amounts stand in: nothing records
    payments). ``projects``: each project's closed_at and its view (the client_project
    projection)."""
    start, end = year_bounds(year, timezone)
    found: list[ProjectTotal] = []
    for closed_at, view in projects:
        if closed_at is None or not (start <= closed_at < end):
            continue
        if view.get("stage") != "completed" or not view.get("customer_id"):
            continue
        supplies = view.get("supplies") or []
        supplied = sum((_dec(x.get("amount")) for x in supplies), Decimal(0))
        found.append(
            ProjectTotal(
                project_id=str(view["id"]),
                product_line=str(view.get("product_line", "")),
                implementer_ids=list(view.get("implementer_ids") or []),
                closed_at=closed_at,
                expected_annual_business=_dec(view.get("expected_annual_business")),
                supplied=supplied,
                supply_months=len(supplies),
                collections=supplied,
            )
        )
    found.sort(key=lambda p: (p.closed_at, p.project_id))
    return YearTotals(
        year=year,
        timezone=timezone,
        projects=found,
        expected_total=sum((p.expected_annual_business for p in found), Decimal(0)),
        supplied_total=sum((p.supplied for p in found), Decimal(0)),
        collections_total=sum((p.collections for p in found), Decimal(0)),
    )


def total_reward(lines: Iterable[RewardLine]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0))
