"""The complaint's clocks (CP-08, CP-10, CP-13, CP-16): which one runs out first, and what
each does when it runs out. Each is a named Temporal timer in the workflow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.case import Accountability, Notification, earliest, staff_notes
from models.clock import ClockFact, ClockOutcome, ClockWarning, accounts_after, next_warning_under, warn
from models.complaint.guards import crisis_leads, without_target
from models.complaint.messages import ReassignInput, Reassignment
from models.complaint.state import ComplaintState
from models.complaint.steps import ComplaintOutcome, close, escalate_to
from models.complaint.vocabulary import TOP_LEVEL, Clock, ClosedReason, Status
from models.staff import LADDER_RANK, Role


def next_clock(state: ComplaintState) -> tuple[Clock, datetime] | None:
    """The clock that runs out first, if any runs at all."""
    return earliest({d: state.due(d) for d in Clock})


def reassignment_request(state: ComplaintState) -> ReassignInput:
    """CP-13: who may take over a case whose resolution clock ran out: a staff member of
    *another* department than the owner's (其他部門員工), never the owner, a former handler,
    the receiver (customer service surveys the result, CP-15), the investigator or the one
    complained about."""
    exclude = [state.owner.id, *state.former_handler_ids, state.receiver.id]
    if state.investigator:
        exclude.append(state.investigator.id)
    if state.target_staff_id:
        exclude.append(state.target_staff_id)
    return ReassignInput(department=state.owner.department, exclude=list(dict.fromkeys(exclude)))


def report_accountability(state: ComplaintState) -> list[Accountability]:
    """CP-10: a missed major-complaint report is the handler's (the owner's) and the managers'
    above them: their direct leader and department manager (the ladder's levels 1 and 2; the
    general manager is whom the report was owed to). Never the staff member complained about."""
    out = [Accountability(staff_id=state.owner.id, role="handler", reason="major_report_overdue")]
    for leader in without_target(state, state.owner_chain):
        if 1 <= leader.rank < LADDER_RANK[Role.general_manager]:
            out.append(Accountability(staff_id=leader.id, role=leader.role.value, reason="major_report_overdue"))
    return out


def apply_clock(
    deadline: Clock,
    state: ComplaintState,
    now: datetime,
    reassignment: Reassignment | None = None,
) -> ComplaintOutcome:
    """What a clock does when it runs out."""
    s = state.model_copy(deep=True)
    notes: list[Notification] = []
    accountability: list[Accountability] = []
    due = state.due(deadline)
    data: dict[str, Any] = {"due_at": due.isoformat() if due else None}
    kind = f"{deadline.value}_overdue"

    if deadline is Clock.plan:  # CP-08
        s.plan_overdue = True
        target, notes = escalate_to(s, 1, "no handling plan within the deadline")
        notes += staff_notes([s.owner], "plan_overdue", f"Complaint {s.id}: no handling plan in time; escalated")
        data["to"] = target.id if target else None
    elif deadline is Clock.resolution:  # CP-13
        s.resolution_overdue = True
        original = s.owner
        target, notes = escalate_to(s, 2, "not resolved within the deadline")
        accountability.append(Accountability(staff_id=original.id, role="handler", reason="resolution_overdue"))
        if target is not None:
            accountability.append(Accountability(staff_id=target.id, role="manager", reason="resolution_overdue"))
        if reassignment is not None and reassignment.handler is not None:
            if s.handler is not None:
                s.former_handler_ids.append(s.handler.id)
            s.handler, s.handler_chain = reassignment.handler, reassignment.handler_chain
            s.status = Status.in_progress
            notes += staff_notes([s.handler], "assigned", f"Complaint {s.id} reassigned to you (CP-13)")
        notes += staff_notes([original], "resolution_overdue", f"Complaint {s.id}: not resolved in time; reassigned")
        data |= {"to": target.id if target else None, "new_handler": s.handler.id if s.handler else None}
    elif deadline is Clock.major_report:  # CP-10
        s.major_report_overdue = True
        for member in crisis_leads(without_target(s, s.crisis_team)):
            notes += staff_notes([member], "major_report_overdue", f"Major-complaint report on {s.id} is overdue")
        target, n = escalate_to(s, TOP_LEVEL, "major-complaint report overdue")
        notes += n
        accountability += report_accountability(s)
        data["to"] = target.id if target else None
    elif deadline is Clock.survey:  # CP-16: unanswered (either party) counts as no objection
        close(s, ClosedReason.survey_unanswered, now, None)
    elif deadline is Clock.customer_wait:  # issue 14: the owner and their leader are told
        s.customer_waits[-1].overdue = True
        leaders = without_target(s, s.owner_chain)[:1]
        s.warned_leaders += [p.id for p in leaders if p.id not in s.warned_leaders]
        notes += staff_notes(
            [s.owner, *leaders],
            "customer_wait_overdue",
            f"Complaint {s.id} has waited on the customer for {s.policy.max_customer_wait}; resume it or act",
        )
    if due is not None:  # issue 14: the lateness of the firing
        data |= {"acted_at": now.isoformat(), "lateness_seconds": max((now - due).total_seconds(), 0.0)}
    s.seq += 1
    out = ComplaintOutcome(s, kind, None, data, notes, accountability)
    out.clock = deadline.value
    return out


# --- issue 14: accounts and warnings --------------------------------------------------------


def _end(*cases: tuple[bool, ClockOutcome]) -> ClockOutcome | None:
    """The first outcome whose condition holds (None: the clock still runs)."""
    return next((outcome for cond, outcome in cases if cond), None)


def clock_facts(s: ComplaintState) -> dict[str, ClockFact | None]:
    """What the state says of each clock now (models.clock.reconcile keeps the accounts)."""
    p, start, closed = s.policy, s.clock_started_at, not s.open
    met, breached, stopped = ClockOutcome.met, ClockOutcome.breached, ClockOutcome.stopped
    facts: dict[str, ClockFact | None] = {
        Clock.plan.value: ClockFact(
            p.plan_deadline,
            p.due("plan", start, p.plan_deadline),
            start,
            ended=_end((s.plan is not None, met), (s.plan_overdue, breached), (closed, stopped)),
        ),
        Clock.resolution.value: ClockFact(
            p.resolution_deadline,
            s.resolution_due_at,
            start,
            s.resolution_pauses,
            ended=_end((s.resolved_at is not None, met), (s.resolution_overdue, breached), (closed, stopped)),
        ),
        Clock.major_report.value: None,
        Clock.survey.value: None,
        Clock.customer_wait.value: None,
    }
    if s.major_since is not None:
        facts[Clock.major_report.value] = ClockFact(
            p.major_report_deadline,
            p.due("major_report", s.major_since, p.major_report_deadline),
            s.major_since,
            ended=_end(
                (s.major_report is not None, met),
                (s.major_report_overdue, breached),
                (s.status is Status.closed, stopped),
            ),
        )
    if s.resolved_at is not None:
        unanswered = s.closed_reason is ClosedReason.survey_unanswered
        facts[Clock.survey.value] = ClockFact(
            p.survey_wait,
            p.due("survey", s.resolved_at, p.survey_wait),
            s.resolved_at,
            ended=_end((unanswered, breached), (closed, met)),
        )
    if s.customer_waits:
        w = s.customer_waits[-1]
        facts[Clock.customer_wait.value] = ClockFact(
            p.max_customer_wait,
            p.due("customer_wait", w.since, p.max_customer_wait),
            w.since,
            ended=_end((w.until is not None, met), (w.overdue, breached), (closed, stopped)),
        )
    return facts


def account(state: ComplaintState, fired: str | None, now: datetime) -> ComplaintState:
    """Issue 14: the state with its clock accounts brought up to date (a copy)."""
    clocks = accounts_after(state.clocks, clock_facts(state), now, fired, state.policy)
    return state.model_copy(update={"clocks": clocks})


def next_warning_of(state: ComplaintState) -> ClockWarning | None:
    """Issue 14: the next warning to give (never of a clock met, ended or paused)."""
    return next_warning_under(state.clocks, state.policy) if state.open else None


def apply_warning(w: ClockWarning, state: ComplaintState, now: datetime) -> ComplaintOutcome:
    """Issue 14: a clock reached a warning point: the owner is told (at the last point their
    direct leader too); recorded as a ``clock_warning`` event with the clock and the point."""
    s = state.model_copy(deep=True)
    s.clocks = warn(s.clocks, w, now)
    due = s.due(Clock(w.clock))
    leaders = without_target(s, s.owner_chain)[:1] if w.last else []
    s.warned_leaders += [p.id for p in leaders if p.id not in s.warned_leaders]
    people = [s.owner, *leaders]
    when = f" at {due:%Y-%m-%d %H:%M} UTC" if due else ""
    notes = staff_notes(
        people, "clock_warning", f"Complaint {s.id}: {round(w.point * 100)}% of the {w.clock} time used; due{when}"
    )
    s.seq += 1
    data = {
        "clock": w.clock,
        "point": w.point,
        "warning_at": w.at.isoformat(),
        "due_at": due.isoformat() if due else None,
        "last": w.last,
    }
    return ComplaintOutcome(s, "clock_warning", None, data, notes)
