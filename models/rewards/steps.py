"""The rewards chain as a table of steps (ND-12): the review group proposes, finance reviews,
the chairman approves or sends back with a reason (back to the proposal). Each is a StepRule:
its guards refuse a step out of order or by the wrong role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.case import Change, Outcome, StepInput, StepRule, staff_notes, take_step
from models.rewards.clocks import enter
from models.rewards.guards import IN_ORDER, ROLE, proposal_fits, reason_to_send_back
from models.rewards.messages import DecisionInput, ProposeInput, RewardsInput, YearFacts
from models.rewards.state import RewardDecision, RewardsState, officers_in_role, total_reward
from models.rewards.vocabulary import RewardStage, RewardStep
from models.staff import Role

RewardsOutcome = Outcome[RewardsState]


def new_round(inp: RewardsInput, workflow_id: str, now: datetime) -> RewardsState:
    return RewardsState(id=inp.id, workflow_id=workflow_id, year=inp.year, policy=inp.policy, created_at=now)


def apply_opening(state: RewardsState, facts: YearFacts, now: datetime) -> RewardsOutcome:
    """ND-12: the year's successful projects are totalled; the review group is asked to propose."""
    s = state.model_copy(deep=True)
    s.totals, s.officers = facts.totals, facts.officers
    enter(s, RewardStage.proposing, now)
    s.seq += 1
    t = facts.totals
    data = {
        "year": s.year,
        "projects": [p.project_id for p in t.projects],
        "expected_total": str(t.expected_total),
        "supplied_total": str(t.supplied_total),
        "collections_total": str(t.collections_total),
        "due_at": s.due_at.isoformat() if s.due_at else None,
    }
    notes = staff_notes(
        officers_in_role(s, Role.review_group),
        "rewards_propose",
        f"Rewards {s.year}: {len(t.projects)} successful projects; propose the rewards (ND-12)",
    )
    return Outcome(s, "rewards_opened", None, data, notes)


def _propose(inp: ProposeInput, s: RewardsState, now: datetime) -> Change:
    s.proposal = list(inp.body.lines)
    s.proposed_by = inp.actor.id
    s.rounds += 1
    enter(s, RewardStage.reviewing, now)
    total = total_reward(s.proposal)
    return Change(
        data={"lines": len(s.proposal), "total": str(total), "round": s.rounds},
        notifications=staff_notes(
            officers_in_role(s, Role.finance), "rewards_review", f"Rewards {s.year}: a proposal to review (ND-12)"
        ),
        texts={"note": inp.body.note},
    )


def _decision(inp: DecisionInput, s: RewardsState, now: datetime) -> None:
    s.decisions.append(
        RewardDecision(
            role=inp.actor.role, staff_id=inp.actor.id, approved=inp.body.approved, note=inp.body.note, at=now
        )
    )


def _send_back(s: RewardsState, now: datetime, who: str) -> list[Any]:
    enter(s, RewardStage.proposing, now)
    return staff_notes(
        officers_in_role(s, Role.review_group),
        "rewards_sent_back",
        f"Rewards {s.year}: the proposal was sent back by {who}; propose again (ND-12)",
    )


def _review(inp: DecisionInput, s: RewardsState, now: datetime) -> Change:
    _decision(inp, s, now)
    if inp.body.approved:
        enter(s, RewardStage.deciding, now)
        notes = staff_notes(
            officers_in_role(s, Role.chairman), "rewards_decide", f"Rewards {s.year}: for your approval (ND-12)"
        )
    else:
        s.sent_back_reason = inp.body.note
        notes = _send_back(s, now, "finance")
    return Change(data={"approved": inp.body.approved}, notifications=notes, texts={"note": inp.body.note})


def _decide(inp: DecisionInput, s: RewardsState, now: datetime) -> Change:
    _decision(inp, s, now)
    if inp.body.approved:
        enter(s, RewardStage.approved, now)
        s.approved_at = now
        s.sent_back_reason = None
        notes = staff_notes(
            officers_in_role(s, Role.review_group, Role.finance, Role.group_leader),
            "rewards_approved",
            f"Rewards {s.year}: approved by the chairman (ND-12)",
        )
    else:
        s.sent_back_reason = inp.body.note
        notes = _send_back(s, now, "the chairman")
    data = {"approved": inp.body.approved, "total": str(total_reward(s.proposal))}
    return Change(data=data, notifications=notes, texts={"note": inp.body.note})


STEPS: dict[RewardStep, StepRule[Any, RewardsState]] = {
    RewardStep.propose: StepRule(
        ProposeInput, [ROLE[RewardStep.propose], IN_ORDER[RewardStep.propose], proposal_fits], _propose
    ),
    RewardStep.review: StepRule(
        DecisionInput, [ROLE[RewardStep.review], IN_ORDER[RewardStep.review], reason_to_send_back], _review
    ),
    RewardStep.decide: StepRule(
        DecisionInput, [ROLE[RewardStep.decide], IN_ORDER[RewardStep.decide], reason_to_send_back], _decide
    ),
}


def apply_step(step: RewardStep, inp: StepInput[Any], state: RewardsState, now: datetime) -> RewardsOutcome:
    return take_step(STEPS[step], step.value, inp, state, now)
