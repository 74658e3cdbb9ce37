"""The mirror reference: the Temporal work of one complaint lifecycle case, and nothing of ours.

``bench_lifecycle`` runs a complaint case as: update-with-start on ``registered_case``, then
the updates assign, classify, plan, resolve and survey, then the result. For that case
``ComplaintWorkflow`` (workflows/complaint.py) does, in Temporal terms:

- at intake a local activity that reads (the customer look-up), then its first commit;
- the same two patch markers (``complaint-rules-2`` at the start, ``closed-event`` at the close);
- one commit per step, and two more (the ``closed`` event, then the archive) once the survey
  has closed the case: eight commits, each ONE local activity (``record_complaint_step``) with the same
  start-to-close time-out and retry policy, then the changed search attributes upserted
  (``upsert_changed``) and the current details set;
- every update with a validator;
- a deadline timer racing the steps, re-armed only when the earliest due time changes: the
  plan clock (30 min) at intake, the resolution clock (3 days) once the plan is recorded, the
  survey clock (7 days) once resolved, none once closed;
- the same data converter as ours (its payloads are plain dicts, so it has no confidential
  field to seal: sealing ours, field by field, counts as our code's cost).

This workflow does the same, with literal values that change at the same steps as ours do
(status received → in_progress → resolved → closed, the handler at assign, the category at
classify, the plan due time dropped at plan, ...), and each commit is one plain INSERT of a
small row (case ref, seq, kind, at) into a table of its own (bench/mirror_worker.py). No
business rule, no pydantic state, no projection, no notification, no view returned: the ratio
of our throughput to this one is how much of a case our own code costs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa

#: The same as workflows.complaint.WRITE (a literal copy: importing that module here would make
#: the sandbox import the complaint workflow for every mirror run; the smoke test compares them).
WRITE: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=15),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
)

#: The clocks of our complaint policy's defaults (models/policy.py) that the lifecycle meets.
PLAN_DEADLINE = timedelta(minutes=30)
RESOLUTION_DEADLINE = timedelta(days=3)
SURVEY_WAIT = timedelta(days=7)

#: Local activities of the mirror worker, called by name (the workflow module needs no database).
LOOKUP = "mirror_lookup"
RECORD = "mirror_record"

TABLE = "mirror_case_writes"


@dataclass
class MirrorWrite:
    """The row each commit inserts."""

    case_ref: str
    seq: int
    kind: str
    at: datetime


@workflow.defn(name="MirrorLifecycleWorkflow")
class MirrorLifecycleWorkflow:
    @workflow.init
    def __init__(self, intake: dict[str, Any]) -> None:
        self.ref = workflow.info().workflow_id
        self.registered = False
        self.lock = asyncio.Lock()
        self.seq = 0
        # what the search attributes show (our case's values at intake)
        self.status = "received"
        self.severity = "general"
        self.level = 0
        self.category: str | None = None
        self.handler: str | None = None
        self.customer: str | None = (intake.get("complaint") or {}).get("complainant", {}).get("customer_id")
        received = workflow.now()
        self.clocks: dict[str, datetime] = {
            "plan": received + PLAN_DEADLINE,
            "resolution": received + RESOLUTION_DEADLINE,
        }

    def _next(self) -> tuple[str, datetime] | None:
        if not self.clocks:
            return None
        name = min(self.clocks, key=lambda k: self.clocks[k])
        return name, self.clocks[name]

    @workflow.run
    async def run(self, intake: dict[str, Any]) -> dict[str, Any]:
        workflow.patched("complaint-rules-2")
        await workflow.execute_local_activity(LOOKUP, self.ref, result_type=int, **WRITE)
        async with self.lock:
            await self._commit("registered")
        self.registered = True

        while True:
            if self.status == "closed":
                async with self.lock:
                    if workflow.patched("closed-event"):
                        await self._commit("closed")
                    await self._commit("archived")
                break
            armed = self._next()
            if armed is None:
                await workflow.wait_condition(lambda: self._clock_changed(None))
                continue
            name, due = armed
            if due > workflow.now():
                try:
                    await workflow.wait_condition(
                        self._changed_from(armed),
                        timeout=due - workflow.now(),
                        timeout_summary=f"{name} deadline",
                    )
                    continue
                except TimeoutError:
                    pass
            # A clock ran out (not in the benchmark: its cases end within seconds): one write.
            async with self.lock:
                if self._next() != armed:
                    continue
                await self._commit(f"{name}_overdue", clocks={k: v for k, v in self.clocks.items() if k != name})

        await workflow.wait_condition(workflow.all_handlers_finished)
        return {"ref": self.ref, "seq": self.seq, "status": self.status}

    def _changed_from(self, armed: Any) -> Any:
        return lambda: self._clock_changed(armed)

    def _clock_changed(self, armed: tuple[str, datetime] | None) -> bool:
        return self.status == "closed" or self._next() != armed

    # --- intake and the steps ---------------------------------------------------------------

    @workflow.update
    async def registered_case(self) -> dict[str, Any]:
        await workflow.wait_condition(lambda: self.registered)
        return {"ref": self.ref, "seq": self.seq, "status": self.status}

    def _check(self, step: dict[str, Any]) -> None:
        """The trivial validator of every step."""
        if not self.registered:
            raise ApplicationError("still being registered", type="Conflict")
        if not isinstance(step, dict) or "actor" not in step:
            raise ApplicationError("no actor", type="Invalid", non_retryable=True)

    async def _step(self, kind: str, **changes: Any) -> dict[str, Any]:
        async with self.lock:
            await self._commit(kind, **changes)
        return {"ref": self.ref, "seq": self.seq, "status": self.status}

    @workflow.update
    async def assign(self, step: dict[str, Any]) -> dict[str, Any]:
        return await self._step("assign", status="in_progress", handler=step["body"]["handler_id"])

    @assign.validator
    def _assign_allowed(self, step: dict[str, Any]) -> None:
        self._check(step)

    @workflow.update
    async def classify(self, step: dict[str, Any]) -> dict[str, Any]:
        return await self._step("classify", category=step["body"]["category"])

    @classify.validator
    def _classify_allowed(self, step: dict[str, Any]) -> None:
        self._check(step)

    @workflow.update
    async def plan(self, step: dict[str, Any]) -> dict[str, Any]:
        return await self._step("plan", clocks={k: v for k, v in self.clocks.items() if k != "plan"})

    @plan.validator
    def _plan_allowed(self, step: dict[str, Any]) -> None:
        self._check(step)

    @workflow.update
    async def resolve(self, step: dict[str, Any]) -> dict[str, Any]:
        return await self._step("resolve", status="resolved", clocks={"survey": workflow.now() + SURVEY_WAIT})

    @resolve.validator
    def _resolve_allowed(self, step: dict[str, Any]) -> None:
        self._check(step)

    @workflow.update
    async def survey(self, step: dict[str, Any]) -> dict[str, Any]:
        return await self._step("survey", status="closed", clocks={})

    @survey.validator
    def _survey_allowed(self, step: dict[str, Any]) -> None:
        self._check(step)

    # --- a commit: one write, then the search attributes and the details --------------------

    async def _commit(self, kind: str, **changes: Any) -> None:
        """As ComplaintWorkflow._commit: write first, then adopt the new values and tell the UI."""
        seq = self.seq + 1
        await workflow.execute_local_activity(
            RECORD, MirrorWrite(case_ref=self.ref, seq=seq, kind=kind, at=workflow.now()), result_type=bool, **WRITE
        )
        self.seq = seq
        for name, value in changes.items():
            setattr(self, name, value)
        nxt = self._next()
        plan_due = self.clocks.get("plan")
        sa.upsert_changed(
            [
                sa.COMPLAINT_STATUS.value_set(self.status),
                sa.COMPLAINT_SEVERITY.value_set(self.severity),
                sa.ESCALATION_LEVEL.value_set(self.level),
                sa.COMPLAINT_CATEGORY.value_set(self.category)
                if self.category
                else sa.COMPLAINT_CATEGORY.value_unset(),
                sa.HANDLER_ID.value_set(self.handler) if self.handler else sa.HANDLER_ID.value_unset(),
                sa.PLAN_DUE_AT.value_set(plan_due) if plan_due else sa.PLAN_DUE_AT.value_unset(),
                sa.NEXT_DUE_AT.value_set(nxt[1]) if nxt else sa.NEXT_DUE_AT.value_unset(),
                sa.CUSTOMER_ID.value_set(self.customer) if self.customer else sa.CUSTOMER_ID.value_unset(),
            ]
        )
        workflow.set_current_details(f"{self.status} after {kind}")
