"""What happens to a customer account: its opening, each human step (one row of ``STEPS``
each: its typed input, its guards, its transition) and continue-as-new. Transitions change a
copy of the state; the functions here never mutate their input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.case import Change, Notification, Outcome, Refusal, StepRule, staff_notes, step_refusal, take_step
from models.clock import ClockOutcome
from models.customer.clocks import arm, arm_cadences, disarm, stop_cadences
from models.customer.guards import (
    MANAGER_ROLES,
    delivered_by_now,
    may_blacklist,
    may_change_tier,
    may_decide_change,
    may_instruct,
    may_lift,
    may_reassign,
    may_record_delivery,
    may_report_credit,
    may_report_problem,
    may_report_visit,
    may_review_report,
    no_business_if_blacklisted,
    officer,
    owner_or_officer,
    service_held,
    visible,
    visible_or_finance,
    visible_or_marketing,
)
from models.customer.messages import (
    BlacklistInput,
    ChangeDecisionInput,
    ChangeInput,
    CreditAlertInput,
    CreditReportInput,
    CustomerStepInput,
    DeliveryInput,
    InstructionInput,
    LiftInput,
    ProblemInput,
    ReassignInput,
    ReviewInput,
    ServiceInput,
    SurveyInput,
    TierInput,
    VisitReportInput,
)
from models.customer.state import (
    ChangeRequest,
    CreditAlert,
    CreditReport,
    CustomerInput,
    CustomerState,
    Delivery,
    Service,
    Survey,
    alert,
    change,
    months_later,
    next_revisit,
    owed_reports,
    report_due,
    service,
    set_flag,
    trim,
    trim_services,
)
from models.customer.vocabulary import Clock, CustomerStep, Decision, Flag, ServiceKind, Tier

CustomerOutcome = Outcome[CustomerState]


# --- the opening --------------------------------------------------------------------------


def new_account(inp: CustomerInput, workflow_id: str, now: datetime) -> CustomerState:
    c = inp.create
    record = c.record()
    return CustomerState(
        id=inp.id,
        workflow_id=workflow_id,
        policy=inp.policy,
        created_at=now,
        original=record,
        working=record.model_copy(),
        owner=inp.owner,
        owner_chain=inp.owner_chain,
        department=inp.owner.department,
        tier=c.tier,
        credit_class=c.credit_class,
        from_project=inp.from_project,
        deliveries=[Delivery(project_id=d.project_id, delivered_at=d.delivered_at) for d in c.delivered],
        last_service_at=min(c.last_service_at, now) if c.last_service_at else None,
        last_survey_at=min(c.last_survey_at, now) if c.last_survey_at else None,
    )


def apply_opening(state: CustomerState, opened_by: str, now: datetime) -> CustomerOutcome:
    """The account opens: its cadences start (CC-01, CC-03, CC-05, CC-07); its owner is told."""
    s = state.model_copy(deep=True)
    arm_cadences(s, now)
    s.seq += 1
    data = {
        "owner_id": s.owner.id,
        "department": s.department,
        "tier": s.tier.value,
        "credit_class": s.credit_class.value,
        "deliveries": [d.project_id for d in s.deliveries],
        "from_project": s.from_project,
    }
    notes = staff_notes([s.owner], "customer_assigned", f"Customer {s.id} is yours to serve ({s.tier.value})")
    return CustomerOutcome(s, "account_opened", opened_by, data, notes, texts={"name": s.original.name})


# --- one transition per step --------------------------------------------------------------


def record_service(inp: ServiceInput, s: CustomerState, now: datetime) -> Change:
    """CC-05: a service restarts the 3 months; CC-01: a revisit is the delivered project's
    revisit, the next one due a month (a quarter after the first year) later; CC-02: a visit
    owes its report within 2 days, a revisit by the end of the next day."""
    body = inp.body
    held = body.held_at or now
    s.service_count += 1
    x = Service(
        id=f"S{s.service_count}",
        kind=body.kind,
        held_at=held,
        by=inp.actor.id,
        recorded_at=now,
        report_due_at=report_due(s, body.kind, held),
    )
    s.services.append(x)
    data: dict[str, Any] = {"service_id": x.id, "kind": x.kind.value, "held_at": held.isoformat()}
    if s.last_service_at is None or held > s.last_service_at:
        s.last_service_at = held
        arm(s, Clock.service, held, months_later(held, s.policy.unserved_after_months, s.policy))
        set_flag(s, Flag.unserved, False)
    if body.kind is ServiceKind.revisit and s.deliveries:
        s.last_revisit_at = max(held, s.last_revisit_at or held)
        arm(s, Clock.revisit, held, max(next_revisit(s, held), now))
        set_flag(s, Flag.revisit_overdue, False)
        data["next_revisit_at"] = s.dues[Clock.revisit.value].due.isoformat()
    if x.report_due_at is not None:
        data["report_due_at"] = x.report_due_at.isoformat()
    trim_services(s)
    return Change(data, [], {"note": body.note})


def visit_report(inp: VisitReportInput, s: CustomerState, now: datetime) -> Change:
    """CC-02: the report is written; it goes to the supervisor for review."""
    x = service(s, inp.body.service_id)
    assert x is not None and x.report_due_at is not None
    on_time = now <= x.report_due_at
    x.reported_at, x.reported_by, x.report = now, inp.actor.id, inp.body.report
    if not any(y.report_overdue and y.reported_at is None for y in s.services):
        set_flag(s, Flag.report_overdue, False)
    set_flag(s, Flag.review_due, True)
    notes = staff_notes(
        [s.supervisor], "report_review_due", f"Customer {s.id}: review the report of {x.kind.value} {x.id}"
    )
    return Change({"service_id": x.id, "on_time": on_time}, notes, {"report": inp.body.report})


def review_report(inp: ReviewInput, s: CustomerState, now: datetime) -> Change:
    """CC-02: the supervisor accepts the report, or sends it back to be written again (due
    again as a visit report is)."""
    body = inp.body
    x = service(s, body.service_id)
    assert x is not None
    notes: list[Notification]
    if body.approved:
        x.reviewed_at, x.reviewed_by, x.review_note = now, inp.actor.id, body.note
        notes = staff_notes([x.reported_by], "report_accepted", f"Customer {s.id}: report {x.id} accepted")
    else:
        x.reported_at = x.reported_by = x.report = None
        x.report_overdue = False
        x.report_due_at = s.policy.due("visit_report", now, s.policy.visit_report_deadline)
        x.report_owed_since = now
        notes = staff_notes([x.by, s.owner], "report_sent_back", f"Customer {s.id}: rewrite the report of {x.id}")
    set_flag(s, Flag.review_due, any(y.awaits_review for y in s.services))
    trim_services(s)
    return Change({"service_id": x.id, "approved": body.approved}, notes, {"note": body.note})


def record_delivery(inp: DeliveryInput, s: CustomerState, now: datetime) -> Change:
    """CC-01: a delivered project: its revisits start, monthly in its first year."""
    at = inp.body.delivered_at or now
    s.deliveries.append(Delivery(project_id=inp.body.project_id, delivered_at=at))
    current = s.dues.get(Clock.revisit.value)
    first = max(next_revisit(s, at), now)
    if current is None or current.ended is not None or first < current.due:
        arm(s, Clock.revisit, at, first)
    due = s.dues[Clock.revisit.value].due
    return Change(
        {"project_id": inp.body.project_id, "delivered_at": at.isoformat(), "next_revisit_at": due.isoformat()}
    )


def credit_report(inp: CreditReportInput, s: CustomerState, now: datetime) -> Change:
    """CC-03: a credit report; the class it finds sets when the next one is due."""
    body = inp.body
    old = s.credit_class
    s.credit_class = body.credit_class
    s.credit_reports.append(CreditReport(at=now, by=inp.actor.id, credit_class=body.credit_class, report=body.report))
    trim(s.credit_reports)
    due = months_later(now, s.policy.credit_report_months(s.credit_class.value), s.policy)
    if s.blacklist is None:
        arm(s, Clock.credit_report, now, due)
    set_flag(s, Flag.credit_report_overdue, False)
    data = {"credit_class": s.credit_class.value, "previous_class": old.value, "next_due_at": due.isoformat()}
    notes = []
    if old is not s.credit_class:
        notes = staff_notes(
            [s.owner, s.supervisor],
            "credit_class_changed",
            f"Customer {s.id}: credit class {old.value} → {s.credit_class.value}",
        )
    return Change(data, notes, {"report": body.report})


def credit_alert(inp: CreditAlertInput, s: CustomerState, now: datetime) -> Change:
    """CC-03: a sudden change is an urgent report: the supervisor is told at once; nothing is
    done about it before the supervisor's instruction."""
    s.alert_count += 1
    a = CreditAlert(id=f"A{s.alert_count}", at=now, by=inp.actor.id, report=inp.body.report)
    s.alerts.append(a)
    set_flag(s, Flag.credit_alert, True)
    people = [s.supervisor] + [m for m in [s.manager] if m is not None and m != s.supervisor]
    notes = staff_notes(
        people, "credit_alert_urgent", f"URGENT: customer {s.id}: sudden change of credit: {inp.body.report}"
    )
    return Change({"alert_id": a.id}, notes, {"report": inp.body.report})


