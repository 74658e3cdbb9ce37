"""ComplaintWorkflow: one complaint from intake to archive (CP-01 … CP-21 but CP-18).

The workflow only sequences: it asks the rules (models.complaint) what a step or a clock does,
writes the outcome through one activity, and keeps the Temporal UI informed. What every case
workflow shares (steps as updates, the commit, the deadline clock) is in workflows.kernel.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from activities.complaint import ComplaintActivities
    from models.case import CaseEvent, Outcome, StepWritten
    from models.clock import ClockWarning
    from models.complaint.clocks import (
        account,
        apply_clock,
        apply_warning,
        next_clock,
        next_warning_of,
        reassignment_request,
    )
    from models.complaint.messages import ComplaintInput, LookupInput
    from models.complaint.records import ComplaintRecord
    from models.complaint.state import ComplaintState
    from models.complaint.steps import STEPS, apply_archive, apply_closed, apply_intake, apply_step, new_case
    from models.complaint.views import ComplaintView, describe_waiting, view_of
    from models.complaint.vocabulary import RULES_BEFORE_2026_12, Clock, Status
    from workflows import search_attributes as sa

    # Passed through (imported once per worker, not once per run): a run of this module alone
    # is what the sandbox imports afresh. The kernel is guarded by a test instead
    # (tests/workflows/test_kernel.py); measured in BENCHMARKS.md: 56 KB less per cached case.
    from workflows.kernel import WRITE, CaseWorkflow, DeadlineClock, Family


def complaint_workflow_id(complaint_id: str) -> str:
    return f"complaint-{complaint_id}"


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow(CaseWorkflow[ComplaintState, ComplaintView]):
    """Its human steps (assign, classify, plan, …: models.complaint.steps.STEPS) are its
    updates, each named after the step, with a validator (workflows.kernel)."""

    family = Family(
        STEPS,
        apply_step,
        view_of,
        ComplaintView,
        registration="registered_case",
        noun="complaint",
        account=account,
        warning=next_warning_of,
        apply_warning=apply_warning,
    )

    @workflow.init
    def __init__(self, inp: ComplaintInput) -> None:
        self.start_case(new_case(inp.id, workflow.info().workflow_id, inp, workflow.now()), registered=False)
        self.clock = DeadlineClock(lambda: next_clock(self.state), lambda: self.state.status is Status.closed)

    @workflow.run
    async def run(self, inp: ComplaintInput) -> ComplaintView:
        if not workflow.patched("complaint-rules-2"):
            # started before the corrected rulebook: the case keeps the rules it started with
            # (CP-05, CP-11, CP-16 as they were), so its history replays
            self.state.rules = RULES_BEFORE_2026_12
        self.ask_clock_warnings(self.clock)  # issue 14: warnings before a breach
        s = self.state
        lookup = await workflow.execute_local_activity_method(
            ComplaintActivities.lookup_complainant,
            LookupInput(
                complaint_id=s.id,
                customer_id=s.complaint.complainant.customer_id,
                phone=s.complaint.complainant.phone,
                received_at=s.received_at,
                repeat_window=s.policy.repeat_window,
                start=inp,
                started_at=workflow.info().workflow_start_time,
            ),
            **WRITE,
        )
        if lookup.refusal is not None:  # started around the API: nothing registered, nothing written
            return await self.refuse_start(lookup.refusal)
        async with self.lock:
            await self.commit(apply_intake(self.state, lookup, workflow.now()))
        self.registered = True

        while not self.state.archived:
            if self.state.status is Status.closed:
                async with self.lock:
                    if workflow.patched("closed-event"):  # when and why it closed, as an event
                        await self.commit(apply_closed(self.state, workflow.now()))
                    await self.commit(apply_archive(self.state, workflow.now()))
                break
            deadline = await self.clock.next_due()
            if isinstance(deadline, ClockWarning):
                await self.give_warning(deadline)
            elif deadline is not None:
                await self._run_out(deadline)

        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _run_out(self, deadline: Clock) -> None:
        """A clock ran out: if it still stands, do what it says (CP-13 first finds another
        handler)."""
        async with self.lock:
            current = self.state.due(deadline)
            if current is None or current > workflow.now():
                return
            reassignment = None
            if deadline is Clock.resolution:
                reassignment = await workflow.execute_local_activity_method(
                    ComplaintActivities.pick_reassignment, reassignment_request(self.state), **WRITE
                )
            await self.commit(apply_clock(deadline, self.state, workflow.now(), reassignment))

    # --- reads ----------------------------------------------------------------------------

    @workflow.query
    def get_case(self) -> ComplaintView:
        return self.view()

    # --- the kernel's hooks -----------------------------------------------------------------

    def record(self, out: Outcome[ComplaintState], event: CaseEvent) -> tuple[Any, ComplaintRecord]:
        n, a = out.notifications, out.accountability
        rec = ComplaintRecord(case=out.state, event=event, notifications=n, accountability=a)
        return ComplaintActivities.record_complaint_step, rec

    def adopted(self, written: StepWritten | bool) -> None:
        self.clock.wrote(written)

    def show(self) -> None:
        s = self.state
        nxt = next_clock(s)
        customer_id = s.complaint.complainant.customer_id
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.COMPLAINT_STATUS.value_set(s.status.value),
            sa.COMPLAINT_SEVERITY.value_set(s.severity.value),
            sa.ESCALATION_LEVEL.value_set(s.escalation_level),
            sa.COMPLAINT_CATEGORY.value_set(s.category.value) if s.category else sa.COMPLAINT_CATEGORY.value_unset(),
            sa.HANDLER_ID.value_set(s.handler.id) if s.handler else sa.HANDLER_ID.value_unset(),
            sa.PLAN_DUE_AT.value_set(s.plan_due_at) if s.plan_due_at else sa.PLAN_DUE_AT.value_unset(),
            sa.CUSTOMER_ID.value_set(customer_id) if customer_id else sa.CUSTOMER_ID.value_unset(),
        ]
        self.show_case(updates, nxt[1] if nxt else None, describe_waiting(s), s.clocks)
