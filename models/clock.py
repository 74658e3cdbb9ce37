"""Clocks as every family keeps them (issue 14): pauses, warnings before a breach, and the
account of every run of every clock. Pure functions over pydantic models; no Temporal, no I/O.

- ``Pause``: a clock stopped (a complaint waiting for the customer, a project suspended,
  ND-09) and restarted. ``run_due`` and ``shift_due`` move due times later by exactly the time
  paused, counted through ``models.calendar`` (``due_at``/``elapsed``), so a clock in working
  time moves by working time once the calendar counts it.
- ``ClockAccount``: one run of one clock: started, allowed, due, each pause and resume, each
  warning, met / breached / stopped and when, the time used, and the lateness of the firing
  (when the workflow acted minus the due time). A family says what its clocks are now
  (``ClockFact``, from its state) and ``reconcile`` keeps the accounts in step with it after
  every outcome.
- Warnings: a policy's points (fractions of the allowed time) per clock; ``next_warning`` is the
  earliest point not yet fired of a clock that runs (never a clock met, ended or paused).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, Field

from models.calendar import BusinessCalendar, ClockTime, due_at, elapsed


class Pause(BaseModel):
    """A clock stopped at ``since`` and restarted at ``until`` (None: still stopped). Ids and
    times only: the reason people give is a text of the event that paused it."""

    since: datetime
    until: datetime | None = None
    #: "customer" (a complaint waiting on the customer) | "suspension" (ND-09)
    kind: str
    by: str | None = None
    resumed_by: str | None = None
    #: the wait itself ran out (a complaint's ``max_customer_wait``) before it ended
    overdue: bool = False

    @property
    def open(self) -> bool:
        return self.until is None


def is_paused(pauses: Sequence[Pause]) -> bool:
    return bool(pauses) and pauses[-1].until is None


def pauses_since(pauses: Iterable[Pause], start: datetime) -> list[Pause]:
    """The pauses of a run started at ``start`` (a run keeps none of an earlier one's)."""
    return [p for p in pauses if p.since >= start]


def used_time(
    start: datetime,
    pauses: Sequence[Pause],
    end: datetime,
    counts: ClockTime = ClockTime.wall,
    cal: BusinessCalendar | None = None,
) -> timedelta:
    """The time a clock started at ``start`` counted until ``end``: all of it but its pauses."""
    total = elapsed(start, end, counts, cal)
    for p in pauses:
        total -= elapsed(max(p.since, start), min(p.until or end, end), counts, cal)
    return max(total, timedelta(0))


def run_due(
    start: datetime,
    allowed: timedelta,
    pauses: Sequence[Pause],
    counts: ClockTime = ClockTime.wall,
    cal: BusinessCalendar | None = None,
) -> datetime | None:
    """When a clock started at ``start`` with ``allowed`` runs out, its pauses counted out (None
    while it is paused): in wall time ``start + allowed + the time paused``."""
    if is_paused(pauses):
        return None
    if not pauses:
        return due_at(start, allowed, counts, cal)
    restarted = pauses[-1].until
    assert restarted is not None
    left = allowed - used_time(start, pauses, restarted, counts, cal)
    return due_at(restarted, max(left, timedelta(0)), counts, cal)


def shift_due(
    due: datetime, pause: Pause, counts: ClockTime = ClockTime.wall, cal: BusinessCalendar | None = None
) -> datetime:
    """A due time kept absolute (a project's, ND-09) once ``pause`` ended: what was left of it
    when the pause began is left when it ends (in wall time: later by exactly the time paused)."""
    assert pause.until is not None
    if due > pause.since:
        return due_at(pause.until, elapsed(pause.since, due, counts, cal), counts, cal)
    return due_at(due, elapsed(pause.since, pause.until, counts, cal), counts, cal)


# --- warnings ------------------------------------------------------------------------------


def warning_points(value: Sequence[float]) -> list[float]:
    """A policy's warning points: fractions of the allowed time, strictly between 0 and 1,
    sorted, each once."""
    points = sorted(set(value))
    for p in points:
        if not 0 < p < 1:
            raise ValueError(f"a warning point is a fraction of the allowed time, between 0 and 1: {p}")
    return points


class Warned(BaseModel):
    """A warning that fired: its point, when it was due and when the workflow gave it."""

    point: float
    due_at: datetime
    at: datetime


@dataclass(frozen=True)
class ClockWarning:
    """The next warning to give: ``clock`` at ``point`` of its allowed time, due ``at``."""

    clock: str
    point: float
    at: datetime
    last: bool


# --- accounts ------------------------------------------------------------------------------


class ClockOutcome(StrEnum):
    running = "running"
    paused = "paused"
    met = "met"
    breached = "breached"
    #: no longer needed before it ran out (the case closed, or was reopened)
    stopped = "stopped"


ENDED = (ClockOutcome.met, ClockOutcome.breached, ClockOutcome.stopped)


class ClockAccount(BaseModel):
    """One run of one clock, accounted: GET /complaints/{id}/clocks and
    GET /client-projects/{id}/clocks show these; the ``case_clock`` table keeps them."""

    clock: str
    started_at: datetime
    allowed: timedelta
    #: when it runs out (its last due time once it ended; None while paused)
    due_at: datetime | None
    outcome: ClockOutcome = ClockOutcome.running
    pauses: list[Pause] = Field(default_factory=list)
    warnings: list[Warned] = Field(default_factory=list)
    #: met, breached (the workflow acted) or stopped at
    ended_at: datetime | None = None
    #: a breached clock's obligation done late (the plan recorded after its deadline)
    fulfilled_at: datetime | None = None
    #: the time it counted, its pauses out (set when it ends)
    used: timedelta | None = None
    #: a breach: when the workflow acted minus the due time
    lateness: timedelta | None = None

    @property
    def open(self) -> bool:
        return self.outcome not in ENDED

    @property
    def in_breach(self) -> bool:
        return self.outcome is ClockOutcome.breached and self.fulfilled_at is None


@dataclass(frozen=True)
class ClockFact:
    """What a family's state says of one clock now. ``started_at`` names the run (None: a clock
    kept as an absolute due time, whose run restarts when its due time moves but for a pause);
    ``due`` its due time (the last one it had, also while paused); ``ended`` once it no longer
    runs (met, breached or stopped)."""

    allowed: timedelta
    due: datetime | None
    started_at: datetime | None = None
    pauses: Sequence[Pause] = field(default_factory=tuple)
    ended: ClockOutcome | None = None


def _open_account(accounts: list[ClockAccount], clock: str) -> ClockAccount | None:
    for a in reversed(accounts):
        if a.clock == clock:
            return a if a.open else None
    return None


def last_account(accounts: Sequence[ClockAccount], clock: str) -> ClockAccount | None:
    for a in reversed(accounts):
        if a.clock == clock:
            return a
    return None


def end_account(
    a: ClockAccount,
    outcome: ClockOutcome,
    now: datetime,
    counts: ClockTime = ClockTime.wall,
    cal: BusinessCalendar | None = None,
) -> None:
    """In place: the run ends ``outcome`` at ``now`` (a breach: late by now minus its due time);
    the time it used is counted as the clock counts (wall or working time)."""
    a.outcome, a.ended_at = outcome, now
    a.used = used_time(a.started_at, a.pauses, now, counts, cal)
    if outcome is ClockOutcome.breached and a.due_at is not None:
        a.lateness = max(now - a.due_at, timedelta(0))


def _closed(pauses: Iterable[Pause]) -> int:
    return sum(1 for p in pauses if p.until is not None)


def reconcile(
    accounts: Sequence[ClockAccount],
    facts: Mapping[str, ClockFact | None],
    now: datetime,
    fired: str | None = None,
    counts: Callable[[str], ClockTime] = lambda _: ClockTime.wall,
    cal: BusinessCalendar | None = None,
) -> list[ClockAccount]:
    """The accounts after an outcome, from what the state now says of each clock (``facts``;
    None: the clock does not run). ``fired``: the clock whose timer ran out in this outcome (a
    clock that re-arms itself, such as a project's follow-up, is breached, then runs again).
    ``counts``/``cal``: what each clock counts (the time used is counted so). Returns a copy; the
    accounts given are not changed."""
    out = [a.model_copy(deep=True) for a in accounts]
    for clock, f in facts.items():
        cur = _open_account(out, clock)
        if f is None or (f.ended is not None and cur is None):
            if cur is not None:
                end_account(cur, ClockOutcome.stopped, now, counts(clock), cal)
            last = last_account(out, clock)
            if f is not None and f.ended is ClockOutcome.met and last is not None and last.in_breach:
                last.fulfilled_at = now
            continue
        if cur is not None:
            if f.started_at is not None:
                restarted = f.started_at != cur.started_at
            else:
                moved = f.due is not None and f.due != cur.due_at
                resumed = _closed(pauses_since(f.pauses, cur.started_at)) > _closed(cur.pauses)
                restarted = moved and not resumed and f.ended is None
            if restarted:
                outcome = ClockOutcome.breached if clock == fired else ClockOutcome.met
                end_account(cur, outcome, now, counts(clock), cal)
                cur = None
        if cur is None:
            if f.ended is not None or f.due is None:
                continue
            start = f.started_at or now
            cur = ClockAccount(clock=clock, started_at=start, allowed=f.allowed, due_at=f.due)
            out.append(cur)
        cur.pauses = [p.model_copy() for p in pauses_since(f.pauses, cur.started_at)]
        if f.due is not None:
            cur.due_at = f.due
        cur.outcome = ClockOutcome.paused if is_paused(cur.pauses) else ClockOutcome.running
        if f.ended is not None:
            end_account(cur, f.ended, now, counts(clock), cal)
    return out


def next_warning(
    accounts: Sequence[ClockAccount],
    points: Mapping[str, Sequence[float]],
    counts: Callable[[str], ClockTime] = lambda _: ClockTime.wall,
    cal: BusinessCalendar | None = None,
) -> ClockWarning | None:
    """The earliest warning not yet given of a clock that runs (not paused, not ended): the
    point of its allowed time, its pauses counted out, in the time the clock counts."""
    best: ClockWarning | None = None
    for a in accounts:
        if a.outcome is not ClockOutcome.running:
            continue
        given = {w.point for w in a.warnings}
        wanted = list(points.get(a.clock, ()))
        for p in wanted:
            if p in given:
                continue
            at = run_due(a.started_at, a.allowed * p, a.pauses, counts(a.clock), cal)
            if at is not None and (best is None or at < best.at):
                best = ClockWarning(a.clock, p, at, last=p == wanted[-1])
            break  # the points come in order: only the first not given is next
    return best


def warn(accounts: Sequence[ClockAccount], w: ClockWarning, now: datetime) -> list[ClockAccount]:
    """The accounts once ``w`` was given at ``now``. Returns a copy."""
    out = [a.model_copy(deep=True) for a in accounts]
    a = _open_account(out, w.clock)
    if a is not None:
        a.warnings.append(Warned(point=w.point, due_at=w.at, at=now))
    return out


def in_breach(accounts: Sequence[ClockAccount]) -> list[str]:
    """The clocks whose last run ran out and whose obligation is not done yet."""
    names = list(dict.fromkeys(a.clock for a in accounts))
    return [n for n in names if (a := last_account(accounts, n)) is not None and a.in_breach]


def _at(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC"


def clocks_running(accounts: Sequence[ClockAccount]) -> list[str]:
    """For the current details (ids, kinds and times only): each clock that runs, until when,
    the earliest first, and each paused one, since when."""
    running = sorted((a for a in accounts if a.outcome is ClockOutcome.running and a.due_at), key=lambda a: a.due_at)  # type: ignore[arg-type, return-value]
    out = [f"{a.clock} until {_at(a.due_at)}" for a in running if a.due_at]
    out += [f"{a.clock} paused since {_at(a.pauses[-1].since)}" for a in accounts if a.outcome is ClockOutcome.paused]
    return out


def clocks_overdue(accounts: Sequence[ClockAccount]) -> list[str]:
    """For the current details: each clock in breach, and since when it is overdue."""
    out = []
    for name in in_breach(accounts):
        a = last_account(accounts, name)
        if a is not None and a.due_at is not None:
            out.append(f"{name} since {_at(a.due_at)}")
    return out


class ClockTerms(Protocol):
    """What a family's policy says of its clocks: what each counts, the case's calendar, and
    each clock's warning points (models.policy)."""

    @property
    def calendar(self) -> BusinessCalendar | None: ...

    def counts(self, clock: str) -> ClockTime: ...

    def warning_points(self) -> dict[str, list[float]]: ...


def accounts_after(
    accounts: Sequence[ClockAccount],
    facts: Mapping[str, ClockFact | None],
    now: datetime,
    fired: str | None,
    terms: ClockTerms,
) -> list[ClockAccount]:
    """``reconcile`` under a family's terms (what each clock counts, its calendar)."""
    return reconcile(accounts, facts, now, fired, terms.counts, terms.calendar)


def next_warning_under(accounts: Sequence[ClockAccount], terms: ClockTerms) -> ClockWarning | None:
    """``next_warning`` under a family's terms (its warning points, what each clock counts)."""
    return next_warning(accounts, terms.warning_points(), terms.counts, terms.calendar)
