"""The client project's clocks (ND-03, ND-05 … ND-09): when each runs out, which runs out
first, how a suspension moves them, and what each does when it runs out. Each is a named
Temporal timer in the workflow; every due time is absolute, so it survives continue-as-new."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.case import Notification, Outcome, earliest, staff_notes
from models.clock import (
    ClockFact,
    ClockOutcome,
    ClockWarning,
    Pause,
    accounts_after,
    is_paused,
    next_warning_under,
    shift_due,
    warn,
)
from models.project.state import ProjectState, officers_in_role, set_flag, supply_standard_met
from models.project.vocabulary import RUNNING_STAGES, Clock, Flag, Progress
from models.staff import Role

#: The state's field holding each clock's due time.
DUE_FIELDS = {
    Clock.budget: "budget_due_at",
    Clock.follow_up: "follow_up_due_at",
    Clock.attention: "attention_due_at",
    Clock.study: "study_due_at",
    Clock.annual_review: "annual_review_due_at",
}


def clock_due(state: ProjectState, clock: Clock) -> datetime | None:
    """When ``clock`` runs out; None when it does not run (not approved, suspended (ND-09),
    closed, or already fired)."""
    if state.stage not in RUNNING_STAGES:
        return None
    return getattr(state, DUE_FIELDS[clock])


def next_clock(state: ProjectState) -> tuple[Clock, datetime] | None:
    """The clock that runs out first, if any runs at all."""
    return earliest({c: clock_due(state, c) for c in Clock})


def postpone_clocks(s: ProjectState, pause: Pause) -> None:
    """ND-09, in place: every clock still set moves later by the time ``pause`` (ended) lasted,
    counted as the clocks count (models.clock.shift_due: the shared pause accounting)."""
    for clock, name in DUE_FIELDS.items():
        due = getattr(s, name)
        if due is not None:
            setattr(s, name, shift_due(due, pause, s.policy.counts(clock.value), s.policy.calendar))


def shift_clocks(state: ProjectState, by: timedelta) -> ProjectState:
    """ND-09: after a suspension every clock still running moves later by the time
    suspended (the 30-day follow-up, the budget and the 3/6/12-month milestones). Returns a
    copy."""
    s = state.model_copy(deep=True)
    start = min((d for n in DUE_FIELDS.values() if (d := getattr(s, n)) is not None), default=s.created_at)
    postpone_clocks(s, Pause(since=start, until=start + by, kind="suspension"))
    return s


def stop_clocks(s: ProjectState) -> None:
    """In place: no clock runs any more (the project closed)."""
    for name in DUE_FIELDS.values():
        setattr(s, name, None)


def apply_clock(clock: Clock, state: ProjectState, now: datetime) -> Outcome[ProjectState]:
    """What a clock does when it runs out."""
    s = state.model_copy(deep=True)
    due = clock_due(state, clock)
    data: dict[str, Any] = {"clock": clock.value, "due_at": due.isoformat() if due else None}
    notes: list[Notification] = []
    deputies = officers_in_role(s, Role.deputy_leader)
    group = officers_in_role(s, Role.review_group)

    if clock is Clock.budget:  # ND-03
        s.budget_due_at = None
        set_flag(s, Flag.budget_overdue, True)
        kind = "budget_overdue"
        notes = staff_notes(
            [*deputies, *s.implementers], "budget_overdue", f"Project {s.id}: no budget within the deadline (ND-03)"
        )
    elif clock is Clock.follow_up:  # ND-05
        s.follow_up_lapses += 1
        set_flag(s, Flag.follow_up_overdue, True)
        assert s.follow_up_due_at is not None
        s.follow_up_due_at = s.policy.due("follow_up", s.follow_up_due_at, s.policy.follow_up_interval)  # re-armed
        kind = "follow_up_lapsed"
        data |= {"lapses": s.follow_up_lapses, "next_due_at": s.follow_up_due_at.isoformat()}
        notes = staff_notes(
            [*s.implementers, *deputies],
            "follow_up_overdue",
            f"Project {s.id}: no follow-up record for {s.policy.follow_up_interval.days} days (ND-05)",
        )
    elif clock is Clock.attention:  # ND-06
        s.attention_due_at = None
        if s.progress is Progress.none:
            set_flag(s, Flag.special_attention, True)
            kind = "special_attention"
            notes = staff_notes(group, "special_attention", f"Project {s.id}: no progress since approval (ND-06)")
        else:
            kind = "attention_checked"
        data["progress"] = s.progress.value
    elif clock is Clock.study:  # ND-07
        s.study_due_at = None
        if s.breakthrough_at is None:
            set_flag(s, Flag.special_study, True)
            s.study_pending = True
            kind = "special_study"
            notes = staff_notes(
                group, "special_study", f"Project {s.id}: no breakthrough; decide to continue or terminate (ND-07)"
            )
        else:
            kind = "study_checked"
    else:  # ND-08
        s.annual_review_due_at = None
        if not supply_standard_met(s):
            set_flag(s, Flag.annual_review, True)
            s.annual_pending = True
            kind = "annual_review"
            notes = staff_notes(
                s.implementers,
                "annual_report_due",
                f"Project {s.id}: standard not reached in a year; submit the written report (ND-08)",
            )
            notes += staff_notes(group, "annual_review", f"Project {s.id}: annual review due (ND-08)")
        else:
            kind = "annual_checked"
    if due is not None:  # issue 14: the lateness of the firing
        data |= {"acted_at": now.isoformat(), "lateness_seconds": max((now - due).total_seconds(), 0.0)}
    s.seq += 1
    return Outcome(s, kind, None, data, notes, clock=clock.value)


# --- issue 14: accounts and warnings --------------------------------------------------------

#: The flag a clock raises when it runs out unmet (a milestone checked and met raises none).
BREACH_FLAGS = {
    Clock.budget: Flag.budget_overdue,
    Clock.attention: Flag.special_attention,
    Clock.study: Flag.special_study,
    Clock.annual_review: Flag.annual_review,
}


def _allowed(s: ProjectState, clock: Clock) -> timedelta:
    p = s.policy
    return {
        Clock.budget: p.budget_deadline,
        Clock.follow_up: p.follow_up_interval,
        Clock.attention: p.attention_after,
        Clock.study: p.study_after,
        Clock.annual_review: p.annual_review_after,
    }[clock]


def clock_facts(s: ProjectState) -> dict[str, ClockFact | None]:
    """What the state says of each clock now. A project keeps absolute due times (they survive
    continue-as-new): a run restarts when its due time moves but for a suspension; one whose
    due time is cleared has ended (breached when it raised its flag, met otherwise, stopped
    when the project closed)."""
    facts: dict[str, ClockFact | None] = {}
    for clock, name in DUE_FIELDS.items():
        due = getattr(s, name)
        if due is not None and s.open:
            facts[clock.value] = ClockFact(_allowed(s, clock), due, None, s.pauses)
        elif s.approved_at is None:
            facts[clock.value] = None
        else:
            flag = BREACH_FLAGS.get(clock)
            if not s.open:
                ended = ClockOutcome.stopped
            elif flag is not None and flag in s.flags:
                ended = ClockOutcome.breached
            else:
                ended = ClockOutcome.met
            facts[clock.value] = ClockFact(_allowed(s, clock), None, None, s.pauses, ended=ended)
    return facts


def account(state: ProjectState, fired: str | None, now: datetime) -> ProjectState:
    """Issue 14: the state with its clock accounts brought up to date (a copy)."""
    clocks = accounts_after(state.clocks, clock_facts(state), now, fired, state.policy)
    return state.model_copy(update={"clocks": clocks})


def next_warning_of(state: ProjectState) -> ClockWarning | None:
    """Issue 14: the next warning to give (never of a clock met, ended or paused: ND-09)."""
    if not state.open or is_paused(state.pauses) or state.stage not in RUNNING_STAGES:
        return None
    return next_warning_under(state.clocks, state.policy)


def apply_warning(w: ClockWarning, state: ProjectState, now: datetime) -> Outcome[ProjectState]:
    """Issue 14: a clock reached a warning point: the implementers are told (at the last point
    the deputy leaders too); recorded as a ``clock_warning`` event with the clock and the point."""
    s = state.model_copy(deep=True)
    s.clocks = warn(s.clocks, w, now)
    due = clock_due(s, Clock(w.clock))
    people = [*s.implementers, *(officers_in_role(s, Role.deputy_leader) if w.last else [])]
    when = f" at {due:%Y-%m-%d %H:%M} UTC" if due else ""
    notes = staff_notes(
        people, "clock_warning", f"Project {s.id}: {round(w.point * 100)}% of the {w.clock} time used; due{when}"
    )
    s.seq += 1
    data = {
        "clock": w.clock,
        "point": w.point,
        "warning_at": w.at.isoformat(),
        "due_at": due.isoformat() if due else None,
        "last": w.last,
    }
    return Outcome(s, "clock_warning", None, data, notes)
