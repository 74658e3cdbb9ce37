"""Unit tests of the project rules (models/project/): no Temporal, no database."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from models.policy import PolicySettings, ProjectPolicy, load_project_policy
from models.project.clocks import apply_clock, next_clock, shift_clocks
from models.project.guards import (
    budget_within_cap,
    eligibility,
    expense_within_tolerance,
    may_reach,
    may_view,
    same_client,
)
from models.project.messages import ContinueBody, ProjectCreate, ProjectStepInput
from models.project.state import ProjectInput, ProjectState, consecutive_supply_months, standard_reached
from models.project.steps import STEPS, apply_continue_as_new, apply_step, check_step, new_project
from models.project.views import view_of
from models.project.vocabulary import BudgetPhase, Clock, ProjectStep, Stage
from models.staff import Directory, Role

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
POLICY = ProjectPolicy()


def app(**kw: Any) -> ProjectCreate:
    body = {
        "client_name": "Jiangsu Mining",
        "background": "b",
        "contact_channel": "fair",
        "approach": "visit",
        "product_line": "cast_ball",
        "expected_annual_business": "3000000",
        "implementer_ids": ["sales-1"],
    }
    return ProjectCreate.model_validate(body | kw)


def project(directory: Directory) -> ProjectState:
    inp = ProjectInput(
        id="P1",
        application=app(),
        applicant=directory.get("sales-1").ref,  # type: ignore[union-attr]
        implementers=[directory.get("sales-1").ref],  # type: ignore[union-attr]
        officers=directory.with_role(Role.review_group, Role.deputy_leader, Role.group_leader, Role.finance),
        policy=POLICY,
    )
    return new_project(inp, "client-project-P1", NOW)


def step_in(
    directory: Directory, step: ProjectStep, actor: str, body: dict[str, Any], expense_id: str | None = None
) -> ProjectStepInput[Any]:
    """The step's typed input, as its update would receive it."""
    ref = directory.get(actor).ref  # type: ignore[union-attr]
    return STEPS[step].input.model_validate({"actor": ref, "body": body, "expense_id": expense_id})


def do(
    directory: Directory,
    s: ProjectState,
    step: ProjectStep,
    actor: str,
    body: dict[str, Any],
    at: datetime = NOW,
    expense_id: str | None = None,
) -> ProjectState:
    inp = step_in(directory, step, actor, body, expense_id)
    refusal = check_step(step, inp, s, at)
    assert refusal is None, refusal
    return apply_step(step, inp, s, at).state


def refusal(
    directory: Directory,
    s: ProjectState,
    step: ProjectStep,
    actor: str,
    body: dict[str, Any],
    expense_id: str | None = None,
    at: datetime = NOW,
):
    return check_step(step, step_in(directory, step, actor, body, expense_id), s, at)


def approved(directory: Directory) -> ProjectState:
    s = project(directory)
    for who in ("dev-review", "dev-deputy", "dev-lead"):
        s = do(directory, s, ProjectStep.review, who, {"approved": True})
    return s


def with_budget(directory: Directory, lines: dict[str, str]) -> ProjectState:
    s = approved(directory)
    s = do(
        directory,
        s,
        ProjectStep.budget,
        "sales-1",
        {"phase": "preliminary", "lines": [{"name": k, "amount": v} for k, v in lines.items()]},
    )
    for who in ("dev-deputy", "dev-lead"):
        s = do(directory, s, ProjectStep.budget_decision, who, {"approved": True})
    return s


# --- ND-01 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, amount, eligible",
    [
        ("cast_ball", "3000000", True),
        ("cast_ball", "2999999.99", False),
        ("equipment", "1000000", True),
        ("equipment", "999999", False),
        ("valves", "10000000", False),  # not a configured line
    ],
)
def test_nd01_thresholds_by_product_line(line, amount, eligible):
    """ND-01: cast-ball products from 3,000,000, equipment from 1,000,000 a year."""
    found = eligibility("New Co", line, Decimal(amount), POLICY)
    assert found.eligible is eligible
    if not eligible:
        assert found.reason and found.reason.startswith("ND-01")


