"""The complaint rules as plain functions: no Temporal, no database, no clock.

Each function names the rule of ../shared/RULES.md it decides. The workflow calls them with
``workflow.now()`` and the state it holds; the API calls the same functions to answer 403.
Transitions (``apply_*``) return a new state and what to record; they never mutate their input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from models.complaint import (
    SEVERITY_ORDER,
    Accountability,
    ApprovalLevel,
    AssignBody,
    Category,
    ClassifyBody,
    ClosedReason,
    Compensation,
    CompensationBody,
    CompensationStatus,
    ComplaintState,
    ComplaintView,
    CustomerLookup,
    Deadline,
    DecisionBody,
    EscalateBody,
    InvalidReason,
    InvestigationBody,
    MajorReportBody,
    Notification,
    PlanBody,
    Reassignment,
    ResolveBody,
    Severity,
    SeverityReason,
    Status,
    Step,
    StepInput,
    SurveyBody,
    Validity,
)
from models.policy import ComplaintPolicy
from models.staff import Directory, Role, Staff, StaffRef

LEVEL_NAMES = {0: "handler", 1: "direct leader", 2: "department manager", 3: "general manager"}
TOP_LEVEL = 3


@dataclass(frozen=True)
class Refusal:
    """Why a step is not allowed: ``forbidden`` (403, who) or ``conflict`` (409, when)."""

    kind: Literal["forbidden", "conflict"]
    reason: str


@dataclass
class Outcome:
    """What a transition produced: the new state and what to write down."""

    state: ComplaintState
    kind: str
    actor_id: str | None
    data: dict[str, Any] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    accountability: list[Accountability] = field(default_factory=list)

    def __post_init__(self) -> None:
        # CP-07: the staff member complained about is never told of the case (not even when
        # they received it themselves, or sit on a ladder it climbs).
        target = self.state.target_staff_id
        if target:
            self.notifications = [
                n for n in self.notifications if not (n.recipient_kind == "staff" and n.recipient_id == target)
            ]


# --- classification -----------------------------------------------------------------------


def severity_of(stated: Severity, reasons: list[SeverityReason]) -> Severity:
    """CP-06: any of the listed circumstances makes a complaint major; otherwise as stated."""
    return Severity.major if reasons else stated


def validity_of(
    body: ClassifyBody,
    occurred_at: datetime | None,
    received_at: datetime,
    policy: ComplaintPolicy,
) -> tuple[Validity, InvalidReason | None]:
    """CP-05: as classified, except that a service complaint raised more than the attitude
    window (one month) after the incident is invalid."""
    if (
        body.category is Category.service
        and occurred_at is not None
        and received_at - occurred_at > policy.attitude_complaint_window
    ):
        return Validity.invalid, InvalidReason.late_attitude_complaint
    return body.validity, body.invalid_reason


def repeats_of(
    prior: list[tuple[str, datetime]], received_at: datetime, policy: ComplaintPolicy
) -> list[str]:
    """CP-06: the same customer's earlier complaints inside the repeat window."""
    return sorted(
        cid for cid, at in prior if at <= received_at and received_at - at <= policy.repeat_window
    )


def approval_level_for(amount: Decimal, policy: ComplaintPolicy) -> ApprovalLevel:
    """CP-12: up to the leader limit the handler's leader, up to the manager limit the
    department manager, above that the general manager."""
    if amount <= policy.compensation_leader_limit:
        return ApprovalLevel.leader
    if amount <= policy.compensation_manager_limit:
        return ApprovalLevel.manager
    return ApprovalLevel.general_manager


# --- people -------------------------------------------------------------------------------


def escalation_target(
    level: int, owner_chain: list[StaffRef], crisis_team: list[StaffRef]
) -> StaffRef | None:
    """CP-09: level 1 the direct leader, 2 the department manager, 3 the general manager /
    crisis team, each found up the owner's leadership chain."""
    if level <= 0:
        return None
    if level == 1:
        return owner_chain[0] if owner_chain else escalation_target(2, owner_chain, crisis_team)
    wanted = {2: (Role.manager, Role.general_manager), 3: (Role.general_manager,)}[min(level, 3)]
    for leader in owner_chain:
        if leader.role in wanted:
            return leader
    if level == 2 and owner_chain:
        return owner_chain[-1]
    return crisis_team[0] if crisis_team else None