def credit_instruction(inp: InstructionInput, s: CustomerState, now: datetime) -> Change:
    """CC-03: the supervisor's instruction on an urgent report (and a new class, if any)."""
    body = inp.body
    a = alert(s, body.alert_id)
    assert a is not None
    a.instructed_at, a.instructed_by, a.instruction = now, inp.actor.id, body.instruction
    data: dict[str, Any] = {"alert_id": a.id}
    if body.credit_class is not None and body.credit_class is not s.credit_class:
        data["previous_class"] = s.credit_class.value
        s.credit_class = body.credit_class
        data["credit_class"] = s.credit_class.value
        run = s.dues.get(Clock.credit_report.value)
        if run is not None and run.ended is None:  # the cadence of the new class, from the last report
            last = s.credit_reports[-1].at if s.credit_reports else run.since
            arm(
                s,
                Clock.credit_report,
                last,
                max(months_later(last, s.policy.credit_report_months(s.credit_class.value), s.policy), now),
            )
    set_flag(s, Flag.credit_alert, any(x.instructed_at is None for x in s.alerts))
    settled = [x for x in s.alerts if x.instructed_at is not None]
    trim(settled)
    s.alerts = [x for x in s.alerts if x.instructed_at is None or x in settled]
    notes = staff_notes([a.by, s.owner], "credit_instruction", f"Customer {s.id}: instruction on urgent report {a.id}")
    return Change(data, notes, {"instruction": body.instruction})