def test_nd01_another_configured_line():
    """ND-01: more product lines are configured in the policy with their thresholds."""
    p = ProjectPolicy(other_line_thresholds={"valves": Decimal(500000)})
    assert eligibility("New Co", "valves", Decimal(500000), p).eligible
    assert not eligibility("New Co", "valves", Decimal(499999), p).eligible


def test_nd01_existing_customer_refused_case_insensitively():
    """ND-01: a client already in the customer registry (name, any case) is not a new client."""
    found = eligibility(" jinan foundry CO. ", "cast_ball", Decimal(9000000), POLICY, [("C-1003", "Jinan Foundry Co.")])
    assert not found.eligible and found.existing_customer_id == "C-1003"
    assert "already a customer" in (found.reason or "")
    assert same_client("ABC  Ltd", "abc ltd") and not same_client("ABC", "ABD")


# --- ND-13 / who may --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, sees",
    [
        ("dev-review", True),
        ("dev-deputy", True),
        ("dev-lead", True),
        ("sales-1", True),
        ("sales-2", False),
        ("finance-1", False),
        ("chairman", False),
        ("cs-1", False),
        ("gm", False),
    ],
)
def test_nd13_visible_to_the_group_the_leaders_and_the_implementers(directory, who, sees):
    """ND-13: review group, deputy leader, group leader and the project's implementers only."""
    assert may_view(directory.get(who).ref, ["sales-1"]) is sees
    s = approved(directory)
    r = refusal(directory, s, ProjectStep.follow_up, who, {"note": "n"})
    if not sees:
        assert r is not None and r.kind == "forbidden" and "ND-13" in r.reason


def test_nd02_chain_order_and_roles(directory):
    """ND-02: review group, then deputy leader, then leader; out of order is 409, a role
    outside the chain is 403; the leader's approval starts the project."""
    s = project(directory)
    assert refusal(directory, s, ProjectStep.review, "dev-deputy", {"approved": True}).kind == "conflict"
    assert refusal(directory, s, ProjectStep.review, "dev-lead", {"approved": True}).kind == "conflict"
    assert refusal(directory, s, ProjectStep.review, "sales-1", {"approved": True}).kind == "forbidden"
    s = do(directory, s, ProjectStep.review, "dev-review", {"approved": True})
    assert refusal(directory, s, ProjectStep.review, "dev-review", {"approved": True}).kind == "conflict"
    s = do(directory, s, ProjectStep.review, "dev-deputy", {"approved": True})
    assert s.stage is Stage.under_review
    s = do(directory, s, ProjectStep.review, "dev-lead", {"approved": True})
    assert s.stage is Stage.approved and s.approved_at == NOW


def test_nd02_rejection_ends_the_project_with_the_reason(directory):
    """ND-02: a rejection at any step ends the project with the reason."""
    s = do(directory, project(directory), ProjectStep.review, "dev-review", {"approved": False, "note": "not feasible"})
    assert s.stage is Stage.rejected and "not feasible" in (s.rejection_reason or "")
    assert refusal(directory, s, ProjectStep.review, "dev-deputy", {"approved": True}).kind == "conflict"