def approvers_for(
    level: ApprovalLevel, owner_chain: list[StaffRef], crisis_team: list[StaffRef]
) -> StaffRef | None:
    """CP-12: who is asked to approve a compensation at ``level``."""
    return escalation_target(
        {ApprovalLevel.leader: 1, ApprovalLevel.manager: 2, ApprovalLevel.general_manager: 3}[
            level
        ],
        owner_chain,
        crisis_team,
    )


def may_approve(actor: StaffRef, level: ApprovalLevel, owner_chain: list[StaffRef]) -> bool:
    """CP-12: a leader above the handler approves up to the leader limit; a manager (or above)
    in the chain up to the manager limit; only a general manager above that."""
    if level is ApprovalLevel.general_manager:
        return actor.role is Role.general_manager
    in_chain = any(leader.id == actor.id for leader in owner_chain)
    if level is ApprovalLevel.manager:
        return (in_chain and actor.rank >= 2) or actor.role is Role.general_manager
    return in_chain or actor.role is Role.general_manager


def viewers(state: ComplaintState) -> list[str]:
    """CP-19: the receiver, handler, investigator and the leaders above them (and whoever the
    case was escalated to). CP-07: never the staff member complained about."""
    ids: set[str] = {state.receiver.id, *(s.id for s in state.receiver_chain)}
    if state.handler:
        ids.add(state.handler.id)
    ids.update(s.id for s in state.handler_chain)
    ids.update(state.former_handler_ids)
    if state.investigator:
        ids.add(state.investigator.id)
    ids.update(s.id for s in state.investigator_chain)
    ids.update(state.escalated_to)
    ids.discard(state.target_staff_id or "")
    return sorted(ids)


def may_view(staff_id: str, state_viewers: list[str]) -> bool:
    """CP-19 / CP-07 over the viewer list the projection keeps."""
    return staff_id in state_viewers


def reassignment_candidate(directory: Directory, department: str, exclude: list[str]) -> Staff | None:
    """CP-13: another staff member of the same department (never one excluded: the original
    handler, the one complained about), the first by id."""
    for s in sorted(directory.staff, key=lambda s: s.id):
        if s.department == department and s.role is Role.staff and s.id not in exclude:
            return s
    return None


# --- who may take which step, and when ----------------------------------------------------


def _is(actor: StaffRef, ref: StaffRef | None) -> bool:
    return ref is not None and ref.id == actor.id


def _in(actor: StaffRef, chain: list[StaffRef]) -> bool:
    return any(s.id == actor.id for s in chain)


