"""What happens to a complaint: intake, each human step (one row of ``STEPS`` each: its typed
input, its guards, its transition), and the archive. Transitions change a copy of the state;
the functions here never mutate their input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.calendar import local, local_year
from models.case import (
    Change,
    Notification,
    Outcome,
    Refusal,
    StepRule,
    due_changes,
    first_refusal,
    staff_notes,
    take_step,
)
from models.clock import Pause
from models.complaint.guards import (
    approval_level_for,
    approvers_for,
    crisis_leads,
    department_head,
    escalation_target,
    late_attitude_complaint,
    may_assign,
    may_change_terms,
    may_classify,
    may_decide_compensation,
    may_escalate,
    may_investigate,
    may_report_major,
    may_request_compensation,
    may_resolve,
    may_resume,
    may_staff_survey,
    may_survey,
    may_wait_for_customer,
    not_resolved,
    not_waiting_for_customer,
    owner_side,
    participant,
    still_open,
    without_target,
)
from models.complaint.messages import (
    AssignInput,
    ChangeTermsInput,
    ClassifyBody,
    ClassifyInput,
    CompensationDecisionInput,
    CompensationInput,
    ComplaintInput,
    ComplaintStepInput,
    CustomerLookup,
    EscalateInput,
    InvestigationInput,
    MajorReportInput,
    PlanInput,
    ResolveInput,
    ResumeInput,
    StaffSurveyInput,
    SurveyInput,
    WaitForCustomerInput,
)
from models.complaint.state import Compensation, ComplaintState
from models.complaint.vocabulary import (
    SEVERITY_ORDER,
    TOP_LEVEL,
    Category,
    Clock,
    ClosedReason,
    CompensationStatus,
    ComplaintStep,
    InvalidReason,
    Motive,
    Severity,
    SeverityReason,
    Status,
    Validity,
)
from models.delivery import complainant_channel
from models.policy import ComplaintPolicy
from models.staff import StaffRef

#: CP-16: the one message the staff member complained about receives: the result, to accept
#: or not (never the complainant's details, CP-07)
RESULT_FOR_STAFF = "result_for_your_answer"


@dataclass
class ComplaintOutcome(Outcome[ComplaintState]):
    """A complaint transition's outcome. CP-07: the staff member complained about is never told
    of the case (not even when they received it themselves, or sit on a ladder it climbs),
    but for the result they are asked to accept (CP-16)."""

    def __post_init__(self) -> None:
        target = self.state.target_staff_id
        if target:
            self.notifications = [
                n
                for n in self.notifications
                if not (n.recipient_kind == "staff" and n.recipient_id == target and n.kind != RESULT_FOR_STAFF)
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
    """CP-05: as classified, except that a complaint about service *attitude* raised more than
    one calendar month (the attitude window, on the company's calendar) after the incident is
    invalid for lateness. Other service complaints are never late."""
    if late_attitude_complaint(body.category, body.attitude, occurred_at, received_at, policy):
        return Validity.invalid, InvalidReason.late_attitude_complaint
    return body.validity, body.invalid_reason


def validity_before_2026_12(
    body: ClassifyBody, occurred_at: datetime | None, received_at: datetime, policy: ComplaintPolicy
) -> tuple[Validity, InvalidReason | None]:
    """The rule cases started before the corrected rulebook keep (state.rules 1): every
    service complaint raised more than the window (as 30-day months) after the incident was
    invalid."""
    window = timedelta(days=30 * policy.attitude_complaint_window)
    if body.category is Category.service and occurred_at is not None and received_at - occurred_at > window:
        return Validity.invalid, InvalidReason.late_attitude_complaint
    return body.validity, body.invalid_reason


def motive_of(reason: InvalidReason | None, stated: Motive | None) -> Motive | None:
    """CP-05 (第十一條): an invalid complaint always carries its motive: as stated, general when
    none is; an anonymous and unfounded complaint is malicious."""
    if reason is None:
        return None
    if reason is InvalidReason.anonymous_unfounded:
        return Motive.malicious
    return stated or Motive.general


def repeats_of(prior: list[tuple[str, datetime]], received_at: datetime, policy: ComplaintPolicy) -> list[str]:
    """CP-06: the same customer's earlier complaints inside the repeat window."""
    return sorted(cid for cid, at in prior if at <= received_at and received_at - at <= policy.repeat_window)


# --- what transitions share ---------------------------------------------------------------


def complainant_note(kind: str, message: str, channel: str | None = None) -> Notification:
    return Notification(recipient_kind="complainant", recipient_id=None, kind=kind, message=message, channel=channel)


def escalate_to(s: ComplaintState, level: int, reason: str) -> tuple[StaffRef | None, list[Notification]]:
    """CP-09: raise the case to ``level`` (never lower it) and notify whoever sits there."""
    s.escalation_level = max(s.escalation_level, level)
    target = escalation_target(level, without_target(s, s.owner_chain), without_target(s, s.crisis_team))
    notes: list[Notification] = []
    if target is not None:
        if target.id not in s.escalated_to:
            s.escalated_to.append(target.id)
        notes += staff_notes([target], "escalated", f"Complaint {s.id} escalated to you (level {level}): {reason}")
    return target, notes


def go_major(s: ComplaintState, now: datetime, why: str) -> list[Notification]:
    """CP-10: a major complaint goes to the general manager / crisis team at once and a
    report to management and legal is due."""
    if s.major_since is not None:
        return []
    s.major_since = now
    s.severity = Severity.major
    _, notes = escalate_to(s, TOP_LEVEL, f"major complaint ({why})")
    # CP-06: the receiver tells their department head and the general manager at once (CP-10:
    # the general manager, or the next the crisis team names when they are complained about)
    head = department_head(without_target(s, s.receiver_chain))
    leads = crisis_leads(without_target(s, s.crisis_team))
    for member in [*([head] if head else []), *leads]:
        if member.id not in s.escalated_to and member.id not in (p.id for p in s.receiver_chain):
            s.escalated_to.append(member.id)
        notes += staff_notes([member], "major_complaint", f"Major complaint {s.id}: {why}")
    notes += staff_notes([s.owner], "major_report_due", f"Major complaint {s.id}: report due within the deadline")
    return notes


# --- intake -------------------------------------------------------------------------------


def new_case(inp_id: str, workflow_id: str, intake: ComplaintInput, now: datetime) -> ComplaintState:
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


def apply_intake(state: ComplaintState, lookup: CustomerLookup, now: datetime) -> ComplaintOutcome:
    """CP-02, CP-03, CP-20 (and CP-06 for a repeat complaint): register the case."""
    s = state.model_copy(deep=True)
    s.customer_verified = lookup.customer_verified
    if lookup.customer_id:
        s.complaint.complainant.customer_id = lookup.customer_id
    s.repeat_of = lookup.repeat_of
    notes = staff_notes([s.receiver], "registered", f"Complaint {s.id} registered; you own it until it is assigned")
    if s.rules >= 2:
        notes += acknowledgement(s)
    if lookup.repeat_of:
        s.severity_reasons = [SeverityReason.repeat_complaint]
        notes += go_major(s, now, "repeat complaint")
    s.seq += 1
    data = {
        "channel": s.complaint.channel.value,
        "customer_verified": s.customer_verified,
        "repeat_of": s.repeat_of,
        "first_responder_id": s.receiver.id,
    }
    return ComplaintOutcome(s, "registered", s.receiver.id, data, notes)


def acknowledgement(s: ComplaintState) -> list[Notification]:
    """CP-21: the complainant, when a contact is known (a phone, an e-mail address (mailed,
    issue 17), or a customer the registry knows), is told at once that the complaint was received, its reference and how and by when
    it will be handled; the receiver's direct leader is told of every new complaint (CP-07: never
    the staff member complained about, ComplaintOutcome)."""
    notes: list[Notification] = []
    c = s.complaint.complainant
    if c.phone or c.email or s.customer_verified:
        tz = s.policy.timezone
        plan_by = local(s.plan_due_at or s.clock_started_at, tz)
        resolve_by = local(s.resolution_due_at or s.clock_started_at, tz)
        notes.append(
            complainant_note(
                "acknowledged",
                f"We received your complaint on {local(s.received_at, tz):%Y-%m-%d %H:%M} ({tz}); its "
                f"reference is {s.id}. A handler will set a handling plan by {plan_by:%Y-%m-%d %H:%M} and "
                f"resolve it by {resolve_by:%Y-%m-%d %H:%M}; you will receive the result in writing.",
                complainant_channel(bool(c.email), bool(c.phone)),
            )
        )
    if s.receiver_chain:
        notes += staff_notes(
            [s.receiver_chain[0]], "new_complaint", f"New complaint {s.id} received by {s.receiver.id}"
        )
    return notes


def reopen(s: ComplaintState, now: datetime, why: str) -> list[Notification]:
    """CP-16: back to handling with its clocks restarted, a reopen count and (cases under the
    corrected rules) the escalation level of a fresh case; both answers are asked again at the
    next resolution."""
    s.status = Status.in_progress
    s.reopen_count += 1
    s.clock_started_at = now
    s.plan = s.plan_recorded_at = None
    s.plan_overdue = s.resolution_overdue = False
    s.result = s.resolved_at = s.reply_sent_at = s.reply_channel = None
    if s.rules >= 2:
        s.escalation_level = 0
    return staff_notes([s.handler], "reopened", f"Complaint {s.id} reopened: {why}")


def close(s: ComplaintState, reason: ClosedReason, now: datetime, by: str | None) -> None:
    s.status, s.closed_reason, s.closed_at, s.closed_by = Status.closed, reason, now, by


# --- one transition per step --------------------------------------------------------------


def assign(inp: AssignInput, s: ComplaintState, now: datetime) -> Change:
    """CP-20: the case goes to a handler (and an investigator, CP-11)."""
    assert inp.handler is not None
    notes: list[Notification] = []
    if s.handler is not None and s.handler.id != inp.handler.id:
        s.former_handler_ids.append(s.handler.id)
    s.handler, s.handler_chain = inp.handler, inp.handler_chain
    if inp.investigator is not None:
        s.investigator, s.investigator_chain = inp.investigator, inp.investigator_chain
        notes += staff_notes([inp.investigator], "investigation_assigned", f"Investigate complaint {s.id}")
    if s.status is Status.received:
        s.status = Status.in_progress
    notes += staff_notes([inp.handler], "assigned", f"Complaint {s.id} assigned to you")
    return Change(inp.body.model_dump(mode="json"), notes)


def classify(inp: ClassifyInput, s: ComplaintState, now: datetime) -> Change:
    """CP-04 category, CP-05 validity (an invalid complaint closes), CP-06 severity (a major
    one goes up at once, CP-10)."""
    body = inp.body
    rule = validity_of if s.rules >= 2 else validity_before_2026_12
    validity, reason = rule(body, s.complaint.occurred_at, s.received_at, s.policy)
    s.category, s.subtype, s.attitude = body.category, body.subtype, body.attitude
    s.validity, s.invalid_reason = validity, reason
    if s.rules >= 2:
        s.motive = motive_of(reason, body.motive) if validity is Validity.invalid else None
    else:
        s.motive = body.motive if validity is Validity.invalid else None
    reasons = sorted(set(s.severity_reasons) | set(body.severity_reasons))
    s.severity_reasons = reasons
    stated = severity_of(body.severity, reasons)
    if SEVERITY_ORDER[stated] > SEVERITY_ORDER[s.severity]:
        s.severity = stated
    data = body.model_dump(mode="json") | {
        "validity": validity.value,
        "invalid_reason": reason.value if reason else None,
        "motive": s.motive.value if s.motive else None,
        "severity": s.severity.value,
    }
    notes: list[Notification] = []
    if validity is Validity.invalid:
        close(s, ClosedReason.invalid, now, inp.actor.id)
        notes.append(complainant_note("invalid", f"Your complaint {s.id} was found invalid: {reason}"))
    elif s.severity is Severity.major:
        notes += go_major(s, now, ", ".join(r.value for r in reasons) or "classified major")
    return Change(data, notes)


def plan(inp: PlanInput, s: ComplaintState, now: datetime) -> Change:
    """CP-08: the handling plan, on time or not."""
    s.plan, s.plan_recorded_at = inp.body.plan, now
    return Change({"within_deadline": not s.plan_overdue})


def investigation(inp: InvestigationInput, s: ComplaintState, now: datetime) -> Change:
    """CP-11: facts from both sides and loopholes, no commitment."""
    s.findings, s.loopholes = inp.body.findings, inp.body.loopholes
    return Change({"loopholes_found": inp.body.loopholes is not None})


def escalate(inp: EscalateInput, s: ComplaintState, now: datetime) -> Change:
    """CP-09: one level up the ladder; the complainant is told to wait for the answer."""
    target, notes = escalate_to(s, s.escalation_level + 1, inp.body.reason)
    notes.append(complainant_note("escalated", f"Complaint {s.id} has been passed up; please wait for our answer"))
    data = {"level": s.escalation_level, "to": target.id if target else None}
    return Change(data, notes, {"reason": inp.body.reason})


def compensation(inp: CompensationInput, s: ComplaintState, now: datetime) -> Change:
    """CP-12: a compensation request goes to the approver of its amount's level."""
    body = inp.body
    level = approval_level_for(body.amount, s.policy)
    s.compensation = Compensation(
        amount=body.amount, reason=body.reason, required_level=level, requested_by=inp.actor.id
    )
    approver = approvers_for(level, without_target(s, s.handler_chain), without_target(s, s.crisis_team))
    notes = staff_notes(
        [approver], "compensation_approval", f"Complaint {s.id}: approve a compensation of {body.amount}"
    )
    return Change({"amount": str(body.amount), "required_level": level.value}, notes)


def compensation_decision(inp: CompensationDecisionInput, s: ComplaintState, now: datetime) -> Change:
    """CP-12: the approver decides; the handler is told."""
    body = inp.body
    assert s.compensation is not None
    s.compensation.status = CompensationStatus.approved if body.approved else CompensationStatus.rejected
    s.compensation.decided_by, s.compensation.note = inp.actor.id, body.note
    notes = staff_notes(
        [s.handler], "compensation_decided", f"Complaint {s.id}: compensation {s.compensation.status.value}"
    )
    return Change({"approved": body.approved}, notes, {"note": body.note})


def major_report(inp: MajorReportInput, s: ComplaintState, now: datetime) -> Change:
    """CP-10: the major-complaint report, to the crisis team."""
    s.major_report = inp.body.report
    notes: list[Notification] = []
    for member in crisis_leads(without_target(s, s.crisis_team)):
        notes += staff_notes([member], "major_report", f"Major-complaint report on {s.id} filed")
    return Change({"on_time": not s.major_report_overdue}, notes)


def resolve(inp: ResolveInput, s: ComplaintState, now: datetime) -> Change:
    """CP-14: the result goes to the complainant (in writing by default); CP-15: customer
    service revisits and surveys."""
    body = inp.body
    s.status, s.resolved_at, s.reply_sent_at = Status.resolved, now, now
    s.result, s.reply_channel = body.result, body.reply_channel
    if s.rules >= 2:  # CP-16: a new result, new answers (a reopened case keeps the old until then)
        s.satisfied = s.score = s.staff_satisfied = None
    notes = [complainant_note("result", f"Result of complaint {s.id}: {body.result}", body.reply_channel.value)]
    notes += staff_notes(
        [s.receiver], "revisit_due", f"Complaint {s.id} resolved: revisit and survey the complainant (CP-15)"
    )
    if s.staff_survey_asked:  # CP-16: the result only, never the complainant's details (CP-07)
        notes += staff_notes(
            [s.target_staff_id],
            RESULT_FOR_STAFF,
            f"A complaint concerning you ({s.id}) was resolved. The result: {body.result}. Do you "
            f"accept it? Answer with POST /complaints/{s.id}/staff-survey",
        )
    return Change({"reply_channel": body.reply_channel.value}, notes)


def survey(inp: SurveyInput, s: ComplaintState, now: datetime) -> Change:
    """CP-16: the complainant's answer. Dissatisfied reopens the case at once (its clocks
    restarted, its escalation level that of a fresh case); satisfied closes it, once the staff
    member complained about (when asked) has accepted the result too; until then it waits for
    their answer or for the survey clock."""
    body = inp.body
    s.satisfied, s.score = body.satisfied, body.score
    data: dict[str, Any] = body.model_dump(mode="json", exclude={"comment"})
    notes: list[Notification] = []
    if body.satisfied:
        if not s.staff_survey_asked or s.staff_satisfied:
            close(s, ClosedReason.satisfied, now, inp.actor.id)
        else:
            data["waiting_for"] = "staff_survey"
    else:
        notes += reopen(s, now, "complainant dissatisfied")
        data["reopen_count"] = s.reopen_count
    return Change(data, notes, {"comment": body.comment})


def staff_survey(inp: StaffSurveyInput, s: ComplaintState, now: datetime) -> Change:
    """CP-16: the staff member complained about accepts the result or not. Not accepted reopens
    the case like the complainant's dissatisfaction; accepted closes it once the complainant is
    satisfied too (or lets the survey clock close it)."""
    body = inp.body
    s.staff_satisfied = body.satisfied
    data: dict[str, Any] = {"satisfied": body.satisfied}
    notes: list[Notification] = []
    if body.satisfied:
        if s.satisfied:
            close(s, ClosedReason.satisfied, now, inp.actor.id)
        else:
            data["waiting_for"] = "survey"
    else:
        notes += reopen(s, now, "the staff member concerned does not accept the result")
        data["reopen_count"] = s.reopen_count
    return Change(data, notes, {"comment": body.comment})


def wait_for_customer(inp: WaitForCustomerInput, s: ComplaintState, now: datetime) -> Change:
    """Issue 14: the case waits on the customer: the resolution clock stops (the plan clock
    does not) until it is resumed; it waits at most ``max_customer_wait`` (the customer-wait
    clock). The reason is a text of the event (confidential)."""
    s.customer_waits.append(Pause(since=now, kind="customer", by=inp.actor.id))
    wait_due = s.customer_wait_due_at
    data = {"clock": "resolution", "wait_due_at": wait_due.isoformat() if wait_due else None}
    return Change(data, [], {"reason": inp.body.reason})


def resume(inp: ResumeInput, s: ComplaintState, now: datetime) -> Change:
    """Issue 14: the wait on the customer ends; the resolution clock runs again, its due time
    later by exactly the time it waited (the owner is told when customer service resumes)."""
    wait = s.customer_waits[-1]
    wait.until, wait.resumed_by = now, inp.actor.id
    due = s.resolution_due_at
    data = {
        "clock": "resolution",
        "paused_since": wait.since.isoformat(),
        "paused_seconds": (now - wait.since).total_seconds(),
        "resolution_due_at": due.isoformat() if due else None,
    }
    notes: list[Notification] = []
    if inp.actor.id != s.owner.id:
        notes = staff_notes(
            [s.owner], "customer_replied", f"Complaint {s.id}: resumed; the resolution clock runs again"
        )
    return Change(data, notes, {"note": inp.body.note})


def change_terms(inp: ChangeTermsInput, s: ComplaintState, now: datetime) -> Change:
    """Issue 14: new terms applied on purpose: the case keeps the new business calendar from
    now on; the event records each running clock's due time before and after (a clock that
    counts wall time keeps its due time). The owner is told when a due time moved."""
    before = {c.value: s.due(c) for c in Clock}
    s.policy = s.policy.model_copy(update={"calendar": inp.body.calendar})
    after = {c.value: s.due(c) for c in Clock}
    notes: list[Notification] = []
    if before != after:
        notes = staff_notes([s.owner], "terms_changed", f"Complaint {s.id}: a new calendar moved its due times")
    return Change(due_changes(before, after), notes)


# --- the table ----------------------------------------------------------------------------

#: Every step passes these first: who may touch the case, and whether it is still open.
_OPEN = (participant, still_open)
#: ... and, but for the survey, the case is not waiting for its survey.
_WORKING = (*_OPEN, not_resolved)

STEPS: dict[ComplaintStep, StepRule[Any, ComplaintState]] = {
    ComplaintStep.assign: StepRule(AssignInput, (*_WORKING, may_assign), assign),
    ComplaintStep.classify: StepRule(ClassifyInput, (*_WORKING, owner_side, may_classify), classify),
    ComplaintStep.plan: StepRule(PlanInput, (*_WORKING, owner_side), plan),
    ComplaintStep.investigation: StepRule(InvestigationInput, (*_WORKING, may_investigate), investigation),
    ComplaintStep.escalate: StepRule(EscalateInput, (*_WORKING, owner_side, may_escalate), escalate),
    ComplaintStep.compensation: StepRule(CompensationInput, (*_WORKING, may_request_compensation), compensation),
    ComplaintStep.compensation_decision: StepRule(
        CompensationDecisionInput, (*_WORKING, may_decide_compensation), compensation_decision
    ),
    ComplaintStep.major_report: StepRule(MajorReportInput, (*_WORKING, owner_side, may_report_major), major_report),
    ComplaintStep.resolve: StepRule(
        ResolveInput, (*_WORKING, owner_side, may_resolve, not_waiting_for_customer), resolve
    ),
    ComplaintStep.survey: StepRule(SurveyInput, (*_OPEN, may_survey), survey),
    # CP-16: the staff member complained about is no participant (CP-07): their own guard
    ComplaintStep.staff_survey: StepRule(StaffSurveyInput, (still_open, may_staff_survey), staff_survey),
    # issue 14: waiting on the customer stops the resolution clock
    ComplaintStep.wait_for_customer: StepRule(
        WaitForCustomerInput, (*_WORKING, owner_side, may_wait_for_customer), wait_for_customer
    ),
    ComplaintStep.resume: StepRule(ResumeInput, (*_WORKING, may_resume), resume),
    # issue 14: an administrative act, not a participant's: open cases only (CP-17)
    ComplaintStep.change_terms: StepRule(ChangeTermsInput, (still_open, may_change_terms), change_terms),
}


def check_step(step: ComplaintStep, inp: ComplaintStepInput[Any], state: ComplaintState) -> Refusal | None:
    """Whether ``inp.actor`` may take ``step`` on the case now; None when allowed."""
    return first_refusal(STEPS[step].guards, inp, state)


def apply_step(
    step: ComplaintStep, inp: ComplaintStepInput[Any], state: ComplaintState, now: datetime
) -> ComplaintOutcome:
    """The effect of a human step that ``check_step`` allowed."""
    out = take_step(STEPS[step], step.value, inp, state, now, ComplaintOutcome)
    assert isinstance(out, ComplaintOutcome)
    return out


def apply_closed(state: ComplaintState, now: datetime) -> ComplaintOutcome:
    """The closing of a case as an event of its own: when, why, and by whom (the actor) or by
    which clock (survey: the survey went unanswered)."""
    s = state.model_copy(deep=True)
    s.seq += 1
    reason = s.closed_reason
    data: dict[str, Any] = {
        "reason": reason.value if reason else None,
        "closed_at": (s.closed_at or now).isoformat(),
        "by": s.closed_by,
        "clock": "survey" if reason is ClosedReason.survey_unanswered else None,
    }
    if reason is ClosedReason.invalid:
        data |= {
            "invalid_reason": s.invalid_reason.value if s.invalid_reason else None,
            "motive": s.motive.value if s.motive else None,
        }
    return ComplaintOutcome(s, "closed", s.closed_by, data)


def apply_archive(state: ComplaintState, now: datetime) -> ComplaintOutcome:
    """CP-17: a closed case goes into the case file of its year and becomes read-only."""
    s = state.model_copy(deep=True)
    s.archived = True
    s.case_file = f"complaints-{local_year(s.closed_at or now, s.policy.timezone)}"
    s.seq += 1
    return ComplaintOutcome(s, "archived", None, {"case_file": s.case_file})