@pytest.mark.parametrize(
    "step, allowed, denied",
    [
        (ProjectStep.follow_up, ["sales-1"], ["dev-review", "dev-deputy", "dev-lead"]),
        (ProjectStep.suspend, ["sales-1", "dev-review", "dev-lead"], ["finance-1"]),
        (ProjectStep.terminate, ["sales-1"], ["dev-review", "dev-lead"]),
        (ProjectStep.supply, ["sales-1", "dev-deputy"], ["dev-review"]),
    ],
)
def test_nd05_nd09_nd10_nd11_who_may_take_which_step(directory, step, allowed, denied):
    """ND-05 implementers record follow-ups; ND-09 implementers or the group suspend; ND-10
    implementers request a termination; ND-11 implementers or the deputy record supply."""
    s = approved(directory)
    body = {
        ProjectStep.follow_up: {"note": "n"},
        ProjectStep.suspend: {"reason": "r"},
        ProjectStep.terminate: {"reason": "r"},
        ProjectStep.supply: {"month": "2027-01", "amount": "1"},
    }[step]
    for who in allowed:
        assert refusal(directory, s, step, who, body) is None, who
    for who in denied:
        assert refusal(directory, s, step, who, body).kind == "forbidden", who


# --- ND-03 / ND-04 ----------------------------------------------------------------------------


def test_nd03_budget_cap_before_a_breakthrough():
    """ND-03: before a breakthrough the budget total may not exceed 30,000; after one, the
    substantive budget has no cap."""
    assert budget_within_cap(BudgetPhase.preliminary, Decimal(30000), POLICY)
    assert not budget_within_cap(BudgetPhase.preliminary, Decimal("30000.01"), POLICY)
    assert budget_within_cap(BudgetPhase.substantive, Decimal(500000), POLICY)


def test_nd03_budget_chains_by_phase(directory):
    """ND-03: a preliminary budget goes deputy → leader; after a breakthrough, a substantive
    budget goes group → deputy → leader; a preliminary one above the cap is 409."""
    s = approved(directory)
    big = {"phase": "preliminary", "lines": [{"name": "a", "amount": "20000"}, {"name": "b", "amount": "10001"}]}
    assert "30000" in refusal(directory, s, ProjectStep.budget, "sales-1", big).reason
    sub = {"phase": "substantive", "lines": [{"name": "a", "amount": "90000"}]}
    assert refusal(directory, s, ProjectStep.budget, "sales-1", sub).kind == "conflict"
    s = do(directory, s, ProjectStep.follow_up, "sales-1", {"note": "signed trial order", "progress": "breakthrough"})
    s = do(directory, s, ProjectStep.budget, "sales-1", sub)
    assert refusal(directory, s, ProjectStep.budget_decision, "dev-deputy", {"approved": True}).kind == "conflict"
    assert refusal(directory, s, ProjectStep.budget_decision, "finance-1", {"approved": True}).kind == "forbidden"
    for who in ("dev-review", "dev-deputy", "dev-lead"):
        s = do(directory, s, ProjectStep.budget_decision, who, {"approved": True})
    assert s.stage is Stage.active and view_of(s).budget.total == Decimal(90000)


def test_nd03_the_cap_is_on_every_budget_together_not_on_each(directory):
    """ND-03: before a breakthrough the project's development spending, every budget together,
    may not exceed 30,000: after a budget of 20,000 a second one of 15,000 is refused (409
    naming the cap and what is budgeted), 10,000 is allowed; a rejected budget does not count;
    after a breakthrough the substantive budget is not capped."""
    s = with_budget(directory, {"a": "20000"})
    second = {"phase": "preliminary", "lines": [{"name": "b", "amount": "15000"}]}
    r = refusal(directory, s, ProjectStep.budget, "sales-1", second)
    assert r.kind == "conflict" and "30000" in r.reason and "already 20000" in r.reason
    s = do(directory, s, ProjectStep.budget, "sales-1", second | {"lines": [{"name": "b", "amount": "10000"}]})
    s = do(directory, s, ProjectStep.budget_decision, "dev-deputy", {"approved": False})
    assert (
        refusal(directory, s, ProjectStep.budget, "sales-1", second | {"lines": [{"name": "b", "amount": "10000"}]})
        is None
    )
    assert refusal(directory, s, ProjectStep.budget, "sales-1", second | {"lines": [{"name": "b", "amount": "10001"}]})
    s = do(directory, s, ProjectStep.follow_up, "sales-1", {"note": "order", "progress": "breakthrough"})
    sub = {"phase": "substantive", "lines": [{"name": "c", "amount": "90000"}]}
    assert refusal(directory, s, ProjectStep.budget, "sales-1", sub) is None


