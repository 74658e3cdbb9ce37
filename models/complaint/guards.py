"""Who may see a complaint and take which step, and when: each guard answers None (allowed) or
the ``Refusal`` that names its rule. The steps table (models.complaint.steps) lists, per step,
the guards it passes through in order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from models.calendar import later_than_months
from models.case import Refusal, probing
from models.complaint.messages import ComplaintStepInput
from models.complaint.state import ComplaintState
from models.complaint.vocabulary import (
    TOP_LEVEL,
    ApprovalLevel,
    Category,
    CompensationStatus,
    InvalidReason,
    Severity,
    Status,
    Validity,
)
from models.policy import ComplaintPolicy
from models.staff import Directory, Role, Staff, StaffRef

Input = ComplaintStepInput

#: CP-11: the department whose staff assign investigations (customer service)
CUSTOMER_SERVICE = "customer_service"
#: CP-05: the reasons that need a recorded investigation (經調查)
NEEDS_INVESTIGATION = (InvalidReason.facts_contradicted, InvalidReason.anonymous_unfounded)

# --- people -------------------------------------------------------------------------------


def approval_level_for(amount: Decimal, policy: ComplaintPolicy) -> ApprovalLevel:
    """CP-12: up to the leader limit the handler's leader, up to the manager limit the
    department manager, above that the general manager."""
    if amount <= policy.compensation_leader_limit:
        return ApprovalLevel.leader
    if amount <= policy.compensation_manager_limit:
        return ApprovalLevel.manager
    return ApprovalLevel.general_manager


def escalation_target(level: int, owner_chain: list[StaffRef], crisis_team: list[StaffRef]) -> StaffRef | None:
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


def crisis_leads(crisis_team: list[StaffRef]) -> list[StaffRef]:
    """CP-10: who the general manager / crisis team is at level 3: the general manager(s) of
    the crisis team, or, when none is left (the general manager is the one complained about:
    the team comes here without them), the next person it names. Never nobody while the team
    names anyone."""
    gms = [m for m in crisis_team if m.role is Role.general_manager]
    return gms or crisis_team[:1]


def department_head(chain: list[StaffRef]) -> StaffRef | None:
    """CP-06: the head of a staff member's department: the first manager up their chain (the
    general manager when the chain has no manager)."""
    for leader in chain:
        if leader.rank >= 2:
            return leader
    return None


def approvers_for(level: ApprovalLevel, owner_chain: list[StaffRef], crisis_team: list[StaffRef]) -> StaffRef | None:
    """CP-12: who is asked to approve a compensation at ``level``."""
    ladder = {ApprovalLevel.leader: 1, ApprovalLevel.manager: 2, ApprovalLevel.general_manager: 3}
    return escalation_target(ladder[level], owner_chain, crisis_team)


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
    ids.update(state.warned_leaders)
    ids.discard(state.target_staff_id or "")
    return sorted(ids)


def may_view(staff_id: str, state_viewers: list[str]) -> bool:
    """CP-19 / CP-07 over the viewer list the projection keeps."""
    return staff_id in state_viewers


def reassignment_candidate(directory: Directory, department: str, exclude: list[str]) -> Staff | None:
    """CP-13: a staff member of *another* department than ``department`` (其他部門員工: the
    original handler's), never one excluded (the original and former handlers, the receiver,
    the investigator, the one complained about), the first by id."""
    for s in sorted(directory.staff, key=lambda s: s.id):
        if s.department and s.department != department and s.role is Role.staff and s.id not in exclude:
            return s
    return None


def without_target(s: ComplaintState, people: list[StaffRef]) -> list[StaffRef]:
    """CP-07: the staff member complained about is skipped on every ladder."""
    return [p for p in people if p.id != s.target_staff_id]


def _is(actor: StaffRef, ref: StaffRef | None) -> bool:
    return ref is not None and ref.id == actor.id


def _in(actor: StaffRef, chain: list[StaffRef]) -> bool:
    return any(s.id == actor.id for s in chain)


# --- guards every step passes -------------------------------------------------------------


def participant(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-07: never the staff member complained about; CP-19: only the case's participants
    and their leaders."""
    if s.target_staff_id == inp.actor.id:
        return Refusal("forbidden", "CP-07: the staff member complained about cannot act on it")
    if inp.actor.id not in viewers(s):
        return Refusal("forbidden", "CP-19: only the case's participants and their leaders")
    return None


