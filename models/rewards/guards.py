"""Who may take a rewards step, and when (ND-12): each step is its stage's, and its role's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.calendar import local_year
from models.case import Refusal
from models.rewards.messages import DecisionInput, ProposeInput
from models.rewards.state import RewardsState
from models.rewards.vocabulary import STAGE_STEP, STEP_ROLE, RewardStage, RewardStep


def year_ended(year: int, now: datetime, timezone: str) -> bool:
    """ND-12: a year's rewards are totalled once the year is over on the company's calendar."""
    return year < local_year(now, timezone)


def _role(step: RewardStep) -> Any:
    def guard(inp: Any, s: RewardsState) -> Refusal | None:
        role = STEP_ROLE[step]
        if inp.actor.role is not role:
            return Refusal("forbidden", f"ND-12: the {step.value} step is the {role.value}'s")
        return None

    return guard


def _in_order(step: RewardStep) -> Any:
    def guard(inp: Any, s: RewardsState) -> Refusal | None:
        if s.totals is None:
            return Refusal("conflict", "ND-12: the year's totals are still being worked out")
        if s.stage is RewardStage.approved:
            return Refusal("conflict", f"ND-12: the rewards of {s.year} are approved")
        waiting = STAGE_STEP[s.stage]
        if waiting is not step:
            return Refusal("conflict", f"ND-12: the rewards of {s.year} wait for the {waiting.value} step")
        return None

    return guard


def proposal_fits(inp: ProposeInput, s: RewardsState) -> Refusal | None:
    """ND-12: a reward per project that succeeded in the year and one of its implementers,
    each pair once."""
    assert s.totals is not None
    implementers = {p.project_id: set(p.implementer_ids) for p in s.totals.projects}
    seen: set[tuple[str, str]] = set()
    for line in inp.body.lines:
        if line.project_id not in implementers:
            return Refusal("invalid", f"ND-12: project {line.project_id} did not succeed in {s.year}")
        if line.implementer_id not in implementers[line.project_id]:
            return Refusal("invalid", f"ND-12: {line.implementer_id} is not an implementer of {line.project_id}")
        pair = (line.project_id, line.implementer_id)
        if pair in seen:
            return Refusal("invalid", f"ND-12: {line.project_id}/{line.implementer_id} is proposed twice")
        seen.add(pair)
    return None


def reason_to_send_back(inp: DecisionInput, s: RewardsState) -> Refusal | None:
    """ND-12: a proposal is sent back with a reason."""
    if not inp.body.approved and not inp.body.note:
        return Refusal("invalid", "ND-12: send the proposal back with a reason (note)")
    return None


ROLE = {step: _role(step) for step in RewardStep}
IN_ORDER = {step: _in_order(step) for step in RewardStep}