def test_nd03_spending_before_the_breakthrough_stays_under_the_cap_whatever_the_tolerance(directory):
    """ND-03: the cap is on spending: a budget of 30,000 may be exceeded by 5% on its line
    (ND-04), but not the 30,000 before a breakthrough; after one, ND-04 alone applies."""
    s = with_budget(directory, {"a": "30000"})
    s = do(directory, s, ProjectStep.expense, "sales-1", {"line": "a", "amount": "29500", "description": "d"})
    over = {"line": "a", "amount": "600", "description": "d"}
    r = refusal(directory, s, ProjectStep.expense, "sales-1", over)
    assert r.kind == "conflict" and "ND-03" in r.reason and "already 29500" in r.reason
    assert refusal(directory, s, ProjectStep.expense, "sales-1", over | {"amount": "500"}) is None
    s = do(directory, s, ProjectStep.follow_up, "sales-1", {"note": "order", "progress": "breakthrough"})
    assert refusal(directory, s, ProjectStep.expense, "sales-1", over) is None


def test_nd03_a_rejected_budget_restarts_its_7_day_clock(directory):
    """ND-03: a budget rejected while no budget is in force gives the implementers 7 days
    again: the budget clock runs from the rejection and fires budget_overdue when it runs out."""
    s = approved(directory)
    body = {"phase": "preliminary", "lines": [{"name": "a", "amount": "5000"}]}
    s = do(directory, s, ProjectStep.budget, "sales-1", body, at=NOW + 2 * DAY)
    assert s.budget_due_at is None
    s = do(directory, s, ProjectStep.budget_decision, "dev-deputy", {"approved": False}, at=NOW + 3 * DAY)
    assert s.budget_due_at == NOW + 10 * DAY and next_clock(s) == (Clock.budget, NOW + 10 * DAY)
    assert apply_clock(Clock.budget, s, NOW + 10 * DAY).kind == "budget_overdue"
    # a revision rejected while a budget is in force leaves the clock stopped
    s = do(directory, s, ProjectStep.budget, "sales-1", body, at=NOW + 4 * DAY)
    for who in ("dev-deputy", "dev-lead"):
        s = do(directory, s, ProjectStep.budget_decision, who, {"approved": True}, at=NOW + 4 * DAY)
    s = do(directory, s, ProjectStep.budget, "sales-1", body, at=NOW + 5 * DAY)
    s = do(directory, s, ProjectStep.budget_decision, "dev-deputy", {"approved": False}, at=NOW + 5 * DAY)
    assert s.budget_due_at is None and s.stage is Stage.active


def test_nd09_a_suspension_moves_the_budget_clock(directory):
    """ND-09: suspended before its budget, a project's 7-day budget clock (ND-03) stops and on
    resume runs out later by exactly the time suspended."""
    s = approved(directory)
    assert next_clock(s) == (Clock.budget, NOW + 7 * DAY)
    s = do(directory, s, ProjectStep.suspend, "sales-1", {"reason": "r"}, at=NOW + 2 * DAY)
    assert next_clock(s) is None
    s = do(directory, s, ProjectStep.resume, "sales-1", {}, at=NOW + 12 * DAY)
    assert s.budget_due_at == NOW + 17 * DAY and next_clock(s) == (Clock.budget, NOW + 17 * DAY)
    assert s.stage is Stage.approved


@pytest.mark.parametrize(
    "spent, amount, ok",
    [("0", "1050", True), ("0", "1050.01", False), ("1000", "50", True), ("1000", "51", False)],
)
def test_nd04_five_percent_tolerance(spent, amount, ok):
    """ND-04: a line of 1,000 may carry at most 1,050 of expenses."""
    assert expense_within_tolerance(Decimal(1000), Decimal(spent), Decimal(amount), Decimal("0.05")) is ok


