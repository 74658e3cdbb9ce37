"""Unit tests of the customer-care rules (models/customer/): no Temporal, no database. Each
test names the CC rule it proves (RULES.md)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.calendar import add_months
from models.case import Outcome, Refusal
from models.customer.clocks import account, apply_clock, clock_due, next_clock, next_warning_of
from models.customer.guards import may_see_customer
from models.customer.messages import CustomerCreate, CustomerStepInput, TierCounts
from models.customer.state import CustomerInput, CustomerState, report_due, tier_share_refusal
from models.customer.steps import STEPS, apply_opening, apply_step, check_step, new_account
from models.customer.views import view_of
from models.customer.vocabulary import (
    BUSINESS_STEPS,
    Clock,
    CreditClass,
    CustomerStep,
    Decision,
    Flag,
    ServiceKind,
    Tier,
)
from models.policy import CustomerPolicy
from models.staff import Directory, Role, Staff
from tests.conftest import STAFF_FILE

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
DAY = timedelta(days=1)
POLICY = CustomerPolicy()
TZ = POLICY.timezone
SHANGHAI = timedelta(hours=8)


def marketing(staff_id: str, role: Role, leader_id: str) -> Staff:
    return Staff(
        id=staff_id, name=staff_id, role=role, leader_id=leader_id, department="marketing", api_key=f"key-{staff_id}"
    )


#: The staff file and the marketing division (CC-04: it keeps the company blacklist).
DIRECTORY = Directory(
    staff=[
        *Directory.from_file(STAFF_FILE).staff,
        marketing("mkt-mgr", Role.manager, "gm"),
        marketing("mkt-sup", Role.supervisor, "mkt-mgr"),
        marketing("mkt-1", Role.staff, "mkt-sup"),
    ]
)


def months(t: datetime, n: int) -> datetime:
    return add_months(t, n, TZ).astimezone(UTC)


def ref(staff_id: str) -> Any:
    s = DIRECTORY.get(staff_id)
    assert s is not None, staff_id
    return s.ref


def opened(at: datetime = NOW, **kw: Any) -> CustomerState:
    """An account of cs-1 (leader cs-sup, then cs-mgr, then gm), opened at ``at``."""
    create = CustomerCreate.model_validate({"name": "Jiangsu Mining", "owner_id": "cs-1"} | kw)
    inp = CustomerInput(
        id="C1",
        create=create,
        owner=ref("cs-1"),
        owner_chain=DIRECTORY.chain("cs-1"),
        opened_by=ref("cs-sup"),
        policy=POLICY,
    )
    return apply_opening(new_account(inp, "customer-C1", at), "cs-sup", at).state


def step_in(step: CustomerStep, actor: str, body: dict[str, Any], **extra: Any) -> CustomerStepInput[Any]:
    if step is CustomerStep.change_tier and "counts" not in extra:
        extra["counts"] = TierCounts(total=100, vip=0, preferred=0)
    if step is CustomerStep.reassign and "new_owner" not in extra and body.get("owner_id"):
        extra |= {"new_owner": ref(body["owner_id"]), "new_owner_chain": DIRECTORY.chain(body["owner_id"])}
    return STEPS[step].input.model_validate({"actor": ref(actor), "body": body} | extra)


def refusal(
    s: CustomerState, step: CustomerStep, actor: str, body: dict[str, Any], at: datetime = NOW, **extra: Any
) -> Refusal | None:
    return check_step(step, step_in(step, actor, body, **extra), s, at)


def refused(
    s: CustomerState, step: CustomerStep, actor: str, body: dict[str, Any], kind: str, rule: str | None, **extra: Any
) -> str:
    r = refusal(s, step, actor, body, **extra)
    assert r is not None, f"{step} by {actor} was allowed"
    assert r.kind == kind, r
    if rule is not None:
        assert rule in r.reason, r
    return r.reason


def do(
    s: CustomerState, step: CustomerStep, actor: str, body: dict[str, Any], at: datetime = NOW, **extra: Any
) -> Outcome[CustomerState]:
    inp = step_in(step, actor, body, **extra)
    r = check_step(step, inp, s, at)
    assert r is None, r
    return apply_step(step, inp, s, at)


def did(
    s: CustomerState, step: CustomerStep, actor: str, body: dict[str, Any], at: datetime = NOW, **extra: Any
) -> CustomerState:
    return do(s, step, actor, body, at, **extra).state


def told(out: Any, kind: str) -> list[str]:
    return [n.recipient_id for n in out.notifications if n.kind == kind]


def unserved(s: CustomerState) -> CustomerState:
    """The account after 3 months without service (CC-05): the service clock ran out."""
    due = clock_due(s, Clock.service)
    assert due is not None
    return apply_clock(Clock.service, s, due).state


# --- who sees a customer ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, sees",
    [("cs-1", True), ("cs-sup", True), ("cs-mgr", True), ("gm", True), ("cs-2", False), ("ops-1", False)],
)
def test_cc04_a_customer_is_visible_to_its_owner_and_the_leaders_above(who, sees):
    """The customer's owner and leaders see it; another staff member (even of the same team) or
    another department does not."""
    r = refusal(opened(), CustomerStep.request_change, who, {"address": "New Rd 1", "reason": "moved"})
    if sees:
        assert r is None
    else:
        assert r is not None and r.kind == "forbidden"


# --- CC-01 --------------------------------------------------------------------------------


def test_cc01_a_delivery_starts_monthly_revisits_and_is_recorded_once():
    """CC-01: a delivered project's first revisit is due a calendar month after delivery; the
    same project delivered twice is refused; a delivery in the future is invalid."""
    s = opened()
    assert clock_due(s, Clock.revisit) is None
    s = did(s, CustomerStep.record_delivery, "cs-1", {"project_id": "P-1", "delivered_at": NOW.isoformat()})
    assert clock_due(s, Clock.revisit) == months(NOW, 1)
    refused(s, CustomerStep.record_delivery, "cs-1", {"project_id": "P-1"}, "conflict", "CC-01")
    future = (NOW + DAY).isoformat()
    refused(s, CustomerStep.record_delivery, "cs-1", {"project_id": "P-2", "delivered_at": future}, "invalid", None)


def test_cc01_revisits_quarterly_after_the_first_year():
    """CC-01: a revisit after the delivered project's first year sets the next a quarter later."""
    delivered = NOW - timedelta(days=400)
    s = opened(delivered=[{"project_id": "P-1", "delivered_at": delivered.isoformat()}])
    s = did(s, CustomerStep.record_service, "cs-1", {"kind": "revisit"})
    assert clock_due(s, Clock.revisit) == months(NOW, 3)
    young = opened(delivered=[{"project_id": "P-1", "delivered_at": (NOW - 30 * DAY).isoformat()}])
    young = did(young, CustomerStep.record_service, "cs-1", {"kind": "revisit"})
    assert clock_due(young, Clock.revisit) == months(NOW, 1)