def still_open(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-17: an archived case is read-only; a closed one takes no step."""
    if s.archived:
        return Refusal("conflict", "CP-17: the case is archived and read-only")
    if s.status is Status.closed:
        return Refusal("conflict", "the case is closed")
    return None


def not_resolved(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-15: a resolved case waits for its survey."""
    if s.status is Status.resolved:
        return Refusal("conflict", "the case is resolved and waits for the satisfaction survey")
    return None


def owner_side(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-20: the case's owner (its handler, or its first responder until assigned) and the
    leaders above."""
    if not (_is(inp.actor, s.owner) or _in(inp.actor, s.owner_chain)):
        return Refusal("forbidden", "only the case's owner and the leaders above may do this")
    return None


# --- one guard per step -------------------------------------------------------------------


def may_survey(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-15: after the case is resolved, customer service (the receiver and its leaders), not
    the handler, runs the survey; CP-16: the complainant answers once per resolution."""
    actor = inp.actor
    if s.status is not Status.resolved:
        return Refusal("conflict", "CP-15: the survey comes after the case is resolved")
    if _is(actor, s.handler) or _is(actor, s.investigator):
        return Refusal("forbidden", "CP-15: customer service, not the handler, runs the survey")
    if not (_is(actor, s.receiver) or _in(actor, s.receiver_chain)):
        return Refusal("forbidden", "CP-15: customer service (the receiver and its leaders) runs the survey")
    if s.rules >= 2 and s.satisfied is not None:
        return Refusal("conflict", "CP-16: the complainant already answered; the case waits for the other answer")
    return None


def may_staff_survey(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-16: the staff member complained about, and only they, say whether they accept the
    result, once per resolution, after the case is resolved. CP-07: they read nothing else."""
    if not s.staff_survey_asked or s.target_staff_id != inp.actor.id:
        return Refusal("forbidden", "CP-16: only the staff member complained about answers this survey")
    if s.status is not Status.resolved:
        return Refusal("forbidden", "CP-07: the staff member complained about is asked once the result is out")
    if s.staff_satisfied is not None:
        return Refusal("conflict", "CP-16: the staff member complained about already answered")
    return None


def may_assign(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-20: the first responder or a leader assigns; CP-07: never to the staff member
    complained about."""
    actor = inp.actor
    if not (_is(actor, s.receiver) or _in(actor, s.receiver_chain) or _is(actor, s.owner) or _in(actor, s.owner_chain)):
        return Refusal("forbidden", "CP-20: the first responder or a leader assigns the case")
    if probing(inp):
        return None
    if inp.handler is None:
        return Refusal("conflict", "handler is unknown")
    for who in (inp.handler, inp.investigator):
        if who is not None and who.id == s.target_staff_id:
            return Refusal("conflict", f"CP-07: {who.id} is the staff member complained about")
    if inp.investigator is not None and s.rules >= 2:
        return names_investigator(actor, inp.investigator, inp.handler, s)
    return None


def customer_service(actor: StaffRef, s: ComplaintState) -> bool:
    """CP-11: customer service: the receiver and the leaders above them, or any staff member of
    the customer-service department (never the case's handler)."""
    if _is(actor, s.handler):
        return False
    return _is(actor, s.receiver) or _in(actor, s.receiver_chain) or actor.department == CUSTOMER_SERVICE


def names_investigator(actor: StaffRef, investigator: StaffRef, handler: StaffRef, s: ComplaintState) -> Refusal | None:
    """CP-11: the investigation is assigned by customer service, never by the handler, and never
    to the handler (the new one or the current one) nor to the staff member complained about."""
    if not customer_service(actor, s) or _is(actor, handler):
        return Refusal("forbidden", "CP-11: customer service assigns the investigation, not the handler")
    if investigator.id == handler.id or _is(investigator, s.handler):
        return Refusal("conflict", "CP-11: the handler cannot investigate their own case")
    return None


def may_classify(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-05: reasons (1) facts contradicted and (4) anonymous and unfounded say 經調查: a
    recorded investigation (CP-11 findings) comes first; (4) is for anonymous complaints; (6)
    lateness only for an attitude complaint raised more than a calendar month after the
    incident (the rule finds that itself: it is not given)."""
    body = getattr(inp, "body", None)
    if s.rules < 2 or body is None or body.validity is not Validity.invalid:
        return None
    reason = body.invalid_reason
    if reason in NEEDS_INVESTIGATION and s.findings is None:
        return Refusal("conflict", f"CP-05: invalid for {reason} needs a recorded investigation (CP-11) first")
    if reason is InvalidReason.anonymous_unfounded and (s.complaint.complainant.name or s.complaint.complainant.phone):
        return Refusal("conflict", "CP-05: anonymous_unfounded is for anonymous complaints only")
    if reason is InvalidReason.late_attitude_complaint and not late_attitude_complaint(
        body.category, body.attitude, s.complaint.occurred_at, s.received_at, s.policy
    ):
        return Refusal(
            "conflict",
            "CP-05: late_attitude_complaint is only for a complaint about service attitude raised "
            "more than a calendar month after the incident",
        )
    return None


def late_attitude_complaint(
    category: Category, attitude: bool, occurred_at: datetime | None, received_at: datetime, policy: ComplaintPolicy
) -> bool:
    """CP-05 reason (6): a complaint about service *attitude* (服務態度) raised more than
    ``policy.attitude_complaint_window`` calendar months (one) after the incident, on the
    company's calendar. Other service complaints, and business ones, are never late."""
    return (
        category is Category.service
        and attitude
        and occurred_at is not None
        and later_than_months(occurred_at, received_at, policy.attitude_complaint_window, policy.timezone)
    )


def may_investigate(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-11: the assigned investigator (or the handler) records the investigation."""
    if not (_is(inp.actor, s.investigator) or _is(inp.actor, s.handler)):
        return Refusal("forbidden", "CP-11: the assigned investigator records the investigation")
    if s.handler is None:
        return Refusal("conflict", "CP-11: the investigation is assigned first")
    return None


def may_request_compensation(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-11: an investigator promises nothing; CP-12: the handler requests, one at a time."""
    if _is(inp.actor, s.investigator) and not _is(inp.actor, s.handler):
        return Refusal("forbidden", "CP-11: an investigator makes no commitment to either side")
    if not _is(inp.actor, s.handler):
        return Refusal("forbidden", "CP-12: the handler requests a compensation")
    if s.compensation and s.compensation.status is CompensationStatus.pending:
        return Refusal("conflict", "CP-12: a compensation already waits for approval")
    return None


def may_decide_compensation(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-12: the approver of the amount's level decides; never the requester."""
    comp = s.compensation
    if comp is None or comp.status is not CompensationStatus.pending:
        return Refusal("conflict", "CP-12: no compensation waits for a decision")
    if inp.actor.id == comp.requested_by:
        return Refusal("conflict", "CP-12: the requester cannot approve their own request")
    if not may_approve(inp.actor, comp.required_level, s.handler_chain):
        return Refusal(
            "conflict",
            f"CP-12: a compensation of {comp.amount} needs approval at level {comp.required_level.value}",
        )
    return None


def may_escalate(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-09: one level up, until the top of the ladder."""
    if s.escalation_level >= TOP_LEVEL:
        return Refusal("conflict", "CP-09: the case is already at the top of the ladder")
    return None


def may_report_major(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-10: one report, for a major complaint."""
    if s.severity is not Severity.major:
        return Refusal("conflict", "CP-10: a major-complaint report is for major complaints")
    if s.major_report is not None:
        return Refusal("conflict", "CP-10: the major-complaint report is already recorded")
    return None


def may_resolve(inp: Input, s: ComplaintState) -> Refusal | None:
    """CP-04, CP-08, CP-12: assigned, classified, planned, and nothing promised before a
    pending compensation is decided."""
    if s.handler is None:
        return Refusal("conflict", "assign a handler first")
    if s.category is None:
        return Refusal("conflict", "CP-04: classify the complaint first")
    if s.plan is None:
        return Refusal("conflict", "CP-08: record the handling plan first")
    if s.compensation and s.compensation.status is CompensationStatus.pending:
        return Refusal("conflict", "CP-12: a compensation awaits approval; nothing is promised before")
    return None


def not_waiting_for_customer(inp: Input, s: ComplaintState) -> Refusal | None:
    """Issue 14: a case waiting on the customer is resumed before it is resolved."""
    if s.waiting_for_customer:
        return Refusal("conflict", "the case waits on the customer: resume it first")
    return None


def may_wait_for_customer(inp: Input, s: ComplaintState) -> Refusal | None:
    """Issue 14: the owner (or a leader above) stops the resolution clock while the case waits
    on the customer; once at a time."""
    if s.waiting_for_customer:
        return Refusal("conflict", "the case already waits on the customer")
    return None


def may_change_terms(inp: Input, s: ComplaintState) -> Refusal | None:
    """Issue 14: a case's terms change only on purpose, by the general manager or a department
    manager (who apply next year's calendar to the open cases); never by the person complained
    about (CP-07)."""
    if s.target_staff_id == inp.actor.id:
        return Refusal("forbidden", "CP-07: the staff member complained about cannot act on it")
    if inp.actor.role not in (Role.general_manager, Role.manager):
        return Refusal("forbidden", "issue 14: the general manager or a department manager changes a case's terms")
    return None


def may_resume(inp: Input, s: ComplaintState) -> Refusal | None:
    """Issue 14: the owner side, or customer service recording the customer's reply, restarts
    the resolution clock of a case that waits on the customer."""
    if not (_is(inp.actor, s.owner) or _in(inp.actor, s.owner_chain) or customer_service(inp.actor, s)):
        return Refusal("forbidden", "the case's owner, or customer service recording the reply, resumes it")
    if not s.waiting_for_customer:
        return Refusal("conflict", "the case does not wait on the customer")
    return None
