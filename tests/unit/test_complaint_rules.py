"""Unit tests of the pure complaint rules (models/complaint/: guards, steps, clocks, views).

No Temporal, no database, no clock: every test builds a ``ComplaintState`` with the same
functions the workflow calls and checks what the rules decide. Each test names the rule of
../shared/RULES.md it proves (``grep -r CP-08 tests/``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from models.complaint.clocks import apply_clock, next_clock, reassignment_request
from models.complaint.guards import (
    approval_level_for,
    approvers_for,
    escalation_target,
    may_approve,
    may_view,
    reassignment_candidate,
    viewers,
)
from models.complaint.messages import (
    ClassifyBody,
    ComplaintCreate,
    ComplaintInput,
    ComplaintStepInput,
    CustomerLookup,
    InvestigationBody,
    Reassignment,
    Target,
)
from models.complaint.state import ComplaintState
from models.complaint.steps import ComplaintOutcome as Outcome
from models.complaint.steps import (
    apply_archive,
    apply_closed,
    apply_intake,
    apply_step,
    check_step,
    new_case,
    repeats_of,
    severity_of,
    validity_of,
)
from models.complaint.views import describe_waiting
from models.complaint.vocabulary import (
    ApprovalLevel,
    Category,
    Channel,
    Clock,
    ClosedReason,
    CompensationStatus,
    ComplaintStep,
    InvalidReason,
    Motive,
    ReplyChannel,
    Severity,
    SeverityReason,
    Status,
    Subtype,
    Validity,
)
from models.policy import ComplaintPolicy
from models.staff import Directory, Role, StaffRef
from starter.intake import new_case_id
from tests.steps import complaint_step

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
CASE_ID = "20261124-TEST01"

COMPLAINANT_NAME = "Zhang Sanfeng"
COMPLAINANT_PHONE = "+86 138 0013 8000"

# --- helpers ------------------------------------------------------------------------------


def complaint(**over: Any) -> ComplaintCreate:
    """A complaint about ops-3 (an operations driver), with a named complainant."""
    data: dict[str, Any] = {
        "channel": "phone",
        "complainant": {"name": COMPLAINANT_NAME, "phone": COMPLAINANT_PHONE, "customer_id": "CUST-7"},
        "target": {"kind": "staff", "staff_id": "ops-3"},
        "summary": "The driver was rude at delivery",
        "description": "Shouted at the warehouse keeper",
        "occurred_at": NOW - timedelta(days=2),
    }
    data.update(over)
    return ComplaintCreate.model_validate(data)


def ref(directory: Directory, staff_id: str) -> StaffRef:
    staff = directory.get(staff_id)
    assert staff is not None, staff_id
    return staff.ref


def intake_for(
    directory: Directory,
    policy: ComplaintPolicy,
    *,
    receiver: str = "cs-1",
    body: ComplaintCreate | None = None,
) -> ComplaintInput:
    return ComplaintInput(
        id=CASE_ID,
        complaint=body or complaint(),
        receiver=ref(directory, receiver),
        receiver_chain=directory.chain(receiver),
        crisis_team=directory.with_role(Role.general_manager),
        policy=policy,
    )


def registered(
    directory: Directory,
    policy: ComplaintPolicy,
    *,
    receiver: str = "cs-1",
    body: ComplaintCreate | None = None,
    lookup: CustomerLookup | None = None,
) -> ComplaintState:
    """A case just registered (after intake), status received."""
    intake = intake_for(directory, policy, receiver=receiver, body=body)
    state = new_case(CASE_ID, "complaint-" + CASE_ID, intake, NOW)
    out = apply_intake(state, lookup or CustomerLookup(customer_verified=True, customer_id="CUST-7"), NOW)
    return out.state


def step_input(
    directory: Directory,
    step: ComplaintStep,
    actor: str,
    body: dict[str, Any] | None = None,
    *,
    handler: str | None = None,
    investigator: str | None = None,
) -> ComplaintStepInput[Any]:
    return complaint_step(
        step,
        ref(directory, actor),
        body,
        handler=ref(directory, handler) if handler else None,
        handler_chain=directory.chain(handler) if handler else [],
        investigator=ref(directory, investigator) if investigator else None,
        investigator_chain=directory.chain(investigator) if investigator else [],
    )


def act(
    directory: Directory,
    state: ComplaintState,
    step: ComplaintStep,
    actor: str,
    body: dict[str, Any] | None = None,
    *,
    at: datetime = NOW,
    handler: str | None = None,
    investigator: str | None = None,
) -> Outcome:
    """Take an allowed step: check_step must allow it, then apply_step."""
    inp = step_input(directory, step, actor, body, handler=handler, investigator=investigator)
    refusal = check_step(step, inp, state)
    assert refusal is None, refusal
    return apply_step(step, inp, state, at)


def refusal_of(
    directory: Directory,
    state: ComplaintState,
    step: ComplaintStep,
    actor: str,
    body: dict[str, Any] | None = None,
    *,
    handler: str | None = None,
    investigator: str | None = None,
):
    inp = step_input(directory, step, actor, body, handler=handler, investigator=investigator)
    return check_step(step, inp, state)


def assigned(
    directory: Directory,
    policy: ComplaintPolicy,
    *,
    handler: str = "ops-1",
    investigator: str | None = None,
    body: ComplaintCreate | None = None,
) -> ComplaintState:
    s = registered(directory, policy, body=body)
    body_ = {"handler_id": handler} | ({"investigator_id": investigator} if investigator else {})
    return act(directory, s, ComplaintStep.assign, "cs-1", body_, handler=handler, investigator=investigator).state


SERVICE_VALID = {"category": "service", "validity": "valid"}


def in_hand(
    directory: Directory,
    policy: ComplaintPolicy,
    *,
    investigator: str | None = None,
    body: ComplaintCreate | None = None,
) -> ComplaintState:
    """Assigned to ops-1, classified (service, valid, general), plan recorded."""
    s = assigned(directory, policy, investigator=investigator, body=body)
    s = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID).state
    return act(directory, s, ComplaintStep.plan, "ops-1", {"plan": "Call the customer, talk to ops-3"}).state


def resolved(
    directory: Directory,
    policy: ComplaintPolicy,
    *,
    investigator: str | None = None,
    at: datetime = NOW + timedelta(hours=5),
) -> ComplaintState:
    s = in_hand(directory, policy, investigator=investigator)
    return act(
        directory, s, ComplaintStep.resolve, "ops-1", {"result": "Apologised", "reply_channel": "email"}, at=at
    ).state


def closed_satisfied(directory: Directory, policy: ComplaintPolicy) -> ComplaintState:
    """Resolved, the staff member complained about (ops-3) accepts, the complainant is satisfied:
    closed (CP-16)."""
    s = resolved(directory, policy)
    s = act(directory, s, ComplaintStep.staff_survey, "ops-3", {"satisfied": True}).state
    s = act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": True}).state
    assert s.status is Status.closed
    return s


def staff_notes(out: Outcome, kind: str | None = None) -> dict[str, list[str]]:
    """recipient id -> kinds of notifications to staff."""
    got: dict[str, list[str]] = {}
    for n in out.notifications:
        if n.recipient_kind == "staff" and (kind is None or n.kind == kind):
            got.setdefault(n.recipient_id or "", []).append(n.kind)
    return got


def complainant_notes(out: Outcome):
    return [n for n in out.notifications if n.recipient_kind == "complainant"]


# --- CP-01 channels -----------------------------------------------------------------------


def test_cp01_channel_vocabulary_is_the_eight_channels_of_the_rulebook():
    """CP-01: phone, walk-in, online chat, email, letter, hotline, authority referral, revisit."""
    assert {c.value for c in Channel} == {
        "phone",
        "walk_in",
        "online_chat",
        "email",
        "letter",
        "hotline",
        "authority_referral",
        "revisit",
    }


@pytest.mark.parametrize("channel", list(Channel))
def test_cp01_every_channel_enters_through_the_same_intake(directory, policy, channel):
    """CP-01: each channel is accepted by ComplaintCreate and registered the same way."""
    body = complaint(channel=channel.value)
    assert body.channel is channel
    intake = intake_for(directory, policy, body=body)
    out = apply_intake(
        new_case(CASE_ID, "complaint-" + CASE_ID, intake, NOW),
        CustomerLookup(customer_verified=True, customer_id="CUST-7"),
        NOW,
    )
    assert out.kind == "registered"
    assert out.state.status is Status.received
    assert out.data["channel"] == channel.value


@pytest.mark.parametrize("channel", ["fax", "carrier_pigeon", "", "PHONE"])
def test_cp01_unknown_channel_is_rejected(channel):
    """CP-01: only the listed channels exist."""
    with pytest.raises(ValidationError):
        complaint(channel=channel)


# --- CP-02 registration record --------------------------------------------------------------


def test_cp02_anonymous_complaint_is_valid_and_registered(directory, policy):
    """CP-02: no name, no phone: still accepted and registered."""
    body = ComplaintCreate(
        channel=Channel.letter,
        target=Target(kind="department", name="Warehouse"),
        summary="Goods left in the rain",
    )
    assert body.complainant.name is None and body.complainant.phone is None
    s = registered(directory, policy, body=body, lookup=CustomerLookup(customer_verified=False, customer_id=None))
    assert s.status is Status.received
    assert s.complaint.complainant.name is None
    assert s.complaint.complainant.phone is None


def test_cp02_record_holds_complainant_target_facts_channel_receiver_and_time(directory, policy):
    """CP-02: name, phone, customer id, target, what and when, channel, receiver, received at."""
    s = registered(directory, policy)
    c = s.complaint
    assert c.complainant.name == COMPLAINANT_NAME
    assert c.complainant.phone == COMPLAINANT_PHONE
    assert c.complainant.customer_id == "CUST-7"
    assert c.target.kind == "staff" and c.target.staff_id == "ops-3"
    assert c.summary and c.description
    assert c.occurred_at == NOW - timedelta(days=2)
    assert c.channel is Channel.phone
    assert s.receiver.id == "cs-1"
    assert s.received_at == NOW


@pytest.mark.parametrize("kind", ["staff", "department", "product", "service"])
def test_cp02_every_target_kind_is_accepted(kind):
    """CP-02: the target is a staff member, a department, a product or a service."""
    target = Target(kind=kind, staff_id="ops-3" if kind == "staff" else None, name="x")
    assert target.kind == kind


def test_cp02_target_kind_staff_requires_staff_id():
    """CP-02: a complaint about a staff member names that staff member."""
    with pytest.raises(ValidationError, match="staff_id"):
        complaint(target={"kind": "staff"})
    with pytest.raises(ValidationError):
        Target(kind="staff", staff_id="")


@pytest.mark.parametrize(
    "over",
    [
        {"priority": "high"},
        {"complainant": {"name": "A", "address": "1 Main St"}},
        {"target": {"kind": "product", "name": "Cast ball", "sku": "X1"}},
    ],
    ids=["complaint", "complainant", "target"],
)
def test_cp02_extra_fields_are_rejected(over):
    """CP-02: the record has exactly its fields; unknown ones are refused."""
    with pytest.raises(ValidationError, match="[Ee]xtra"):
        complaint(**over)


def test_cp02_malformed_phone_is_rejected():
    """CP-02: the complainant's phone is a phone number."""
    with pytest.raises(ValidationError):
        complaint(complainant={"name": "A", "phone": "call me maybe"})