# --- CC-02 --------------------------------------------------------------------------------


def test_cc02_a_visit_report_is_due_two_days_after_the_visit():
    """CC-02: a visit's report within 2 days of the visit (wall time)."""
    held = NOW - timedelta(hours=5)
    assert report_due(opened(), ServiceKind.visit, held) == held + 2 * DAY
    s = did(opened(), CustomerStep.record_service, "cs-1", {"kind": "visit", "held_at": held.isoformat()})
    assert s.services[-1].report_due_at == held + 2 * DAY
    assert clock_due(s, Clock.visit_report) == held + 2 * DAY


@pytest.mark.parametrize(
    "held_local, due_local",
    [
        (datetime(2027, 1, 4, 23, 30), datetime(2027, 1, 6, 0, 0)),  # late in the evening
        (datetime(2027, 1, 5, 0, 10), datetime(2027, 1, 7, 0, 0)),  # just after midnight: a new day
        (datetime(2027, 1, 4, 9, 0), datetime(2027, 1, 6, 0, 0)),
        (datetime(2027, 2, 28, 15, 0), datetime(2027, 3, 2, 0, 0)),  # across a month's end
    ],
)
def test_cc02_a_revisit_report_is_due_by_the_end_of_the_next_shanghai_day(held_local, due_local):
    """CC-02: a revisit's report is due by the end of the next day on the company's clock (Asia/
    Shanghai): midnight two calendar days after the revisit's day; a revisit at 23:30 Shanghai
    (15:30 UTC, the same UTC day) is due at 00:00 two days later Shanghai time."""
    held = (held_local - SHANGHAI).replace(tzinfo=UTC)
    due = (due_local - SHANGHAI).replace(tzinfo=UTC)
    assert report_due(opened(), ServiceKind.revisit, held) == due


@pytest.mark.parametrize("kind", [ServiceKind.call, ServiceKind.invitation])
def test_cc02_a_call_or_an_invitation_owes_no_report(kind):
    """CC-02: only a visit and a revisit owe a report; writing one for a call is refused."""
    assert report_due(opened(), kind, NOW) is None
    s = did(opened(), CustomerStep.record_service, "cs-1", {"kind": kind.value})
    assert s.services[-1].report_due_at is None and clock_due(s, Clock.visit_report) is None
    refused(s, CustomerStep.visit_report, "cs-1", {"service_id": "S1", "report": "r"}, "conflict", "CC-02")


@pytest.mark.parametrize(
    "who, step, sees",
    [
        ("cs-1", None, True),
        ("cs-sup", None, True),
        ("gm", None, True),
        ("cs-2", None, False),
        ("ops-sup", None, False),
        ("mkt-sup", None, False),
        ("mkt-sup", CustomerStep.blacklist, True),  # CC-04: marketing keeps the company list
        ("mkt-sup", CustomerStep.lift_blacklist, True),
        ("mkt-1", CustomerStep.blacklist, False),
        ("finance-1", None, False),
        ("finance-1", CustomerStep.credit_report, True),  # CC-03: finance prepares credit reports
        ("finance-1", CustomerStep.record_service, False),
    ],
)
def test_cc04_cc03_who_may_see_or_act_on_a_customer(who: str, step: CustomerStep | None, sees: bool) -> None:
    """Who reads a customer: its owner, the owner's leaders, its department's supervisors;
    the marketing division only to keep the company blacklist (CC-04), finance only for a
    credit report (CC-03)."""
    chain = [x.id for x in DIRECTORY.chain("cs-1")]
    assert may_see_customer(ref(who), "cs-1", chain, "customer_service", "marketing", step) is sees


def test_cc02_report_guards():
    """CC-02: an unknown service is invalid; only who held the visit or the owner writes the
    report, once; the supervisor reviews it, never the owner or the report's author; nothing
    to review is a conflict."""
    s = did(opened(), CustomerStep.record_service, "cs-sup", {"kind": "visit"})
    body = {"service_id": "S1", "report": "met the buyer"}
    refused(s, CustomerStep.visit_report, "cs-1", {"service_id": "S9", "report": "r"}, "invalid", None)
    refused(s, CustomerStep.review_report, "cs-mgr", {"service_id": "S9", "approved": True}, "invalid", None)
    refused(s, CustomerStep.visit_report, "cs-mgr", body, "forbidden", "CC-02")
    refused(s, CustomerStep.review_report, "cs-mgr", {"service_id": "S1", "approved": True}, "conflict", "CC-02")
    s = did(s, CustomerStep.visit_report, "cs-sup", body)  # who held the visit
    refused(s, CustomerStep.visit_report, "cs-1", body, "conflict", "CC-02")
    refused(s, CustomerStep.review_report, "cs-sup", {"service_id": "S1", "approved": True}, "forbidden", "CC-02")
    refused(s, CustomerStep.review_report, "cs-1", {"service_id": "S1", "approved": True}, "forbidden", "CC-02")
    assert refusal(s, CustomerStep.review_report, "cs-mgr", {"service_id": "S1", "approved": True}) is None


