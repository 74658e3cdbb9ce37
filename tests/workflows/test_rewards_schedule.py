"""ND-12 / issue 15: the year-end rewards schedule (on the dev server: the time-skipping test
server implements no schedules; tests/workflows/test_rewards.py runs the schedule's action
there). ``ensure`` (what `make run` calls at start)
creates it, in the company's timezone, at 02:00 on 1 January; triggered, it starts the round of
the year just ended, and triggered again it starts no second one."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from datetime import UTC, datetime

from temporalio.client import ScheduleActionStartWorkflow
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from models.calendar import local_year
from models.rewards.views import RewardsView
from starter.schedules import SCHEDULES, YEAR_END_REWARDS, ensure
from tests.conftest import running_worker
from workflows.rewards import RewardsWorkflow, rewards_workflow_id

TZ = "Asia/Shanghai"


def test_nd12_the_rewards_schedule_is_one_of_the_schedules() -> None:
    assert YEAR_END_REWARDS in SCHEDULES
    spec = YEAR_END_REWARDS.spec(TZ)
    assert spec.time_zone_name == TZ
    (cal,) = spec.calendars
    assert [r.start for r in cal.month] == [1] and [r.start for r in cal.day_of_month] == [1]
    assert [r.start for r in cal.hour] == [2]


async def _started(env: WorkflowEnvironment, workflow_id: str, timeout: float = 20.0) -> str:
    end = time.monotonic() + timeout
    while True:
        try:
            return (await env.client.get_workflow_handle(workflow_id).describe()).run_id
        except RPCError:
            assert time.monotonic() < end, f"{workflow_id} was never started"
            await asyncio.sleep(0.2)


async def test_nd12_ensure_creates_the_schedule_and_a_trigger_starts_one_round(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str
) -> None:
    job = dataclasses.replace(YEAR_END_REWARDS, id=f"rewards-year-end-{uuid.uuid4().hex[:6]}")
    assert await ensure(dev_env.client, task_queue, TZ, [job]) == [job.id]
    assert await ensure(dev_env.client, task_queue, TZ, [job]) == [job.id]  # again: updated, not doubled
    handle = dev_env.client.get_schedule_handle(job.id)
    desc = await handle.describe()
    action = desc.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "YearEndRewardsWorkflow"
    assert desc.schedule.spec.time_zone_name == TZ
    now = await dev_env.get_current_time()
    year = local_year(now, TZ) - 1
    # next: 02:00 on 1 January Beijing time, 18:00 UTC on 31 December
    assert desc.info.next_action_times[0] == datetime(year + 1, 12, 31, 18, tzinfo=UTC)
    wid = rewards_workflow_id(year)
    try:
        async with running_worker(dev_env.client, database_url, task_queue):
            await handle.trigger()
            run_id = await _started(dev_env, wid)
            view = await dev_env.client.get_workflow_handle(wid, result_type=RewardsView).execute_update(
                RewardsWorkflow.registration()
            )
            assert view.year == year
            await handle.trigger()
            end = time.monotonic() + 20
            while (await handle.describe()).info.num_actions < 2:
                assert time.monotonic() < end
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)
            assert await _started(dev_env, wid) == run_id  # one round, however often it fires
    finally:
        await handle.delete()
        try:
            await dev_env.client.get_workflow_handle(wid).terminate("test over")
        except RPCError:
            pass
