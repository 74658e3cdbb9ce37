"""The bare reference: the least Temporal itself needs for a complaint's lifecycle.

A workflow that takes the same human steps as updates while a deadline timer races them,
with no activities and no business logic.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

STEPS = ("assign", "classify", "plan", "resolve", "survey")


@workflow.defn(name="BareLifecycleWorkflow")
class BareLifecycleWorkflow:
    def __init__(self) -> None:
        self.done: list[str] = []
        self.registered = False
        self.fired = False

    @workflow.run
    async def run(self, deadline_seconds: float) -> int:
        self.registered = True
        try:
            await workflow.wait_condition(
                lambda: len(self.done) == len(STEPS), timeout=timedelta(seconds=deadline_seconds)
            )
        except TimeoutError:
            self.fired = True
            await workflow.wait_condition(lambda: len(self.done) == len(STEPS))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return len(self.done)

    @workflow.update
    async def registered_case(self) -> bool:
        await workflow.wait_condition(lambda: self.registered)
        return True

    @workflow.update
    def step(self, name: str) -> int:
        self.done.append(name)
        return len(self.done)

    @workflow.query
    def fired_at_deadline(self) -> bool:
        return self.fired


@workflow.defn(name="BareTimerWorkflow")
class BareTimerWorkflow:
    """The bare timer reference: sleep the deadline, report how late the wake-up was."""

    @workflow.run
    async def run(self, deadline_seconds: float) -> float:
        due = workflow.now() + timedelta(seconds=deadline_seconds)
        await workflow.sleep(timedelta(seconds=deadline_seconds), summary="plan deadline")
        return (workflow.now() - due).total_seconds()


@workflow.defn(name="BareDueTimerWorkflow")
class BareDueTimerWorkflow:
    """The bare timer reference with an absolute due time (an account's clock is one): sleep
    until ``due_at`` (ISO 8601), report how late the wake-up was."""

    @workflow.run
    async def run(self, due_at: str) -> float:
        due = datetime.fromisoformat(due_at)
        await workflow.sleep(max(due - workflow.now(), timedelta(seconds=1)), summary="account clock")
        return (workflow.now() - due).total_seconds()
