"""The case kernel on the workflow side: what every case workflow does the same way.

- ``CaseWorkflow``: the base of every case workflow. A human step is a Temporal update whose
  validator asks the family's rules (``check``) and refuses before anything enters the
  history; the update then takes the case's lock, asks again (another step may have gone
  first), applies the rules' transition and commits it: the write through the family's one
  activity, then the search attributes and current details the Temporal UI shows.
- ``Family``: what a workflow says of its family: its steps table, the rules that check and
  apply a step, its view and the name of its registration update. From the table, every step
  becomes an update named after the step, taking the step's typed input, with a validator
  (``step_update``), so clients call it by reference:
  ``handle.execute_update(ComplaintWorkflow.assign, AssignInput(...))``, or
  ``ComplaintWorkflow.update_for(step)`` when the step is chosen at run time.
- ``DeadlineClock``: the case's clocks as one durable timer, in the spirit of the samples'
  updatable timer: it waits for the earliest due time, re-armed only when that changes, and it
  counts a timer armed in the task of a write from the write's end (the slow-write correction).

This is workflow code: no I/O, no wall clock, no randomness (``workflow.now()``,
``workflow.uuid4()``). The workflow modules import it through the sandbox's pass-through, so it
is imported once per worker instead of once per workflow run (each run of a sandboxed module
costs memory for as long as the workflow is cached, and CPU at every new case: BENCHMARKS.md);
the sandbox therefore does not check its calls at run time, and
tests/workflows/test_kernel.py refuses any non-deterministic call in it instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Generic, NoReturn, TypeVar, cast

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError
from temporalio.workflow import UpdateMethodMultiParam

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from infra import proofs
    from models.case import (
        CaseEvent,
        ItemProbe,
        Outcome,
        Refusal,
        StepInput,
        StepRule,
        StepWritten,
        available_items,
        available_steps,
        step_refusal,
    )
    from models.clock import ClockAccount, ClockWarning, in_breach
    from models.staff import StaffRef
    from workflows import search_attributes as sa

#: Database writes: short, retried with backoff for as long as the database is away.
WRITE: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=15),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
)

#: The ``ApplicationError`` type of each kind of refusal; the API maps these to 403 and 409.
REFUSAL_TYPES = {"forbidden": "Forbidden", "conflict": "Conflict", "invalid": "Invalid"}

SHORTEST_TIMER = timedelta(milliseconds=1)

#: The patch of issue 14: warnings before a breach (a timer and a ``clock_warning`` commit
#: each) and the SlaBreached / NextWarningAt search attributes. Asked once at the start of a
#: run; histories recorded before it replay without either.
CLOCK_WARNINGS = "clock-warnings"

K = TypeVar("K", bound=StrEnum)
S = TypeVar("S")
V = TypeVar("V")
In = TypeVar("In", bound=StepInput[Any])


def refuse(refusal: Refusal) -> NoReturn:
    """Raise a refusal as the update's failure (never a task failure: nothing is retried)."""
    raise ApplicationError(refusal.reason, type=REFUSAL_TYPES[refusal.kind], non_retryable=True)


class DeadlineClock(Generic[K]):
    """A case's named clocks as one timer: ``earliest`` says which clock runs out first and
    when (None when none runs); ``stopped`` says the case no longer waits for its clocks;
    ``warning`` (issue 14, set behind the ``clock-warnings`` patch) the next warning before a
    breach: the timer waits for the next of the earliest due time and the earliest warning."""

    def __init__(
        self,
        earliest: Callable[[], tuple[K, datetime] | None],
        stopped: Callable[[], bool] = lambda: False,
        warning: Callable[[], ClockWarning | None] | None = None,
    ) -> None:
        self.earliest = earliest
        self.stopped = stopped
        self.warning = warning
        #: (task time, end) of the last write: see ``timer_for``
        self.written: tuple[datetime, datetime] | None = None

    def wrote(self, written: StepWritten | bool) -> None:
        """Note when a write of this task ended (writes that answer a bare bool, as recorded
        before writes reported their end, say nothing)."""
        if isinstance(written, StepWritten):
            self.written = (workflow.now(), written.at)

    def timer_for(self, due: datetime) -> timedelta:
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

    def next(self) -> tuple[K | ClockWarning, datetime] | None:
        """The next thing the timer waits for: the earliest due time, or a warning before it."""
        due = self.earliest()
        w = self.warning() if self.warning is not None else None
        if w is not None and (due is None or w.at < due[1]):
            return w, w.at
        return due

    async def next_due(self, changed: Callable[[], bool] | None = None) -> K | ClockWarning | None:
        """Wait until the earliest clock runs out (or its warning is due) and answer it; answer
        None as soon as the clocks change first (a step moved them, or the case stopped): the
        caller looks again. ``changed`` replaces the default test "the earliest clock is
        another one" (kept for histories recorded when a project re-armed its timer at every
        step)."""
        armed = self.next()

        def moved() -> bool:
            return self.stopped() or self.next() != armed

        wake = changed or moved
        if armed is None:
            await workflow.wait_condition(wake)
            return None
        clock, due = armed
        if isinstance(clock, ClockWarning):
            summary = f"{clock.clock} warning {round(clock.point * 100)}%"
        else:
            summary = f"{clock.value} deadline"
        if due > workflow.now():
            try:
                await workflow.wait_condition(wake, timeout=self.timer_for(due), timeout_summary=summary)
                return None
            except TimeoutError:
                pass
        return clock