def change_tier(inp: TierInput, s: CustomerState, now: datetime) -> Change:
    """CC-04: the new tier (within the shares); a VIP with a problem downgraded in time meets
    its clock."""
    old, s.tier = s.tier, inp.body.tier
    data: dict[str, Any] = {"tier": s.tier.value, "previous_tier": old.value}
    if old is Tier.vip and (Flag.downgrade_due in s.flags):
        overdue = Flag.downgrade_overdue in s.flags
        disarm(s, Clock.downgrade, ClockOutcome.met)
        set_flag(s, Flag.downgrade_due, False)
        set_flag(s, Flag.downgrade_overdue, False)
        s.problem_at = None
        data["downgrade_on_time"] = not overdue
    notes = staff_notes([s.owner], "tier_changed", f"Customer {s.id}: tier {old.value} → {s.tier.value}")
    return Change(data, notes, {"reason": inp.body.reason})


def report_problem(inp: ProblemInput, s: CustomerState, now: datetime) -> Change:
    """CC-04: a VIP with a problem is downgraded within 5 days."""
    p = s.policy
    s.problem_at = now
    due = p.due("downgrade", now, p.vip_downgrade_deadline)
    arm(s, Clock.downgrade, now, due)
    set_flag(s, Flag.downgrade_due, True)
    notes = staff_notes(
        [s.supervisor, s.owner],
        "downgrade_due",
        f"Customer {s.id}: a VIP with a problem; downgrade by {due:%Y-%m-%d %H:%M} UTC (CC-04)",
    )
    return Change({"downgrade_due_at": due.isoformat()}, notes, {"problem": inp.body.problem})