def test_cc02_a_report_goes_to_the_supervisor_and_a_sent_back_report_is_due_again():
    """CC-02: the written report waits for the supervisor's review (flag review_due, the
    supervisor told); sent back, it is owed again within 2 days of the review; accepted, it is
    done."""
    s = did(opened(), CustomerStep.record_service, "cs-1", {"kind": "visit"})
    out = do(s, CustomerStep.visit_report, "cs-1", {"service_id": "S1", "report": "r"}, NOW + DAY)
    s = out.state
    assert told(out, "report_review_due") == ["cs-sup"]
    assert out.data["on_time"] is True
    assert Flag.review_due in s.flags and clock_due(s, Clock.visit_report) is None
    later = NOW + 2 * DAY
    out = do(s, CustomerStep.review_report, "cs-sup", {"service_id": "S1", "approved": False}, later)
    s = out.state
    assert told(out, "report_sent_back") == ["cs-1"]
    assert Flag.review_due not in s.flags
    assert s.services[0].owes_report and clock_due(s, Clock.visit_report) == later + 2 * DAY
    s = did(s, CustomerStep.visit_report, "cs-1", {"service_id": "S1", "report": "again"}, later + DAY)
    s = did(s, CustomerStep.review_report, "cs-sup", {"service_id": "S1", "approved": True}, later + DAY)
    assert Flag.review_due not in s.flags and s.services[0].reviewed_by == "cs-sup"
    assert clock_due(s, Clock.visit_report) is None


def test_cc02_a_report_sent_back_is_a_new_two_day_run_of_its_clock():
    """CC-02: sent back, the report's clock runs again from the review, for 2 days: its account
    starts at the review and the reminder comes half-way through them (not at once, counted
    from the visit days before)."""
    s = account(did(opened(), CustomerStep.record_service, "cs-1", {"kind": "visit"}), None, NOW)
    s = account(did(s, CustomerStep.visit_report, "cs-1", {"service_id": "S1", "report": "r"}, NOW + DAY), None, NOW)
    back = NOW + 3 * DAY
    s = did(s, CustomerStep.review_report, "cs-sup", {"service_id": "S1", "approved": False}, back)
    s = account(s, None, back)
    run = [c for c in s.clocks if c.clock == Clock.visit_report and c.outcome == "running"]
    assert len(run) == 1 and (run[0].started_at, run[0].allowed, run[0].due_at) == (back, 2 * DAY, back + 2 * DAY)
    w = next_warning_of(s)
    assert w is not None and w.clock == Clock.visit_report and w.at == back + DAY


def test_cc02_a_missed_report_is_flagged_and_a_late_one_clears_the_flag():
    """CC-02: the visit-report clock runs out: report_overdue, owner and supervisor told; the
    late report clears it (recorded as not on time)."""
    s = did(opened(), CustomerStep.record_service, "cs-1", {"kind": "visit"})
    out = apply_clock(Clock.visit_report, s, NOW + 2 * DAY)
    assert out.kind == "report_missed" and told(out, "report_missed") == ["cs-1", "cs-sup"]
    s = out.state
    assert Flag.report_overdue in s.flags and clock_due(s, Clock.visit_report) is None
    out = do(s, CustomerStep.visit_report, "cs-1", {"service_id": "S1", "report": "late"}, NOW + 3 * DAY)
    assert out.data["on_time"] is False and Flag.report_overdue not in out.state.flags


# --- CC-03 --------------------------------------------------------------------------------


@pytest.mark.parametrize("cls, n", [("A", 6), ("B", 3), ("C", 1), ("D", 1)])
def test_cc03_credit_report_cadence_by_class(cls, n):
    """CC-03: class A every six months, B every three, C and D monthly (calendar months)."""
    assert POLICY.credit_report_months(cls) == n
    s = opened(credit_class=cls)
    assert clock_due(s, Clock.credit_report) == months(NOW, n)
    s = did(s, CustomerStep.credit_report, "cs-1", {"credit_class": cls, "report": "r"}, NOW + 10 * DAY)
    assert clock_due(s, Clock.credit_report) == months(NOW + 10 * DAY, n)
    # missed: the next period's report is due a period after the missed one
    due = months(NOW + 10 * DAY, n)
    out = apply_clock(Clock.credit_report, s, due)
    assert out.kind == "credit_report_missed" and told(out, "credit_report_missed") == ["cs-1", "cs-sup"]
    assert Flag.credit_report_overdue in out.state.flags
    assert clock_due(out.state, Clock.credit_report) == months(due, n)


def test_cc03_a_month_is_a_calendar_month_on_the_company_clock():
    """CC-03: a monthly report from 31 January (Shanghai) is due on the last day of February."""
    jan31 = datetime(2027, 1, 31, 2, 0, tzinfo=UTC)  # 10:00 on 31 January in Shanghai
    s = opened(jan31, credit_class="C")
    assert clock_due(s, Clock.credit_report) == datetime(2027, 2, 28, 2, 0, tzinfo=UTC)


def test_cc03_a_credit_report_changing_the_class_changes_the_cadence():
    """CC-03: a report finding class C for a class-A customer makes the next due in a month
    (owner and supervisor told of the change); back to A, six months."""
    s = opened(credit_class="A")
    out = do(s, CustomerStep.credit_report, "finance-1", {"credit_class": "C", "report": "late payer"})
    s = out.state
    assert s.credit_class is CreditClass.C and clock_due(s, Clock.credit_report) == months(NOW, 1)
    assert told(out, "credit_class_changed") == ["cs-1", "cs-sup"]
    assert Flag.credit_report_overdue not in s.flags
    s = did(s, CustomerStep.credit_report, "cs-1", {"credit_class": "A", "report": "fine"}, NOW + 20 * DAY)
    assert clock_due(s, Clock.credit_report) == months(NOW + 20 * DAY, 6)


