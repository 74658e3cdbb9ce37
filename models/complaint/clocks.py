"""The complaint's clocks (CP-08, CP-10, CP-13, CP-16): which one runs out first, and what
each does when it runs out. Each is a named Temporal timer in the workflow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.case import Accountability, Notification, earliest, staff_notes
from models.complaint.messages import ReassignInput, Reassignment
from models.complaint.state import ComplaintState
from models.complaint.steps import ComplaintOutcome, escalate_to
from models.complaint.vocabulary import TOP_LEVEL, Clock, ClosedReason, Status


def next_clock(state: ComplaintState) -> tuple[Clock, datetime] | None:
    """The clock that runs out first, if any runs at all."""
    return earliest({d: state.due(d) for d in Clock})


def reassignment_request(state: ComplaintState) -> ReassignInput:
    """CP-13: who may take over a case whose resolution clock ran out: another staff member of
    the owner's department, never the owner, a former handler or the one complained about."""
    exclude = [state.owner.id, *state.former_handler_ids]
    if state.target_staff_id:
        exclude.append(state.target_staff_id)
    return ReassignInput(department=state.owner.department, exclude=exclude)


def apply_clock(
    deadline: Clock,
    state: ComplaintState,
    now: datetime,
    reassignment: Reassignment | None = None,
) -> ComplaintOutcome:
    """What a clock does when it runs out."""
    s = state.model_copy(deep=True)
    notes: list[Notification] = []
    accountability = []
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
        for member in s.crisis_team:
            notes += staff_notes([member], "major_report_overdue", f"Major-complaint report on {s.id} is overdue")
        _, n = escalate_to(s, TOP_LEVEL, "major-complaint report overdue")
        notes += n
    elif deadline is Clock.survey:  # CP-16
        s.status, s.closed_reason, s.closed_at = Status.closed, ClosedReason.survey_unanswered, now
    s.seq += 1
    return ComplaintOutcome(s, kind, None, data, notes, accountability)