# --- CP-03 customer lookup ------------------------------------------------------------------


def test_cp03_unverified_complainant_is_still_registered(directory, policy):
    """CP-03: an unverified complainant is registered, marked unverified."""
    out = apply_intake(
        new_case(CASE_ID, "complaint-" + CASE_ID, intake_for(directory, policy), NOW),
        CustomerLookup(customer_verified=False, customer_id=None),
        NOW,
    )
    assert out.kind == "registered"
    assert out.state.customer_verified is False
    assert out.data["customer_verified"] is False
    assert out.state.status is Status.received


def test_cp03_verified_complainant_gets_the_registry_customer_id(directory, policy):
    """CP-03: a complainant found in the registry is marked verified with their customer id."""
    body = complaint(complainant={"name": COMPLAINANT_NAME, "phone": COMPLAINANT_PHONE})
    s = registered(directory, policy, body=body, lookup=CustomerLookup(customer_verified=True, customer_id="CUST-42"))
    assert s.customer_verified is True
    assert s.complaint.complainant.customer_id == "CUST-42"


# --- CP-04 category -------------------------------------------------------------------------


def test_cp04_business_complaint_needs_a_subtype():
    """CP-04: a business complaint has one of the business subtypes."""
    with pytest.raises(ValidationError, match="CP-04"):
        ClassifyBody(category="business", validity="valid")


def test_cp04_service_complaint_forbids_a_subtype():
    """CP-04: subtypes belong to business complaints only."""
    with pytest.raises(ValidationError, match="CP-04"):
        ClassifyBody(category="service", subtype="timeliness", validity="valid")


def test_cp04_business_subtypes_are_the_five_of_the_rulebook():
    """CP-04: goods discrepancy, timeliness, information error, insurance/claims, other."""
    assert {s.value for s in Subtype} == {
        "goods_discrepancy",
        "timeliness",
        "information_error",
        "insurance_claims",
        "other",
    }
    for sub in Subtype:
        assert ClassifyBody(category="business", subtype=sub, validity="valid").subtype is sub


def test_cp04_classify_step_records_category_and_subtype(directory, policy):
    """CP-04: the classification is kept on the case."""
    s = assigned(directory, policy)
    out = act(
        directory,
        s,
        ComplaintStep.classify,
        "ops-1",
        {"category": "business", "subtype": "timeliness", "validity": "valid"},
    )
    assert out.state.category is Category.business
    assert out.state.subtype is Subtype.timeliness
    assert out.state.status is Status.in_progress


# --- CP-05 validity -------------------------------------------------------------------------


ONE_MONTH_BEFORE = datetime(2026, 10, 24, 9, tzinfo=UTC)  # NOW less one calendar month


def test_cp05_late_attitude_complaint_is_invalid(policy):
    """CP-05: a service-attitude complaint raised more than a calendar month after the incident."""
    body = ClassifyBody(category="service", attitude=True, validity="valid")
    occurred = ONE_MONTH_BEFORE - timedelta(minutes=1)
    assert validity_of(body, occurred, NOW, policy) == (
        Validity.invalid,
        InvalidReason.late_attitude_complaint,
    )


def test_cp05_attitude_complaint_inside_the_calendar_month_keeps_its_classification(policy):
    """CP-05: within the calendar month (and exactly at it) the classification stands."""
    body = ClassifyBody(category="service", attitude=True, validity="valid")
    assert validity_of(body, NOW - timedelta(days=3), NOW, policy) == (Validity.valid, None)
    assert validity_of(body, ONE_MONTH_BEFORE, NOW, policy) == (Validity.valid, None)
    assert validity_of(body, None, NOW, policy) == (Validity.valid, None)


def test_cp05_late_service_complaint_not_about_attitude_stays_valid(policy):
    """CP-05 (corrected): only an *attitude* complaint is invalid for lateness; another service
    complaint raised months after the incident keeps its classification."""
    body = ClassifyBody(category="service", validity="valid")
    assert validity_of(body, NOW - timedelta(days=120), NOW, policy) == (Validity.valid, None)


def test_cp05_times_the_month_is_a_calendar_month_in_the_company_timezone(policy):
    """CP-05 with "Times and calendars": an incident at 23:30 on 31 January Beijing time (15:30
    UTC) runs out at the end of 28 February Beijing time: a complaint at 00:30 on 1 March
    Beijing time (16:30 UTC on 28 February) is late, one at 23:00 on 28 February is not; 30
    days would say otherwise for both."""
    body = ClassifyBody(category="service", attitude=True, validity="valid")
    occurred = datetime(2027, 1, 31, 15, 30, tzinfo=UTC)
    late = datetime(2027, 2, 28, 16, 30, tzinfo=UTC)
    in_time = datetime(2027, 2, 28, 15, 0, tzinfo=UTC)
    assert validity_of(body, occurred, late, policy)[0] is Validity.invalid
    assert validity_of(body, occurred, in_time, policy)[0] is Validity.valid
    assert late - occurred < timedelta(days=30)


def test_cp05_attitude_flag_is_for_service_complaints_only():
    """CP-05: attitude (服務態度) qualifies a service complaint."""
    with pytest.raises(ValidationError, match="CP-05"):
        ClassifyBody(category="business", subtype="other", attitude=True, validity="valid")


def test_cp05_late_business_complaint_is_not_made_invalid(policy):
    """CP-05: the one-month limit is for service-attitude complaints only."""
    body = ClassifyBody(category="business", subtype="goods_discrepancy", validity="valid")
    assert validity_of(body, NOW - timedelta(days=90), NOW, policy) == (Validity.valid, None)


def test_cp05_attitude_window_comes_from_the_policy():
    """CP-05: the month is a policy value, not a literal."""
    two = ComplaintPolicy(attitude_complaint_window=2)
    body = ClassifyBody(category="service", attitude=True, validity="valid")
    assert validity_of(body, NOW - timedelta(days=45), NOW, ComplaintPolicy())[0] is Validity.invalid
    assert validity_of(body, NOW - timedelta(days=45), NOW, two)[0] is Validity.valid


def test_cp05_invalid_needs_a_reason():
    """CP-05: an invalid classification names one of the six reasons."""
    with pytest.raises(ValidationError, match="CP-05"):
        ClassifyBody(category="service", validity="invalid")
    assert len(InvalidReason) == 6


def test_cp05_reason_and_motive_only_for_invalid():
    """CP-05: a valid complaint has no invalid reason and no motive."""
    with pytest.raises(ValidationError):
        ClassifyBody(category="service", validity="valid", motive="malicious")
    with pytest.raises(ValidationError):
        ClassifyBody(category="service", validity="valid", invalid_reason="extortion")


def test_cp05_classify_invalid_closes_and_tells_the_complainant(directory, policy):
    """CP-05: an invalid complaint is closed with its reason and the complainant is told."""
    s = assigned(directory, policy)
    out = act(
        directory,
        s,
        ComplaintStep.classify,
        "ops-1",
        {"category": "service", "validity": "invalid", "invalid_reason": "extortion", "motive": "malicious"},
    )
    assert out.state.status is Status.closed
    assert out.state.closed_reason is ClosedReason.invalid
    assert out.state.closed_at == NOW
    assert out.state.invalid_reason is InvalidReason.extortion
    assert out.state.motive is Motive.malicious
    notes = complainant_notes(out)
    assert len(notes) == 1 and notes[0].kind == "invalid"
    assert not out.state.open


def test_cp05_classify_valid_but_late_attitude_complaint_is_closed_invalid(directory, policy):
    """CP-05: the late-attitude rule overrides a 'valid' classification in the step."""
    s = assigned(directory, policy, body=complaint(occurred_at=NOW - timedelta(days=45)))
    out = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"attitude": True})
    assert out.state.motive is Motive.general  # CP-05: an invalid complaint carries its motive
    assert out.state.validity is Validity.invalid
    assert out.state.invalid_reason is InvalidReason.late_attitude_complaint
    assert out.state.status is Status.closed
    assert out.state.closed_reason is ClosedReason.invalid
    assert [n.kind for n in complainant_notes(out)] == ["invalid"]


def test_cp05_valid_complaint_stays_open(directory, policy):
    """CP-05: a valid complaint is not closed by its classification."""
    s = assigned(directory, policy)
    out = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID)
    assert out.state.validity is Validity.valid
    assert out.state.status is Status.in_progress
    assert out.state.closed_reason is None
    assert complainant_notes(out) == []


# --- CP-06 severity -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(SeverityReason))
@pytest.mark.parametrize("stated", [Severity.general, Severity.important])
def test_cp06_any_listed_circumstance_makes_a_complaint_major(reason, stated):
    """CP-06: media, conflict, repeat, head office, blockade, return/exchange → major."""
    assert severity_of(stated, [reason]) is Severity.major


@pytest.mark.parametrize("stated", list(Severity))
def test_cp06_without_circumstances_severity_is_as_stated(stated):
    """CP-06: general, important or major as classified when no circumstance applies."""
    assert severity_of(stated, []) is stated