def test_cc03_an_urgent_report_notifies_the_supervisor_and_waits_for_the_instruction():
    """CC-03: a sudden change is an urgent report: the supervisor is told at once (the
    manager too); the flag stays until the supervisor's instruction, whose new class sets the
    cadence from the last report."""
    s = opened(credit_class="A")
    out = do(s, CustomerStep.credit_alert, "cs-1", {"report": "the buyer went bankrupt"})
    assert told(out, "credit_alert_urgent") == ["cs-sup", "cs-mgr"]
    s = out.state
    assert Flag.credit_alert in s.flags and s.alerts[0].id == "A1"
    body = {"alert_id": "A1", "instruction": "cash only", "credit_class": "D"}
    refused(s, CustomerStep.credit_instruction, "cs-1", body, "forbidden", "CC-03")
    refused(s, CustomerStep.credit_instruction, "cs-sup", body | {"alert_id": "A7"}, "invalid", None)
    out = do(s, CustomerStep.credit_instruction, "cs-sup", body, NOW + 2 * DAY)
    s = out.state
    assert told(out, "credit_instruction") == ["cs-1"]
    assert Flag.credit_alert not in s.flags and s.credit_class is CreditClass.D
    assert clock_due(s, Clock.credit_report) == months(NOW, 1)  # from the opening: no report yet
    refused(s, CustomerStep.credit_instruction, "cs-sup", body, "conflict", "CC-03")


@pytest.mark.parametrize("who, allowed", [("finance-1", True), ("cs-1", True), ("cs-sup", True), ("cs-2", False)])
def test_cc03_who_writes_a_credit_report(who, allowed):
    """CC-03: the owner, a supervisor, or finance (which prepares it); not another staff member."""
    r = refusal(opened(), CustomerStep.credit_report, who, {"credit_class": "B", "report": "r"})
    assert (r is None) is allowed
    if not allowed:
        assert r is not None and r.kind == "forbidden"


# --- CC-04: quotas --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "counts, old, new, ok",
    [
        ((9, 0, 0), None, Tier.vip, True),  # a new customer counts: 1 VIP of 10 is 10 %
        ((9, 1, 0), None, Tier.vip, False),  # 2 of 10 > 15 %: at most 1
        ((10, 1, 0), Tier.qualified, Tier.vip, False),  # 15 % of 10 → 1 VIP
        ((10, 0, 0), Tier.qualified, Tier.vip, True),
        ((20, 2, 0), Tier.qualified, Tier.vip, True),  # 15 % of 20 → 3
        ((20, 3, 0), Tier.qualified, Tier.vip, False),
        ((6, 0, 0), None, Tier.vip, True),  # 15 % of 7 → 1
        ((5, 0, 0), None, Tier.vip, False),  # 15 % of 6 → 0
        ((10, 0, 3), Tier.qualified, Tier.preferred, False),  # 30 % of 10 → 3
        ((10, 0, 2), Tier.qualified, Tier.preferred, True),
        ((10, 1, 3), Tier.vip, Tier.preferred, False),  # the VIP leaving frees a VIP place, not a preferred one
        ((10, 1, 2), Tier.vip, Tier.preferred, True),
        ((10, 2, 3), Tier.vip, Tier.qualified, True),  # qualified has no cap
        ((10, 1, 3), Tier.preferred, Tier.vip, False),  # its preferred place does not make a VIP one
    ],
)
def test_cc04_tier_quota_arithmetic(counts, old, new, ok):
    """CC-04: VIP at most 15 % and preferred at most 30 % of the department's customers (rounded
    down), the customer's own old tier taken out and a new customer counted in the total."""
    total, vip, preferred = counts
    reason = tier_share_refusal(TierCounts(total=total, vip=vip, preferred=preferred), old, new, POLICY, "dept")
    assert (reason is None) is ok, reason
    if not ok:
        assert reason is not None and reason.startswith("CC-04")


def test_cc04_quota_reason_names_the_cap_and_the_counts():
    reason = tier_share_refusal(TierCounts(total=10, vip=1, preferred=0), Tier.qualified, Tier.vip, POLICY, "d")
    assert reason is not None and "15%" in reason and "(1 of 10)" in reason and "make 2" in reason


def test_cc04_change_tier_within_the_department_and_the_product_line():
    """CC-04: a supervisor changes a tier within the department's shares and, when the customer
    has a product line, within the line's; the owner may not; the same tier or no counts is
    refused."""
    s = opened(product_line="cast_ball")
    ok = TierCounts(total=100, vip=0, preferred=0)
    full_line = TierCounts(total=10, vip=1, preferred=0)
    vip = {"tier": "vip", "reason": "big buyer"}
    refused(s, CustomerStep.change_tier, "cs-1", vip, "forbidden", None, counts=ok)
    refused(s, CustomerStep.change_tier, "cs-sup", {"tier": "qualified", "reason": "r"}, "conflict", "CC-04", counts=ok)
    refused(s, CustomerStep.change_tier, "cs-sup", vip, "invalid", "CC-04", counts=None)
    full = TierCounts(total=10, vip=1, preferred=0)
    refused(s, CustomerStep.change_tier, "cs-sup", vip, "conflict", "department customer_service", counts=full)
    reason = refused(s, CustomerStep.change_tier, "cs-sup", vip, "conflict", "CC-04", counts=ok, line_counts=full_line)
    assert "cast_ball" in reason
    s = did(s, CustomerStep.change_tier, "cs-sup", vip, counts=ok, line_counts=TierCounts(total=20, vip=1, preferred=0))
    assert s.tier is Tier.vip
    # no product line: the line's counts do not apply
    plain = opened()
    assert refusal(plain, CustomerStep.change_tier, "cs-sup", vip, counts=ok, line_counts=full_line) is None


# --- CC-04: VIP downgrade -------------------------------------------------------------------