def blacklist(inp: BlacklistInput, s: CustomerState, now: datetime) -> Change:
    """CC-04: on a blacklist, the customer gets no business: its cadences stop."""
    s.blacklist = inp.body.scope
    stop_cadences(s)
    for flag in (Flag.revisit_overdue, Flag.unserved, Flag.survey_overdue, Flag.credit_report_overdue):
        set_flag(s, flag, False)
    notes = staff_notes(
        [s.owner, s.supervisor],
        "customer_blacklisted",
        f"Customer {s.id} is on the {s.blacklist.value} blacklist: no business",
    )
    return Change({"scope": s.blacklist.value}, notes, {"reason": inp.body.reason})


def lift_blacklist(inp: LiftInput, s: CustomerState, now: datetime) -> Change:
    """CC-04: off the blacklist, the customer is in business again: its cadences restart, each
    a full period from now (the time on the blacklist never counts as a service missed)."""
    scope = s.blacklist
    assert scope is not None
    s.blacklist = None
    arm_cadences(s, now, restart=True)
    notes = staff_notes(
        [s.owner, s.supervisor], "blacklist_lifted", f"Customer {s.id} is off the {scope.value} blacklist"
    )
    return Change({"scope": scope.value}, notes, {"reason": inp.body.reason})


def reassign(inp: ReassignInput, s: CustomerState, now: datetime) -> Change:
    """CC-05: the customer goes to another owner (and its department), who has 3 months to
    serve it."""
    assert inp.new_owner is not None
    old = s.owner
    s.owner, s.owner_chain, s.department = inp.new_owner, inp.new_owner_chain, inp.new_owner.department
    set_flag(s, Flag.unserved, False)
    arm(s, Clock.service, now, months_later(now, s.policy.unserved_after_months, s.policy))
    notes = staff_notes([s.owner], "customer_assigned", f"Customer {s.id} is yours to serve (reassigned, CC-05)")
    notes += staff_notes([old], "customer_reassigned", f"Customer {s.id} went to another owner (CC-05)")
    data = {"previous_owner_id": old.id, "owner_id": s.owner.id, "department": s.department}
    return Change(data, notes, {"reason": inp.body.reason})


def survey(inp: SurveyInput, s: CustomerState, now: datetime) -> Change:
    """CC-07: a satisfaction survey; the next is due within a year."""
    s.surveys.append(Survey(at=now, by=inp.actor.id, score=inp.body.score))
    trim(s.surveys)
    s.last_survey_at = now
    due = months_later(now, s.policy.survey_every_months, s.policy)
    arm(s, Clock.survey, now, due)
    set_flag(s, Flag.survey_overdue, False)
    return Change({"score": inp.body.score, "next_due_at": due.isoformat()}, [], {"note": inp.body.note})


def request_change(inp: ChangeInput, s: CustomerState, now: datetime) -> Change:
    """CC-08: a change of the working record waits for a manager; the original never changes."""
    s.change_count += 1
    fields = inp.body.fields()
    c = ChangeRequest(
        id=f"R{s.change_count}", fields=fields, reason=inp.body.reason, requested_by=inp.actor.id, requested_at=now
    )
    s.changes.append(c)
    set_flag(s, Flag.change_pending, True)
    # the first manager over the owner decides, unless they asked: then the next one up
    decider = next((x for x in s.owner_chain if x.role in MANAGER_ROLES and x.id != inp.actor.id), None)
    notes = staff_notes(
        [decider], "change_decision_due", f"Customer {s.id}: decide change {c.id} of the record (CC-08)"
    )
    texts: dict[str, str | None] = {f"new_{k}": v for k, v in fields.items()}
    texts["reason"] = inp.body.reason
    return Change({"change_id": c.id, "fields": sorted(fields)}, notes, texts)