def check_step(step: Step, inp: StepInput, state: ComplaintState) -> Refusal | None:
    """Whether ``inp.actor`` may take ``step`` on the case now; None when allowed."""
    actor = inp.actor
    if state.target_staff_id == actor.id:
        return Refusal("forbidden", "CP-07: the staff member complained about cannot act on it")
    if actor.id not in viewers(state):
        return Refusal("forbidden", "CP-19: only the case's participants and their leaders")
    if state.archived:
        return Refusal("conflict", "CP-17: the case is archived and read-only")
    if state.status is Status.closed:
        return Refusal("conflict", "the case is closed")
    owner_side = _is(actor, state.owner) or _in(actor, state.owner_chain)

    if step is Step.survey:
        if state.status is not Status.resolved:
            return Refusal("conflict", "CP-15: the survey comes after the case is resolved")
        if _is(actor, state.handler) or _is(actor, state.investigator):
            return Refusal("forbidden", "CP-15: customer service, not the handler, runs the survey")
        if not (_is(actor, state.receiver) or _in(actor, state.receiver_chain)):
            return Refusal("forbidden", "CP-15: customer service (the receiver and its leaders) runs the survey")
        return None
    if state.status is Status.resolved:
        return Refusal("conflict", "the case is resolved and waits for the satisfaction survey")

    if step is Step.assign:
        if not (_is(actor, state.receiver) or _in(actor, state.receiver_chain) or owner_side):
            return Refusal("forbidden", "CP-20: the first responder or a leader assigns the case")
        if inp.handler is None:
            return Refusal("conflict", "handler is unknown")
        for who in (inp.handler, inp.investigator):
            if who is not None and who.id == state.target_staff_id:
                return Refusal(
                    "conflict", f"CP-07: {who.id} is the staff member complained about"
                )
        return None

    if step is Step.investigation:
        if not (_is(actor, state.investigator) or _is(actor, state.handler)):
            return Refusal("forbidden", "CP-11: the assigned investigator records the investigation")
        if state.handler is None:
            return Refusal("conflict", "CP-11: the investigation is assigned first")
        return None

    if step is Step.compensation:
        if _is(actor, state.investigator) and not _is(actor, state.handler):
            return Refusal("forbidden", "CP-11: an investigator makes no commitment to either side")
        if not _is(actor, state.handler):
            return Refusal("forbidden", "CP-12: the handler requests a compensation")
        if state.compensation and state.compensation.status is CompensationStatus.pending:
            return Refusal("conflict", "CP-12: a compensation already waits for approval")
        return None

    if step is Step.compensation_decision:
        comp = state.compensation
        if comp is None or comp.status is not CompensationStatus.pending:
            return Refusal("conflict", "CP-12: no compensation waits for a decision")
        if actor.id == comp.requested_by:
            return Refusal("conflict", "CP-12: the requester cannot approve their own request")
        if not may_approve(actor, comp.required_level, state.handler_chain):
            return Refusal(
                "conflict",
                f"CP-12: a compensation of {comp.amount} needs approval at level "
                f"{comp.required_level.value}",
            )
        return None

    if not owner_side:
        return Refusal("forbidden", "only the case's owner and the leaders above may do this")

    if step is Step.escalate:
        if state.escalation_level >= TOP_LEVEL:
            return Refusal("conflict", "CP-09: the case is already at the top of the ladder")
        return None
    if step is Step.major_report:
        if state.severity is not Severity.major:
            return Refusal("conflict", "CP-10: a major-complaint report is for major complaints")
        if state.major_report is not None:
            return Refusal("conflict", "CP-10: the major-complaint report is already recorded")
        return None
    if step is Step.resolve:
        if state.handler is None:
            return Refusal("conflict", "assign a handler first")
        if state.category is None:
            return Refusal("conflict", "CP-04: classify the complaint first")
        if state.plan is None:
            return Refusal("conflict", "CP-08: record the handling plan first")
        if state.compensation and state.compensation.status is CompensationStatus.pending:
            return Refusal(
                "conflict", "CP-12: a compensation awaits approval; nothing is promised before"
            )
        return None
    if step in (Step.classify, Step.plan):
        return None
    raise ValueError(f"unknown step {step}")  # pragma: no cover


# --- transitions --------------------------------------------------------------------------


def _staff_note(recipient: StaffRef | None, kind: str, message: str) -> list[Notification]:
    if recipient is None:
        return []
    return [Notification(recipient_kind="staff", recipient_id=recipient.id, kind=kind, message=message)]


def _complainant_note(state: ComplaintState, kind: str, message: str, channel: str | None = None) -> Notification:
    return Notification(
        recipient_kind="complainant", recipient_id=None, kind=kind, message=message, channel=channel
    )


def _without_target(s: ComplaintState, people: list[StaffRef]) -> list[StaffRef]:
    """CP-07: the staff member complained about is skipped on every ladder."""
    return [p for p in people if p.id != s.target_staff_id]


def _escalate_to(s: ComplaintState, level: int, reason: str) -> tuple[StaffRef | None, list[Notification]]:
    """Raise the case to ``level`` (never lower it) and notify whoever sits there."""
    s.escalation_level = max(s.escalation_level, level)
    target = escalation_target(level, _without_target(s, s.owner_chain), _without_target(s, s.crisis_team))
    notes: list[Notification] = []
    if target is not None:
        if target.id not in s.escalated_to:
            s.escalated_to.append(target.id)
        notes += _staff_note(
            target, "escalated", f"Complaint {s.id} escalated to you (level {level}): {reason}"
        )
    return target, notes


