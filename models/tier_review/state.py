"""A department's tier review as its workflow holds it, and the pure figures of the review
(CC-04): the counts and shares by tier against the policy's caps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from models.confidential import Confidential
from models.customer.messages import TierCounts
from models.customer.state import tier_share_refusal
from models.customer.vocabulary import Tier
from models.policy import CustomerPolicy
from models.staff import StaffRef
from models.tier_review.messages import ReviewedCustomer
from models.tier_review.vocabulary import ReviewStage


class OverCap(BaseModel):
    """CC-04: a tier holding more of the department's customers than its cap allows."""

    tier: Tier
    count: int
    reason: str


class TierFigures(BaseModel):
    """CC-04: the department's customers by tier, their shares and the caps."""

    total: int
    counts: dict[str, int]
    shares: dict[str, float | None]
    caps: dict[str, float]
    over_cap: list[OverCap] = Field(default_factory=list)


class TierReviewState(BaseModel):
    id: str
    workflow_id: str
    period: str
    department: str
    policy: CustomerPolicy
    created_at: datetime
    seq: int = 0
    stage: ReviewStage = ReviewStage.opening
    customers: list[ReviewedCustomer] = Field(default_factory=list)
    figures: TierFigures | None = None
    reviewers: list[StaffRef] = Field(default_factory=list)
    due_at: datetime | None = None
    reminders: int = 0
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    note: Confidential | None = None


def tier_figures(customers: list[ReviewedCustomer], policy: CustomerPolicy, department: str) -> TierFigures:
    """CC-04: the counts and shares by tier of a department's customers, and the tiers over
    their cap (``tier_share_refusal`` asked whether the tier, as it is, fits)."""
    counts = {tier.value: 0 for tier in Tier}
    for c in customers:
        if c.tier is not None:
            counts[c.tier.value] += 1
    total = sum(counts.values())
    tc = TierCounts(total=total, vip=counts[Tier.vip.value], preferred=counts[Tier.preferred.value])
    over = []
    for tier in (Tier.vip, Tier.preferred):
        if counts[tier.value] == 0:
            continue
        reason = tier_share_refusal(tc, tier, tier, policy, f"department {department}'s customers")
        if reason is not None:
            over.append(OverCap(tier=tier, count=counts[tier.value], reason=reason))
    shares = {k: (round(n / total, 4) if total else None) for k, n in counts.items()}
    caps = {Tier.vip.value: float(policy.vip_share_max), Tier.preferred.value: float(policy.preferred_share_max)}
    return TierFigures(total=total, counts=counts, shares=shares, caps=caps, over_cap=over)


def share_text(figures: TierFigures) -> str:
    """The figures in one line (ids and numbers only): ``vip 2 (13%), preferred 4 (27%) …``."""
    parts = []
    for tier, n in figures.counts.items():
        share = figures.shares.get(tier)
        parts.append(f"{tier} {n}" + (f" ({Decimal(str(share)):.0%})" if share is not None else ""))
    return ", ".join(parts)
