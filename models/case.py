"""The case kernel: what every family of case (complaints, client projects, and the families to
come) shares, as plain shapes and functions. No Temporal, no database, no clock.

A family of case is a folder of rules under ``models/`` (vocabulary, messages, state, guards,
steps, clocks, views) and a thin workflow. Its rules plug into this kernel:

- a human step is a ``StepRule``: the typed input of its update, the guards that may refuse it
  (a ``Refusal``: ``forbidden`` → 403, ``conflict`` → 409) and the transition that applies it;
- every transition answers an ``Outcome``: the new state and what to write down (the event, the
  notifications, accountability records), written by one activity in one transaction;
- a case's clocks are named due times; the earliest one is what its workflow's timer waits for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from models.calendar import BusinessCalendar
from models.confidential import Confidential, Text
from models.staff import StaffRef


class Strict(BaseModel):
    """A body a person sends: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class DecisionBody(Strict):
    """An approval or a refusal, with an optional note (CP-12, ND-03, ND-04, ND-10)."""

    approved: bool
    note: Text | None = None


B = TypeVar("B", bound=BaseModel)


class TermsBody(Strict):
    """Issue 14: new terms for an open case, applied on purpose (``starter.cli apply-calendar``):
    the business calendar it keeps from now on, such as one with next year's holidays."""

    calendar: BusinessCalendar


def due_changes(old: Mapping[str, datetime | None], new: Mapping[str, datetime | None]) -> dict[str, Any]:
    """What a change of terms did to a case's clocks: each running clock's due time before and
    after (ISO 8601), for the event that records the change."""

    def iso(d: datetime | None) -> str | None:
        return d.isoformat() if d is not None else None

    clocks = [c for c in old if old[c] is not None or new.get(c) is not None]
    return {"old_due": {c: iso(old[c]) for c in clocks}, "new_due": {c: iso(new.get(c)) for c in clocks}}


class StepProof(BaseModel):
    """Proof that a step came through the API (infra/proofs.py): an HMAC under the step key
    ``key_id`` over the workflow id, the update id, the step, the actor and the body, valid
    until ``expires_at``."""

    key_id: str
    expires_at: datetime
    mac: str


class CaseInput(BaseModel):
    """A case workflow's input. ``proof``: the API's Temporal client proves that the person
    starting the case (``acting_staff_id``) came through it; the workflow's first activity
    checks the proof, and a start without a valid one registers nothing (infra/proofs.py)."""

    id: str
    proof: StepProof | None = None

    def acting_staff_id(self) -> str:
        raise NotImplementedError


class StepInput(BaseModel, Generic[B]):
    """What a step's update carries: who acts and the step's typed body. Each family adds what
    its steps resolve before they reach the workflow (staff chains, an expense's id). The same
    type is the API's, the update handler's and its validator's. ``proof``: added by the API's
    Temporal client; a step without a valid one is refused (histories recorded before proofs
    have none: validators do not run on replay)."""

    actor: StaffRef
    body: B
    proof: StepProof | None = None


# --- what a step or a clock produces ------------------------------------------------------


class Notification(BaseModel):
    """A message to a staff member's inbox, or to the complainant (recipient_id None). Its
    text may quote people: confidential."""

    recipient_kind: str  # "staff" | "complainant"
    recipient_id: str | None
    kind: str
    message: Confidential
    channel: str | None = None


class Accountability(BaseModel):
    """CP-13: an accountability record written for a staff member."""

    staff_id: str
    role: str
    reason: str


class CaseEvent(BaseModel):
    """One line of a case's history: what happened, who did it, when. ``data`` is plain (ids,
    enums, amounts, dates); what people wrote goes in ``texts``, confidential (the database
    keeps both in the event's data)."""

    seq: int
    kind: str
    actor_id: str | None
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)
    texts: dict[str, Confidential | None] = Field(default_factory=dict)

    def stored_data(self) -> dict[str, Any]:
        """What the database keeps of the event: its data and its texts."""
        return self.data | self.texts


class StepWritten(BaseModel):
    """What a step's write answers: whether this attempt wrote, and when the write ended (by the
    worker's clock). Recorded in the history with the result, so the workflow may count a clock
    it arms after the write from then: a timer starts only when the workflow task that asked
    for it completes, after the write."""

    wrote: bool
    at: datetime


@dataclass(frozen=True)
class Refusal:
    """Why a step is not allowed: ``forbidden`` (403, who), ``conflict`` (409, when) or
    ``invalid`` (422, what: the body names something that cannot be, such as a month of supply
    still in the future)."""

    kind: Literal["forbidden", "conflict", "invalid"]
    reason: str


S = TypeVar("S")


@dataclass
class Outcome(Generic[S]):
    """What a transition produced: the new state and what to write down."""

    state: S
    kind: str
    actor_id: str | None
    data: dict[str, Any] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    accountability: list[Accountability] = field(default_factory=list)
    #: what people wrote, recorded with the event (confidential: CaseEvent.texts)
    texts: dict[str, str | None] = field(default_factory=dict)
    #: the clock whose timer ran out, when a clock produced this outcome (issue 14: accounts)
    clock: str | None = None


def staff_notes(people: Iterable[StaffRef | str | None], kind: str, message: str) -> list[Notification]:
    """One inbox message per staff member named (each once, in order; None skipped)."""
    seen: list[str] = []
    for p in people:
        if p is None:
            continue
        pid = p if isinstance(p, str) else p.id
        if pid not in seen:
            seen.append(pid)
    return [Notification(recipient_kind="staff", recipient_id=pid, kind=kind, message=message) for pid in seen]


