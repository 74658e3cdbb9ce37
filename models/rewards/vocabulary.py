"""The year-end rewards' vocabulary (ND-12): the stages of a year's round, its steps and who
takes each, its clocks, and who may read it."""

from __future__ import annotations

from enum import StrEnum

from models.staff import Role


class RewardStage(StrEnum):
    proposing = "proposing"  # the review group proposes a reward per project and implementer
    reviewing = "reviewing"  # finance reviews the proposal
    deciding = "deciding"  # the chairman approves or sends it back with a reason
    approved = "approved"  # the approved list is the year's report


class RewardStep(StrEnum):
    """Human steps, each a Temporal update (and a POST on the API)."""

    propose = "propose"
    review = "review"
    decide = "decide"


class Clock(StrEnum):
    """One clock per stage: the stage's deadline (a reminder when it runs out)."""

    propose = "propose"
    review = "review"
    decide = "decide"


#: ND-12: the step each stage waits for, who takes it, and its clock.
STAGE_STEP = {
    RewardStage.proposing: RewardStep.propose,
    RewardStage.reviewing: RewardStep.review,
    RewardStage.deciding: RewardStep.decide,
}
STEP_ROLE = {RewardStep.propose: Role.review_group, RewardStep.review: Role.finance, RewardStep.decide: Role.chairman}
STAGE_CLOCK = {
    RewardStage.proposing: Clock.propose,
    RewardStage.reviewing: Clock.review,
    RewardStage.deciding: Clock.decide,
}
#: ND-12: who reads a year's rewards: the group (review group and leaders), finance, the chairman.
REWARD_VIEWERS = (Role.review_group, Role.deputy_leader, Role.group_leader, Role.finance, Role.chairman)
