"""InquiryWorkflow: one customer inquiry, answered within 24 hours (CC-06).

The caller who registers it is its receiver, the first responder (首問制). Its one clock, the
answer, is due ``inquiry_answer_deadline`` after the receipt; warnings before it tell the
receiver (the last one their leader too). When it runs out unanswered the inquiry is escalated
to the receiver's direct leader and flagged late, and keeps waiting for its answer (it breaches
once). The steps (answer, assign: models.inquiry.steps.STEPS) are updates with validators
(workflows.kernel); the answer closes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.inquiry import InquiryActivities
    from models.case import CaseEvent, Outcome, StepWritten
    from models.clock import ClockWarning
    from models.inquiry.clocks import account, apply_clock, apply_warning, next_clock, next_warning_of
    from models.inquiry.messages import InquiryInput, StartCheck
    from models.inquiry.records import InquiryRecord
    from models.inquiry.state import InquiryState, viewers
    from models.inquiry.steps import STEPS, apply_receipt, apply_step, new_inquiry
    from models.inquiry.views import InquiryView, describe_waiting, view_of
    from models.inquiry.vocabulary import Clock
    from workflows import search_attributes as sa
    from workflows.kernel import WRITE, CaseWorkflow, DeadlineClock, Family


def inquiry_workflow_id(inquiry_id: str) -> str:
    return f"inquiry-{inquiry_id}"


@workflow.defn(name="InquiryWorkflow")
class InquiryWorkflow(CaseWorkflow[InquiryState, InquiryView]):
    """Its steps (answer, assign: models.inquiry.steps.STEPS) are its updates."""

    family = Family(
        STEPS,
        apply_step,
        view_of,
        InquiryView,
        registration="registered_inquiry",
        noun="inquiry",
        account=account,
        warning=next_warning_of,
        apply_warning=apply_warning,
    )

    @workflow.init
    def __init__(self, inp: InquiryInput) -> None:
        self.start_case(new_inquiry(inp, workflow.info().workflow_id, workflow.now()), registered=False)
        self.clock = DeadlineClock(lambda: next_clock(self.state), lambda: not self.state.open)

    @workflow.run
    async def run(self, inp: InquiryInput) -> InquiryView:
        self.ask_clock_warnings(self.clock)  # issue 14: warnings before the answer is due
        checked = await workflow.execute_local_activity_method(
            InquiryActivities.check_start,
            StartCheck(start=inp, started_at=workflow.info().workflow_start_time),
            **WRITE,
        )
        if checked.refusal is not None:  # started around the API: nothing registered, nothing written
            return await self.refuse_start(checked.refusal)
        async with self.lock:
            await self.commit(apply_receipt(self.state, workflow.now()))
        self.registered = True
        while self.state.open:
            clock = await self.clock.next_due()
            if isinstance(clock, ClockWarning):
                await self.give_warning(clock)
            elif isinstance(clock, Clock):
                await self._run_out(clock)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _run_out(self, clock: Clock) -> None:
        """CC-06: the answer clock ran out: if it still stands, escalate."""

        def due_of(s: Any) -> datetime | None:
            nxt = next_clock(s)
            return nxt[1] if nxt is not None and nxt[0] is clock else None

        await self.run_out(clock, due_of, apply_clock)

    @workflow.query
    def get_inquiry(self) -> InquiryView:
        return self.view()

    # --- the kernel's hooks -----------------------------------------------------------------

    def record(self, out: Outcome[InquiryState], event: CaseEvent) -> tuple[Any, InquiryRecord]:
        s = out.state
        rec = InquiryRecord(
            inquiry=s, view=view_of(s), event=event, notifications=out.notifications, viewers=viewers(s)
        )
        return InquiryActivities.record_inquiry_step, rec

    def adopted(self, written: StepWritten | bool) -> None:
        self.clock.wrote(written)

    def show(self) -> None:
        s = self.state
        nxt = next_clock(s)
        status = [sa.INQUIRY_STATUS.value_set(s.status.value)]
        self.show_case(status, nxt[1] if nxt else None, describe_waiting(s), s.clocks)