# --- steps as a table ---------------------------------------------------------------------

In = TypeVar("In", bound=StepInput[Any])
St = TypeVar("St")


@dataclass(frozen=True)
class Change:
    """What a step's transition says beyond the state it changed in place: plain ``data``, the
    notifications, and ``texts``, what people wrote that the event keeps (confidential)."""

    data: dict[str, Any] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    texts: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRule(Generic[In, St]):
    """One human step of a family: its update's input type, the guards that may refuse it (in
    order: the first refusal wins) and its transition, which changes a copy of the state in
    place and says what to record. ``timed`` guards run after ``guards`` and also read the
    current time (the workflow's ``now``): what depends on today, such as a month not yet come."""

    input: type[In]
    guards: Sequence[Callable[[In, St], Refusal | None]]
    transition: Callable[[In, St, datetime], Change]
    timed: Sequence[Callable[[In, St, datetime], Refusal | None]] = ()

    @property
    def body(self) -> type[BaseModel]:
        """The type of the step's body (what the API takes as the request body)."""
        annotation = self.input.model_fields["body"].annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
        return annotation


def first_refusal(guards: Sequence[Callable[[In, St], Refusal | None]], inp: In, state: St) -> Refusal | None:
    for guard in guards:
        refusal = guard(inp, state)
        if refusal is not None:
            return refusal
    return None


def step_refusal(rule: StepRule[In, St], inp: In, state: St, now: datetime) -> Refusal | None:
    """The first refusal of a step's guards, then of its timed guards (None: allowed)."""
    refusal = first_refusal(rule.guards, inp, state)
    if refusal is not None:
        return refusal
    for guard in rule.timed:
        refusal = guard(inp, state, now)
        if refusal is not None:
            return refusal
    return None


def probing(inp: Any) -> bool:
    """Whether ``inp`` is a probe (``probe_input``): the caller and the case, no body yet. A
    guard that needs what the body names (a handler, an owner, counts) lets a probe pass: the
    body decides once there is one."""
    return getattr(inp, "body", None) is None


def probe_input(rule: StepRule[Any, Any], actor: Any) -> Any:
    """The step's input with ``actor`` and nothing else (no body: ``probing``)."""
    return rule.input.model_construct(actor=actor, body=None)


def probe_refusal(rule: StepRule[In, St], inp: In, state: St, now: datetime) -> Refusal | None:
    """``step_refusal`` for a probe: a guard that reads the body it does not have (an
    AttributeError or TypeError on None) passes, as the body decides."""
    for guard in rule.guards:
        try:
            refusal = guard(inp, state)
        except (AttributeError, TypeError):
            continue
        if refusal is not None:
            return refusal
    for timed in rule.timed:
        try:
            refusal = timed(inp, state, now)
        except (AttributeError, TypeError):
            continue
        if refusal is not None:
            return refusal
    return None


def available_steps(steps: Mapping[Any, StepRule[Any, Any]], actor: Any, state: Any, now: datetime) -> list[str]:
    """Issue 18: the steps ``actor`` may take on the case now, as far as the caller and the
    case decide (what a body names may still be refused: a compensation above the caller's
    level, an unknown handler). The console shows exactly these actions."""
    return [
        step.value for step, rule in steps.items() if probe_refusal(rule, probe_input(rule, actor), state, now) is None
    ]


class ItemProbe(BaseModel):
    """Issue 18: which of a case's items (``values`` of the input's ``field``: the expenses
    waiting for a decision) ``actor`` may take ``step`` on now."""

    actor: Any
    step: str
    field: str
    values: list[str]


def available_items(steps: Mapping[Any, StepRule[Any, Any]], probe: ItemProbe, state: Any, now: datetime) -> list[str]:
    """The values of ``probe`` for which its step passes the guards (without a body)."""
    rule = next((r for s, r in steps.items() if s.value == probe.step), None)
    if rule is None:
        return []
    out = []
    for value in probe.values:
        inp = rule.input.model_construct(actor=probe.actor, body=None, **{probe.field: value})
        if probe_refusal(rule, inp, state, now) is None:
            out.append(value)
    return out


class CaseState(Protocol):
    """What the kernel needs of a family's state: a (pydantic) copy, and ``seq``, the number of
    the case's last event."""

    seq: int

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self: ...


C = TypeVar("C", bound=CaseState)


def take_step(
    rule: StepRule[Any, C],
    kind: str,
    inp: StepInput[Any],
    state: C,
    now: datetime,
    outcome: Callable[..., Outcome[C]] = Outcome,
) -> Outcome[C]:
    """A step its guards allowed: its transition changes a deep copy of ``state`` (never the
    state itself), the copy's ``seq`` counts the step, and the outcome (``outcome``: the
    family's own class, if it has one) records it as ``kind`` by the actor."""
    s = state.model_copy(deep=True)
    change = rule.transition(inp, s, now)
    s.seq += 1
    out = outcome(s, kind, inp.actor.id, change.data, change.notifications)
    out.texts = dict(change.texts)
    return out


def earliest(dues: Mapping[Any, datetime | None]) -> tuple[Any, datetime] | None:
    """The clock that runs out first, if any runs at all (ties: the first named)."""
    pending = [(due, name) for name, due in dues.items() if due is not None]
    if not pending:
        return None
    due, name = min(pending, key=lambda p: p[0])
    return name, due
