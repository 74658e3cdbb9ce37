"""What the group, finance and the chairman read of a year's rewards (ND-12): the round as it
is now, and the approved list as a report (JSON, CSV)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from models.confidential import Confidential
from models.rewards.messages import RewardLine, YearTotals
from models.rewards.state import RewardDecision, RewardsState, total_reward
from models.rewards.vocabulary import STAGE_STEP, STEP_ROLE, RewardStage
from models.staff import Role


class RewardsView(BaseModel):
    """GET /rewards/{year}: the round as it is now; once approved, the year's report."""

    id: str
    workflow_id: str
    year: int
    stage: RewardStage
    waiting_for: Role | None
    due_at: datetime | None
    reminders: int
    totals: YearTotals | None
    proposal: list[RewardLine]
    proposal_total: Decimal
    rounds: int
    decisions: list[RewardDecision]
    sent_back_reason: Confidential | None
    approved_at: datetime | None
    created_at: datetime
    seq: int


def view_of(s: RewardsState) -> RewardsView:
    waiting = None if s.stage is RewardStage.approved else STEP_ROLE[STAGE_STEP[s.stage]]
    return RewardsView(
        id=s.id,
        workflow_id=s.workflow_id,
        year=s.year,
        stage=s.stage,
        waiting_for=waiting if s.totals is not None else None,
        due_at=s.due_at,
        reminders=s.reminders,
        totals=s.totals,
        proposal=s.proposal,
        proposal_total=total_reward(s.proposal),
        rounds=s.rounds,
        decisions=s.decisions,
        sent_back_reason=s.sent_back_reason,
        approved_at=s.approved_at,
        created_at=s.created_at,
        seq=s.seq,
    )


def describe_waiting(s: RewardsState) -> str:
    """The Temporal UI's current details: stages, roles and times only."""
    if s.stage is RewardStage.approved:
        return f"Rewards {s.year}: approved"
    if s.totals is None:
        return f"Rewards {s.year}: totalling the year"
    role = STEP_ROLE[STAGE_STEP[s.stage]]
    due = f", due {s.due_at:%Y-%m-%d %H:%M} UTC" if s.due_at else ""
    return f"Rewards {s.year}: waiting for the {role.value} ({STAGE_STEP[s.stage].value}){due}"


CSV_COLUMNS = [
    "year",
    "stage",
    "project_id",
    "product_line",
    "closed_at",
    "expected_annual_business",
    "supplied",
    "supply_months",
    "collections",
    "implementer_id",
    "reward",
]


def report_csv(view: RewardsView) -> str:
    """The year's list as CSV: a row per project and implementer rewarded (a project with no
    reward proposed has one row with an empty reward), then a total row."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    projects = view.totals.projects if view.totals else []
    for p in projects:
        lines: list[RewardLine | None] = [line for line in view.proposal if line.project_id == p.project_id]
        common = [
            view.year,
            view.stage.value,
            p.project_id,
            p.product_line,
            p.closed_at.isoformat(),
            p.expected_annual_business,
            p.supplied,
            p.supply_months,
            p.collections,
        ]
        for line in lines or [None]:  # a project with no reward proposed: one row
            w.writerow([*common, line.implementer_id if line else "", line.amount if line else ""])
    if view.totals:
        t = view.totals
        w.writerow(
            [view.year, view.stage.value, "TOTAL", "", "", t.expected_total, t.supplied_total, "", t.collections_total]
            + ["", view.proposal_total]
        )
    return out.getvalue()
