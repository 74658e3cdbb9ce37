"""RewardsWorkflow: one year's rewards round (ND-12), and YearEndRewardsWorkflow, what the
yearly schedule starts.

A round (id ``rewards-<year>``) totals the projects that succeeded in the year (an activity
reads the client_project projection), then waits for its chain: the review group proposes,
finance reviews, the chairman approves or sends back with a reason. Each step is an update
with a validator (workflows.kernel); each stage is due within its policy deadline, and a
reminder goes out when it runs out. The round ends once approved; its projection is the
year's report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.rewards import RewardsActivities
    from models.calendar import local_year
    from models.case import CaseEvent, Outcome, StepWritten
    from models.rewards.clocks import apply_clock, next_clock
    from models.rewards.messages import RewardsInput, YearEnd, YearQuery
    from models.rewards.records import RewardsRecord
    from models.rewards.state import RewardsState
    from models.rewards.steps import STEPS, apply_opening, apply_step, new_round
    from models.rewards.views import RewardsView, describe_waiting, view_of
    from models.rewards.vocabulary import Clock, RewardStage
    from workflows.kernel import WRITE, CaseWorkflow, DeadlineClock, Family


def rewards_workflow_id(year: str | int) -> str:
    return f"rewards-{year}"


@workflow.defn(name="RewardsWorkflow")
class RewardsWorkflow(CaseWorkflow[RewardsState, RewardsView]):
    """Its steps (propose, review, decide: models.rewards.steps.STEPS) are its updates."""

    family = Family(STEPS, apply_step, view_of, RewardsView, registration="registered_rewards", noun="rewards round")

    @workflow.init
    def __init__(self, inp: RewardsInput) -> None:
        self.start_case(new_round(inp, workflow.info().workflow_id, workflow.now()), registered=False)
        self.clock = DeadlineClock(lambda: next_clock(self.state), lambda: self.state.stage is RewardStage.approved)

    @workflow.run
    async def run(self, inp: RewardsInput) -> RewardsView:
        facts = await workflow.execute_local_activity_method(
            RewardsActivities.year_totals, YearQuery(year=inp.year, timezone=inp.policy.timezone), **WRITE
        )
        async with self.lock:
            await self.commit(apply_opening(self.state, facts, workflow.now()))
        self.registered = True
        while self.state.stage is not RewardStage.approved:
            clock = await self.clock.next_due()
            if isinstance(clock, Clock):
                await self._run_out(clock)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _run_out(self, clock: Clock) -> None:
        def due_of(s: Any) -> datetime | None:
            nxt = next_clock(s)
            return nxt[1] if nxt is not None and nxt[0] is clock else None

        await self.run_out(clock, due_of, apply_clock)

    @workflow.query
    def get_rewards(self) -> RewardsView:
        return self.view()

    # --- the kernel's hooks -----------------------------------------------------------------

    def record(self, out: Outcome[RewardsState], event: CaseEvent) -> tuple[Any, RewardsRecord]:
        rec = RewardsRecord(round=out.state, view=view_of(out.state), event=event, notifications=out.notifications)
        return RewardsActivities.record_rewards_step, rec

    def adopted(self, written: StepWritten | bool) -> None:
        self.clock.wrote(written)

    def show(self) -> None:
        workflow.set_current_details(describe_waiting(self.state))


@workflow.defn(name="YearEndRewardsWorkflow")
class YearEndRewardsWorkflow:
    """What the yearly schedule starts: the year just ended in the company's timezone, and its
    round ``rewards-<year>`` started (or, if it exists already, left as it is: two starts give
    one round). Answers the year."""

    @workflow.run
    async def run(self, inp: YearEnd) -> int:
        year = local_year(workflow.now(), inp.timezone) - 1
        try:
            await workflow.start_child_workflow(
                RewardsWorkflow.run,
                RewardsInput(id=str(year), year=year, policy=inp.policy),
                id=rewards_workflow_id(year),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=f"Year-end rewards {year}",
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("rewards round already started", extra={"year": year})
        return year
