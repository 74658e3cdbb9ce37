"""CP-18: the weekly and monthly schedules exist after ``ensure`` (what make run calls) in the
company's timezone with the catch-up window, and fire: a schedule's run reports the period that
had just ended, through the period's report workflow (one per period).

The time-skipping test server has no Schedules (CreateSchedule is unimplemented there), so the
scheduled workflow runs under it as a schedule starts it (its scheduled time given), and the
schedules themselves are created and triggered on a real dev server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import ScheduleActionStartWorkflow, ScheduleRange
from temporalio.testing import WorkflowEnvironment

from models.report import Cadence, Period, ScheduledReportInput
from starter.schedules import CATCHUP_WINDOW, SCHEDULES, ensure
from storage.reports import load_report
from tests.conftest import running_worker
from tests.reports.cases import load_cases
from workflows.report import ScheduledComplaintReportWorkflow

TZ = "Asia/Shanghai"


async def test_cp18_scheduled_runs_report_the_period_just_ended(
    time_env: WorkflowEnvironment, database_url: str, engine: AsyncEngine
) -> None:
    await load_cases(engine)
    tq = f"tq-sched-{uuid.uuid4().hex[:8]}"
    monday = datetime(2031, 12, 7, 16, tzinfo=UTC)  # Monday 8 December 00:00 in Shanghai
    first = datetime(2031, 12, 31, 16, tzinfo=UTC)  # 1 January 2032 00:00 in Shanghai
    async with running_worker(time_env.client, database_url, tq):
        week = await time_env.client.execute_workflow(
            ScheduledComplaintReportWorkflow.run,
            ScheduledReportInput(cadence=Cadence.week, timezone=TZ, at=monday),
            id=f"sched-week-{uuid.uuid4().hex[:6]}",
            task_queue=tq,
        )
        month = await time_env.client.execute_workflow(
            ScheduledComplaintReportWorkflow.run,
            ScheduledReportInput(cadence=Cadence.month, timezone=TZ, at=first),
            id=f"sched-month-{uuid.uuid4().hex[:6]}",
            task_queue=tq,
        )
        # the report workflow of the period ran as a child with the period's id
        child = await time_env.client.get_workflow_handle("report-complaints-2031-W49").describe()
    assert (week, month) == ("2031-W49", "2031-12")
    assert child.workflow_type == "ComplaintReportWorkflow"
    async with engine.connect() as conn:
        w, m = await load_report(conn, "2031-W49"), await load_report(conn, "2031-12")
    assert w is not None and w.requested_by == "schedule" and w.figures.received == 2
    assert m is not None and m.figures.received == 4


async def test_cp18_schedules_exist_and_fire(dev_env: WorkflowEnvironment, database_url: str) -> None:
    client = dev_env.client
    tq = f"tq-sched-{uuid.uuid4().hex[:8]}"
    ids = await ensure(client, tq, TZ)
    assert ids == await ensure(client, tq, TZ)  # idempotent: make run calls it at every start
    assert {"report-complaints-weekly", "report-complaints-monthly"} <= set(ids)
    weekly = await client.get_schedule_handle("report-complaints-weekly").describe()
    monthly = await client.get_schedule_handle("report-complaints-monthly").describe()
    for d in (weekly, monthly):
        assert d.schedule.spec.time_zone_name == TZ
        assert d.schedule.policy.catchup_window == CATCHUP_WINDOW
        assert isinstance(d.schedule.action, ScheduleActionStartWorkflow)
        assert d.schedule.action.workflow == "ScheduledComplaintReportWorkflow"
    (w,), (m,) = weekly.schedule.spec.calendars, monthly.schedule.spec.calendars
    zero, one = (ScheduleRange(0, 0),), (ScheduleRange(1, 1),)
    assert tuple(map(tuple, (w.second, w.minute, w.hour, w.day_of_week))) == (zero, zero, zero, one)  # Monday 00:00
    assert tuple(map(tuple, (m.second, m.minute, m.hour, m.day_of_month))) == (zero, zero, zero, one)  # the 1st
    # the next weekly firing is a Monday 00:00 in Shanghai
    nxt = weekly.info.next_action_times[0]
    local = nxt.astimezone(__import__("zoneinfo").ZoneInfo(TZ))
    assert (local.weekday(), local.hour, local.minute) == (0, 0, 0)
    assert len(SCHEDULES) >= 2

    # fire it now: the run reports the week that ended before now, via that week's workflow
    async with running_worker(client, database_url, tq):
        await client.get_schedule_handle("report-complaints-weekly").trigger()
        expected = Period.ended_at(datetime.now(UTC) - timedelta(seconds=0), Cadence.week, TZ).name
        for _ in range(100):
            d = await client.get_schedule_handle("report-complaints-weekly").describe()
            if d.info.recent_actions:
                break
            await asyncio.sleep(0.2)
        run = d.info.recent_actions[-1].action
        result = await client.get_workflow_handle(run.workflow_id, run_id=run.first_execution_run_id).result()
    assert result == expected
    assert await client.get_workflow_handle(f"report-complaints-{expected}").describe()
    for sid in ids:
        await client.get_schedule_handle(sid).delete()
