"""ND-12 year-end rewards on the time-skipping server: a year's round totals a fixed set of
projects with known figures; its chain refuses out-of-order and wrong-role steps (nothing
written); each stage's deadline reminds on time (real policy durations, skipped); the
approved list is the year's report; the yearly workflow starts one round per year however
often it runs."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import ScheduleActionStartWorkflow, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.calendar import local_year
from models.case import DecisionBody
from models.policy import RewardsPolicy
from models.rewards.messages import DecisionInput, ProposeBody, ProposeInput, RewardsInput, YearEnd
from models.rewards.views import RewardsView
from models.rewards.vocabulary import RewardStage, RewardStep
from models.staff import Directory
from starter.intake import REWARDS, start_case
from starter.schedules import YEAR_END_REWARDS, schedule_of
from storage import tables as t
from tests.conftest import running_worker
from tests.rewards_data import seed_year
from tests.workflows.helpers import event_count
from workflows.rewards import RewardsWorkflow, YearEndRewardsWorkflow, rewards_workflow_id

DAY = timedelta(days=1)


class Round:
    def __init__(self, env: WorkflowEnvironment, directory: Directory, engine: AsyncEngine, year: int) -> None:
        self.env, self.directory, self.engine, self.year = env, directory, engine, year
        self.wid = rewards_workflow_id(year)

    @property
    def handle(self) -> WorkflowHandle[Any, RewardsView]:
        return self.env.client.get_workflow_handle(self.wid, result_type=RewardsView)

    def input(self, step: RewardStep, actor: str, body: dict[str, Any]) -> Any:
        a = self.directory.get(actor)
        assert a is not None
        if step is RewardStep.propose:
            return ProposeInput(actor=a.ref, body=ProposeBody.model_validate(body))
        return DecisionInput(actor=a.ref, body=DecisionBody.model_validate(body))

    async def act(self, step: RewardStep, actor: str, body: dict[str, Any]) -> RewardsView:
        return await self.handle.execute_update(RewardsWorkflow.update_for(step), self.input(step, actor, body))

    async def refused(self, step: RewardStep, actor: str, body: dict[str, Any], error: str) -> str:
        before = await event_count(self.engine, self.wid)
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await self.act(step, actor, body)
        cause = err.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == error, repr(cause)
        assert await event_count(self.engine, self.wid) == before
        return cause.message

    async def events(self) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.CaseEvent.kind).where(t.CaseEvent.case_ref == self.wid).order_by(t.CaseEvent.seq)
            )
            return [r.kind for r in rows]

    async def reminded(self, count: int, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while (await self.events()).count("rewards_reminder") < count:
            assert time.monotonic() < end, await self.events()
            await asyncio.sleep(0.05)

    async def sleep(self, by: timedelta) -> None:
        await self.env.sleep(by)


async def test_nd12_a_years_round_totals_refuses_out_of_order_reminds_and_reports(
    time_env: WorkflowEnvironment, engine: AsyncEngine, database_url: str, task_queue: str, directory: Directory
) -> None:
    year = 2019
    figures = await seed_year(engine, year)
    policy = RewardsPolicy(reward_review_deadline=timedelta(days=10), reward_reminder_interval=timedelta(days=3))
    r = Round(time_env, directory, engine, year)
    async with running_worker(time_env.client, database_url, task_queue):
        inp = RewardsInput(id=str(year), year=year, policy=policy)
        view = await start_case(time_env.client, task_queue, REWARDS, inp)
        # ND-12: the year's successful projects and their figures
        assert view.totals is not None
        assert [p.project_id for p in view.totals.projects] == figures["projects"]
        assert view.totals.expected_total == figures["expected_total"]
        assert view.totals.supplied_total == figures["supplied_total"]
        assert view.totals.collections_total == figures["supplied_total"]
        assert view.stage is RewardStage.proposing
        # a second start attaches to the same round
        again = await start_case(time_env.client, task_queue, REWARDS, inp)
        assert again.seq == view.seq and (await r.handle.describe()).run_id == (await r.handle.describe()).run_id

        ok1, ok2 = figures["projects"]
        lines = {
            "lines": [
                {"project_id": ok1, "implementer_id": "sales-1", "amount": "20000"},
                {"project_id": ok1, "implementer_id": "sales-2", "amount": "10000"},
                {"project_id": ok2, "implementer_id": "sales-1", "amount": "8000"},
            ]
        }
        # out of order, and the wrong role: refused by the validator, nothing written
        await r.refused(RewardStep.review, "finance-1", {"approved": True}, "Conflict")
        await r.refused(RewardStep.decide, "chairman", {"approved": True}, "Conflict")
        await r.refused(RewardStep.propose, "finance-1", lines, "Forbidden")
        await r.refused(RewardStep.propose, "sales-1", lines, "Forbidden")
        await r.act(RewardStep.propose, "dev-review", lines)
        await r.refused(RewardStep.decide, "chairman", {"approved": True}, "Conflict")
        await r.refused(RewardStep.review, "chairman", {"approved": True}, "Forbidden")

        # finance's deadline (10 days): nothing just before, a reminder once it runs out, again 3 days later
        await r.sleep(10 * DAY - timedelta(minutes=5))
        await asyncio.sleep(0.3)
        assert "rewards_reminder" not in await r.events()
        await r.sleep(timedelta(minutes=10))
        await r.reminded(1)
        await r.sleep(3 * DAY)
        await r.reminded(2)

        await r.act(RewardStep.review, "finance-1", {"approved": True})
        await r.refused(RewardStep.decide, "chairman", {"approved": False}, "Invalid")  # no reason
        await r.act(RewardStep.decide, "chairman", {"approved": False, "note": "less for the second"})
        lines["lines"][2]["amount"] = "5000"
        await r.act(RewardStep.propose, "dev-review", lines)
        await r.act(RewardStep.review, "finance-1", {"approved": True})
        done = await r.act(RewardStep.decide, "chairman", {"approved": True})
        assert done.stage is RewardStage.approved and done.proposal_total == Decimal(35000)
        result = await r.handle.result()
        assert result.stage is RewardStage.approved

    kinds = await r.events()
    assert kinds[0] == "rewards_opened" and kinds[-1] == "decide"
    assert kinds.count("propose") == 2 and kinds.count("rewards_reminder") == 2
    async with engine.connect() as conn:
        row = (await conn.execute(select(t.RewardRound).where(t.RewardRound.year == year))).one()
    assert row.stage == "approved" and row.view["proposal_total"] == "35000"


async def test_nd12_the_schedules_action_starts_one_round_of_the_year_just_ended(
    time_env: WorkflowEnvironment, database_url: str, task_queue: str
) -> None:
    """What the yearly schedule starts (its own action, as ``ensure`` gives it to the server)
    fires under the time-skipping server (which has no schedules of its own)."""
    tz = "Asia/Shanghai"
    year = local_year(await time_env.get_current_time(), tz) - 1
    action = schedule_of(YEAR_END_REWARDS, task_queue, tz).action
    assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "YearEndRewardsWorkflow"
    (arg,) = action.args
    assert isinstance(arg, YearEnd) and arg.timezone == tz
    async with running_worker(time_env.client, database_url, task_queue):
        first = await time_env.client.execute_workflow(
            YearEndRewardsWorkflow.run, arg, id=f"year-end-a-{task_queue}", task_queue=task_queue
        )
        assert first == year
        handle = time_env.client.get_workflow_handle(rewards_workflow_id(year), result_type=RewardsView)
        run_id = (await handle.describe()).run_id
        second = await time_env.client.execute_workflow(
            YearEndRewardsWorkflow.run, arg, id=f"year-end-b-{task_queue}", task_queue=task_queue
        )
        assert second == year
        assert (await handle.describe()).run_id == run_id  # one round, however often it runs
        view = await handle.execute_update(RewardsWorkflow.registration())
        assert view.year == year
        await handle.terminate("test over")
