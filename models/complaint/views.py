"""What people and supervisors read of a complaint: its view (GET /complaints/{id}) and what
the Temporal UI shows it waits for."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from models.clock import clocks_overdue, clocks_running, in_breach
from models.complaint.clocks import next_clock, next_warning_of
from models.complaint.messages import Complainant, Target
from models.complaint.state import Compensation, ComplaintState
from models.complaint.vocabulary import (
    Category,
    Channel,
    ClosedReason,
    CompensationStatus,
    InvalidReason,
    Motive,
    ReplyChannel,
    Severity,
    SeverityReason,
    Status,
    Subtype,
    Validity,
)
from models.confidential import Confidential


class ComplaintView(BaseModel):
    """GET /complaints/{id}: the case as it is now."""

    id: str
    workflow_id: str
    status: Status
    closed_reason: ClosedReason | None
    channel: Channel
    complainant: Complainant
    target: Target
    summary: Confidential
    description: Confidential | None
    occurred_at: datetime | None
    subject_ref: Confidential | None
    received_at: datetime
    receiver_id: str
    first_responder_id: str
    customer_verified: bool
    repeat_of: list[str]
    category: Category | None
    subtype: Subtype | None
    validity: Validity | None
    invalid_reason: InvalidReason | None
    motive: Motive | None
    severity: Severity
    severity_reasons: list[SeverityReason]
    handler_id: str | None
    investigator_id: str | None
    escalation_level: int
    escalated_to: list[str]
    plan: Confidential | None
    plan_recorded_at: datetime | None
    plan_due_at: datetime | None
    resolution_due_at: datetime | None
    major_report_due_at: datetime | None
    revisit_due_at: datetime | None
    survey_due_at: datetime | None
    next_due_at: datetime | None
    plan_overdue: bool
    resolution_overdue: bool
    major_report_overdue: bool
    findings: Confidential | None
    loopholes: Confidential | None
    compensation: Compensation | None
    major_report: Confidential | None
    result: Confidential | None
    reply_channel: ReplyChannel | None
    reply_sent_at: datetime | None
    resolved_at: datetime | None
    satisfied: bool | None
    score: int | None
    #: CP-16: whether the staff member complained about accepted the result (None: not asked, or not yet)
    staff_satisfied: bool | None = None
    reopen_count: int
    closed_at: datetime | None
    archived: bool
    case_file: str | None
    seq: int
    #: issue 14: the case waits on the customer (its resolution clock stopped) since when
    waiting_for_customer_since: datetime | None = None
    customer_wait_due_at: datetime | None = None
    #: issue 14: the clocks in breach, and when the next warning before a breach is due
    sla_breached: list[str] = []
    next_warning_at: datetime | None = None


def clock_details(state: ComplaintState) -> str:
    """Issue 14: which clock runs next and until when, which are paused, and which are overdue
    with the escalation level and whom the case is with. Ids, kinds and times only."""
    nxt = next_clock(state)
    parts = [f"next clock: {nxt[0].value} at {nxt[1]:%Y-%m-%d %H:%M} UTC"] if nxt else []
    if state.waiting_for_customer:
        wait = state.customer_waits[-1]
        parts.append(f"resolution paused since {wait.since:%Y-%m-%d %H:%M} UTC: waiting on the customer")
    running = [c for c in clocks_running(state.clocks) if not nxt or not c.startswith(f"{nxt[0].value} ")]
    parts += [f"running: {', '.join(running)}"] if running and state.clocks else []
    overdue = clocks_overdue(state.clocks)
    if overdue:
        with_whom = state.escalated_to[-1] if state.escalated_to else state.owner.id
        parts.append(f"overdue: {', '.join(overdue)}; escalation level {state.escalation_level}, with {with_whom}")
    return f" ({'; '.join(parts)})" if parts else ""


def describe_waiting(state: ComplaintState) -> str:
    """Current details for the Temporal UI: what the case waits for, until when (issue 14: and
    which clocks run, are paused or overdue). No PII."""
    until = clock_details(state)
    if state.archived:
        return f"Closed ({state.closed_reason}) and archived in {state.case_file}"
    if state.status is Status.closed:
        return f"Closed ({state.closed_reason}); archiving"
    if state.status is Status.resolved:
        if state.staff_survey_asked:  # CP-16: both answers (ids only: no one's name)
            waiting = [w for w, a in (("complainant", state.satisfied), ("staff", state.staff_satisfied)) if a is None]
            return f"Resolved; waiting for the survey answers of: {', '.join(waiting)}{until}"
        return f"Resolved; waiting for the satisfaction survey by customer service{until}"
    if state.status is Status.received:
        return f"Waiting for {state.receiver.id} to assign a handler{until}"
    owner = state.owner.id
    if state.compensation and state.compensation.status is CompensationStatus.pending:
        return f"Waiting for {state.compensation.required_level.value} approval of a compensation{until}"
    if state.waiting_for_customer:
        return f"Waiting on the customer ({owner} owns the case){until}"
    if state.plan is None:
        return f"Waiting for a handling plan from {owner}{until}"
    return f"Waiting for {owner} to resolve (escalation level {state.escalation_level}){until}"


def view_of(state: ComplaintState) -> ComplaintView:
    c = state.complaint
    nxt = next_clock(state)
    return ComplaintView(
        id=state.id,
        workflow_id=state.workflow_id,
        status=state.status,
        closed_reason=state.closed_reason,
        channel=c.channel,
        complainant=c.complainant,
        target=c.target,
        summary=c.summary,
        description=c.description,
        occurred_at=c.occurred_at,
        subject_ref=c.subject_ref,
        received_at=state.received_at,
        receiver_id=state.receiver.id,
        first_responder_id=state.receiver.id,
        customer_verified=state.customer_verified,
        repeat_of=state.repeat_of,
        category=state.category,
        subtype=state.subtype,
        validity=state.validity,
        invalid_reason=state.invalid_reason,
        motive=state.motive,
        severity=state.severity,
        severity_reasons=state.severity_reasons,
        handler_id=state.handler.id if state.handler else None,
        investigator_id=state.investigator.id if state.investigator else None,
        escalation_level=state.escalation_level,
        escalated_to=state.escalated_to,
        plan=state.plan,
        plan_recorded_at=state.plan_recorded_at,
        plan_due_at=state.plan_due_at,
        resolution_due_at=state.resolution_due_at,
        major_report_due_at=state.major_report_due_at,
        revisit_due_at=state.revisit_due_at,
        survey_due_at=state.survey_due_at,
        next_due_at=nxt[1] if nxt else None,
        plan_overdue=state.plan_overdue,
        resolution_overdue=state.resolution_overdue,
        major_report_overdue=state.major_report_overdue,
        findings=state.findings,
        loopholes=state.loopholes,
        compensation=state.compensation,
        major_report=state.major_report,
        result=state.result,
        reply_channel=state.reply_channel,
        reply_sent_at=state.reply_sent_at,
        resolved_at=state.resolved_at,
        satisfied=state.satisfied,
        score=state.score,
        staff_satisfied=state.staff_satisfied,
        reopen_count=state.reopen_count,
        closed_at=state.closed_at,
        archived=state.archived,
        case_file=state.case_file,
        seq=state.seq,
        waiting_for_customer_since=state.customer_waits[-1].since if state.waiting_for_customer else None,
        customer_wait_due_at=state.customer_wait_due_at,
        sla_breached=in_breach(state.clocks),
        next_warning_at=w.at if (w := next_warning_of(state)) else None,
    )