def test_cp06_severity_reasons_are_the_six_of_the_rulebook():
    """CP-06: the six circumstances that make a complaint major."""
    assert {r.value for r in SeverityReason} == {
        "media_exposure",
        "customer_conflict",
        "repeat_complaint",
        "head_office",
        "blockade",
        "return_exchange",
    }


def test_cp06_repeats_inside_the_window_only(policy):
    """CP-06: a repeat is an earlier complaint of the same customer within 30 days."""
    prior = [
        ("C-in", NOW - timedelta(days=10)),
        ("C-edge", NOW - policy.repeat_window),
        ("C-out", NOW - policy.repeat_window - timedelta(seconds=1)),
        ("C-old", NOW - timedelta(days=400)),
        ("C-future", NOW + timedelta(minutes=1)),
    ]
    assert repeats_of(prior, NOW, policy) == ["C-edge", "C-in"]
    assert repeats_of([], NOW, policy) == []


def test_cp06_repeat_window_comes_from_the_policy():
    """CP-06: the 30 days are a default of the policy."""
    prior = [("C-1", NOW - timedelta(days=40))]
    assert repeats_of(prior, NOW, ComplaintPolicy()) == []
    assert repeats_of(prior, NOW, ComplaintPolicy(repeat_window=timedelta(days=60))) == ["C-1"]


def test_cp06_cp10_repeat_complaint_at_intake_is_major_and_goes_to_the_crisis_team(directory, policy):
    """CP-06 / CP-10: a repeat complaint is major at once: level 3, crisis team notified."""
    intake = intake_for(directory, policy)
    out = apply_intake(
        new_case(CASE_ID, "complaint-" + CASE_ID, intake, NOW),
        CustomerLookup(customer_verified=True, customer_id="CUST-7", repeat_of=["C-OLD"]),
        NOW,
    )
    s = out.state
    assert s.severity is Severity.major
    assert s.severity_reasons == [SeverityReason.repeat_complaint]
    assert s.repeat_of == ["C-OLD"]
    assert s.escalation_level == 3
    assert s.major_since == NOW
    crisis = {m.id for m in s.crisis_team}
    assert crisis == {"gm"}
    assert crisis <= set(staff_notes(out))
    assert crisis <= set(s.escalated_to)


def test_cp06_no_repeat_at_intake_stays_general(directory, policy):
    """CP-06: without a repeat the case is registered general, level 0."""
    s = registered(directory, policy)
    assert s.severity is Severity.general
    assert s.escalation_level == 0
    assert s.major_since is None


def test_cp06_classify_with_a_circumstance_makes_the_case_major(directory, policy):
    """CP-06: classifying with a circumstance raises severity to major even if stated general."""
    s = assigned(directory, policy)
    out = act(
        directory,
        s,
        ComplaintStep.classify,
        "ops-1",
        SERVICE_VALID | {"severity": "general", "severity_reasons": ["media_exposure"]},
    )
    assert out.state.severity is Severity.major
    assert out.state.escalation_level == 3
    assert "gm" in staff_notes(out)


# --- CP-07 recusal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step, body",
    [
        (ComplaintStep.classify, SERVICE_VALID),
        (ComplaintStep.plan, {"plan": "x"}),
        (ComplaintStep.escalate, {"reason": "x"}),
        (ComplaintStep.investigation, {"findings": "x"}),
        (ComplaintStep.resolve, {"result": "x"}),
    ],
)
def test_cp07_staff_complained_about_cannot_act(directory, policy, step, body):
    """CP-07: the target staff member is refused (forbidden) on every step."""
    s = in_hand(directory, policy)
    r = refusal_of(directory, s, step, "ops-3", body)
    assert r is not None and r.kind == "forbidden"
    assert "CP-07" in r.reason


def test_cp07_target_leader_complained_about_cannot_act_even_in_the_chain(directory, policy):
    """CP-07: a leader complained about is refused although in the handler's chain."""
    s = in_hand(directory, policy, body=complaint(target={"kind": "staff", "staff_id": "ops-sup"}))
    r = refusal_of(directory, s, ComplaintStep.escalate, "ops-sup", {"reason": "x"})
    assert r is not None and r.kind == "forbidden"


def test_cp07_target_cannot_be_assigned_as_handler(directory, policy):
    """CP-07: the staff member complained about never handles the complaint."""
    s = registered(directory, policy)
    r = refusal_of(directory, s, ComplaintStep.assign, "cs-1", {"handler_id": "ops-3"}, handler="ops-3")
    assert r is not None and r.kind == "conflict"
    assert "CP-07" in r.reason


def test_cp07_target_cannot_be_assigned_as_investigator(directory, policy):
    """CP-07: the staff member complained about never investigates the complaint."""
    s = registered(directory, policy)
    r = refusal_of(
        directory,
        s,
        ComplaintStep.assign,
        "cs-1",
        {"handler_id": "ops-1", "investigator_id": "ops-3"},
        handler="ops-1",
        investigator="ops-3",
    )
    assert r is not None and r.kind == "conflict"


def test_cp07_viewers_never_include_the_target(directory, policy):
    """CP-07: the staff member complained about cannot read the complaint."""
    s = in_hand(directory, policy)
    assert "ops-3" not in viewers(s)
    assert not may_view("ops-3", viewers(s))
    # even when the target sits in the handler's leadership chain
    s2 = in_hand(directory, policy, body=complaint(target={"kind": "staff", "staff_id": "ops-sup"}))
    assert "ops-sup" not in viewers(s2)
    assert "ops-1" in viewers(s2) and "ops-mgr" in viewers(s2)


def test_cp07_complaint_about_a_department_excludes_nobody(directory, policy):
    """CP-07: recusal applies to a staff target only."""
    s = in_hand(directory, policy, body=complaint(target={"kind": "department", "name": "operations"}))
    assert s.target_staff_id is None
    assert {"cs-1", "ops-1", "ops-sup"} <= set(viewers(s))


def test_cp07_cp08_plan_escalation_skips_the_leader_complained_about(directory, policy):
    """CP-07 / CP-08: when the handler's direct leader is the one complained about, the
    escalation goes to the next leader up; the target is never made responsible nor told."""
    s = assigned(directory, policy, body=complaint(target={"kind": "staff", "staff_id": "ops-sup"}))
    out = apply_clock(Clock.plan, s, NOW + policy.plan_deadline)
    assert out.data["to"] == "ops-mgr"
    assert "ops-sup" not in staff_notes(out)
    assert "ops-sup" not in out.state.escalated_to


def test_cp07_cp12_compensation_approval_request_skips_the_leader_complained_about(directory, policy):
    """CP-07 / CP-12: the approval request never goes to the staff member complained about."""
    s = in_hand(directory, policy, body=complaint(target={"kind": "staff", "staff_id": "ops-sup"}))
    out = act(directory, s, ComplaintStep.compensation, "ops-1", {"amount": "100", "reason": "late"})
    approvers = staff_notes(out, "compensation_approval")
    assert "ops-sup" not in approvers
    assert approvers == {"ops-mgr": ["compensation_approval"]}


# --- CP-08 handling plan in 30 minutes ------------------------------------------------------


def test_cp08_plan_due_thirty_minutes_after_receipt(directory, policy):
    """CP-08: the plan clock runs from receipt for the policy's plan deadline (30 min)."""
    s = registered(directory, policy)
    assert policy.plan_deadline == timedelta(minutes=30)
    assert s.plan_due_at == NOW + timedelta(minutes=30)
    assert s.due(Clock.plan) == NOW + timedelta(minutes=30)
    short = registered(directory, ComplaintPolicy(plan_deadline=timedelta(minutes=5)))
    assert short.plan_due_at == NOW + timedelta(minutes=5)


def test_cp08_recorded_plan_stops_the_plan_clock(directory, policy):
    """CP-08: once a plan is recorded, no plan deadline runs."""
    s = in_hand(directory, policy)
    assert s.plan is not None and s.plan_recorded_at == NOW
    assert s.due(Clock.plan) is None


def test_cp08_plan_deadline_escalates_to_direct_leader(directory, policy):
    """CP-08: no plan in time → level 1, the handler's direct leader; both notified."""
    s = assigned(directory, policy)
    assert s.owner.id == "ops-1"
    out = apply_clock(Clock.plan, s, NOW + policy.plan_deadline)
    assert out.kind == "plan_overdue"
    assert out.state.plan_overdue is True
    assert out.state.escalation_level == 1
    assert s.owner_chain[0].id == "ops-sup"
    assert out.data["to"] == "ops-sup"
    assert out.state.escalated_to == ["ops-sup"]
    notes = staff_notes(out)
    assert "escalated" in notes["ops-sup"]
    assert "plan_overdue" in notes["ops-1"]
    assert out.state.due(Clock.plan) is None  # fires once


def test_cp08_cp20_plan_deadline_before_assignment_escalates_from_the_receiver(directory, policy):
    """CP-08 / CP-20: before assignment the receiver owns the case: their leader is told."""
    s = registered(directory, policy)
    assert s.owner.id == "cs-1"
    out = apply_clock(Clock.plan, s, NOW + policy.plan_deadline)
    assert out.state.escalation_level == 1
    assert out.data["to"] == "cs-sup"
    notes = staff_notes(out)
    assert "escalated" in notes["cs-sup"]
    assert "plan_overdue" in notes["cs-1"]


def test_cp08_plan_recorded_late_is_marked_not_within_deadline(directory, policy):
    """CP-08: a plan after the deadline is recorded as late (for the CP-18 share)."""
    s = assigned(directory, policy)
    on_time = act(directory, s, ComplaintStep.plan, "ops-1", {"plan": "p"}, at=NOW + timedelta(minutes=10))
    assert on_time.data == {"within_deadline": True}
    late_state = apply_clock(Clock.plan, s, NOW + policy.plan_deadline).state
    late = act(directory, late_state, ComplaintStep.plan, "ops-1", {"plan": "p"}, at=NOW + timedelta(hours=1))
    assert late.data == {"within_deadline": False}


def test_transitions_never_mutate_their_input(directory, policy):
    """Rules are pure: apply_clock returns a new state; the state it was given is unchanged."""
    s = assigned(directory, policy)
    before = s.model_dump()
    apply_clock(Clock.plan, s, NOW + policy.plan_deadline)
    assert s.model_dump() == before