def decide_change(inp: ChangeDecisionInput, s: CustomerState, now: datetime) -> Change:
    """CC-08: the manager approves (the working record changes) or refuses; both are kept."""
    body = inp.body
    c = change(s, body.change_id)
    assert c is not None
    c.status = Decision.approved if body.approved else Decision.rejected
    c.decided_by, c.decided_at, c.note = inp.actor.id, now, body.note
    texts: dict[str, str | None] = {"note": body.note}
    if body.approved:
        before = s.working.model_dump()
        s.working = s.working.model_copy(update=c.fields)
        texts |= {f"old_{k}": before[k] for k in c.fields}
        texts |= {f"new_{k}": v for k, v in c.fields.items()}
    set_flag(s, Flag.change_pending, any(x.status is Decision.pending for x in s.changes))
    pending = [x for x in s.changes if x.status is Decision.pending]
    done = [x for x in s.changes if x.status is not Decision.pending]
    trim(done)
    s.changes = sorted(pending + done, key=lambda x: int(x.id[1:]))
    notes = staff_notes([c.requested_by], "change_decided", f"Customer {s.id}: change {c.id} {c.status.value} (CC-08)")
    data = {
        "change_id": c.id,
        "approved": body.approved,
        "requested_by": c.requested_by,
        "requested_at": c.requested_at.isoformat(),
        "fields": sorted(c.fields),
    }
    return Change(data, notes, texts)


# --- the table ----------------------------------------------------------------------------

_BUSINESS = (visible, no_business_if_blacklisted)

STEPS: dict[CustomerStep, StepRule[Any, CustomerState]] = {
    CustomerStep.record_service: StepRule(
        ServiceInput, (*_BUSINESS, owner_or_officer), record_service, (service_held,)
    ),
    CustomerStep.visit_report: StepRule(VisitReportInput, (visible, may_report_visit), visit_report),
    CustomerStep.review_report: StepRule(ReviewInput, (visible, may_review_report), review_report),
    CustomerStep.record_delivery: StepRule(
        DeliveryInput, (*_BUSINESS, owner_or_officer, may_record_delivery), record_delivery, (delivered_by_now,)
    ),
    CustomerStep.credit_report: StepRule(CreditReportInput, (visible_or_finance, may_report_credit), credit_report),
    CustomerStep.credit_alert: StepRule(CreditAlertInput, (visible, owner_or_officer), credit_alert),
    CustomerStep.credit_instruction: StepRule(InstructionInput, (visible, may_instruct), credit_instruction),
    CustomerStep.change_tier: StepRule(TierInput, (visible, officer, may_change_tier), change_tier),
    CustomerStep.report_problem: StepRule(
        ProblemInput, (visible, owner_or_officer, may_report_problem), report_problem
    ),
    CustomerStep.blacklist: StepRule(BlacklistInput, (visible_or_marketing, may_blacklist), blacklist),
    CustomerStep.lift_blacklist: StepRule(LiftInput, (visible_or_marketing, may_lift), lift_blacklist),
    CustomerStep.reassign: StepRule(ReassignInput, (visible, officer, may_reassign), reassign),
    CustomerStep.survey: StepRule(SurveyInput, (*_BUSINESS, owner_or_officer), survey),
    CustomerStep.request_change: StepRule(ChangeInput, (visible,), request_change),
    CustomerStep.decide_change: StepRule(ChangeDecisionInput, (visible, may_decide_change), decide_change),
}


def check_step(step: CustomerStep, inp: CustomerStepInput[Any], state: CustomerState, now: datetime) -> Refusal | None:
    """Whether ``inp.actor`` may take ``step`` on the customer at ``now``; None when allowed."""
    return step_refusal(STEPS[step], inp, state, now)


def apply_step(step: CustomerStep, inp: CustomerStepInput[Any], state: CustomerState, now: datetime) -> CustomerOutcome:
    """The effect of a human step that ``check_step`` allowed."""
    return take_step(STEPS[step], step.value, inp, state, now)


def apply_continue_as_new(state: CustomerState) -> CustomerState:
    """The state a new run starts from: the same account, one more run."""
    s = state.model_copy(deep=True)
    s.runs += 1
    return s


__all__ = ["STEPS", "apply_opening", "apply_step", "check_step", "new_account", "owed_reports"]