def test_nd04_expense_over_the_line_refused_and_reimbursement_chain(directory):
    """ND-04: over the line by more than 5% is 409 until a new budget is approved;
    reimbursement runs deputy → finance → leader, in that order; finance may act on it
    without seeing the project."""
    s = with_budget(directory, {"entertainment": "1000"})
    over = {"line": "entertainment", "amount": "1051", "description": "d"}
    assert "ND-04" in refusal(directory, s, ProjectStep.expense, "sales-1", over).reason
    assert (
        refusal(directory, s, ProjectStep.expense, "sales-1", {"line": "nope", "amount": "1", "description": "d"}).kind
        == "conflict"
    )
    s = do(
        directory, s, ProjectStep.expense, "sales-1", {"line": "entertainment", "amount": "1050", "description": "d"}
    )
    assert refusal(directory, s, ProjectStep.expense_decision, "finance-1", {"approved": True}, "E1").kind == "conflict"
    assert (
        refusal(directory, s, ProjectStep.expense_decision, "dev-review", {"approved": True}, "E1").kind == "forbidden"
    )
    for who in ("dev-deputy", "finance-1", "dev-lead"):
        s = do(directory, s, ProjectStep.expense_decision, who, {"approved": True}, expense_id="E1")
    assert s.expenses[0].status == "approved"
    assert view_of(s).budget.lines[0].remaining == Decimal(-50)
    # a new, larger budget approved: the same line takes more
    s = do(
        directory,
        s,
        ProjectStep.budget,
        "sales-1",
        {"phase": "preliminary", "lines": [{"name": "entertainment", "amount": "3000"}]},
    )
    for who in ("dev-deputy", "dev-lead"):
        s = do(directory, s, ProjectStep.budget_decision, who, {"approved": True})
    assert refusal(directory, s, ProjectStep.expense, "sales-1", over) is None


# --- clocks -----------------------------------------------------------------------------------


def test_nd05_lapse_recorded_and_clock_rearms(directory):
    """ND-05: 30 days without a follow-up: a lapse, the implementer and the deputy reminded,
    and the clock re-arms for the next 30 days."""
    s = with_budget(directory, {"a": "100"})
    assert next_clock(s) == (Clock.follow_up, NOW + 30 * DAY)
    out = apply_clock(Clock.follow_up, s, NOW + 30 * DAY)
    assert out.kind == "follow_up_lapsed" and "follow_up_overdue" in out.state.flags
    assert {n.recipient_id for n in out.notifications} == {"sales-1", "dev-deputy"}
    assert out.state.follow_up_due_at == NOW + 60 * DAY
    after = do(directory, out.state, ProjectStep.follow_up, "sales-1", {"note": "n"}, at=NOW + 31 * DAY)
    assert "follow_up_overdue" not in after.flags and after.follow_up_due_at == NOW + 61 * DAY


def test_nd06_nd07_milestones_fire_only_without_progress(directory):
    """ND-06: at 3 months, special attention only with no progress; ND-07: at 6 months, a
    special study only with no breakthrough."""
    s = with_budget(directory, {"a": "100"})
    assert apply_clock(Clock.attention, s, NOW).kind == "special_attention"
    s2 = do(directory, s, ProjectStep.follow_up, "sales-1", {"note": "n", "progress": "some"})
    assert apply_clock(Clock.attention, s2, NOW).kind == "attention_checked"
    study = apply_clock(Clock.study, s2, NOW)
    assert study.kind == "special_study" and study.state.study_pending
    s3 = do(directory, s2, ProjectStep.follow_up, "sales-1", {"note": "n", "progress": "breakthrough"})
    assert apply_clock(Clock.study, s3, NOW).kind == "study_checked"
    ended = do(directory, study.state, ProjectStep.study_decision, "dev-review", {"continue": False})
    assert ended.stage is Stage.terminated