def _go_major(s: ComplaintState, now: datetime, why: str) -> list[Notification]:
    """CP-10: a major complaint goes to the general manager / crisis team at once and a
    report to management and legal is due."""
    if s.major_since is not None:
        return []
    s.major_since = now
    s.severity = Severity.major
    notes: list[Notification] = []
    _, n = _escalate_to(s, TOP_LEVEL, f"major complaint ({why})")
    notes += n
    for member in _without_target(s, s.crisis_team):
        if member.id not in s.escalated_to:
            s.escalated_to.append(member.id)
            notes += _staff_note(member, "major_complaint", f"Major complaint {s.id}: {why}")
    notes += _staff_note(
        s.owner, "major_report_due", f"Major complaint {s.id}: report due within the deadline"
    )
    return notes


def new_case(inp_id: str, workflow_id: str, intake: Any, now: datetime) -> ComplaintState:
    return ComplaintState(
        id=inp_id,
        workflow_id=workflow_id,
        complaint=intake.complaint,
        received_at=now,
        clock_started_at=now,
        receiver=intake.receiver,
        receiver_chain=intake.receiver_chain,
        crisis_team=intake.crisis_team,
        policy=intake.policy,
    )


def apply_intake(state: ComplaintState, lookup: CustomerLookup, now: datetime) -> Outcome:
    """CP-02, CP-03, CP-20 (and CP-06 for a repeat complaint): register the case."""
    s = state.model_copy(deep=True)
    s.customer_verified = lookup.customer_verified
    if lookup.customer_id:
        s.complaint.complainant.customer_id = lookup.customer_id
    s.repeat_of = lookup.repeat_of
    notes = _staff_note(
        s.receiver, "registered", f"Complaint {s.id} registered; you own it until it is assigned"
    )
    if lookup.repeat_of:
        s.severity_reasons = [SeverityReason.repeat_complaint]
        notes += _go_major(s, now, "repeat complaint")
    s.seq += 1
    return Outcome(
        s,
        "registered",
        s.receiver.id,
        {
            "channel": s.complaint.channel.value,
            "customer_verified": s.customer_verified,
            "repeat_of": s.repeat_of,
            "first_responder_id": s.receiver.id,
        },
        notes,
    )