def test_cc04_a_vip_with_a_problem_is_downgraded_within_five_days():
    """CC-04: a problem of a VIP arms the 5-day downgrade clock (supervisor and owner told); a
    downgrade in time meets it; a non-VIP's problem, or a second one, is refused."""
    refused(opened(), CustomerStep.report_problem, "cs-1", {"problem": "p"}, "conflict", "CC-04")
    s = opened(tier="vip")
    out = do(s, CustomerStep.report_problem, "cs-1", {"problem": "late payment"})
    assert told(out, "downgrade_due") == ["cs-sup", "cs-1"]
    s = out.state
    assert clock_due(s, Clock.downgrade) == NOW + 5 * DAY and Flag.downgrade_due in s.flags
    refused(s, CustomerStep.report_problem, "cs-sup", {"problem": "again"}, "conflict", "CC-04")
    out = do(s, CustomerStep.change_tier, "cs-sup", {"tier": "preferred", "reason": "problem"}, NOW + 4 * DAY)
    assert out.data["downgrade_on_time"] is True
    s = out.state
    assert clock_due(s, Clock.downgrade) is None and s.dues[Clock.downgrade].ended == "met"
    assert Flag.downgrade_due not in s.flags and s.problem_at is None


def test_cc04_a_downgrade_missed_tells_owner_supervisor_and_manager():
    """CC-04: 5 days without a downgrade: downgrade_overdue, the owner, the supervisor and the
    manager told; a late downgrade clears it (recorded as late)."""
    s = did(opened(tier="vip"), CustomerStep.report_problem, "cs-1", {"problem": "crisis"})
    out = apply_clock(Clock.downgrade, s, NOW + 5 * DAY)
    assert out.kind == "downgrade_missed"
    assert told(out, "downgrade_missed") == ["cs-1", "cs-sup", "cs-mgr"]
    s = out.state
    assert {Flag.downgrade_overdue, Flag.downgrade_due} <= set(s.flags) and clock_due(s, Clock.downgrade) is None
    out = do(s, CustomerStep.change_tier, "cs-sup", {"tier": "qualified", "reason": "r"}, NOW + 6 * DAY)
    assert out.data["downgrade_on_time"] is False
    assert not {Flag.downgrade_overdue, Flag.downgrade_due} & set(out.state.flags)


# --- CC-04: the blacklist -------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, scope, kind",
    [
        ("cs-sup", "department", None),
        ("cs-mgr", "department", None),
        ("cs-1", "department", "forbidden"),  # the owner is no supervisor
        ("ops-sup", "department", "forbidden"),  # another department's supervisor
        ("mkt-sup", "department", "forbidden"),  # marketing keeps the company's list only
        ("mkt-sup", "company", None),
        ("mkt-mgr", "company", None),
        ("mkt-1", "company", "forbidden"),  # marketing staff, not a supervisor
        ("cs-sup", "company", "forbidden"),
        ("cs-mgr", "company", "forbidden"),
    ],
)
def test_cc04_who_keeps_which_blacklist(who, scope, kind):
    """CC-04: the department's supervisors and managers keep its blacklist; the marketing
    division's supervisors and managers keep the company's."""
    r = refusal(opened(), CustomerStep.blacklist, who, {"scope": scope, "reason": "fraud"})
    if kind is None:
        assert r is None
    else:
        assert r is not None and r.kind == kind
        if who != "ops-sup":  # ops-sup does not even see the customer
            assert "CC-04" in r.reason


def test_cc04_a_blacklisted_customer_gets_no_business():
    """CC-04: on a blacklist, a service, a delivery and a survey are refused (409, CC-04); the
    cadences stop; other steps (a credit report, a change request) go on."""
    s = did(opened(), CustomerStep.blacklist, "cs-sup", {"scope": "department", "reason": "fraud"})
    bodies: dict[CustomerStep, dict[str, Any]] = {
        CustomerStep.record_service: {"kind": "call"},
        CustomerStep.record_delivery: {"project_id": "P-9"},
        CustomerStep.survey: {"score": 4},
    }
    assert set(bodies) == set(BUSINESS_STEPS)
    for step, body in bodies.items():
        reason = refused(s, step, "cs-1", body, "conflict", "CC-04")
        assert "department blacklist" in reason
    for clock in (Clock.revisit, Clock.credit_report, Clock.service, Clock.survey):
        assert clock_due(s, clock) is None, clock
    assert next_clock(s) is None
    assert refusal(s, CustomerStep.credit_report, "finance-1", {"credit_class": "D", "report": "r"}) is None
    assert refusal(s, CustomerStep.request_change, "cs-1", {"phone": "13800000000", "reason": "r"}) is None


def test_cc04_blacklist_conflicts_and_lifting():
    """CC-04: blacklisted twice, or on the company's list and then the department's, is a
    conflict; only the list's keepers lift it; off the list the cadences restart and business
    is allowed again."""
    s = did(opened(), CustomerStep.blacklist, "mkt-sup", {"scope": "company", "reason": "fraud"})
    refused(s, CustomerStep.blacklist, "mkt-sup", {"scope": "company", "reason": "r"}, "conflict", "CC-04")
    refused(s, CustomerStep.blacklist, "cs-sup", {"scope": "department", "reason": "r"}, "conflict", "CC-04")
    refused(s, CustomerStep.lift_blacklist, "cs-sup", {"reason": "paid"}, "forbidden", "CC-04")
    refused(s, CustomerStep.record_service, "cs-1", {"kind": "visit"}, "conflict", "company blacklist")
    later = NOW + 10 * DAY
    s = did(s, CustomerStep.lift_blacklist, "mkt-mgr", {"reason": "paid"}, later)
    assert s.blacklist is None
    refused(s, CustomerStep.lift_blacklist, "mkt-mgr", {"reason": "again"}, "conflict", "CC-04")
    # the cadences restart: each a full period from the lift
    assert clock_due(s, Clock.service) == months(later, 3)
    assert clock_due(s, Clock.survey) == months(later, 12)
    assert clock_due(s, Clock.credit_report) == months(later, 1)
    assert refusal(s, CustomerStep.record_service, "cs-1", {"kind": "visit"}, later) is None