def test_nd09_suspension_shifts_every_clock(directory):
    """ND-09: while suspended no clock runs; on resume every due time moves later by the time
    suspended."""
    s = with_budget(directory, {"a": "100"})
    before = (s.follow_up_due_at, s.attention_due_at, s.study_due_at, s.annual_review_due_at)
    s = do(directory, s, ProjectStep.suspend, "sales-1", {"reason": "r"}, at=NOW + 5 * DAY)
    assert next_clock(s) is None
    assert refusal(directory, s, ProjectStep.follow_up, "sales-1", {"note": "n"}).kind == "conflict"
    s = do(directory, s, ProjectStep.resume, "dev-review", {}, at=NOW + 45 * DAY)
    assert (s.follow_up_due_at, s.attention_due_at, s.study_due_at, s.annual_review_due_at) == tuple(
        d + 40 * DAY for d in before
    )
    assert s.suspended_seconds == (40 * DAY).total_seconds() and s.stage is Stage.active
    assert shift_clocks(s, DAY).follow_up_due_at == s.follow_up_due_at + DAY


def test_nd08_annual_review_chain(directory):
    """ND-08: 12 months without the standard: the report, then group → deputy → leader; the
    leader's decision counts."""
    s = with_budget(directory, {"a": "100"})
    out = apply_clock(Clock.annual_review, s, NOW)
    assert out.kind == "annual_review" and out.state.annual_pending
    s = out.state
    assert (
        refusal(directory, s, ProjectStep.annual_report_decision, "dev-review", {"continue": True}).kind == "conflict"
    )
    s = do(directory, s, ProjectStep.annual_report, "sales-1", {"report": "r"})
    assert refusal(directory, s, ProjectStep.annual_report_decision, "dev-lead", {"continue": True}).kind == "conflict"
    s = do(directory, s, ProjectStep.annual_report_decision, "dev-review", {"continue": False})
    s = do(directory, s, ProjectStep.annual_report_decision, "dev-deputy", {"continue": False})
    assert s.stage is Stage.active  # opinions; the leader decides
    s = do(directory, s, ProjectStep.annual_report_decision, "dev-lead", {"continue": True})
    assert not s.annual_pending and s.stage is Stage.active


# --- ND-11 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "months, run",
    [
        ([], 0),
        (["2027-01"], 1),
        (["2027-01", "2027-03", "2027-04"], 2),
        (["2026-11", "2026-12", "2027-01"], 3),
        (["2027-05", "2027-03", "2027-04"], 3),
    ],
)
def test_nd11_standard_is_three_consecutive_months(months, run):
    """ND-11 / ND-08: the standard is supply in 3 consecutive calendar months."""
    assert consecutive_supply_months(months) == run
    assert standard_reached(months, POLICY) is (run >= 3)


APRIL = datetime(2027, 4, 20, 3, 0, tzinfo=UTC)  # supply of January to March is recorded by then
BATCH = "250000"  # the cast-ball line's monthly batch amount by default


def supplied(directory: Directory, s: ProjectState, months: dict[str, str], who: str = "sales-1") -> ProjectState:
    for m, amount in months.items():
        s = do(directory, s, ProjectStep.supply, who, {"month": m, "amount": amount}, at=APRIL)
    return s


def test_nd08_nd11_a_month_counts_only_at_the_lines_monthly_batch_amount(directory):
    """ND-08 / ND-11: a month of supply counts toward the standard only at or above the product
    line's monthly batch amount: three consecutive months below it are no standard."""
    s = with_budget(directory, {"a": "100"})
    s = supplied(directory, s, {"2027-01": "249999.99", "2027-02": BATCH, "2027-03": BATCH})
    assert s.stage is Stage.active and view_of(s).consecutive_supply_months == 2
    assert s.standard_reached_at is None and apply_clock(Clock.annual_review, s, APRIL).kind == "annual_review"
    equipment = approved(directory).model_copy(update={"application": app(product_line="equipment")})
    assert view_of(equipment).monthly_batch_amount == POLICY.equipment_monthly_batch
    assert view_of(s).monthly_batch_amount == Decimal(BATCH)


