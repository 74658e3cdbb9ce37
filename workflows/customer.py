"""CustomerAccountWorkflow: one customer's account, for as long as the customer is one (CC-01 …
CC-05, CC-07, CC-08).

The account keeps its own calendar: the revisits of its delivered projects (CC-01), the reports
its visits owe (CC-02), its credit reports at its class's cadence (CC-03), the downgrade of a
VIP with a problem (CC-04), the 3 months without service (CC-05) and the yearly survey (CC-07)
are named durable timers (workflows.kernel's DeadlineClock); a reminder comes before each due
time, and a missed one tells the supervisor. People's steps are updates with validators. The
account never ends: before its history grows large it continues as new with its whole state
(every due time is absolute, so none is lost or restarted).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from activities.customer import CustomerActivities
    from models.case import CaseEvent, Outcome, StepWritten
    from models.clock import ClockWarning
    from models.customer.clocks import account, apply_clock, apply_warning, clock_due, next_clock, next_warning_of
    from models.customer.records import CustomerWrite
    from models.customer.state import CustomerInput, CustomerState, OpenCheck
    from models.customer.steps import STEPS, apply_continue_as_new, apply_opening, apply_step, new_account
    from models.customer.views import CustomerView, describe_waiting, view_of
    from models.customer.vocabulary import Clock, customer_workflow_id
    from workflows import search_attributes as sa
    from workflows.kernel import WRITE, CaseWorkflow, DeadlineClock, Family


__all__ = ["CustomerAccountWorkflow", "customer_workflow_id"]


@workflow.defn(name="CustomerAccountWorkflow")
class CustomerAccountWorkflow(CaseWorkflow[CustomerState, CustomerView]):
    """Its human steps (services, reports, credit, tiers, records: models.customer.steps.STEPS)
    are its updates, each named after the step, with a validator (workflows.kernel)."""

    family = Family(
        STEPS,
        apply_step,
        view_of,
        CustomerView,
        registration="registered_customer",
        noun="customer account",
        account=account,
        warning=next_warning_of,
        apply_warning=apply_warning,
    )

    @workflow.init
    def __init__(self, inp: CustomerInput) -> None:
        def new() -> CustomerState:
            return new_account(inp, workflow.info().workflow_id, workflow.now())

        self.start_or_continue(inp.state, new, inp.history_limit, "customer accounts")
        self.clock = DeadlineClock(lambda: next_clock(self.state))

    @workflow.run
    async def run(self, inp: CustomerInput) -> CustomerView:
        if self.refused is not None:
            return await self.refuse_start(self.refused)
        self.ask_clock_warnings(self.clock)
        if not self.registered:
            checked = await workflow.execute_local_activity_method(
                CustomerActivities.check_customer_start,
                OpenCheck(start=inp, started_at=workflow.info().workflow_start_time),
                **WRITE,
            )
            if checked.refusal is not None:  # started around the API: nothing registered or written
                return await self.refuse_start(checked.refusal)
            async with self.lock:
                await self.commit(apply_opening(self.state, inp.opened_by.id, workflow.now()))
            self.registered = True
        else:
            self.show()
        while True:
            await self.continue_if_long(inp, apply_continue_as_new)
            clock = await self.clock.next_due()
            if isinstance(clock, ClockWarning):
                await self.give_warning(clock)
            elif clock is not None:
                await self._run_out(clock)

    async def _run_out(self, clock: Clock) -> None:
        """A clock ran out: if it still stands, do what it says."""
        await self.run_out(clock, lambda s: clock_due(s, clock), apply_clock)

    # --- reads ----------------------------------------------------------------------------

    @workflow.query
    def get_customer(self) -> CustomerView:
        return self.view()

    # --- the kernel's hooks -----------------------------------------------------------------

    def record(self, out: Outcome[CustomerState], event: CaseEvent) -> tuple[Any, CustomerWrite]:
        rec = CustomerWrite(customer=out.state, view=view_of(out.state), event=event, notifications=out.notifications)
        return CustomerActivities.record_customer_step, rec

    def adopted(self, written: StepWritten | bool) -> None:
        self.clock.wrote(written)

    def show(self) -> None:
        s = self.state
        nxt = next_clock(s)
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.CUSTOMER_TIER.value_set(s.tier.value),
            sa.CREDIT_CLASS.value_set(s.credit_class.value),
            sa.CUSTOMER_OWNER.value_set(s.owner.id),
            sa.CUSTOMER_ID.value_set(s.id),
        ]
        self.show_case(updates, nxt[1] if nxt else None, describe_waiting(s), s.clocks)