def test_cc04_a_long_blacklist_does_not_count_against_the_owner():
    """CC-04 with CC-05, CC-07, CC-03, CC-01: the cadences stop while the customer is
    blacklisted (no business is allowed) and restart when it is lifted: a customer served,
    surveyed, reported on and revisited before 5 months on the blacklist is not unserved,
    overdue or missed the moment it comes off; each cadence runs a full period from the lift."""
    delivered = NOW - 400 * DAY
    s = opened(credit_class="B", delivered=[{"project_id": "P-1", "delivered_at": delivered.isoformat()}])
    s = did(s, CustomerStep.record_service, "cs-1", {"kind": "revisit"})
    s = did(s, CustomerStep.visit_report, "cs-1", {"service_id": "S1", "report": "r"})
    s = did(s, CustomerStep.survey, "cs-1", {"score": 4})
    s = did(s, CustomerStep.credit_report, "finance-1", {"credit_class": "B", "report": "r"})
    s = did(s, CustomerStep.blacklist, "cs-sup", {"scope": "department", "reason": "fraud"}, NOW + DAY)
    lifted = months(NOW, 5)
    s = did(s, CustomerStep.lift_blacklist, "cs-sup", {"reason": "settled"}, lifted)
    assert clock_due(s, Clock.service) == months(lifted, 3)
    assert clock_due(s, Clock.survey) == months(lifted, 12)
    assert clock_due(s, Clock.credit_report) == months(lifted, 3)
    assert clock_due(s, Clock.revisit) == months(lifted, 3)
    nxt = next_clock(s)
    assert nxt is not None and nxt[1] > lifted


def test_cc04_the_department_list_is_lifted_by_the_department():
    s = did(opened(), CustomerStep.blacklist, "cs-sup", {"scope": "department", "reason": "fraud"})
    refused(s, CustomerStep.lift_blacklist, "mkt-sup", {"reason": "r"}, "forbidden", "CC-04")
    refused(s, CustomerStep.lift_blacklist, "cs-1", {"reason": "r"}, "forbidden", "CC-04")
    assert did(s, CustomerStep.lift_blacklist, "cs-mgr", {"reason": "ok"}).blacklist is None


# --- CC-05 --------------------------------------------------------------------------------


def test_cc05_three_months_without_service_flags_unserved_and_only_then_reassign():
    """CC-05: the service clock runs 3 calendar months from the last service; a reassignment
    before it ran out is refused (CC-05); after, the supervisor is told and may reassign to
    cs-2, who gets 3 new months."""
    s = opened()
    assert clock_due(s, Clock.service) == months(NOW, 3)
    body = {"owner_id": "cs-2", "reason": "nobody serves it"}
    refused(s, CustomerStep.reassign, "cs-sup", body, "conflict", "CC-05")
    out = apply_clock(Clock.service, s, months(NOW, 3))
    assert out.kind == "unserved" and told(out, "unserved") == ["cs-1", "cs-sup"]
    s = out.state
    assert Flag.unserved in s.flags and clock_due(s, Clock.service) is None
    refused(s, CustomerStep.reassign, "cs-1", body, "forbidden", None)
    refused(s, CustomerStep.reassign, "cs-sup", {"owner_id": "cs-1", "reason": "r"}, "conflict", "CC-05")
    refused(s, CustomerStep.reassign, "cs-sup", {"owner_id": "cs-sup", "reason": "r"}, "invalid", None)
    r = check_step(
        CustomerStep.reassign,
        STEPS[CustomerStep.reassign].input.model_validate({"actor": ref("cs-sup"), "body": body}),
        s,
        NOW,
    )
    assert r is not None and r.kind == "invalid"  # the API resolves the new owner
    when = months(NOW, 3) + DAY
    out = do(s, CustomerStep.reassign, "cs-sup", body, when)
    s = out.state
    assert s.owner.id == "cs-2" and Flag.unserved not in s.flags
    assert clock_due(s, Clock.service) == months(when, 3)
    assert told(out, "customer_assigned") == ["cs-2"] and told(out, "customer_reassigned") == ["cs-1"]


@pytest.mark.parametrize("kind", list(ServiceKind))
def test_cc05_every_kind_of_service_restarts_the_three_months(kind):
    """CC-05: an invitation, a visit, a call (and a revisit) each count as service, and clear
    the unserved flag."""
    s = unserved(opened())
    held = months(NOW, 3) + DAY
    s = did(s, CustomerStep.record_service, "cs-1", {"kind": kind.value, "held_at": held.isoformat()}, held)
    assert Flag.unserved not in s.flags and clock_due(s, Clock.service) == months(held, 3)
    refused(s, CustomerStep.reassign, "cs-sup", {"owner_id": "cs-2", "reason": "r"}, "conflict", "CC-05")


def test_cc05_counts_from_the_last_service_before_the_opening():
    """CC-05: an account opened with its last service 2 months ago is unserved in 1 month; an
    older service recorded later does not move the clock back."""
    last = months(NOW, -2)
    s = opened(last_service_at=last.isoformat())
    assert clock_due(s, Clock.service) == months(last, 3)
    old = (last - 10 * DAY).isoformat()
    s = did(s, CustomerStep.record_service, "cs-1", {"kind": "call", "held_at": old})
    assert clock_due(s, Clock.service) == months(last, 3)
    future = (NOW + DAY).isoformat()
    refused(s, CustomerStep.record_service, "cs-1", {"kind": "call", "held_at": future}, "invalid", None)


# --- CC-07 --------------------------------------------------------------------------------


def test_cc07_a_survey_at_least_every_twelve_months():
    """CC-07: the survey clock runs 12 calendar months; missed: flagged, owner and supervisor
    told; a survey clears it and the next is due 12 months later."""
    s = opened()
    assert clock_due(s, Clock.survey) == months(NOW, 12)
    out = apply_clock(Clock.survey, s, months(NOW, 12))
    assert out.kind == "survey_missed" and told(out, "survey_missed") == ["cs-1", "cs-sup"]
    s = out.state
    assert Flag.survey_overdue in s.flags and clock_due(s, Clock.survey) is None
    when = months(NOW, 12) + 3 * DAY
    s = did(s, CustomerStep.survey, "cs-1", {"score": 5}, when)
    assert Flag.survey_overdue not in s.flags and clock_due(s, Clock.survey) == months(when, 12)
    refused(s, CustomerStep.survey, "cs-2", {"score": 5}, "forbidden", None)