# --- CP-09 escalation ladder ----------------------------------------------------------------


def test_cp09_escalation_targets_on_the_demo_chain(directory):
    """CP-09: ops-1 → ops-sup (1), ops-mgr (2), gm (3); level 0 is the handler itself."""
    chain = directory.chain("ops-1")
    crisis = directory.with_role(Role.general_manager)
    assert escalation_target(0, chain, crisis) is None
    assert escalation_target(1, chain, crisis).id == "ops-sup"
    assert escalation_target(2, chain, crisis).id == "ops-mgr"
    assert escalation_target(3, chain, crisis).id == "gm"


def test_cp09_escalation_targets_for_a_supervisor_and_for_an_empty_chain(directory):
    """CP-09: a supervisor's direct leader is the manager; with no chain the crisis team."""
    crisis = directory.with_role(Role.general_manager)
    chain = directory.chain("cs-sup")
    assert escalation_target(1, chain, crisis).id == "cs-mgr"
    assert escalation_target(2, chain, crisis).id == "cs-mgr"
    assert escalation_target(3, chain, crisis).id == "gm"
    assert escalation_target(1, [], crisis).id == "gm"
    assert escalation_target(3, [], []) is None


def test_cp09_escalate_step_climbs_one_level_and_tells_target_and_complainant(directory, policy):
    """CP-09: each escalation goes one rung up; the leader and the complainant are told."""
    s = in_hand(directory, policy)
    expected = {1: "ops-sup", 2: "ops-mgr", 3: "gm"}
    for level in (1, 2, 3):
        out = act(directory, s, ComplaintStep.escalate, "ops-1", {"reason": "beyond my authority"})
        s = out.state
        assert s.escalation_level == level
        assert out.data["level"] == level and out.data["to"] == expected[level]
        assert "escalated" in staff_notes(out)[expected[level]]
        notes = complainant_notes(out)
        assert len(notes) == 1 and notes[0].kind == "escalated"
        assert "wait" in notes[0].message
    assert s.escalated_to == ["ops-sup", "ops-mgr", "gm"]


def test_cp09_escalate_refused_at_the_top_of_the_ladder(directory, policy):
    """CP-09: level 3 is the top: a further escalation is a conflict."""
    s = in_hand(directory, policy)
    for _ in range(3):
        s = act(directory, s, ComplaintStep.escalate, "ops-1", {"reason": "up"}).state
    r = refusal_of(directory, s, ComplaintStep.escalate, "ops-1", {"reason": "up"})
    assert r is not None and r.kind == "conflict"


def test_cp09_investigator_cannot_escalate(directory, policy):
    """CP-09: the handler (or a leader above) escalates, not the investigator."""
    s = in_hand(directory, policy, investigator="cs-2")
    r = refusal_of(directory, s, ComplaintStep.escalate, "cs-2", {"reason": "up"})
    assert r is not None and r.kind == "forbidden"


# --- CP-10 major complaints -----------------------------------------------------------------


def test_cp10_major_report_due_24h_after_becoming_major(directory, policy):
    """CP-10: major_report_due_at = major_since + major_report_deadline (24 h)."""
    s = assigned(directory, policy)
    at = NOW + timedelta(hours=2)
    out = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity": "major"}, at=at)
    st = out.state
    assert st.major_since == at
    assert st.major_report_due_at == at + policy.major_report_deadline == at + timedelta(hours=24)
    assert st.escalation_level == 3
    notes = staff_notes(out)
    assert "gm" in notes
    assert "major_report_due" in notes["ops-1"]


def test_cp10_major_report_deadline_comes_from_the_policy(directory):
    """CP-10: the 24 hours are a policy default."""
    pol = ComplaintPolicy(major_report_deadline=timedelta(hours=6))
    s = assigned(directory, pol)
    st = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity": "major"}).state
    assert st.major_report_due_at == NOW + timedelta(hours=6)


def test_cp10_missed_major_report_is_overdue_and_escalated(directory, policy):
    """CP-10: a missed report is itself escalated: overdue, crisis team told, level 3."""
    s = assigned(directory, policy)
    s = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity": "major"}).state
    out = apply_clock(Clock.major_report, s, NOW + policy.major_report_deadline)
    assert out.kind == "major_report_overdue"
    assert out.state.major_report_overdue is True
    assert out.state.escalation_level == 3
    for member in s.crisis_team:
        assert "major_report_overdue" in staff_notes(out)[member.id]
    assert out.state.due(Clock.major_report) is None


def test_cp10_major_report_refused_when_not_major(directory, policy):
    """CP-10: the major-complaint report is for major complaints only."""
    s = in_hand(directory, policy)
    assert s.severity is not Severity.major
    r = refusal_of(directory, s, ComplaintStep.major_report, "ops-1", {"report": "r"})
    assert r is not None and r.kind == "conflict"


def test_cp10_major_report_recorded_once_and_sent_to_the_crisis_team(directory, policy):
    """CP-10: the report stops the clock, goes to management; a second one is refused."""
    s = assigned(directory, policy)
    s = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity": "major"}).state
    out = act(directory, s, ComplaintStep.major_report, "ops-1", {"report": "What happened"})
    assert out.state.major_report == "What happened"
    assert out.state.major_report_due_at is None
    assert out.data == {"on_time": True}
    assert "major_report" in staff_notes(out)["gm"]
    r = refusal_of(directory, out.state, ComplaintStep.major_report, "ops-1", {"report": "again"})
    assert r is not None and r.kind == "conflict"


# --- CP-11 investigation --------------------------------------------------------------------


def test_cp11_investigator_records_the_investigation(directory, policy):
    """CP-11: the assigned investigator records facts of both sides and loopholes."""
    s = assigned(directory, policy, investigator="cs-2")
    assert s.investigator.id == "cs-2"
    out = act(
        directory,
        s,
        ComplaintStep.investigation,
        "cs-2",
        {"findings": "Both sides heard", "loopholes": "No delivery checklist"},
    )
    assert out.state.findings == "Both sides heard"
    assert out.state.loopholes == "No delivery checklist"
    assert out.data == {"loopholes_found": True}


def test_cp11_investigator_cannot_request_compensation(directory, policy):
    """CP-11: an investigator makes no promise to either side."""
    s = in_hand(directory, policy, investigator="cs-2")
    r = refusal_of(directory, s, ComplaintStep.compensation, "cs-2", {"amount": "100", "reason": "sorry"})
    assert r is not None and r.kind == "forbidden"
    assert "CP-11" in r.reason


def test_cp11_investigation_body_has_no_commitment_field():
    """CP-11: no commitment can be recorded with an investigation."""
    assert set(InvestigationBody.model_fields) == {"findings", "loopholes"}
    with pytest.raises(ValidationError):
        InvestigationBody(findings="f", commitment="We will refund you")
    with pytest.raises(ValidationError):
        InvestigationBody.model_validate({"findings": "f", "promise": "refund"})


def test_cp11_investigation_by_someone_else_is_forbidden(directory, policy):
    """CP-11: only the assigned investigator (or the handler) records the investigation."""
    s = assigned(directory, policy, investigator="cs-2")
    r = refusal_of(directory, s, ComplaintStep.investigation, "ops-sup", {"findings": "f"})
    assert r is not None and r.kind == "forbidden"


def test_cp11_investigation_needs_an_assignment(directory, policy):
    """CP-11: the investigation is assigned first by customer service."""
    s = registered(directory, policy)
    r = refusal_of(directory, s, ComplaintStep.investigation, "cs-1", {"findings": "f"})
    assert r is not None


# --- CP-12 compensation approval ------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, level",
    [
        ("0.01", ApprovalLevel.leader),
        ("500", ApprovalLevel.leader),
        ("500.00", ApprovalLevel.leader),
        ("500.01", ApprovalLevel.manager),
        ("5000", ApprovalLevel.manager),
        ("5000.01", ApprovalLevel.general_manager),
        ("100000", ApprovalLevel.general_manager),
    ],
)
def test_cp12_approval_level_by_amount(policy, amount, level):
    """CP-12: ≤500 leader, ≤5,000 manager, above general manager."""
    assert approval_level_for(Decimal(amount), policy) is level


def test_cp12_thresholds_come_from_the_policy():
    """CP-12: the thresholds are policy defaults."""
    pol = ComplaintPolicy(compensation_leader_limit=Decimal(100), compensation_manager_limit=Decimal(1000))
    assert approval_level_for(Decimal("100"), pol) is ApprovalLevel.leader
    assert approval_level_for(Decimal("101"), pol) is ApprovalLevel.manager
    assert approval_level_for(Decimal("1001"), pol) is ApprovalLevel.general_manager


@pytest.mark.parametrize(
    "actor, level, allowed",
    [
        ("ops-sup", ApprovalLevel.leader, True),
        ("ops-mgr", ApprovalLevel.leader, True),
        ("gm", ApprovalLevel.leader, True),
        ("ops-2", ApprovalLevel.leader, False),
        ("cs-sup", ApprovalLevel.leader, False),
        ("ops-sup", ApprovalLevel.manager, False),
        ("ops-mgr", ApprovalLevel.manager, True),
        ("cs-mgr", ApprovalLevel.manager, False),
        ("gm", ApprovalLevel.manager, True),
        ("ops-mgr", ApprovalLevel.general_manager, False),
        ("gm", ApprovalLevel.general_manager, True),
    ],
)
def test_cp12_may_approve(directory, actor, level, allowed):
    """CP-12: the handler's leader, a manager in the chain, or the general manager."""
    assert may_approve(ref(directory, actor), level, directory.chain("ops-1")) is allowed


def test_cp12_approvers_for_each_level(directory):
    """CP-12: the approval request goes to the leader, the manager or the general manager."""
    chain, crisis = directory.chain("ops-1"), directory.with_role(Role.general_manager)
    assert approvers_for(ApprovalLevel.leader, chain, crisis).id == "ops-sup"
    assert approvers_for(ApprovalLevel.manager, chain, crisis).id == "ops-mgr"
    assert approvers_for(ApprovalLevel.general_manager, chain, crisis).id == "gm"


