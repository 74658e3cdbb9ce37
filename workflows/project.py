"""ClientProjectWorkflow: one new-client development project, from the application to
completion, termination or rejection (ND-01 … ND-11, ND-13).

The workflow only sequences: it asks the rules (models.project) what a step or a clock does,
writes the outcome through one activity, and keeps the Temporal UI informed. What every case
workflow shares (steps as updates, the commit, the deadline clock) is in workflows.kernel. A
project lives for a year or more, so before its history grows large it continues as new,
carrying its whole state: every clock is an absolute due time in that state, so none is lost
or restarted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.customer import CustomerActivities
    from activities.project import ProjectActivities
    from models.case import CaseEvent, Outcome, StepWritten
    from models.clock import ClockWarning
    from models.customer.state import HandOverAccount
    from models.project.clocks import account, apply_clock, apply_warning, clock_due, next_clock, next_warning_of
    from models.project.messages import HandOverInput
    from models.project.records import ProjectRecord, ProjectRefusalRecord
    from models.project.state import EligibilityInput, ProjectInput, ProjectState
    from models.project.steps import (
        STEPS,
        apply_application,
        apply_continue_as_new,
        apply_handover,
        apply_step,
        new_project,
    )
    from models.project.views import ProjectView, describe_waiting, view_of
    from models.project.vocabulary import Clock, ProjectStep, Stage
    from workflows import search_attributes as sa

    # Passed through (imported once per worker, not once per run): a run of this module alone
    # is what the sandbox imports afresh. The kernel is guarded by a test instead
    # (tests/workflows/test_kernel.py); measured in BENCHMARKS.md: 56 KB less per cached case.
    from workflows.customer import CustomerAccountWorkflow, customer_workflow_id
    from workflows.kernel import WRITE, CaseWorkflow, DeadlineClock, Family

#: The patch that moved projects onto the kernel's clock, which re-arms its timer only when the
#: earliest due time changes. Histories recorded before it re-armed the timer at every step (a
#: cancelled timer and a new one): they replay through the old branch.
CLOCK_REARMS_ON_CHANGE = "clock-rearms-on-change"
#: The patch of the corrected rules (ND-03: the cap on every budget together, a rejected budget
#: restarting the 7-day clock; ND-08/ND-11: months of supply at the batch amount, between the
#: approval and now, and completion confirmed by the deputy leader, where the third month used
#: to complete the project and hand it over at once). Asked at the first step of a run that
#: these rules concern; histories recorded before it replay with the old rules.
CORRECTED_RULES = "nd-corrected-rules"
#: The patch of issue 16: the client a completed project hands to sales gets its customer
#: account (CC-01: the project is its first delivery, revisited monthly), owned by the
#: project's implementer. Histories recorded before it hand over without one.
CUSTOMER_ACCOUNT = "customer-account-handover"
#: The steps whose rules the correction changed.
CORRECTED_STEPS = (
    ProjectStep.budget,
    ProjectStep.budget_decision,
    ProjectStep.expense,
    ProjectStep.supply,
    ProjectStep.confirm_completion,
)


def project_workflow_id(project_id: str) -> str:
    return f"client-project-{project_id}"


@workflow.defn(name="ClientProjectWorkflow")
class ClientProjectWorkflow(CaseWorkflow[ProjectState, ProjectView]):
    """Its human steps (review, budget, expense, …: models.project.steps.STEPS) are its
    updates, each named after the step, with a validator (workflows.kernel)."""

    family = Family(
        STEPS,
        apply_step,
        view_of,
        ProjectView,
        registration="registered_project",
        noun="application",
        account=account,
        warning=next_warning_of,
        apply_warning=apply_warning,
    )

    @workflow.init
    def __init__(self, inp: ProjectInput) -> None:
        def new() -> ProjectState:
            return new_project(inp, workflow.info().workflow_id, workflow.now())

        self.start_or_continue(inp.state, new, inp.history_limit, "projects")
        #: commits so far in this run (the wake-up of the clock before CLOCK_REARMS_ON_CHANGE)
        self.version = 0
        self.clock = DeadlineClock(lambda: next_clock(self.state), lambda: not self.state.open)

    @workflow.run
    async def run(self, inp: ProjectInput) -> ProjectView:
        if self.refused is not None:
            return await self.refuse_start(self.refused)
        self.ask_clock_warnings(self.clock)  # issue 14: warnings before a breach
        if not self.registered:
            await self._apply_for(inp)
            if self.refused is not None:
                return await self.refuse_start(self.refused)
        else:
            self.show()

        while self.state.open:
            await self.continue_if_long(inp, apply_continue_as_new)
            if workflow.patched(CLOCK_REARMS_ON_CHANGE):
                clock = await self.clock.next_due()
            else:
                clock = await self.clock.next_due(changed=self._committed_since(self.version))
            if isinstance(clock, ClockWarning):
                await self.give_warning(clock)
            elif clock is not None:
                await self._run_out(clock)

        if self.state.stage is Stage.completed and self.state.customer_id is None:
            await self._hand_over()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def take_step(self, step: Any, inp: Any) -> ProjectView:
        if step in CORRECTED_STEPS and self.state.corrected is None:
            # the first step of this run the correction concerns: new runs, and runs past their
            # recorded history, take the corrected rules; a replay of steps before them, the old
            self.state = self.state.model_copy(update={"corrected": workflow.patched(CORRECTED_RULES)})
        return await super().take_step(step, inp)

    def _committed_since(self, seen: int) -> Callable[[], bool]:
        return lambda: self.version != seen

    async def _run_out(self, clock: Clock) -> None:
        """A clock ran out: if it still stands, do what it says."""
        await self.run_out(clock, lambda s: clock_due(s, clock), apply_clock)

    async def _apply_for(self, inp: ProjectInput) -> None:
        """ND-01: the application is checked against the customer registry and the product
        line's threshold; an ineligible one is refused with the reason (and recorded)."""
        app = self.state.application
        found = await workflow.execute_local_activity_method(
            ProjectActivities.check_eligibility,
            EligibilityInput(
                client_name=app.client_name,
                product_line=app.product_line,
                expected_annual_business=app.expected_annual_business,
                policy=self.state.policy,
                start=inp,
                started_at=workflow.info().workflow_start_time,
            ),
            **WRITE,
        )
        if found.refusal is not None:  # started around the API: nothing registered, nothing written
            self.refused = found.refusal
            return
        async with self.lock:
            await self.commit(apply_application(self.state, found, workflow.now()))
        self.registered = True

    async def _hand_over(self) -> None:
        """ND-11: the client is handed to sales as a regular customer."""
        done = await workflow.execute_local_activity_method(
            ProjectActivities.hand_over_to_sales,
            HandOverInput(project_id=self.state.id, client_name=self.state.application.client_name),
            **WRITE,
        )
        async with self.lock:
            await self.commit(apply_handover(self.state, done.customer_id, done.created, workflow.now()))
        if workflow.patched(CUSTOMER_ACCOUNT):
            await self._open_account(done.customer_id)

    async def _open_account(self, customer_id: str) -> None:
        """ND-11 → issue 16: the customer's account starts (its own workflow, which outlives
        this one); started already (a retry, a second hand-over), it is left as it is."""
        s = self.state
        account = await workflow.execute_local_activity_method(
            CustomerActivities.handed_over_account,
            HandOverAccount(
                customer_id=customer_id,
                project_id=s.id,
                client_name=s.application.client_name,
                product_line=s.application.product_line,
                owner_id=s.implementers[0].id,
                delivered_at=s.closed_at or workflow.now(),
            ),
            **WRITE,
        )
        if account is None:
            return
        try:
            await workflow.start_child_workflow(
                CustomerAccountWorkflow.run,
                account,
                id=customer_workflow_id(customer_id),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=f"Customer account {customer_id} · from project {s.id}",
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("customer account already started", extra={"customer": customer_id})

    # --- reads ----------------------------------------------------------------------------

    @workflow.query
    def get_project(self) -> ProjectView:
        return self.view()

    # --- the kernel's hooks -----------------------------------------------------------------

    def record(self, out: Outcome[ProjectState], event: CaseEvent) -> tuple[Any, ProjectRecord]:
        s, refusal = out.state, None
        if out.kind == "application_refused":  # ND-01: the refusal is kept with its reason
            reason = s.rejection_reason or ""
            refusal = ProjectRefusalRecord(
                project_id=s.id, application=s.application, applicant_id=s.applicant.id, reason=reason
            )
        rec = ProjectRecord(project=s, view=view_of(s), event=event, notifications=out.notifications, refusal=refusal)
        return ProjectActivities.record_project_step, rec

    def adopted(self, written: StepWritten | bool) -> None:
        self.version += 1
        self.clock.wrote(written)

    def show(self) -> None:
        s = self.state
        nxt = next_clock(s)
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.PROJECT_STAGE.value_set(s.stage.value),
            sa.IMPLEMENTER_ID.value_set(s.implementer_ids),
            sa.PROJECT_FLAGS.value_set([f.value for f in s.flags]) if s.flags else sa.PROJECT_FLAGS.value_unset(),
        ]
        self.show_case(updates, nxt[1] if nxt else None, describe_waiting(s), s.clocks)