def apply_step(step: Step, inp: StepInput, state: ComplaintState, now: datetime) -> Outcome:
    """The effect of a human step that ``check_step`` allowed."""
    s = state.model_copy(deep=True)
    actor = inp.actor.id
    notes: list[Notification] = []
    data: dict[str, Any] = {}

    if step is Step.assign:
        body = AssignBody.model_validate(inp.body)
        assert inp.handler is not None
        if s.handler is not None and s.handler.id != inp.handler.id:
            s.former_handler_ids.append(s.handler.id)
        s.handler, s.handler_chain = inp.handler, inp.handler_chain
        if inp.investigator is not None:
            s.investigator, s.investigator_chain = inp.investigator, inp.investigator_chain
            notes += _staff_note(inp.investigator, "investigation_assigned", f"Investigate complaint {s.id}")
        if s.status is Status.received:
            s.status = Status.in_progress
        notes += _staff_note(inp.handler, "assigned", f"Complaint {s.id} assigned to you")
        data = body.model_dump(mode="json")

    elif step is Step.classify:
        body = ClassifyBody.model_validate(inp.body)
        validity, reason = validity_of(body, s.complaint.occurred_at, s.received_at, s.policy)
        s.category, s.subtype = body.category, body.subtype
        s.validity, s.invalid_reason = validity, reason
        s.motive = body.motive if validity is Validity.invalid else None
        reasons = sorted(set(s.severity_reasons) | set(body.severity_reasons))
        s.severity_reasons = reasons
        stated = severity_of(body.severity, reasons)
        if SEVERITY_ORDER[stated] > SEVERITY_ORDER[s.severity]:
            s.severity = stated
        data = body.model_dump(mode="json") | {
            "validity": validity.value,
            "invalid_reason": reason.value if reason else None,
            "severity": s.severity.value,
        }
        if validity is Validity.invalid:
            s.status, s.closed_reason, s.closed_at = Status.closed, ClosedReason.invalid, now
            notes.append(
                _complainant_note(s, "invalid", f"Your complaint {s.id} was found invalid: {reason}")
            )
        elif s.severity is Severity.major:
            notes += _go_major(s, now, ", ".join(r.value for r in reasons) or "classified major")

    elif step is Step.plan:
        body = PlanBody.model_validate(inp.body)
        s.plan, s.plan_recorded_at = body.plan, now
        data = {"within_deadline": not s.plan_overdue}

    elif step is Step.investigation:
        body = InvestigationBody.model_validate(inp.body)
        s.findings, s.loopholes = body.findings, body.loopholes
        data = {"loopholes_found": body.loopholes is not None}

    elif step is Step.escalate:
        body = EscalateBody.model_validate(inp.body)
        target, notes = _escalate_to(s, s.escalation_level + 1, body.reason)
        notes.append(
            _complainant_note(
                s, "escalated", f"Complaint {s.id} has been passed up; please wait for our answer"
            )
        )
        data = {"level": s.escalation_level, "to": target.id if target else None, "reason": body.reason}

    elif step is Step.compensation:
        body = CompensationBody.model_validate(inp.body)
        level = approval_level_for(body.amount, s.policy)
        s.compensation = Compensation(
            amount=body.amount, reason=body.reason, required_level=level, requested_by=actor
        )
        approver = approvers_for(level, _without_target(s, s.handler_chain), _without_target(s, s.crisis_team))
        notes += _staff_note(
            approver, "compensation_approval", f"Complaint {s.id}: approve a compensation of {body.amount}"
        )
        data = {"amount": str(body.amount), "required_level": level.value}

    elif step is Step.compensation_decision:
        body = DecisionBody.model_validate(inp.body)
        assert s.compensation is not None
        s.compensation.status = (
            CompensationStatus.approved if body.approved else CompensationStatus.rejected
        )
        s.compensation.decided_by, s.compensation.note = actor, body.note
        notes += _staff_note(
            s.handler, "compensation_decided", f"Complaint {s.id}: compensation {s.compensation.status.value}"
        )
        data = {"approved": body.approved, "note": body.note}

    elif step is Step.major_report:
        body = MajorReportBody.model_validate(inp.body)
        s.major_report = body.report
        for member in s.crisis_team:
            notes += _staff_note(member, "major_report", f"Major-complaint report on {s.id} filed")
        data = {"on_time": not s.major_report_overdue}

    elif step is Step.resolve:
        body = ResolveBody.model_validate(inp.body)
        s.status, s.resolved_at, s.reply_sent_at = Status.resolved, now, now
        s.result, s.reply_channel = body.result, body.reply_channel
        notes.append(
            _complainant_note(s, "result", f"Result of complaint {s.id}: {body.result}", body.reply_channel.value)
        )
        notes += _staff_note(
            s.receiver,
            "revisit_due",
            f"Complaint {s.id} resolved: revisit and survey the complainant (CP-15)",
        )
        data = {"reply_channel": body.reply_channel.value}

    elif step is Step.survey:
        body = SurveyBody.model_validate(inp.body)
        s.satisfied, s.score = body.satisfied, body.score
        data = body.model_dump(mode="json")
        if body.satisfied:
            s.status, s.closed_reason, s.closed_at = Status.closed, ClosedReason.satisfied, now
        else:
            s.status = Status.in_progress
            s.reopen_count += 1
            s.clock_started_at = now
            s.plan = s.plan_recorded_at = None
            s.plan_overdue = s.resolution_overdue = False
            s.result = s.resolved_at = s.reply_sent_at = s.reply_channel = None
            notes += _staff_note(s.handler, "reopened", f"Complaint {s.id} reopened: complainant dissatisfied")
            data["reopen_count"] = s.reopen_count
    else:  # pragma: no cover
        raise ValueError(step)

    s.seq += 1
    return Outcome(s, step.value, actor, data, notes)