def test_nd11_months_are_calendar_months_from_approval_to_now_in_the_companys_timezone(directory):
    """ND-11: a month of supply lies between the month of approval (in the company's timezone)
    and the current month: earlier or later is 422 naming the problem."""
    s = project(directory)
    late_evening = datetime(2027, 1, 31, 17, 0, tzinfo=UTC)  # 1 February, 01:00 in Shanghai
    for who in ("dev-review", "dev-deputy", "dev-lead"):
        s = do(directory, s, ProjectStep.review, who, {"approved": True}, at=late_evening)
    body = {"month": "2027-01", "amount": BATCH}
    before = refusal(directory, s, ProjectStep.supply, "sales-1", body, at=APRIL)
    assert before.kind == "invalid" and "before the project's approval (2027-02" in before.reason
    future = refusal(directory, s, ProjectStep.supply, "sales-1", body | {"month": "2027-05"}, at=APRIL)
    assert future.kind == "invalid" and "2027-05 is in the future" in future.reason
    for month in ("2027-02", "2027-04"):  # the approval's month and the current month
        assert refusal(directory, s, ProjectStep.supply, "sales-1", body | {"month": month}, at=APRIL) is None
    # 30 April 17:00 UTC is already May in Shanghai
    may = datetime(2027, 4, 30, 17, 0, tzinfo=UTC)
    assert refusal(directory, s, ProjectStep.supply, "sales-1", body | {"month": "2027-05"}, at=may) is None


def test_nd11_the_standard_met_waits_for_the_deputy_leader_to_confirm_completion(directory):
    """ND-11: three consecutive months at the batch amount do not complete the project: the
    deputy leader is asked (flag completion_due) and the project stays active, its clocks
    running; only the deputy confirms (403 otherwise; 409 before the standard); confirming
    completes it and stops every clock."""
    s = with_budget(directory, {"a": "100"})
    s = supplied(directory, s, {"2027-01": BATCH, "2027-02": BATCH})
    r = refusal(directory, s, ProjectStep.confirm_completion, "dev-deputy", {})
    assert r.kind == "conflict" and "2 of 3" in r.reason
    inp = step_in(directory, ProjectStep.supply, "dev-deputy", {"month": "2027-03", "amount": "300000"})
    out = apply_step(ProjectStep.supply, inp, s, APRIL)
    s = out.state
    assert s.stage is Stage.active and s.standard_reached_at == APRIL and next_clock(s) is not None
    assert "completion_due" in s.flags and out.data["standard_reached"] is True
    assert [(n.recipient_id, n.kind) for n in out.notifications] == [("dev-deputy", "completion_due")]
    v = view_of(s)
    assert v.completion_waiting_for == Role.deputy_leader and v.consecutive_supply_months == 3
    assert apply_clock(Clock.annual_review, s, APRIL).kind == "annual_checked"  # ND-08: standard met
    for who in ("sales-1", "dev-lead", "dev-review"):
        assert refusal(directory, s, ProjectStep.confirm_completion, who, {}).kind == "forbidden", who
    assert refusal(directory, s, ProjectStep.supply, "sales-1", {"month": "2027-03", "amount": "1"}).kind == "conflict"
    s = do(directory, s, ProjectStep.confirm_completion, "dev-deputy", {"note": "supply steady"}, at=APRIL)
    assert s.stage is Stage.completed and next_clock(s) is None and s.flags == []
    assert refusal(directory, s, ProjectStep.follow_up, "sales-1", {"note": "n"}).kind == "conflict"