# --- CC-08 --------------------------------------------------------------------------------


def test_cc08_a_change_waits_for_a_manager_other_than_the_requester():
    """CC-08: a change request is pending (the manager told); the supervisor, the requester
    and another department's manager may not decide it; the manager's approval changes the
    working record only, and the request keeps who asked, who decided and when."""
    s = opened(phone="13800000000", address="Old Rd 1")
    out = do(s, CustomerStep.request_change, "cs-1", {"address": "New Rd 2", "reason": "moved"})
    assert told(out, "change_decision_due") == ["cs-mgr"]
    s = out.state
    assert Flag.change_pending in s.flags and s.working.address == "Old Rd 1"
    decide = {"change_id": "R1", "approved": True}
    refused(s, CustomerStep.decide_change, "cs-sup", decide, "forbidden", "CC-08")
    refused(s, CustomerStep.decide_change, "cs-1", decide, "forbidden", "CC-08")
    refused(s, CustomerStep.decide_change, "ops-mgr", decide, "forbidden", None)
    refused(s, CustomerStep.decide_change, "cs-mgr", {"change_id": "R5", "approved": True}, "invalid", None)
    when = NOW + DAY
    out = do(s, CustomerStep.decide_change, "cs-mgr", decide | {"change_id": "r1"}, when)
    s = out.state
    assert s.working.address == "New Rd 2" and s.original.address == "Old Rd 1"
    assert s.working.phone == s.original.phone == "13800000000"
    c = s.changes[0]
    assert (c.status, c.requested_by, c.decided_by, c.decided_at) == (Decision.approved, "cs-1", "cs-mgr", when)
    assert out.data["requested_by"] == "cs-1" and out.texts["old_address"] == "Old Rd 1"
    assert Flag.change_pending not in s.flags
    refused(s, CustomerStep.decide_change, "cs-mgr", decide, "conflict", "CC-08")


def test_cc08_a_managers_own_request_goes_to_the_manager_above():
    """CC-08: the requester never decides their own change, so a manager's request is for the
    next manager up (the general manager) to decide: that one is told, not the requester."""
    out = do(opened(), CustomerStep.request_change, "cs-mgr", {"contact": "Ms Wang", "reason": "r"})
    assert told(out, "change_decision_due") == ["gm"]
    out = do(opened(), CustomerStep.request_change, "cs-sup", {"contact": "Ms Wang", "reason": "r"})
    assert told(out, "change_decision_due") == ["cs-mgr"]


def test_cc08_a_manager_does_not_decide_their_own_request_and_a_refusal_changes_nothing():
    s = did(opened(name="Jiangsu Mining"), CustomerStep.request_change, "cs-mgr", {"name": "JS Mining", "reason": "r"})
    refused(s, CustomerStep.decide_change, "cs-mgr", {"change_id": "R1", "approved": True}, "forbidden", "CC-08")
    s2 = did(s, CustomerStep.decide_change, "gm", {"change_id": "R1", "approved": False, "note": "no"})
    assert s2.working == s.working == s2.original and s2.changes[0].status is Decision.rejected


def test_cc08_decide_change_approved_changes_only_the_working_record():
    """CC-08: an approved change sets exactly the requested fields of the working record;
    everything else of the records is as it was, and the original is untouched."""
    s = opened(phone="13800000000", contact="Mr Li", address="Old Rd 1", product_line="cast_ball")
    body = {"contact": "Ms Wang", "product_line": "equipment", "reason": "new buyer"}
    s = did(s, CustomerStep.request_change, "cs-1", body)
    before = s.model_copy(deep=True)
    after = did(s, CustomerStep.decide_change, "cs-mgr", {"change_id": "R1", "approved": True})
    assert after.original == before.original
    w0, w1 = before.working.model_dump(), after.working.model_dump()
    assert {k for k in w0 if w0[k] != w1[k]} == {"contact", "product_line"}
    assert (w1["contact"], w1["product_line"]) == ("Ms Wang", "equipment")
    untouched = {"working", "changes", "flags", "seq"}
    assert after.model_dump(exclude=untouched) == before.model_dump(exclude=untouched)