@dataclass(frozen=True)
class Family(Generic[S, V]):
    """A family of case as its workflow needs it (the rules are the family's, in models/)."""

    #: every human step: its typed input, its guards, its transition (models/<family>/steps.py)
    steps: Mapping[Any, StepRule[Any, S]]
    #: the family's apply_step (the transition of its table, as the family's Outcome)
    apply: Callable[[Any, Any, S, datetime], Outcome[S]]
    view: Callable[[S], V]
    view_type: type[V]
    #: the update an intake's update-with-start waits on (histories name it)
    registration: str
    #: what the case is called until it is registered ("the complaint is still being registered")
    noun: str
    #: issue 14: the state with its clock accounts brought up to date after an outcome (given
    #: the clock that fired, if one did): models/<family>/clocks.py ``account``
    account: Callable[[S, str | None, datetime], S] | None = None
    #: issue 14: the next warning before a breach, and what giving it does
    warning: Callable[[S], ClockWarning | None] | None = None
    apply_warning: Callable[[ClockWarning, S, datetime], Outcome[S]] | None = None


class CaseWorkflow(Generic[S, V]):
    """The base of every case workflow. A subclass sets ``family`` (its steps become its
    updates when the class is made), sets ``state`` through ``start_case`` in its
    ``@workflow.init``, and implements ``record`` (what its one activity writes) and ``show``."""

    family: ClassVar[Family[Any, Any]]
    state: S
    #: a long-lived case continues as new once its history holds this many events
    history_limit: int
    #: why the start is refused (not proven to come through the API: infra/proofs.py)
    refused: str | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        family = cls.__dict__.get("family")
        if family is None:
            return
        for step, rule in family.steps.items():
            setattr(cls, step.value, step_update(step, rule.input, family.view_type))
        setattr(cls, family.registration, registration_update(family.registration, family.view_type))
        cls.available_steps = available_steps_query()  # type: ignore[attr-defined]
        cls.available_items = available_items_query()  # type: ignore[attr-defined]

    @classmethod
    def update_for(cls, step: StrEnum) -> UpdateMethodMultiParam[[Any, Any], V]:
        """The update of ``step`` (made by ``step_update``), for callers that choose the step at
        run time: ``handle.execute_update(ComplaintWorkflow.update_for(step), inp)``."""
        update = getattr(cls, step.value, None)
        defn = getattr(update, "_defn", None)
        if defn is None or defn.name != step.value:
            raise LookupError(f"{cls.__name__} has no update for step {step.value}")
        return cast("UpdateMethodMultiParam[[Any, Any], V]", update)

    @classmethod
    def registration(cls) -> UpdateMethodMultiParam[[Any], V]:
        """The update an intake's update-with-start waits on (it answers once the case is
        registered)."""
        return cast("UpdateMethodMultiParam[[Any], V]", getattr(cls, cls.family.registration))

    def start_or_continue(self, carried: S | None, new: Callable[[], S], history_limit: int, noun: str) -> None:
        """A long-lived case's start (a project, a customer account): a new case from ``new()``;
        the same case going on when ``carried`` came from its own continue-as-new; refused when a
        state was carried into a start from outside (only a case continues itself)."""
        self.history_limit = history_limit
        if carried is not None and workflow.info().continued_run_id is None:
            self.start_case(carried, registered=False)
            self.refused = f"{noun} are started through the API, and continue only by themselves"
        elif carried is not None:  # continued as new: the same case goes on
            self.start_case(carried, registered=True)
        else:
            self.start_case(new(), registered=False)

    async def continue_if_long(self, inp: BaseModel, carry: Callable[[S], S]) -> None:
        """Before the history grows large (the server suggests it, or it holds ``history_limit``
        events), continue as new with the whole state (``carry``: the state the next run starts
        from): every handler finished, nothing half-applied travels to the next run."""
        info = workflow.info()
        if not (info.is_continue_as_new_suggested() or info.get_current_history_length() >= self.history_limit):
            return
        await workflow.wait_condition(workflow.all_handlers_finished)
        async with self.lock:
            workflow.continue_as_new(inp.model_copy(update={"state": carry(self.state)}))

    def show_case(
        self,
        updates: Sequence[SearchAttributeUpdate[Any]],
        next_due: datetime | None,
        details: str,
        accounts: Sequence[ClockAccount],
    ) -> None:
        """What supervisors see in the Temporal UI, the same way for every family: the clocks in
        breach and the next warning (issue 14, once this run gives warnings; ``accounts``: the
        case's clock accounts), the family's own search attributes, ``NextDueAt``, and the
        current details."""
        clocks: list[SearchAttributeUpdate[Any]] = []
        if self.warnings_on:
            w = self.next_warning()
            clocks = sa.clock_updates(in_breach(accounts), w.at if w else None)
        due = sa.NEXT_DUE_AT.value_set(next_due) if next_due else sa.NEXT_DUE_AT.value_unset()
        sa.upsert_changed([*clocks, *updates, due])
        workflow.set_current_details(details)

    async def run_out(
        self,
        clock: Any,
        due_of: Callable[[S], datetime | None],
        apply: Callable[[Any, S, datetime], Outcome[S]],
    ) -> None:
        """A clock's timer ran out: once the case's lock is held, if the clock still stands and
        is due (``due_of``: its due time in the state, None when it no longer runs), commit what
        it does (``apply``, the family's ``apply_clock``)."""
        async with self.lock:
            due = due_of(self.state)
            if due is None or due > workflow.now():
                return
            await self.commit(apply(clock, self.state, workflow.now()))

    def start_case(self, state: S, registered: bool) -> None:
        self.state = state
        self.registered = registered
        #: issue 14: warnings and the clock search attributes (behind CLOCK_WARNINGS)
        self.warnings_on = False
        self.refused = None
        self.lock = asyncio.Lock()

    # --- the family's hooks -----------------------------------------------------------------

    def check(self, step: Any, inp: Any) -> Refusal | None:
        """The step's guards, in the order of the family's table (then its timed guards, at the
        workflow's time): the first refusal wins."""
        return step_refusal(self.family.steps[step], inp, self.state, workflow.now())

    def apply(self, step: Any, inp: Any) -> Outcome[S]:
        return self.family.apply(step, inp, self.state, workflow.now())

    def view(self) -> V:
        return self.family.view(self.state)

    def record(self, out: Outcome[S], event: CaseEvent) -> tuple[Callable[..., Any], BaseModel]:
        """The family's one write activity and what it writes for ``out`` (whose event is
        ``event``); the kernel runs it as a local activity, idempotent on the event's seq."""
        raise NotImplementedError

    def show(self) -> None:
        """Search attributes and current details: what supervisors see in the Temporal UI."""
        raise NotImplementedError

    def adopted(self, written: StepWritten | bool) -> None:
        """Called once an outcome is written and adopted (the clock notes the write's end)."""

    # --- shared behaviour -------------------------------------------------------------------

    async def registered_view(self) -> V:
        """Returns once the case is registered: the intake's update-with-start waits on this.
        A start refused (``refuse_start``) fails it with the reason."""
        await workflow.wait_condition(lambda: self.registered or self.refused is not None)
        if self.refused is not None:
            refuse(Refusal("forbidden", self.refused))
        return self.view()

    async def refuse_start(self, reason: str) -> V:
        """End a run whose start is not proven to come through the API: nothing was registered
        or written; whoever waits for the registration is refused with ``reason``."""
        self.refused = reason
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def refuse_if_not_allowed(self, step: Any, inp: Any) -> None:
        """The validator of every step (and the check again once the lock is held)."""
        if not self.registered:
            refuse(Refusal("conflict", f"the {self.family.noun} is still being registered"))
        refusal = self.check(step, inp)
        if refusal is not None:
            refuse(refusal)

    async def take_step(self, step: Any, inp: Any) -> V:
        async with self.lock:
            self.refuse_if_not_allowed(step, inp)  # again: another step may have gone first
            await self.commit(self.apply(step, inp))
        return self.view()

    def ask_clock_warnings(self, clock: DeadlineClock[Any]) -> None:
        """Issue 14: at the start of a run, whether this run gives warnings before a breach
        (``CLOCK_WARNINGS``: a history recorded before it gives none)."""
        if self.family.warning is not None and workflow.patched(CLOCK_WARNINGS):
            self.warnings_on = True
            warning = self.family.warning
            clock.warning = lambda: warning(self.state)

    def next_warning(self) -> ClockWarning | None:
        if not self.warnings_on or self.family.warning is None:
            return None
        return self.family.warning(self.state)

    async def give_warning(self, w: ClockWarning) -> None:
        """Issue 14: a warning's timer fired: if it is still the next one and due, give it."""
        async with self.lock:
            if self.family.apply_warning is None or self.next_warning() != w or w.at > workflow.now():
                return
            await self.commit(self.family.apply_warning(w, self.state, workflow.now()))

    async def commit(self, out: Outcome[S]) -> None:
        """Write the outcome (its clock accounts brought up to date), then adopt it and tell
        the UI."""
        if self.family.account is not None:
            out.state = self.family.account(out.state, out.clock, workflow.now())
        event = CaseEvent(
            seq=out.state.seq,  # type: ignore[attr-defined]
            kind=out.kind,
            actor_id=out.actor_id,
            at=workflow.now(),
            data=out.data,
            texts=out.texts,
        )
        activity, rec = self.record(out, event)
        written = await workflow.execute_local_activity(activity, rec, **WRITE)
        self.state = out.state
        self.adopted(written)
        self.show()