def test_nd11_a_run_replaying_steps_before_the_correction_keeps_the_old_rules(directory):
    """ND-11 (replay): a run whose history recorded supply before the correction (corrected
    False) completes on the third month of any amount, as it did when recorded; the next run
    asks again."""
    s = with_budget(directory, {"a": "100"}).model_copy(update={"corrected": False})
    s = supplied(directory, s, {"2027-01": "1", "2027-02": "1", "2027-03": "1"})
    assert s.stage is Stage.completed and s.standard_reached_at is None
    assert apply_continue_as_new(s.model_copy(update={"stage": Stage.active})).corrected is None


# --- policy -----------------------------------------------------------------------------------


def test_nd03_nd05_project_policy_defaults_and_env(monkeypatch):
    """ND-01/03/04/05/06/07/08: defaults from the seeds; every value settable by POLICY_*."""
    for name in list(os.environ):
        if name.upper().startswith("POLICY_"):
            monkeypatch.delenv(name)
    p = ProjectPolicy()
    assert (p.cast_ball_threshold, p.equipment_threshold) == (Decimal(3000000), Decimal(1000000))
    assert (p.budget_cap_before_breakthrough, p.expense_tolerance) == (Decimal(30000), Decimal("0.05"))
    assert (p.budget_deadline, p.follow_up_interval, p.attention_after, p.study_after, p.annual_review_after) == (
        7 * DAY,
        30 * DAY,
        90 * DAY,
        180 * DAY,
        365 * DAY,
    )
    assert p.supply_months_to_complete == 3
    # ND-08/ND-11: defaults not fixed by the seeds
    assert (p.monthly_batch("cast_ball"), p.monthly_batch("equipment")) == (Decimal(250000), Decimal(85000))
    assert p.monthly_batch("unknown") is None
    monkeypatch.setenv("POLICY_OTHER_LINE_MONTHLY_BATCHES", '{"valves": 45000}')
    monkeypatch.setenv("POLICY_CAST_BALL_MONTHLY_BATCH", "200000")
    monkeypatch.setenv("POLICY_FOLLOW_UP_INTERVAL", "P10D")
    monkeypatch.setenv("POLICY_EQUIPMENT_THRESHOLD", "800000")
    monkeypatch.setenv("POLICY_OTHER_LINE_THRESHOLDS", '{"valves": 500000}')
    monkeypatch.setenv("POLICY_PLAN_DEADLINE", "PT5M")
    loaded = load_project_policy()
    assert type(loaded) is ProjectPolicy
    assert loaded.follow_up_interval == 10 * DAY and loaded.equipment_threshold == Decimal(800000)
    assert loaded.thresholds()["valves"] == Decimal(500000)
    assert (loaded.monthly_batch("valves"), loaded.monthly_batch("cast_ball")) == (Decimal(45000), Decimal(200000))
    assert ProjectPolicy(other_line_thresholds={"pumps": Decimal(600000)}).monthly_batch("pumps") == Decimal(50000)
    assert PolicySettings().complaint_policy().plan_deadline == timedelta(minutes=5)


def test_continue_body_reads_continue_on_the_wire():
    """The continue-or-terminate body's field is ``continue`` in JSON."""
    b = ContinueBody.model_validate({"continue": True})
    assert b.continue_ is True and b.model_dump(by_alias=True)["continue"] is True


@pytest.mark.parametrize(
    ("who", "step", "reaches"),
    [
        ("finance-1", ProjectStep.expense_decision, True),
        ("finance-1", ProjectStep.follow_up, False),
        ("finance-1", None, False),
        ("sales-1", None, True),
        ("sales-2", ProjectStep.expense_decision, False),
    ],
)
def test_nd13_nd04_finance_reaches_a_project_only_to_decide_an_expense(directory, who, step, reaches):
    """ND-13 / ND-04: finance decides reimbursements without seeing the project: it reaches a
    project for an expense decision and for nothing else."""
    assert may_reach(directory.get(who).ref, ["sales-1"], step) is reaches
