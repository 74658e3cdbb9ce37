"""The year-end rewards (ND-12).

``POST /rewards/{year}`` starts the year's round (or answers the one there is: one round per
year, ``rewards-<year>``); the yearly schedule starts it by itself (starter/schedules.py).
Reads come from the ``reward_round`` projection; the chain's steps go to the workflow as
Temporal updates, whose validators refuse a step out of order (409) or not the caller's role's
(403). The rewards are visible to the group (review group and leaders), finance and the
chairman.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentStaff, IntakeDep, SessionDep
from api.errors import ERRORS
from api.schemas import Problem, Unprocessable
from api.step_routes import StepRoutes
from api.steps import HumanStep
from models.rewards.guards import year_ended
from models.rewards.messages import RewardsInput
from models.rewards.steps import STEPS
from models.rewards.views import RewardsView, report_csv
from models.rewards.vocabulary import REWARD_VIEWERS, RewardStage, RewardStep
from models.staff import Staff
from starter.intake import REWARDS
from storage import tables as t
from workflows.rewards import RewardsWorkflow, rewards_workflow_id

log = structlog.get_logger()

REWARD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": Problem, "description": "ND-12: not one of the group, finance or the chairman, or not your step"},
    404: {"model": Problem, "description": "no rewards round for that year"},
    422: {"model": Unprocessable, "description": "bad input: the field and the problem are named"},
}
FORBIDDEN = "ND-12: the rewards are visible to the review group, the leaders, finance and the chairman"
#: the first year a round may be asked for
FIRST_YEAR = 2000

router = APIRouter(prefix="/rewards", tags=["year-end rewards"])

Year = Annotated[int, Path(ge=FIRST_YEAR, le=9998, description="the company's calendar year")]


def _may_read(staff: Staff) -> None:
    if staff.role not in REWARD_VIEWERS:
        raise HTTPException(403, FORBIDDEN)


async def _round(db: AsyncSession, year: int | str, staff: Staff) -> t.RewardRound:
    _may_read(staff)
    try:
        row = await db.get(t.RewardRound, int(year))
    except ValueError:
        row = None
    if row is None:
        raise HTTPException(404, f"no rewards round for {year}")
    return row


@router.post(
    "/{year}",
    response_model=RewardsView,
    responses={
        **REWARD_ERRORS,
        202: {"description": "accepted; the year is still being totalled"},
        422: {"model": Unprocessable, "description": "the year has not ended yet"},
    },
    summary="Start the year's rewards round, or answer the one there is (ND-12)",
)
async def start_rewards(year: Year, intake: IntakeDep, db: SessionDep) -> Any:
    _may_read(intake.staff)
    policy = intake.resources.rewards_policy()
    if not year_ended(year, datetime.now(UTC), policy.timezone):
        raise HTTPException(422, f"ND-12: the year {year} has not ended")
    row = await db.get(t.RewardRound, year)
    await db.close()
    if row is not None and row.stage == RewardStage.approved.value:  # over: never started again
        return row.view
    inp = RewardsInput(id=str(year), year=year, policy=policy)
    accepted = {"year": year, "workflow_id": rewards_workflow_id(year), "stage": RewardStage.proposing.value}

    async def start() -> Any:
        view = await intake.registered(REWARDS, inp, accepted)
        if not isinstance(view, JSONResponse):
            log.info("rewards_started", year=year, by=intake.staff.id)
        return view

    return await intake.idem.answer(200, start)


@router.get(
    "/{year}",
    response_model=RewardsView,
    responses={
        **REWARD_ERRORS,
        200: {"description": "the round (JSON), or with ?format=csv the list as CSV", "content": {"text/csv": {}}},
    },
    summary="The year's rewards: totals, proposal, decisions; once approved, the year's report (ND-12)",
)
async def get_rewards(
    year: Year, staff: CurrentStaff, db: SessionDep, format: Annotated[Literal["json", "csv"], Query()] = "json"
) -> Any:
    row = await _round(db, year, staff)
    if format == "csv":
        csv = report_csv(RewardsView.model_validate(row.view))
        headers = {"Content-Disposition": f'attachment; filename="rewards-{year}.csv"'}
        return PlainTextResponse(csv, media_type="text/csv", headers=headers)
    return row.view


# --- the chain ----------------------------------------------------------------------------


async def _open_round(human: HumanStep, year: str, step: RewardStep) -> t.RewardRound:
    row = await _round(human.db, year, human.staff)
    if row.stage == RewardStage.approved.value:
        raise HTTPException(409, f"the rewards of {year} are approved")
    return row


def _step_input(human: HumanStep, step: RewardStep, body: BaseModel, extra: dict[str, Any]) -> BaseModel:
    return STEPS[step].input(actor=human.staff.ref, body=body)


STEP_ROUTES = StepRoutes(
    router,
    STEPS,
    RewardsWorkflow,
    "year",
    "rewards",
    REWARD_ERRORS,
    _open_round,
    _step_input,
    closed="the rewards of the year are approved",
)
STEP_ROUTES.add(
    [
        (RewardStep.propose, "proposal", "The review group proposes a reward per project and implementer (ND-12)"),
        (RewardStep.review, "review", "Finance reviews the proposal, or sends it back with a reason (ND-12)"),
        (RewardStep.decide, "decision", "The chairman approves, or sends it back with a reason (ND-12)"),
    ]
)
