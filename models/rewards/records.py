"""What one rewards step writes, in one transaction (the record_rewards_step activity)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.case import CaseEvent, Notification
from models.rewards.state import RewardsState
from models.rewards.views import RewardsView


class RewardsRecord(BaseModel):
    round: RewardsState
    view: RewardsView
    event: CaseEvent
    notifications: list[Notification] = Field(default_factory=list)
