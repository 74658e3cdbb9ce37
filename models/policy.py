"""Every duration, threshold and amount the rules use, in one place.

The defaults are the values of ../shared/seeds (see RULES.md). Each field can be set from the
environment with the ``POLICY_`` prefix (``POLICY_PLAN_DEADLINE=PT30M`` or ``=1800`` seconds).
The starter resolves the policy once and passes the concrete values inside the workflow input,
so a running case keeps the terms it started with and a configuration change never breaks
replay.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _seconds_or_iso(value: Any) -> Any:
    if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        return float(value)
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("a policy duration must be positive")
    return value


Duration = Annotated[timedelta, BeforeValidator(_seconds_or_iso), AfterValidator(_positive)]
Amount = Annotated[Decimal, Field(ge=0)]


class ComplaintPolicy(BaseModel):
    """Durations and amounts of the complaint lifecycle (CP rules)."""

    model_config = ConfigDict(frozen=True)

    plan_deadline: Duration = Field(timedelta(minutes=30), description="CP-08 handling plan")
    major_report_deadline: Duration = Field(timedelta(hours=24), description="CP-10 major report")
    resolution_deadline: Duration = Field(timedelta(days=3), description="CP-13 resolution")
    revisit_deadline: Duration = Field(timedelta(hours=24), description="CP-15 revisit")
    survey_wait: Duration = Field(timedelta(days=7), description="CP-16 unanswered survey")
    repeat_window: Duration = Field(timedelta(days=30), description="CP-06 repeat complaint")
    attitude_complaint_window: Duration = Field(
        timedelta(days=30), description="CP-05 late service-attitude complaint"
    )
    compensation_leader_limit: Amount = Field(Decimal(500), description="CP-12 leader approves")
    compensation_manager_limit: Amount = Field(Decimal(5000), description="CP-12 manager approves")


class PolicySettings(ComplaintPolicy, BaseSettings):
    """The policy read from ``POLICY_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="POLICY_", extra="ignore", frozen=True)

    def complaint_policy(self) -> ComplaintPolicy:
        return ComplaintPolicy(**self.model_dump(include=set(ComplaintPolicy.model_fields)))


def load_complaint_policy() -> ComplaintPolicy:
    """The complaint policy as the environment sets it now (for starters, never for workflows)."""
    return PolicySettings().complaint_policy()