def test_cp12_compensation_request_waits_for_the_right_approver(directory, policy):
    """CP-12: a request is pending at the level its amount needs; the approver is asked."""
    s = in_hand(directory, policy)
    out = act(directory, s, ComplaintStep.compensation, "ops-1", {"amount": "1200", "reason": "damaged goods"})
    comp = out.state.compensation
    assert comp.status is CompensationStatus.pending
    assert comp.required_level is ApprovalLevel.manager
    assert comp.requested_by == "ops-1"
    assert "compensation_approval" in staff_notes(out)["ops-mgr"]
    assert complainant_notes(out) == []  # nothing promised before approval


def test_cp12_decision_below_the_required_level_is_refused(directory, policy):
    """CP-12: a supervisor cannot approve a compensation that needs the manager."""
    s = in_hand(directory, policy)
    s = act(directory, s, ComplaintStep.compensation, "ops-1", {"amount": "1200", "reason": "r"}).state
    r = refusal_of(directory, s, ComplaintStep.compensation_decision, "ops-sup", {"approved": True})
    assert r is not None and r.kind == "conflict"
    r = refusal_of(directory, s, ComplaintStep.compensation_decision, "ops-1", {"approved": True})
    assert r is not None and r.kind == "conflict"  # nobody approves their own request
    out = act(directory, s, ComplaintStep.compensation_decision, "ops-mgr", {"approved": True, "note": "ok"})
    assert out.state.compensation.status is CompensationStatus.approved
    assert out.state.compensation.decided_by == "ops-mgr"
    assert "compensation_decided" in staff_notes(out)["ops-1"]


def test_cp12_general_manager_level_needs_the_general_manager(directory, policy):
    """CP-12: above 5,000 only the general manager approves."""
    s = in_hand(directory, policy)
    s = act(directory, s, ComplaintStep.compensation, "ops-1", {"amount": "5000.01", "reason": "r"}).state
    assert s.compensation.required_level is ApprovalLevel.general_manager
    r = refusal_of(directory, s, ComplaintStep.compensation_decision, "ops-mgr", {"approved": True})
    assert r is not None and r.kind == "conflict"
    assert act(
        directory, s, ComplaintStep.compensation_decision, "gm", {"approved": False}
    ).state.compensation.status is (CompensationStatus.rejected)


def test_cp12_resolve_refused_while_compensation_pending(directory, policy):
    """CP-12: no compensation is promised before approval: resolving waits for the decision."""
    s = in_hand(directory, policy)
    s = act(directory, s, ComplaintStep.compensation, "ops-1", {"amount": "300", "reason": "r"}).state
    r = refusal_of(directory, s, ComplaintStep.resolve, "ops-1", {"result": "Refunded 300"})
    assert r is not None and r.kind == "conflict"
    assert "CP-12" in r.reason
    r = refusal_of(directory, s, ComplaintStep.compensation, "ops-1", {"amount": "100", "reason": "r"})
    assert r is not None and r.kind == "conflict"  # one pending request at a time
    s = act(directory, s, ComplaintStep.compensation_decision, "ops-sup", {"approved": True}).state
    assert refusal_of(directory, s, ComplaintStep.resolve, "ops-1", {"result": "Refunded 300"}) is None


# --- CP-13 resolution in 3 days -------------------------------------------------------------


def test_cp13_resolution_due_three_days_after_receipt(directory, policy):
    """CP-13: the resolution clock runs 3 days from receipt."""
    s = in_hand(directory, policy)
    assert s.resolution_due_at == NOW + timedelta(days=3) == NOW + policy.resolution_deadline


def test_cp13_resolution_deadline_escalates_reassigns_and_holds_accountable(directory, policy):
    """CP-13: level 2, a new handler, the former one recorded, accountability for the
    handler and their manager."""
    s = in_hand(directory, policy)
    new = ref(directory, "ops-2")
    out = apply_clock(
        Clock.resolution,
        s,
        NOW + policy.resolution_deadline,
        Reassignment(handler=new, handler_chain=directory.chain("ops-2")),
    )
    st = out.state
    assert out.kind == "resolution_overdue"
    assert st.resolution_overdue is True
    assert st.escalation_level == 2
    assert out.data["to"] == "ops-mgr"
    assert st.handler.id == "ops-2"
    assert out.data["new_handler"] == "ops-2"
    assert st.former_handler_ids == ["ops-1"]
    assert st.status is Status.in_progress
    assert {(a.staff_id, a.role) for a in out.accountability} == {("ops-1", "handler"), ("ops-mgr", "manager")}
    notes = staff_notes(out)
    assert "escalated" in notes["ops-mgr"]
    assert "assigned" in notes["ops-2"]
    assert "resolution_overdue" in notes["ops-1"]
    assert st.due(Clock.resolution) is None  # fires once


def test_cp13_resolution_deadline_without_candidate_still_escalates(directory, policy):
    """CP-13: with nobody to take over, the escalation and accountability still happen."""
    s = in_hand(directory, policy)
    out = apply_clock(Clock.resolution, s, NOW + policy.resolution_deadline, Reassignment(handler=None))
    assert out.state.escalation_level == 2
    assert out.state.handler.id == "ops-1"
    assert {a.staff_id for a in out.accountability} == {"ops-1", "ops-mgr"}


def test_cp13_reassignment_candidate_is_of_another_department_excluding_given(directory):
    """CP-13: a staff member of *another* department (其他部門員工), never an excluded one,
    never a leader."""
    assert reassignment_candidate(directory, "operations", ["cs-1"]).id == "cs-2"
    assert reassignment_candidate(directory, "operations", ["cs-1", "cs-2"]).id == "q-1"
    assert reassignment_candidate(directory, "customer_service", []).id == "ops-1"
    assert reassignment_candidate(directory, "customer_service", ["ops-1", "ops-2"]).id == "ops-3"
    for dept in ("operations", "customer_service", "quality"):
        chosen = reassignment_candidate(directory, dept, ["cs-1"])
        assert chosen is not None and chosen.department != dept and chosen.role is Role.staff
    everyone = [s.id for s in directory.staff]
    assert reassignment_candidate(directory, "operations", everyone) is None


# --- CP-14 reply to the complainant ---------------------------------------------------------


def test_cp14_resolve_sends_the_result_to_the_complainant(directory, policy):
    """CP-14: the complainant gets the result by the chosen channel; when is recorded."""
    s = in_hand(directory, policy)
    at = NOW + timedelta(hours=5)
    out = act(
        directory,
        s,
        ComplaintStep.resolve,
        "ops-1",
        {"result": "Apologised and retrained", "reply_channel": "email"},
        at=at,
    )
    st = out.state
    assert st.status is Status.resolved
    assert st.reply_sent_at == at and st.resolved_at == at
    assert st.reply_channel is ReplyChannel.email
    assert st.result == "Apologised and retrained"
    notes = complainant_notes(out)
    assert len(notes) == 1
    assert notes[0].kind == "result" and notes[0].channel == "email"
    assert "Apologised and retrained" in notes[0].message


def test_cp14_written_reply_is_the_default(directory, policy):
    """CP-14: written form preferred: a letter unless another channel is chosen."""
    s = in_hand(directory, policy)
    out = act(directory, s, ComplaintStep.resolve, "ops-1", {"result": "Done"})
    assert out.state.reply_channel is ReplyChannel.letter
    assert complainant_notes(out)[0].channel == "letter"


def test_cp14_resolve_needs_handler_classification_and_plan(directory, policy):
    """CP-14: only a handled case (assigned, classified, planned) is resolved."""
    s = assigned(directory, policy)
    r = refusal_of(directory, s, ComplaintStep.resolve, "ops-1", {"result": "x"})
    assert r is not None and r.kind == "conflict"
    s = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID).state
    r = refusal_of(directory, s, ComplaintStep.resolve, "ops-1", {"result": "x"})
    assert r is not None and r.kind == "conflict"


# --- CP-15 revisit and survey ---------------------------------------------------------------


def test_cp15_resolve_reports_to_customer_service_for_the_revisit(directory, policy):
    """CP-15: the receiver (customer service) is told to revisit within 24 h."""
    s = in_hand(directory, policy)
    at = NOW + timedelta(hours=5)
    out = act(directory, s, ComplaintStep.resolve, "ops-1", {"result": "Done"}, at=at)
    assert "revisit_due" in staff_notes(out)["cs-1"]
    assert out.state.revisit_due_at == at + policy.revisit_deadline == at + timedelta(hours=24)