def refuse_unproven(step: StrEnum, inp: StepInput[Any]) -> None:
    """A person's step must prove it came through the API (infra/proofs.py); checked in the
    validator only, which never runs on replay."""
    update = workflow.current_update_info()
    assert update is not None
    reason = proofs.VERIFYING.refusal(workflow.info().workflow_id, update.id, step.value, inp, workflow.now())
    if reason is not None:
        refuse(Refusal("forbidden", reason))


def step_update(step: StrEnum, input_type: type[In], view_type: type[V]) -> UpdateMethodMultiParam[[Any, In], V]:
    """One human step as a Temporal update named after the step, taking ``input_type``, with a
    validator that refuses what the rules refuse before anything enters the history."""

    async def handler(self: CaseWorkflow[Any, V], inp: In) -> V:
        return await self.take_step(step, inp)

    def validator(self: CaseWorkflow[Any, V], inp: In) -> None:
        refuse_unproven(step, inp)
        self.refuse_if_not_allowed(step, inp)

    handler.__name__ = step.value
    handler.__annotations__ = {"inp": input_type, "return": view_type}
    validator.__name__ = f"_{step.value}_allowed"
    validator.__annotations__ = {"inp": input_type, "return": None}
    update = workflow.update(name=step.value)(handler)
    update.validator(validator)
    return cast("UpdateMethodMultiParam[[Any, In], V]", update)