def _candidates() -> list[tuple[CustomerStep, str, dict[str, Any], dict[str, Any]]]:
    """A pool of steps people might take on the account (each STEPS row at least once)."""
    counts = {"counts": TierCounts(total=100, vip=0, preferred=0)}
    pool: list[tuple[CustomerStep, str, dict[str, Any], dict[str, Any]]] = [
        (CustomerStep.record_service, "cs-1", {"kind": "visit"}, {}),
        (CustomerStep.record_service, "cs-1", {"kind": "revisit"}, {}),
        (CustomerStep.record_service, "cs-sup", {"kind": "call"}, {}),
        (CustomerStep.record_delivery, "cs-1", {"project_id": "P-1"}, {}),
        (CustomerStep.record_delivery, "cs-1", {"project_id": "P-2"}, {}),
        (CustomerStep.credit_report, "finance-1", {"credit_class": "B", "report": "r"}, {}),
        (CustomerStep.credit_report, "cs-1", {"credit_class": "A", "report": "r"}, {}),
        (CustomerStep.credit_alert, "cs-1", {"report": "sudden"}, {}),
        (CustomerStep.change_tier, "cs-sup", {"tier": "vip", "reason": "r"}, counts),
        (CustomerStep.change_tier, "cs-sup", {"tier": "preferred", "reason": "r"}, counts),
        (CustomerStep.change_tier, "cs-mgr", {"tier": "qualified", "reason": "r"}, counts),
        (CustomerStep.report_problem, "cs-1", {"problem": "p"}, {}),
        (CustomerStep.blacklist, "cs-sup", {"scope": "department", "reason": "r"}, {}),
        (CustomerStep.blacklist, "mkt-sup", {"scope": "company", "reason": "r"}, {}),
        (CustomerStep.lift_blacklist, "cs-sup", {"reason": "r"}, {}),
        (CustomerStep.lift_blacklist, "mkt-sup", {"reason": "r"}, {}),
        (CustomerStep.reassign, "cs-sup", {"owner_id": "cs-2", "reason": "r"}, {}),
        (CustomerStep.reassign, "cs-sup", {"owner_id": "cs-1", "reason": "r"}, {}),
        (CustomerStep.survey, "cs-1", {"score": 3}, {}),
        (CustomerStep.request_change, "cs-1", {"name": "Renamed Co", "reason": "r"}, {}),
        (CustomerStep.request_change, "cs-2", {"phone": "13900000000", "address": "A Rd", "reason": "r"}, {}),
        (CustomerStep.request_change, "cs-mgr", {"contact": "Mr Z", "reason": "r"}, {}),
    ]
    for n in range(1, 6):
        sid, aid, rid = f"S{n}", f"A{n}", f"R{n}"
        for who in ("cs-1", "cs-2"):
            pool.append((CustomerStep.visit_report, who, {"service_id": sid, "report": "r"}, {}))
        for approved in (True, False):
            pool.append((CustomerStep.review_report, "cs-sup", {"service_id": sid, "approved": approved}, {}))
            pool.append((CustomerStep.decide_change, "cs-mgr", {"change_id": rid, "approved": approved}, {}))
            pool.append((CustomerStep.decide_change, "gm", {"change_id": rid, "approved": approved}, {}))
        pool.append((CustomerStep.credit_instruction, "cs-sup", {"alert_id": aid, "instruction": "i"}, {}))
    return pool


@pytest.mark.parametrize("seed", range(8))
def test_cc08_no_step_ever_modifies_the_original_record(seed):
    """CC-08 (property): over random sequences of steps the guards allow (every step of STEPS
    among them), with the clocks running out between them, the original record never changes;
    the working record changes only by an approved decide_change, and then only its requested
    fields."""
    rng = random.Random(seed)
    pool = _candidates()
    assert {step for step, *_ in pool} == set(STEPS)
    s = opened(phone="13800000000", contact="Mr Li", address="Old Rd 1", product_line="cast_ball")
    original = s.original.model_copy(deep=True)
    now, taken = NOW, set()
    for _ in range(500):
        now += timedelta(hours=rng.randint(1, 72))
        nxt = next_clock(s)
        if nxt is not None and nxt[1] <= now:  # a clock ran out in between
            s = apply_clock(nxt[0], s, now).state
            assert s.original == original
            continue
        step, actor, body, extra = rng.choice(pool)
        if step is CustomerStep.reassign:
            extra = {"new_owner": ref(body["owner_id"]), "new_owner_chain": DIRECTORY.chain(body["owner_id"])}
        inp = step_in(step, actor, body, **extra)
        if check_step(step, inp, s, now) is not None:
            continue
        before = s.working.model_dump()
        s2 = apply_step(step, inp, s, now).state
        taken.add(step)
        assert s2.original == original, step
        changed = {k for k, v in s2.working.model_dump().items() if before[k] != v}
        if step is CustomerStep.decide_change and body["approved"]:
            c = next(c for c in s2.changes if c.id == body["change_id"])
            assert changed <= set(c.fields)
        else:
            assert not changed, (step, changed)
        assert s.original == original  # the input state is never mutated either
        s = s2
        assert view_of(s).original == original
    assert len(taken) >= 12, sorted(set(STEPS) - taken)  # most steps each run (reassign: the next test)


def test_cc08_every_step_in_a_plausible_sequence_leaves_the_original_untouched():
    """CC-08: each STEPS row, taken once in a plausible order, never touches the original."""
    s = opened(tier="vip", phone="13800000000", address="Old Rd 1")
    original = s.original.model_copy(deep=True)
    counts = {"counts": TierCounts(total=100, vip=1, preferred=0)}
    seq: list[tuple[CustomerStep, str, dict[str, Any], dict[str, Any]]] = [
        (CustomerStep.record_delivery, "cs-1", {"project_id": "P-1"}, {}),
        (CustomerStep.record_service, "cs-1", {"kind": "visit"}, {}),
        (CustomerStep.visit_report, "cs-1", {"service_id": "S1", "report": "r"}, {}),
        (CustomerStep.review_report, "cs-sup", {"service_id": "S1", "approved": True}, {}),
        (CustomerStep.credit_report, "finance-1", {"credit_class": "B", "report": "r"}, {}),
        (CustomerStep.credit_alert, "cs-1", {"report": "sudden"}, {}),
        (CustomerStep.credit_instruction, "cs-sup", {"alert_id": "A1", "instruction": "i", "credit_class": "D"}, {}),
        (CustomerStep.report_problem, "cs-1", {"problem": "p"}, {}),
        (CustomerStep.change_tier, "cs-sup", {"tier": "preferred", "reason": "r"}, counts),
        (CustomerStep.survey, "cs-1", {"score": 4}, {}),
        (CustomerStep.request_change, "cs-1", {"address": "New Rd 2", "reason": "moved"}, {}),
        (CustomerStep.decide_change, "cs-mgr", {"change_id": "R1", "approved": True}, {}),
        (CustomerStep.blacklist, "cs-sup", {"scope": "department", "reason": "r"}, {}),
        (CustomerStep.lift_blacklist, "cs-mgr", {"reason": "r"}, {}),
    ]
    now = NOW
    for step, actor, body, extra in seq:
        now += DAY
        s = did(s, step, actor, body, now, **extra)
        assert s.original == original, step
    s = unserved(s)
    s = did(s, CustomerStep.reassign, "cs-sup", {"owner_id": "cs-2", "reason": "r"}, now + 120 * DAY)
    assert s.original == original
    assert {step for step, *_ in seq} | {CustomerStep.reassign} == set(STEPS)
    assert s.working.address == "New Rd 2" and s.original.address == "Old Rd 1"
