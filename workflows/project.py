"""ClientProjectWorkflow: one new-client development project, from the application to
completion, termination or rejection (ND-01 … ND-11, ND-13).

The workflow only sequences: it asks the rules (models.project_rules) what a step or a clock
does, writes the outcome through one activity, and keeps the Temporal UI informed. A project
lives for a year or more, so before its history grows large it continues as new, carrying its
whole state: every clock is an absolute due time in that state, so none is lost or restarted.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.project import ProjectActivities
    from models.complaint import CaseEvent
    from models.project import (
        STEP_BODIES,
        EligibilityInput,
        HandOverInput,
        ProjectInput,
        ProjectRecord,
        ProjectRefusalRecord,
        ProjectStep,
        ProjectStepInput,
        ProjectView,
        Stage,
    )
    from models.project_rules import (
        ProjectOutcome,
        apply_application,
        apply_clock,
        apply_continue_as_new,
        apply_handover,
        apply_step,
        check_step,
        clock_due,
        describe_waiting,
        new_project,
        next_clock,
        view_of,
    )
    from workflows import search_attributes as sa

#: Database writes: short, retried with backoff for as long as the database is away.
WRITE = dict(
    start_to_close_timeout=timedelta(seconds=15),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
)

REFUSAL_TYPES = {"forbidden": "Forbidden", "conflict": "Conflict"}


def project_workflow_id(project_id: str) -> str:
    return f"client-project-{project_id}"


@workflow.defn(name="ClientProjectWorkflow")
class ClientProjectWorkflow:
    @workflow.init
    def __init__(self, inp: ProjectInput) -> None:
        if inp.state is not None:  # continued as new: the same project goes on
            self.state = inp.state
            self.registered = True
        else:
            self.state = new_project(inp, workflow.info().workflow_id, workflow.now())
            self.registered = False
        self.history_limit = inp.history_limit
        self.version = 0
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, inp: ProjectInput) -> ProjectView:
        if not self.registered:
            await self._apply_for()
        else:
            self._show()

        while self.state.open:
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                async with self.lock:  # nothing half-applied travels to the next run
                    workflow.continue_as_new(
                        ProjectInput(
                            id=inp.id,
                            application=inp.application,
                            applicant=inp.applicant,
                            implementers=inp.implementers,
                            officers=inp.officers,
                            policy=inp.policy,
                            history_limit=self.history_limit,
                            state=apply_continue_as_new(self.state),
                        )
                    )
            seen = self.version
            nxt = next_clock(self.state)
            if nxt is None:
                await workflow.wait_condition(lambda: self.version != seen)
                continue
            clock, due = nxt
            remaining = due - workflow.now()
            if remaining > timedelta(0):
                try:
                    await workflow.wait_condition(
                        lambda: self.version != seen,
                        timeout=remaining,
                        timeout_summary=f"{clock.value} deadline",
                    )
                    continue  # something changed: look at the clocks again
                except asyncio.TimeoutError:
                    pass
            async with self.lock:
                current = clock_due(self.state, clock)
                if current is None or current > workflow.now():
                    continue
                await self._commit(apply_clock(clock, self.state, workflow.now()))

        if self.state.stage is Stage.completed and self.state.customer_id is None:
            await self._hand_over()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return view_of(self.state)

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= self.history_limit

    async def _apply_for(self) -> None:
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
            ),
            **WRITE,
        )
        async with self.lock:
            out = apply_application(self.state, found, workflow.now())
            refusal = None
            if out.state.refused:
                refusal = ProjectRefusalRecord(
                    project_id=out.state.id,
                    application=app,
                    applicant_id=out.state.applicant.id,
                    reason=out.state.rejection_reason or "",
                )
            await self._commit(out, refusal)
        self.registered = True

    async def _hand_over(self) -> None:
        """ND-11: the client is handed to sales as a regular customer."""
        done = await workflow.execute_local_activity_method(
            ProjectActivities.hand_over_to_sales,
            HandOverInput(project_id=self.state.id, client_name=self.state.application.client_name),
            **WRITE,
        )
        async with self.lock:
            await self._commit(apply_handover(self.state, done.customer_id, done.created, workflow.now()))

    # --- reads ----------------------------------------------------------------------------

    @workflow.query
    def get_project(self) -> ProjectView:
        return view_of(self.state)

    @workflow.update
    async def registered_project(self) -> ProjectView:
        """Returns once the application is written: the API's update-with-start waits on this."""
        await workflow.wait_condition(lambda: self.registered)
        return view_of(self.state)

    # --- human steps: one update each, each with a validator --------------------------------

    def _refuse_if_not_allowed(self, step: ProjectStep, inp: ProjectStepInput) -> None:
        try:
            STEP_BODIES[step].model_validate(inp.body)
        except ValidationError as e:
            raise ApplicationError(str(e), type="Invalid", non_retryable=True) from None
        if not self.registered:
            raise ApplicationError("the application is still being registered", type="Conflict")
        refusal = check_step(step, inp, self.state)
        if refusal is not None:
            raise ApplicationError(refusal.reason, type=REFUSAL_TYPES[refusal.kind], non_retryable=True)

    async def _step(self, step: ProjectStep, inp: ProjectStepInput) -> ProjectView:
        async with self.lock:
            self._refuse_if_not_allowed(step, inp)  # again: another step may have gone first
            await self._commit(apply_step(step, inp, self.state, workflow.now()))
        return view_of(self.state)

    @workflow.update
    async def review(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.review, inp)

    @review.validator
    def _review_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.review, inp)

    @workflow.update
    async def budget(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.budget, inp)

    @budget.validator
    def _budget_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.budget, inp)

    @workflow.update
    async def budget_decision(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.budget_decision, inp)

    @budget_decision.validator
    def _budget_decision_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.budget_decision, inp)

    @workflow.update
    async def expense(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.expense, inp)

    @expense.validator
    def _expense_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.expense, inp)

    @workflow.update
    async def expense_decision(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.expense_decision, inp)

    @expense_decision.validator
    def _expense_decision_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.expense_decision, inp)

    @workflow.update
    async def follow_up(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.follow_up, inp)

    @follow_up.validator
    def _follow_up_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.follow_up, inp)

    @workflow.update
    async def supply(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.supply, inp)

    @supply.validator
    def _supply_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.supply, inp)

    @workflow.update
    async def study_decision(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.study_decision, inp)

    @study_decision.validator
    def _study_decision_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.study_decision, inp)

    @workflow.update
    async def annual_report(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.annual_report, inp)

    @annual_report.validator
    def _annual_report_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.annual_report, inp)

    @workflow.update
    async def annual_report_decision(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.annual_report_decision, inp)

    @annual_report_decision.validator
    def _annual_report_decision_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.annual_report_decision, inp)

    @workflow.update
    async def suspend(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.suspend, inp)

    @suspend.validator
    def _suspend_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.suspend, inp)

    @workflow.update
    async def resume(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.resume, inp)

    @resume.validator
    def _resume_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.resume, inp)

    @workflow.update
    async def terminate(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.terminate, inp)

    @terminate.validator
    def _terminate_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.terminate, inp)

    @workflow.update
    async def terminate_decision(self, inp: ProjectStepInput) -> ProjectView:
        return await self._step(ProjectStep.terminate_decision, inp)

    @terminate_decision.validator
    def _terminate_decision_allowed(self, inp: ProjectStepInput) -> None:
        self._refuse_if_not_allowed(ProjectStep.terminate_decision, inp)

    # --- writing an outcome -----------------------------------------------------------------

    async def _commit(self, out: ProjectOutcome, refusal: ProjectRefusalRecord | None = None) -> None:
        """Write the outcome (idempotent on its seq), then adopt it and tell the UI."""
        s = out.state
        await workflow.execute_local_activity_method(
            ProjectActivities.record_project_step,
            ProjectRecord(
                project=s,
                view=view_of(s),
                event=CaseEvent(seq=s.seq, kind=out.kind, actor_id=out.actor_id, at=workflow.now(), data=out.data),
                notifications=out.notifications,
                refusal=refusal,
            ),
            **WRITE,
        )
        self.state = s
        self.version += 1
        self._show()

    def _show(self) -> None:
        """Search attributes and current details: what supervisors see in the Temporal UI."""
        s = self.state
        nxt = next_clock(s)
        sa.upsert_changed(
            [
                sa.PROJECT_STAGE.value_set(s.stage.value),
                sa.IMPLEMENTER_ID.value_set(s.implementer_ids),
                sa.PROJECT_FLAGS.value_set([f.value for f in s.flags]) if s.flags else sa.PROJECT_FLAGS.value_unset(),
                sa.NEXT_DUE_AT.value_set(nxt[1]) if nxt else sa.NEXT_DUE_AT.value_unset(),
            ]
        )
        workflow.set_current_details(describe_waiting(s))