def apply_deadline(
    deadline: Deadline,
    state: ComplaintState,
    now: datetime,
    reassignment: Reassignment | None = None,
) -> Outcome:
    """What a clock does when it runs out."""
    s = state.model_copy(deep=True)
    notes: list[Notification] = []
    accountability = []
    data: dict[str, Any] = {"due_at": state.due(deadline).isoformat() if state.due(deadline) else None}
    kind = f"{deadline.value}_overdue"

    if deadline is Deadline.plan:  # CP-08
        s.plan_overdue = True
        target, notes = _escalate_to(s, 1, "no handling plan within the deadline")
        notes += _staff_note(s.owner, "plan_overdue", f"Complaint {s.id}: no handling plan in time; escalated")
        data["to"] = target.id if target else None
    elif deadline is Deadline.resolution:  # CP-13
        s.resolution_overdue = True
        original = s.owner
        target, notes = _escalate_to(s, 2, "not resolved within the deadline")
        accountability.append(Accountability(staff_id=original.id, role="handler", reason="resolution_overdue"))
        if target is not None:
            accountability.append(Accountability(staff_id=target.id, role="manager", reason="resolution_overdue"))
        if reassignment is not None and reassignment.handler is not None:
            if s.handler is not None:
                s.former_handler_ids.append(s.handler.id)
            s.handler, s.handler_chain = reassignment.handler, reassignment.handler_chain
            s.status = Status.in_progress
            notes += _staff_note(s.handler, "assigned", f"Complaint {s.id} reassigned to you (CP-13)")
        notes += _staff_note(original, "resolution_overdue", f"Complaint {s.id}: not resolved in time; reassigned")
        data |= {"to": target.id if target else None, "new_handler": s.handler.id if s.handler else None}
    elif deadline is Deadline.major_report:  # CP-10
        s.major_report_overdue = True
        for member in s.crisis_team:
            notes += _staff_note(member, "major_report_overdue", f"Major-complaint report on {s.id} is overdue")
        target, n = _escalate_to(s, TOP_LEVEL, "major-complaint report overdue")
        notes += n
    elif deadline is Deadline.survey:  # CP-16
        s.status, s.closed_reason, s.closed_at = Status.closed, ClosedReason.survey_unanswered, now
    s.seq += 1
    return Outcome(s, kind, None, data, notes, accountability)


def apply_archive(state: ComplaintState, now: datetime) -> Outcome:
    """CP-17: a closed case goes into the case file of its year and becomes read-only."""
    s = state.model_copy(deep=True)
    s.archived = True
    s.case_file = f"complaints-{(s.closed_at or now).year}"
    s.seq += 1
    return Outcome(s, "archived", None, {"case_file": s.case_file})


# --- clocks and what the UI shows ---------------------------------------------------------


def next_deadline(state: ComplaintState) -> tuple[Deadline, datetime] | None:
    """The clock that runs out first, if any runs at all."""
    pending = [(due, d) for d in Deadline if (due := state.due(d)) is not None]
    if not pending:
        return None
    due, d = min(pending, key=lambda p: p[0])
    return d, due


def describe_waiting(state: ComplaintState) -> str:
    """Current details for the Temporal UI: what the case waits for, until when. No PII."""
    nxt = next_deadline(state)
    until = f" (next clock: {nxt[0].value} at {nxt[1]:%Y-%m-%d %H:%M} UTC)" if nxt else ""
    if state.archived:
        return f"Closed ({state.closed_reason}) and archived in {state.case_file}"
    if state.status is Status.closed:
        return f"Closed ({state.closed_reason}); archiving"
    if state.status is Status.resolved:
        return f"Resolved; waiting for the satisfaction survey by customer service{until}"
    if state.status is Status.received:
        return f"Waiting for {state.receiver.id} to assign a handler{until}"
    owner = state.owner.id
    if state.compensation and state.compensation.status is CompensationStatus.pending:
        return f"Waiting for {state.compensation.required_level.value} approval of a compensation{until}"
    if state.plan is None:
        return f"Waiting for a handling plan from {owner}{until}"
    return f"Waiting for {owner} to resolve (escalation level {state.escalation_level}){until}"


def view_of(state: ComplaintState) -> ComplaintView:
    c = state.complaint
    nxt = next_deadline(state)
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
        reopen_count=state.reopen_count,
        closed_at=state.closed_at,
        archived=state.archived,
        case_file=state.case_file,
        seq=state.seq,
    )
