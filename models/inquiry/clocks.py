"""The inquiry's clock (CC-06): the answer is due within ``inquiry_answer_deadline`` of the
receipt (wall or working time, as the policy counts it); warnings before it tell the receiver
(at the last point their leader too); when it runs out unanswered the inquiry is escalated to
the receiver's direct leader, flagged late, and still waits for its answer (no second breach)."""

from __future__ import annotations

from datetime import datetime

from models.case import Outcome, staff_notes
from models.clock import ClockFact, ClockOutcome, ClockWarning, accounts_after, next_warning_under, warn
from models.inquiry.state import InquiryState, direct_leader
from models.inquiry.vocabulary import Clock
from models.staff import StaffRef

InquiryOutcome = Outcome[InquiryState]


def answer_due(s: InquiryState) -> datetime:
    """CC-06: when the answer of an inquiry received at ``s.received_at`` is due."""
    p = s.policy
    return p.due(Clock.answer.value, s.received_at, p.inquiry_answer_deadline)


def next_clock(s: InquiryState) -> tuple[Clock, datetime] | None:
    """The answer clock while it runs: open and not yet run out (a late inquiry waits for its
    answer with no clock: it breaches once)."""
    if not s.open or s.late:
        return None
    return Clock.answer, s.due_at


def _people(s: InquiryState, leader: bool) -> list[StaffRef | None]:
    lead = direct_leader(s) if leader else None
    return [s.receiver, s.assignee, lead]


def apply_clock(clock: Clock, state: InquiryState, now: datetime) -> InquiryOutcome:
    """CC-06: the answer clock ran out unanswered: the inquiry is flagged late and escalated to
    the receiver's direct leader; the receiver (and the assignee) and the leader are told."""
    s = state.model_copy(deep=True)
    s.late = True
    leader = direct_leader(s)
    s.escalated_to = leader.id if leader else None
    notes = staff_notes(
        _people(s, True),
        "inquiry_escalated",
        f"Inquiry {s.id}: no answer within {s.policy.inquiry_answer_deadline} of its receipt; "
        f"due {s.due_at:%Y-%m-%d %H:%M} UTC (CC-06)",
    )
    s.seq += 1
    data = {
        "clock": clock.value,
        "due_at": s.due_at.isoformat(),
        "escalated_to": s.escalated_to,
        "acted_at": now.isoformat(),
        "lateness_seconds": max((now - s.due_at).total_seconds(), 0.0),
    }
    return Outcome(s, "inquiry_escalated", None, data, notes, clock=clock.value)


# --- issue 14: accounts and warnings --------------------------------------------------------


def clock_facts(s: InquiryState) -> dict[str, ClockFact | None]:
    """What the state says of the answer clock: it runs from the receipt; met once answered
    (a late answer fulfils the breach), breached once it ran out."""
    ended = None
    if s.answered_at is not None:
        ended = ClockOutcome.met
    elif s.late:
        ended = ClockOutcome.breached
    fact = ClockFact(s.policy.inquiry_answer_deadline, s.due_at, s.received_at, ended=ended)
    return {Clock.answer.value: fact}


def account(state: InquiryState, fired: str | None, now: datetime) -> InquiryState:
    """Issue 14: the state with its clock accounts brought up to date (a copy)."""
    clocks = accounts_after(state.clocks, clock_facts(state), now, fired, state.policy)
    return state.model_copy(update={"clocks": clocks})


def next_warning_of(state: InquiryState) -> ClockWarning | None:
    """Issue 14: the next warning before the answer is due (none once answered or late)."""
    if not state.open or state.late:
        return None
    return next_warning_under(state.clocks, state.policy)


def apply_warning(w: ClockWarning, state: InquiryState, now: datetime) -> InquiryOutcome:
    """Issue 14 for CC-06: the answer clock reached a warning point: the receiver (and the
    assignee) are told, at the last point the receiver's leader too."""
    s = state.model_copy(deep=True)
    s.clocks = warn(s.clocks, w, now)
    notes = staff_notes(
        _people(s, w.last),
        "clock_warning",
        f"Inquiry {s.id}: {round(w.point * 100)}% of the answer time used; due at {s.due_at:%Y-%m-%d %H:%M} UTC (CC-06)",
    )
    s.seq += 1
    data = {
        "clock": w.clock,
        "point": w.point,
        "warning_at": w.at.isoformat(),
        "due_at": s.due_at.isoformat(),
        "last": w.last,
    }
    return Outcome(s, "clock_warning", None, data, notes)