def test_cp15_survey_refused_before_resolution(directory, policy):
    """CP-15: the survey comes after the case is resolved."""
    s = in_hand(directory, policy)
    r = refusal_of(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": True})
    assert r is not None and r.kind == "conflict"


def test_cp15_survey_by_handler_or_investigator_forbidden(directory, policy):
    """CP-15: customer service, not the handler, runs the survey."""
    s = resolved(directory, policy, investigator="cs-2")
    r = refusal_of(directory, s, ComplaintStep.survey, "ops-1", {"satisfied": True})
    assert r is not None and r.kind == "forbidden"
    r = refusal_of(directory, s, ComplaintStep.survey, "cs-2", {"satisfied": True})
    assert r is not None and r.kind == "forbidden"
    assert refusal_of(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": True}) is None


def test_cp15_survey_by_the_handlers_leader_is_forbidden(directory, policy):
    """CP-15: the revisit and survey are customer service's; the handling department's own
    leader cannot declare the complainant satisfied and close the case."""
    s = resolved(directory, policy)
    r = refusal_of(directory, s, ComplaintStep.survey, "ops-sup", {"satisfied": True})
    assert r is not None and r.kind == "forbidden"


def test_cp15_other_steps_wait_while_resolved(directory, policy):
    """CP-15: a resolved case waits for the survey; handling steps are refused."""
    s = resolved(directory, policy)
    r = refusal_of(directory, s, ComplaintStep.plan, "ops-1", {"plan": "x"})
    assert r is not None and r.kind == "conflict"


# --- CP-16 survey outcome -------------------------------------------------------------------


def test_cp16_dissatisfied_survey_reopens_with_clocks_restarted(directory, policy):
    """CP-16: back to handling, reopen count +1, clocks from now, plan cleared."""
    s = resolved(directory, policy)
    later = NOW + timedelta(days=2)
    out = act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": False, "score": 2}, at=later)
    st = out.state
    assert st.status is Status.in_progress
    assert st.reopen_count == 1
    assert st.clock_started_at == later
    assert st.plan is None and st.plan_recorded_at is None
    assert st.plan_overdue is False and st.resolution_overdue is False
    assert st.result is None and st.resolved_at is None and st.reply_sent_at is None
    assert st.plan_due_at == later + policy.plan_deadline
    assert st.resolution_due_at == later + policy.resolution_deadline
    assert out.data["reopen_count"] == 1
    assert "reopened" in staff_notes(out)["ops-1"]


def test_cp16_reopen_count_accumulates(directory, policy):
    """CP-16: each dissatisfied survey adds one reopen."""
    s = resolved(directory, policy)
    s = act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": False}).state
    s = act(directory, s, ComplaintStep.plan, "ops-1", {"plan": "try again"}).state
    s = act(directory, s, ComplaintStep.resolve, "ops-1", {"result": "again"}).state
    s = act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": False}).state
    assert s.reopen_count == 2


def test_cp16_satisfied_survey_closes(directory, policy):
    """CP-16: a satisfied complainant lets the case close (the staff member complained about,
    ops-3, accepted the result first)."""
    s = resolved(directory, policy)
    s = act(directory, s, ComplaintStep.staff_survey, "ops-3", {"satisfied": True}).state
    at = NOW + timedelta(days=1)
    out = act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": True, "score": 5}, at=at)
    assert out.state.status is Status.closed
    assert out.state.closed_by == "cs-1"
    assert out.state.closed_reason is ClosedReason.satisfied
    assert out.state.closed_at == at
    assert out.state.satisfied is True and out.state.score == 5


def test_cp16_unanswered_survey_closes_after_the_wait(directory, policy):
    """CP-16: no answer within the survey wait (7 days) closes the case."""
    s = resolved(directory, policy)
    assert s.survey_due_at == s.resolved_at + timedelta(days=7) == s.resolved_at + policy.survey_wait
    out = apply_clock(Clock.survey, s, s.survey_due_at)
    assert out.kind == "survey_overdue"
    assert out.state.status is Status.closed
    assert out.state.closed_reason is ClosedReason.survey_unanswered
    assert out.state.closed_at == s.survey_due_at


# --- CP-17 archive --------------------------------------------------------------------------


def test_cp17_closed_case_is_archived_in_the_file_of_its_year(directory, policy):
    """CP-17: archived, in a case file per year (the year it closed)."""
    s = closed_satisfied(directory, policy)
    out = apply_archive(s, datetime(2027, 1, 2, tzinfo=UTC))
    assert out.kind == "archived"
    assert out.state.archived is True
    assert out.state.case_file is not None and "2026" in out.state.case_file
    assert out.data["case_file"] == out.state.case_file
    assert s.archived is False  # the input is untouched


def test_cp17_times_a_case_closed_on_new_years_night_in_beijing_goes_to_the_new_years_file(directory, policy):
    """CP-17 with "Times and calendars": the year of a case file is the company's (Asia/Shanghai
    by default), not UTC's: closed at 01:30 on 1 January Beijing time (17:30 UTC on 31
    December) it goes to the new year's file; in a company on UTC, to the old year's."""
    s = resolved(directory, policy)
    s = act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": True}).state
    new_years_night = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    s = s.model_copy(update={"closed_at": new_years_night})
    assert apply_archive(s, new_years_night).state.case_file == "complaints-2027"
    on_utc = s.model_copy(update={"policy": s.policy.model_copy(update={"timezone": "UTC"})})
    assert apply_archive(on_utc, new_years_night).state.case_file == "complaints-2026"


def test_times_a_case_id_is_dated_by_the_company_calendar():
    """Times and calendars: a complaint received at 01:30 on 1 January Beijing time has an id of
    1 January (the date a person there would write), whatever UTC says."""
    new_years_night = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert new_case_id(new_years_night).startswith("20270101-")
    assert new_case_id(new_years_night, timezone="UTC").startswith("20261231-")


def test_cp17_archived_case_is_read_only(directory, policy):
    """CP-17: every step on an archived case is a conflict, even for its participants."""
    s = resolved(directory, policy)
    s = act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": True}).state
    s = apply_archive(s, NOW).state
    for step, actor, body in [
        (ComplaintStep.survey, "cs-1", {"satisfied": False}),
        (ComplaintStep.plan, "ops-1", {"plan": "x"}),
        (ComplaintStep.escalate, "ops-sup", {"reason": "x"}),
    ]:
        r = refusal_of(directory, s, step, actor, body)
        assert r is not None and r.kind == "conflict", step
        assert "CP-17" in r.reason


# --- CP-19 confidentiality ------------------------------------------------------------------


def test_cp19_viewers_are_participants_and_their_chains(directory, policy):
    """CP-19: receiver, handler, investigator and the leaders above them."""
    s = assigned(directory, policy, investigator="cs-2")
    assert set(viewers(s)) == {
        "cs-1",
        "cs-sup",
        "cs-mgr",
        "gm",  # receiver and chain
        "ops-1",
        "ops-sup",
        "ops-mgr",  # handler and chain
        "cs-2",  # investigator (same chain as the receiver)
    }


@pytest.mark.parametrize("outsider", ["dev-lead", "sales-1", "finance-1", "chairman", "ops-2"])
def test_cp19_others_are_not_viewers_and_are_forbidden(directory, policy, outsider):
    """CP-19: no one else: another department, a colleague not on the case."""
    s = in_hand(directory, policy)
    assert outsider not in viewers(s)
    assert not may_view(outsider, viewers(s))
    r = refusal_of(directory, s, ComplaintStep.plan, outsider, {"plan": "x"})
    assert r is not None and r.kind == "forbidden"
    assert "CP-19" in r.reason


def test_cp19_registered_case_visible_to_receiver_chain_only(directory, policy):
    """CP-19: before assignment only the receiver and the leaders above."""
    s = registered(directory, policy)
    assert set(viewers(s)) == {"cs-1", "cs-sup", "cs-mgr", "gm"}


# --- CP-20 first responder ------------------------------------------------------------------


def test_cp20_receiver_owns_the_case_until_assigned(directory, policy):
    """CP-20: the first responder is recorded and owns the case until it is assigned."""
    intake = intake_for(directory, policy, receiver="cs-2")
    out = apply_intake(
        new_case(CASE_ID, "complaint-" + CASE_ID, intake, NOW),
        CustomerLookup(customer_verified=True, customer_id=None),
        NOW,
    )
    s = out.state
    assert out.data["first_responder_id"] == "cs-2"
    assert out.actor_id == "cs-2"
    assert s.owner.id == "cs-2"
    assert [c.id for c in s.owner_chain] == ["cs-sup", "cs-mgr", "gm"]
    assert "registered" in staff_notes(out)["cs-2"]


def test_cp20_receiver_may_assign_and_then_the_handler_owns(directory, policy):
    """CP-20: the first responder assigns; ownership passes to the handler."""
    s = registered(directory, policy)
    assert s.owner.id == "cs-1"
    out = act(directory, s, ComplaintStep.assign, "cs-1", {"handler_id": "ops-1"}, handler="ops-1")
    assert out.state.owner.id == "ops-1"
    assert out.state.status is Status.in_progress
    assert [c.id for c in out.state.owner_chain] == ["ops-sup", "ops-mgr", "gm"]
    assert "assigned" in staff_notes(out)["ops-1"]
    assert out.state.receiver.id == "cs-1"  # the first responder stays recorded


def test_cp20_another_colleague_cannot_assign(directory, policy):
    """CP-20: only the first responder (or a leader above) assigns."""
    s = registered(directory, policy)
    r = refusal_of(directory, s, ComplaintStep.assign, "ops-1", {"handler_id": "ops-1"}, handler="ops-1")
    assert r is not None and r.kind == "forbidden"


# --- clocks and the Temporal UI -------------------------------------------------------------


def test_cp08_cp13_next_deadline_is_the_earliest_clock(directory, policy):
    """CP-08 / CP-13 / CP-10 / CP-16: next_clock picks the clock that runs out first."""
    s = registered(directory, policy)
    assert next_clock(s) == (Clock.plan, NOW + policy.plan_deadline)
    s = in_hand(directory, policy)
    assert next_clock(s) == (Clock.resolution, NOW + policy.resolution_deadline)
    major = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity": "major"}).state
    assert next_clock(major) == (Clock.major_report, NOW + policy.major_report_deadline)
    long_report = ComplaintPolicy(major_report_deadline=timedelta(days=10))
    s2 = in_hand(directory, long_report)
    s2 = act(directory, s2, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity": "major"}).state
    assert next_clock(s2) == (Clock.resolution, NOW + long_report.resolution_deadline)
    r = resolved(directory, policy)
    assert next_clock(r) == (Clock.survey, r.resolved_at + policy.survey_wait)


def test_cp17_no_clock_runs_on_a_closed_case(directory, policy):
    """CP-17: a closed case has no deadline left."""
    s = closed_satisfied(directory, policy)
    assert next_clock(s) is None


def test_cp19_describe_waiting_carries_no_personal_data(directory, policy):
    """CP-19: what the Temporal UI shows never contains the complainant's name or phone."""
    states = [registered(directory, policy), assigned(directory, policy), in_hand(directory, policy)]
    s = in_hand(directory, policy)
    states.append(act(directory, s, ComplaintStep.compensation, "ops-1", {"amount": "10", "reason": "r"}).state)
    r = resolved(directory, policy)
    states.append(r)
    closed = closed_satisfied(directory, policy)
    states += [closed, apply_archive(closed, NOW).state]
    digits = "".join(ch for ch in COMPLAINANT_PHONE if ch.isdigit())
    texts = [describe_waiting(st) for st in states]
    for text in texts:
        assert text
        assert COMPLAINANT_NAME not in text
        assert "Zhang" not in text
        assert COMPLAINANT_PHONE not in text
        assert digits not in "".join(ch for ch in text if ch.isdigit())
    assert "cs-1" in texts[0]  # it does say who the case waits for


def test_cp13_reassignment_goes_to_another_of_the_department_never_back_or_to_the_target(directory, policy):
    """CP-13: the take-over is looked for in the owner's department, excluding the owner, every
    former handler and the staff member complained about (ops-3)."""
    s = in_hand(directory, policy).model_copy(update={"former_handler_ids": ["ops-9"]})
    req = reassignment_request(s)
    assert req.department == s.owner.department
    assert set(req.exclude) == {s.owner.id, "ops-9", "ops-3", "cs-1"}


# --- the corrected rulebook (CP-05, CP-06, CP-10, CP-11, CP-13, CP-16, CP-19, CP-21, closing) ---

ANONYMOUS = {"complainant": {}}
INVALID = {"category": "service", "validity": "invalid"}


def invalid_as(reason: str, motive: str | None = None) -> dict[str, Any]:
    return INVALID | {"invalid_reason": reason} | ({"motive": motive} if motive else {})


def investigated(s: ComplaintState, directory: Directory) -> ComplaintState:
    return act(directory, s, ComplaintStep.investigation, "ops-1", {"findings": "Both sides heard"}).state


@pytest.mark.parametrize("reason", ["facts_contradicted", "anonymous_unfounded"])
def test_cp05_reasons_1_and_4_need_a_recorded_investigation_first(directory, policy, reason):
    """CP-05: invalid for (1) facts contradicted or (4) anonymous and unfounded says 經調查: 409
    naming the reason until an investigation (CP-11 findings) is recorded, allowed after."""
    s = assigned(directory, policy, body=complaint(**ANONYMOUS))
    refusal = refusal_of(directory, s, ComplaintStep.classify, "ops-1", invalid_as(reason))
    assert refusal is not None and refusal.kind == "conflict"
    assert "CP-05" in refusal.reason and reason in refusal.reason and "investigation" in refusal.reason
    out = act(directory, investigated(s, directory), ComplaintStep.classify, "ops-1", invalid_as(reason))
    assert out.state.status is Status.closed and out.state.invalid_reason == reason


def test_cp05_unfounded_anonymous_complaint_is_malicious(directory, policy):
    """CP-05 (第十一條): an unfounded anonymous complaint is malicious, whatever motive is given."""
    s = investigated(assigned(directory, policy, body=complaint(**ANONYMOUS)), directory)
    out = act(directory, s, ComplaintStep.classify, "ops-1", invalid_as("anonymous_unfounded", "general"))
    assert out.state.motive is Motive.malicious
    assert out.data["motive"] == "malicious"


def test_cp05_anonymous_unfounded_is_for_anonymous_complaints_only(directory, policy):
    """CP-05 reason (4) is for a complaint with no name and no phone."""
    s = investigated(assigned(directory, policy), directory)
    refusal = refusal_of(directory, s, ComplaintStep.classify, "ops-1", invalid_as("anonymous_unfounded"))
    assert refusal is not None and "CP-05" in refusal.reason


def test_cp05_invalid_complaint_always_carries_its_motive(directory, policy):
    """CP-05: an invalid complaint carries its motive: as given, general when none is."""
    s = assigned(directory, policy)
    out = act(directory, s, ComplaintStep.classify, "ops-1", invalid_as("unverifiable"))
    assert out.state.motive is Motive.general
    out = act(directory, s, ComplaintStep.classify, "ops-1", invalid_as("extortion", "malicious"))
    assert out.state.motive is Motive.malicious


def test_cp05_late_attitude_reason_is_refused_for_a_complaint_that_is_not_late_attitude(directory, policy):
    """CP-05 reason (6) only for an attitude complaint raised more than a calendar month late."""
    s = assigned(directory, policy)  # occurred two days before
    refusal = refusal_of(directory, s, ComplaintStep.classify, "ops-1", invalid_as("late_attitude_complaint"))
    assert refusal is not None and refusal.kind == "conflict" and "CP-05" in refusal.reason
    late = assigned(directory, policy, body=complaint(occurred_at=NOW - timedelta(days=60)))
    body = invalid_as("late_attitude_complaint") | {"attitude": True}
    assert act(directory, late, ComplaintStep.classify, "ops-1", body).state.status is Status.closed


def test_cp05_a_late_service_complaint_not_about_attitude_is_handled(directory, policy):
    """CP-05 (corrected): a service complaint (not about attitude) raised two months late stays
    open and valid."""
    s = assigned(directory, policy, body=complaint(occurred_at=NOW - timedelta(days=60)))
    out = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID)
    assert out.state.validity is Validity.valid and out.state.open


def test_cp06_major_notifies_the_receivers_department_head_and_the_general_manager_at_once(directory, policy):
    """CP-06: on a major complaint the receiver's department head (cs-mgr, above cs-1) and the
    general manager are notified in the same step."""
    s = assigned(directory, policy)
    out = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity_reasons": ["blockade"]})
    notes = staff_notes(out, "major_complaint")
    assert {"cs-mgr", "gm"} <= set(notes)
    assert "ops-3" not in staff_notes(out)  # CP-07


def with_crisis_team(s: ComplaintState, directory: Directory) -> ComplaintState:
    return s.model_copy(update={"crisis_team": directory.crisis_team()})


def test_cp10_general_manager_complained_about_level_3_still_reaches_the_crisis_team(directory, policy):
    """CP-10: when the general manager is the one complained about, a major complaint goes to
    the next person the crisis team names for level 3 (never nobody), and the general manager
    hears nothing."""
    s = with_crisis_team(
        assigned(directory, policy, body=complaint(target={"kind": "staff", "staff_id": "gm"})), directory
    )
    out = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity_reasons": ["media_exposure"]})
    assert out.state.escalation_level == 3
    assert "cs-mgr" in out.state.escalated_to
    assert "escalated" in staff_notes(out)["cs-mgr"]
    assert "gm" not in staff_notes(out) and "gm" not in viewers(out.state)
    overdue = apply_clock(Clock.major_report, out.state, NOW + policy.major_report_deadline)
    assert overdue.data["to"] == "cs-mgr"
    assert "major_report_overdue" in staff_notes(overdue)["cs-mgr"]


def test_cp10_missed_major_report_holds_the_handler_and_the_managers_above_accountable(directory, policy):
    """CP-10: a missed major-complaint report writes accountability records for the handler
    (ops-1) and the managers above (ops-sup, ops-mgr)."""
    s = act(
        directory, in_hand(directory, policy), ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity": "major"}
    )
    out = apply_clock(Clock.major_report, s.state, NOW + policy.major_report_deadline)
    got = {(a.staff_id, a.role, a.reason) for a in out.accountability}
    assert got == {
        ("ops-1", "handler", "major_report_overdue"),
        ("ops-sup", "supervisor", "major_report_overdue"),
        ("ops-mgr", "manager", "major_report_overdue"),
    }


def test_cp10_reclassifying_a_major_case_keeps_its_24_hour_report_clock(directory, policy):
    """CP-10: the report is due 24 hours after the case *became* major: classifying it major again
    later does not move major_since nor the report's due time (nor notify again)."""
    s = in_hand(directory, policy)
    first = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity": "major"}).state
    assert first.major_since == NOW
    later = NOW + timedelta(hours=5)
    again = act(
        directory, first, ComplaintStep.classify, "ops-1", SERVICE_VALID | {"severity_reasons": ["blockade"]}, at=later
    )
    assert again.state.major_since == NOW
    assert again.state.major_report_due_at == NOW + policy.major_report_deadline
    assert "major_complaint" not in {k for kinds in staff_notes(again).values() for k in kinds}


def test_cp11_the_handler_cannot_name_the_investigator(directory, policy):
    """CP-11: the investigation is assigned by customer service: the handler (ops-1) naming an
    investigator is refused, and so is the handler's own leader (not customer service)."""
    s = assigned(directory, policy)
    for actor in ("ops-1", "ops-sup"):
        refusal = refusal_of(
            directory,
            s,
            ComplaintStep.assign,
            actor,
            {"handler_id": "ops-1", "investigator_id": "ops-2"},
            handler="ops-1",
            investigator="ops-2",
        )
        assert refusal is not None and refusal.kind == "forbidden" and "CP-11" in refusal.reason, actor


def test_cp11_the_handler_is_never_the_investigator(directory, policy):
    """CP-11: customer service may not make the handler investigate their own case."""
    s = registered(directory, policy)
    refusal = refusal_of(
        directory,
        s,
        ComplaintStep.assign,
        "cs-1",
        {"handler_id": "ops-1", "investigator_id": "ops-1"},
        handler="ops-1",
        investigator="ops-1",
    )
    assert refusal is not None and "CP-11" in refusal.reason


def test_cp11_customer_service_names_an_investigator_of_another_department(directory, policy):
    """CP-11: the receiver (customer service) names the investigator, here of the quality
    department; the staff member complained about never (CP-07)."""
    s = assigned(directory, policy, investigator="q-1")
    assert s.investigator is not None and s.investigator.id == "q-1"
    refusal = refusal_of(
        directory,
        registered(directory, policy),
        ComplaintStep.assign,
        "cs-1",
        {"handler_id": "ops-1", "investigator_id": "ops-3"},
        handler="ops-1",
        investigator="ops-3",
    )
    assert refusal is not None and "CP-07" in refusal.reason


def test_cp13_the_take_over_is_looked_for_outside_the_handlers_department(directory, policy):
    """CP-13: the request names the handler's department as the one to leave; the candidate it
    finds is of another department, never the receiver or the one complained about."""
    s = in_hand(directory, policy, investigator="ops-2")
    req = reassignment_request(s)
    assert req.department == "operations"
    chosen = reassignment_candidate(directory, req.department, req.exclude)
    assert chosen is not None and chosen.department != "operations"
    assert chosen.id not in {"cs-1", "ops-3", "ops-1", "ops-2"}
    out = apply_clock(
        Clock.resolution,
        s,
        NOW + policy.resolution_deadline,
        Reassignment(handler=chosen.ref, handler_chain=directory.chain(chosen.id)),
    )
    assert out.state.handler is not None and out.state.handler.department != "operations"


def test_cp16_the_staff_member_complained_about_is_sent_the_result_only(directory, policy):
    """CP-16 / CP-07: at resolution the staff member complained about (ops-3) is asked to accept
    the result: one message with the result, never the complainant's name or phone."""
    s = in_hand(directory, policy)
    out = act(directory, s, ComplaintStep.resolve, "ops-1", {"result": "Apologised in writing"})
    to_target = [n for n in out.notifications if n.recipient_id == "ops-3"]
    assert [n.kind for n in to_target] == ["result_for_your_answer"]
    message = str(to_target[0].message)
    assert "Apologised in writing" in message
    assert COMPLAINANT_NAME not in message and COMPLAINANT_PHONE not in message and "rude" not in message


def test_cp16_cp07_only_the_staff_member_complained_about_answers_their_survey(directory, policy):
    """CP-16: the staff survey is theirs alone, once the result is out, once; CP-07: they still
    take no other step (and read nothing)."""
    s = in_hand(directory, policy)
    early = refusal_of(directory, s, ComplaintStep.staff_survey, "ops-3", {"satisfied": True})
    assert early is not None and early.kind == "forbidden"
    r = resolved(directory, policy)
    for other in ("cs-1", "ops-1", "ops-sup"):
        refusal = refusal_of(directory, r, ComplaintStep.staff_survey, other, {"satisfied": True})
        assert refusal is not None and refusal.kind == "forbidden" and "CP-16" in refusal.reason
    answered = act(directory, r, ComplaintStep.staff_survey, "ops-3", {"satisfied": True}).state
    again = refusal_of(directory, answered, ComplaintStep.staff_survey, "ops-3", {"satisfied": True})
    assert again is not None and again.kind == "conflict"
    refusal = refusal_of(directory, answered, ComplaintStep.survey, "ops-3", {"satisfied": True})
    assert refusal is not None and "CP-07" in refusal.reason
    assert "ops-3" not in viewers(answered)


@pytest.mark.parametrize(
    "step, actor", [(ComplaintStep.survey, "cs-1"), (ComplaintStep.staff_survey, "ops-3")], ids=["complainant", "staff"]
)
def test_cp16_either_dissatisfied_answer_reopens_at_escalation_level_0(directory, policy, step, actor):
    """CP-16: the complainant's or the staff member's dissatisfaction reopens the case: back to
    handling, clocks restarted, reopen count, and the escalation level of a fresh case."""
    s = act(directory, in_hand(directory, policy), ComplaintStep.escalate, "ops-1", {"reason": "beyond me"}).state
    s = act(directory, s, ComplaintStep.resolve, "ops-1", {"result": "Apologised"}).state
    assert s.escalation_level == 1
    at = NOW + timedelta(days=1)
    out = act(directory, s, step, actor, {"satisfied": False}, at=at)
    assert out.state.status is Status.in_progress
    assert out.state.escalation_level == 0
    assert out.state.reopen_count == 1
    assert out.state.clock_started_at == at and out.state.plan is None
    assert "reopened" in staff_notes(out)["ops-1"]
    again = act(directory, out.state, ComplaintStep.plan, "ops-1", {"plan": "again"}).state
    again = act(directory, again, ComplaintStep.resolve, "ops-1", {"result": "again"}).state
    assert again.satisfied is None and again.staff_satisfied is None  # both are asked again


def test_cp16_a_satisfied_complainant_waits_for_the_staff_members_answer_or_the_clock(directory, policy):
    """CP-16: with a staff member complained about, the complainant's satisfaction alone does
    not close the case; their acceptance does; if they never answer, the survey clock (7 days
    after resolution) closes it as unanswered."""
    r = resolved(directory, policy)
    s = act(directory, r, ComplaintStep.survey, "cs-1", {"satisfied": True}).state
    assert s.status is Status.resolved and s.due(Clock.survey) == r.survey_due_at
    closed = act(directory, s, ComplaintStep.staff_survey, "ops-3", {"satisfied": True}).state
    assert closed.status is Status.closed and closed.closed_reason is ClosedReason.satisfied
    assert closed.closed_by == "ops-3"
    assert r.survey_due_at is not None
    timed_out = apply_clock(Clock.survey, s, r.survey_due_at)
    assert timed_out.state.closed_reason is ClosedReason.survey_unanswered and timed_out.state.closed_by is None


def test_cp16_without_a_staff_member_complained_about_a_satisfied_complainant_closes(directory, policy):
    """CP-16: a complaint about a service has nobody else to ask."""
    body = complaint(target={"kind": "service", "name": "delivery"})
    s = assigned(directory, policy, body=body)
    s = act(directory, s, ComplaintStep.classify, "ops-1", SERVICE_VALID).state
    s = act(directory, s, ComplaintStep.plan, "ops-1", {"plan": "p"}).state
    out = act(directory, s, ComplaintStep.resolve, "ops-1", {"result": "done"})
    assert not [n for n in out.notifications if n.kind == "result_for_your_answer"]
    closed = act(directory, out.state, ComplaintStep.survey, "cs-1", {"satisfied": True}).state
    assert closed.status is Status.closed


def test_cp16_cases_started_under_the_old_rules_keep_them(directory, policy):
    """CP-16 (replay): a case started before the corrected rulebook (rules 1) closes on the
    complainant's satisfaction alone and keeps its escalation level on reopening, as its
    recorded history says."""
    s = resolved(directory, policy).model_copy(update={"rules": 1, "escalation_level": 2})
    assert act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": True}).state.status is Status.closed
    assert act(directory, s, ComplaintStep.survey, "cs-1", {"satisfied": False}).state.escalation_level == 2


def test_cp21_the_complainant_is_acknowledged_with_reference_and_deadlines(directory, policy):
    """CP-21: at registration the complainant (a phone is known) is told at once: received, the
    reference (the case id), how and by when (plan and resolution deadlines, company time)."""
    out = apply_intake(
        new_case(CASE_ID, "complaint-" + CASE_ID, intake_for(directory, policy), NOW),
        CustomerLookup(customer_verified=False, customer_id=None),
        NOW,
    )
    acks = [n for n in complainant_notes(out) if n.kind == "acknowledged"]
    assert len(acks) == 1
    text = str(acks[0].message)
    assert CASE_ID in text
    assert "2026-11-24 17:30" in text  # the plan deadline: 09:30 UTC is 17:30 in Beijing
    assert "2026-11-27 17:00" in text  # the resolution deadline, 3 days on
    assert acks[0].channel == "sms"


def test_cp21_the_receivers_direct_leader_is_told_of_every_new_complaint(directory, policy):
    """CP-21: cs-sup (cs-1's direct leader) hears of every new complaint, anonymous ones too
    (the complainant, with no contact, is not told)."""
    out = apply_intake(
        new_case(CASE_ID, "complaint-" + CASE_ID, intake_for(directory, policy, body=complaint(**ANONYMOUS)), NOW),
        CustomerLookup(customer_verified=False, customer_id=None),
        NOW,
    )
    assert "new_complaint" in staff_notes(out)["cs-sup"]
    assert not [n for n in complainant_notes(out) if n.kind == "acknowledged"]


def test_cp21_cp07_a_leader_complained_about_is_not_told_of_the_new_complaint(directory, policy):
    """CP-21 / CP-07: when the receiver's direct leader is the one complained about, they are
    not told."""
    body = complaint(target={"kind": "staff", "staff_id": "cs-sup"})
    out = apply_intake(
        new_case(CASE_ID, "complaint-" + CASE_ID, intake_for(directory, policy, body=body), NOW),
        CustomerLookup(customer_verified=True, customer_id="CUST-7"),
        NOW,
    )
    assert "cs-sup" not in staff_notes(out)


def test_cp19_viewers_include_the_investigators_own_leaders(directory, policy):
    """CP-19: the investigator's leaders (q-sup, q-mgr: not the handler's) may read the case; a
    case loses none of them while it runs."""
    s = assigned(directory, policy, investigator="q-1")
    handler_side = {p.id for p in s.handler_chain} | {p.id for p in s.receiver_chain}
    assert not {"q-sup", "q-mgr"} & handler_side
    assert {"q-1", "q-sup", "q-mgr"} <= set(viewers(s))
    assert "ops-3" not in viewers(s)


@pytest.mark.parametrize(
    "close_by, reason, actor",
    [("survey", "satisfied", "cs-1"), ("clock", "survey_unanswered", None), ("invalid", "invalid", "ops-1")],
)
def test_closed_event_says_when_why_and_by_whom(directory, policy, close_by, reason, actor):
    """Closing (CP-05 invalid, CP-16 satisfied or unanswered): the case's history gets a
    ``closed`` event with the reason, the time and the actor (or the clock) before it is
    archived (CP-17)."""
    if close_by == "survey":
        s = closed_satisfied(directory, policy).model_copy(update={"closed_by": "cs-1"})
    elif close_by == "clock":
        r = resolved(directory, policy)
        s = apply_clock(Clock.survey, r, r.survey_due_at).state
    else:
        s = act(directory, assigned(directory, policy), ComplaintStep.classify, "ops-1", invalid_as("extortion")).state
    out = apply_closed(s, NOW + timedelta(days=30))
    assert out.kind == "closed"
    assert out.actor_id == actor
    assert out.data["reason"] == reason
    assert out.data["closed_at"] == s.closed_at.isoformat()
    assert out.data["clock"] == ("survey" if close_by == "clock" else None)
    if close_by == "invalid":
        assert out.data["invalid_reason"] == "extortion" and out.data["motive"] == "general"
    assert out.state.seq == s.seq + 1 and not out.state.archived


def test_issue14_details_name_the_running_paused_and_overdue_clocks_with_level_and_whom(directory, policy):
    """Issue 14 point 6: once the plan deadline passed, the current details no longer say only
    "next clock: resolution": they name the overdue plan clock, the escalation level and whom
    the case is with; a case waiting on the customer says its resolution clock is paused."""
    from models.complaint.clocks import account

    s = account(assigned(directory, policy), None, NOW)
    late = s.clock_started_at + policy.plan_deadline + timedelta(seconds=2)
    s = account(apply_clock(Clock.plan, s, late).state, "plan", late)
    text = describe_waiting(s)
    assert text.startswith("Waiting for a handling plan from ops-1 (next clock: resolution at ")
    assert "overdue: plan since " in text and "escalation level 1, with ops-sup" in text
    waiting = act(directory, s, ComplaintStep.wait_for_customer, "ops-1", {"reason": "photo"}).state
    text = describe_waiting(account(waiting, None, late))
    assert "resolution paused since" in text and "photo" not in text
