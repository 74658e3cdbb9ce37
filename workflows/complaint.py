"""ComplaintWorkflow: one complaint from intake to archive (CP-01 … CP-20 but CP-18).

The workflow only sequences: it asks the rules (models.complaint_rules) what a step or a clock
does, writes the outcome through one activity, and keeps the Temporal UI informed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.complaint import ComplaintActivities
    from models.complaint import (
        STEP_BODIES,
        CaseEvent,
        ComplaintRecord,
        ComplaintView,
        Deadline,
        IntakeInput,
        LookupInput,
        ReassignInput,
        Status,
        Step,
        StepInput,
        StepWritten,
    )
    from models.complaint_rules import (
        Outcome,
        apply_archive,
        apply_deadline,
        apply_intake,
        apply_step,
        check_step,
        describe_waiting,
        new_case,
        next_deadline,
        view_of,
    )
    from workflows import search_attributes as sa

#: Database writes: short, retried with backoff for as long as the database is away.
WRITE = dict(
    start_to_close_timeout=timedelta(seconds=15),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
)

SHORTEST_TIMER = timedelta(milliseconds=1)

REFUSAL_TYPES = {"forbidden": "Forbidden", "conflict": "Conflict"}


def workflow_id_for(complaint_id: str) -> str:
    return f"complaint-{complaint_id}"


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, inp: IntakeInput) -> None:
        self.state = new_case(inp.id, workflow.info().workflow_id, inp, workflow.now())
        self.registered = False
        self.lock = asyncio.Lock()
        #: (task time, end) of the last write: see _timer_for
        self.written: tuple[datetime, datetime] | None = None

    @workflow.run
    async def run(self, inp: IntakeInput) -> ComplaintView:
        s = self.state
        lookup = await workflow.execute_local_activity_method(
            ComplaintActivities.lookup_complainant,
            LookupInput(
                complaint_id=s.id,
                customer_id=s.complaint.complainant.customer_id,
                phone=s.complaint.complainant.phone,
                received_at=s.received_at,
                repeat_window=s.policy.repeat_window,
            ),
            **WRITE,
        )
        async with self.lock:
            await self._commit(apply_intake(self.state, lookup, workflow.now()))
        self.registered = True

        while not self.state.archived:
            if self.state.status is Status.closed:
                async with self.lock:
                    await self._commit(apply_archive(self.state, workflow.now()))
                break
            # The timer is re-armed only when the earliest due time changes, not at every step.
            armed = next_deadline(self.state)
            if armed is None:
                await workflow.wait_condition(lambda: self._clock_changed(None))
                continue
            deadline, due = armed
            if due > workflow.now():
                try:
                    await workflow.wait_condition(
                        lambda: self._clock_changed(armed),
                        timeout=self._timer_for(due),
                        timeout_summary=f"{deadline.value} deadline",
                    )
                    continue  # the clocks changed: look at them again
                except asyncio.TimeoutError:
                    pass
            async with self.lock:
                current = self.state.due(deadline)
                if current is None or current > workflow.now():
                    continue
                reassignment = None
                if deadline is Deadline.resolution:
                    reassignment = await workflow.execute_local_activity_method(
                        ComplaintActivities.pick_reassignment,
                        ReassignInput(
                            department=self.state.owner.department,
                            exclude=[
                                self.state.owner.id,
                                *self.state.former_handler_ids,
                                *([self.state.target_staff_id] if self.state.target_staff_id else []),
                            ],
                        ),
                        **WRITE,
                    )
                await self._commit(apply_deadline(deadline, self.state, workflow.now(), reassignment))

        await workflow.wait_condition(workflow.all_handlers_finished)
        return view_of(self.state)

    def _timer_for(self, due: datetime) -> timedelta:
        """How long a timer armed now must run to fire at ``due``. The server starts it when
        this workflow task completes, and a task that wrote completes only after its write:
        under load that is up to seconds after the task's time, and counted from the task's
        time the deadline would fire that much late. So a clock armed in the task of a write
        counts from the write's end (recorded in the history); if that is already past the
        due time, the timer is the shortest there is. Should the worker's clock run ahead, the
        timer fires a little early, the loop finds the deadline not yet due and waits the rest."""
        now = workflow.now()
        start = now
        if self.written is not None and self.written[0] == now and self.written[1] > now:
            start = self.written[1]
        return max(due - start, SHORTEST_TIMER)

    def _clock_changed(self, armed: tuple[Deadline, datetime] | None) -> bool:
        return self.state.status is Status.closed or next_deadline(self.state) != armed

    # --- reads ----------------------------------------------------------------------------

    @workflow.query
    def get_case(self) -> ComplaintView:
        return view_of(self.state)

    @workflow.update
    async def registered_case(self) -> ComplaintView:
        """Returns once intake is written: the API's update-with-start waits on this."""
        await workflow.wait_condition(lambda: self.registered)
        return view_of(self.state)

    # --- human steps: one update each, each with a validator --------------------------------

    def _refuse_if_not_allowed(self, step: Step, inp: StepInput) -> None:
        try:
            STEP_BODIES[step].model_validate(inp.body)
        except ValidationError as e:
            raise ApplicationError(str(e), type="Invalid", non_retryable=True) from None
        if not self.registered:
            raise ApplicationError("the complaint is still being registered", type="Conflict")
        refusal = check_step(step, inp, self.state)
        if refusal is not None:
            raise ApplicationError(refusal.reason, type=REFUSAL_TYPES[refusal.kind], non_retryable=True)

    async def _step(self, step: Step, inp: StepInput) -> ComplaintView:
        async with self.lock:
            self._refuse_if_not_allowed(step, inp)  # again: another step may have gone first
            await self._commit(apply_step(step, inp, self.state, workflow.now()))
        return view_of(self.state)

    @workflow.update
    async def assign(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.assign, inp)

    @assign.validator
    def _assign_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.assign, inp)

    @workflow.update
    async def classify(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.classify, inp)

    @classify.validator
    def _classify_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.classify, inp)

    @workflow.update
    async def plan(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.plan, inp)

    @plan.validator
    def _plan_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.plan, inp)

    @workflow.update
    async def investigation(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.investigation, inp)

    @investigation.validator
    def _investigation_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.investigation, inp)

    @workflow.update
    async def escalate(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.escalate, inp)

    @escalate.validator
    def _escalate_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.escalate, inp)

    @workflow.update
    async def compensation(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.compensation, inp)

    @compensation.validator
    def _compensation_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.compensation, inp)

    @workflow.update
    async def compensation_decision(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.compensation_decision, inp)

    @compensation_decision.validator
    def _compensation_decision_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.compensation_decision, inp)

    @workflow.update
    async def major_report(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.major_report, inp)

    @major_report.validator
    def _major_report_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.major_report, inp)

    @workflow.update
    async def resolve(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.resolve, inp)

    @resolve.validator
    def _resolve_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.resolve, inp)

    @workflow.update
    async def survey(self, inp: StepInput) -> ComplaintView:
        return await self._step(Step.survey, inp)

    @survey.validator
    def _survey_allowed(self, inp: StepInput) -> None:
        self._refuse_if_not_allowed(Step.survey, inp)

    # --- writing an outcome -----------------------------------------------------------------

    async def _commit(self, out: Outcome) -> None:
        """Write the outcome (idempotent on its seq), then adopt it and tell the UI."""
        s = out.state
        written = await workflow.execute_local_activity_method(
            ComplaintActivities.record_complaint_step,
            ComplaintRecord(
                case=s,
                event=CaseEvent(seq=s.seq, kind=out.kind, actor_id=out.actor_id, at=workflow.now(), data=out.data),
                notifications=out.notifications,
                accountability=out.accountability,
            ),
            **WRITE,
        )
        if isinstance(written, StepWritten):
            self.written = (workflow.now(), written.at)
        self.state = s
        nxt = next_deadline(s)
        sa.upsert_changed(
            [
                sa.COMPLAINT_STATUS.value_set(s.status.value),
                sa.COMPLAINT_SEVERITY.value_set(s.severity.value),
                sa.ESCALATION_LEVEL.value_set(s.escalation_level),
                sa.COMPLAINT_CATEGORY.value_set(s.category.value) if s.category else sa.COMPLAINT_CATEGORY.value_unset(),
                sa.HANDLER_ID.value_set(s.handler.id) if s.handler else sa.HANDLER_ID.value_unset(),
                sa.PLAN_DUE_AT.value_set(s.plan_due_at) if s.plan_due_at else sa.PLAN_DUE_AT.value_unset(),
                sa.NEXT_DUE_AT.value_set(nxt[1]) if nxt else sa.NEXT_DUE_AT.value_unset(),
                sa.CUSTOMER_ID.value_set(s.complaint.complainant.customer_id)
                if s.complaint.complainant.customer_id
                else sa.CUSTOMER_ID.value_unset(),
            ]
        )
        workflow.set_current_details(describe_waiting(s))