def available_steps_query() -> Callable[[Any, StaffRef], list[str]]:
    """Issue 18: the query ``available_steps``: the steps a staff member may take on the case
    now (models.case.available_steps: the guards, without a body). A query: nothing is
    recorded, no history changes; the console shows exactly these actions."""

    def handler(self: CaseWorkflow[Any, Any], actor: StaffRef) -> list[str]:
        if not self.registered or self.refused is not None:
            return []
        return available_steps(self.family.steps, actor, self.state, workflow.now())

    handler.__name__ = "available_steps"
    # resolved types (a string annotation would leave the argument a dict)
    handler.__annotations__ = {"actor": StaffRef, "return": list[str]}
    return cast("Callable[[Any, StaffRef], list[str]]", workflow.query(name="available_steps")(handler))


def available_items_query() -> Callable[[Any, ItemProbe], list[str]]:
    """Issue 18: the query ``available_items``: which of a case's items (an expense waiting for
    a decision) a staff member may take a step on now (models.case.available_items)."""

    def handler(self: CaseWorkflow[Any, Any], probe: ItemProbe) -> list[str]:
        if not self.registered or self.refused is not None:
            return []
        actor = StaffRef.model_validate(probe.actor)
        return available_items(self.family.steps, probe.model_copy(update={"actor": actor}), self.state, workflow.now())

    handler.__name__ = "available_items"
    handler.__annotations__ = {"probe": ItemProbe, "return": list[str]}
    return cast("Callable[[Any, ItemProbe], list[str]]", workflow.query(name="available_items")(handler))


def registration_update(name: str, view_type: type[V]) -> UpdateMethodMultiParam[[Any], V]:
    """The update an intake's update-with-start waits on: it returns once the case is
    registered (``name`` is the family's: histories name it)."""

    async def handler(self: CaseWorkflow[Any, V]) -> V:
        return await self.registered_view()

    handler.__name__ = name
    handler.__annotations__ = {"return": view_type}
    return cast("UpdateMethodMultiParam[[Any], V]", workflow.update(name=name)(handler))
