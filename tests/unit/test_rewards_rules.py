"""ND-12 year-end rewards, the rules alone: which projects a year totals and with what figures,
and the chain (the review group proposes, finance reviews, the chairman approves or sends back
with a reason) refusing steps out of order or by the wrong role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from models.case import DecisionBody, step_refusal
from models.policy import RewardsPolicy
from models.rewards.clocks import apply_clock, next_clock
from models.rewards.messages import DecisionInput, ProposeBody, ProposeInput, RewardsInput, YearFacts
from models.rewards.state import RewardsState, totals_of, year_bounds
from models.rewards.steps import STEPS, apply_opening, apply_step, new_round
from models.rewards.views import report_csv, view_of
from models.rewards.vocabulary import Clock, RewardStage, RewardStep
from models.staff import Directory, Role
from tests.conftest import STAFF_FILE

DIRECTORY = Directory.from_file(STAFF_FILE)
NOW = datetime(2026, 1, 1, 2, tzinfo=UTC)
TZ = "Asia/Shanghai"


def ref(staff_id: str) -> Any:
    s = DIRECTORY.get(staff_id)
    assert s is not None
    return s.ref


def project(pid: str, *, stage: str = "completed", customer: bool = True, expected: str, supplies: list[str]) -> Any:
    return {
        "id": pid,
        "stage": stage,
        "customer_id": f"NC-{pid}" if customer else None,
        "product_line": "cast_ball",
        "implementer_ids": ["sales-1", "sales-2"] if pid == "A" else ["sales-1"],
        "expected_annual_business": expected,
        "supplies": [{"month": f"2025-0{i + 1}", "amount": a} for i, a in enumerate(supplies)],
    }


#: A fixed set of projects with known totals for 2025 (the company's year, Asia/Shanghai).
FIXED = [
    # in 2025: completed, handed to sales
    (datetime(2025, 3, 1, tzinfo=UTC), project("A", expected="3000000", supplies=["250000", "260000", "300000"])),
    # 23:30 on 31 December Beijing time: still 2025
    (datetime(2025, 12, 31, 15, 30, tzinfo=UTC), project("B", expected="1200000", supplies=["90000", "85000.50"])),
    # 00:00 on 1 January 2025 Beijing time (16:00 UTC the day before): 2025
    (datetime(2024, 12, 31, 16, tzinfo=UTC), project("F", expected="1000000", supplies=["100000"] * 3)),
    # 00:30 on 1 January 2026 Beijing time: the new year's
    (datetime(2025, 12, 31, 16, 30, tzinfo=UTC), project("C", expected="9000000", supplies=["999999"])),
    # terminated, and completed but not handed to sales: not successes
    (datetime(2025, 6, 1, tzinfo=UTC), project("D", stage="terminated", expected="7000000", supplies=["1"])),
    (datetime(2025, 6, 1, tzinfo=UTC), project("E", customer=False, expected="5000000", supplies=["2"])),
    (None, project("G", expected="5000000", supplies=["3"])),
]


def test_nd12_year_totals_of_a_fixed_set_of_projects() -> None:
    t = totals_of(2025, TZ, FIXED)
    assert [p.project_id for p in t.projects] == ["F", "A", "B"]
    assert t.expected_total == Decimal("5200000")
    assert t.supplied_total == Decimal("1285000.50")  # 810,000 + 175,000.50 + 300,000
    assert t.collections_total == t.supplied_total  # the supplied amounts stand in for collections
    a = next(p for p in t.projects if p.project_id == "A")
    assert (a.supplied, a.supply_months, a.expected_annual_business) == (Decimal(810000), 3, Decimal(3000000))
    assert [p.project_id for p in totals_of(2026, TZ, FIXED).projects] == ["C"]


def test_nd12_the_year_is_the_companys() -> None:
    start, end = year_bounds(2025, TZ)
    assert start == datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert end == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert year_bounds(2025, "UTC")[0] == datetime(2025, 1, 1, tzinfo=UTC)


def opened(policy: RewardsPolicy | None = None) -> RewardsState:
    inp = RewardsInput(id="2025", year=2025, policy=policy or RewardsPolicy())
    s = new_round(inp, "rewards-2025", NOW)
    officers = DIRECTORY.with_role(Role.review_group, Role.group_leader, Role.finance, Role.chairman)
    return apply_opening(s, YearFacts(totals=totals_of(2025, TZ, FIXED), officers=officers), NOW).state


LINES = [
    {"project_id": "A", "implementer_id": "sales-1", "amount": "20000"},
    {"project_id": "A", "implementer_id": "sales-2", "amount": "10000"},
    {"project_id": "B", "implementer_id": "sales-1", "amount": "8000"},
]


def propose(actor: str, lines: list[dict[str, Any]] | None = None) -> ProposeInput:
    return ProposeInput(actor=ref(actor), body=ProposeBody.model_validate({"lines": lines or LINES}))


def decision(actor: str, approved: bool, note: str | None = None) -> DecisionInput:
    return DecisionInput(actor=ref(actor), body=DecisionBody(approved=approved, note=note))


def refusal(step: RewardStep, inp: Any, s: RewardsState) -> tuple[str, str] | None:
    r = step_refusal(STEPS[step], inp, s, NOW)
    return None if r is None else (r.kind, r.reason)


def take(step: RewardStep, inp: Any, s: RewardsState) -> RewardsState:
    assert refusal(step, inp, s) is None
    return apply_step(step, inp, s, NOW).state


def test_nd12_the_chain_in_order_with_a_send_back() -> None:
    s = opened()
    assert s.stage is RewardStage.proposing and s.due_at == NOW + timedelta(days=14)
    s = take(RewardStep.propose, propose("dev-review"), s)
    assert s.stage is RewardStage.reviewing
    s = take(RewardStep.review, decision("finance-1", True), s)
    assert s.stage is RewardStage.deciding
    out = apply_step(RewardStep.decide, decision("chairman", False, "too much for B"), s, NOW)
    s = out.state
    assert s.stage is RewardStage.proposing and s.sent_back_reason == "too much for B"
    assert out.texts == {"note": "too much for B"} and "too much" not in str(out.data)
    assert {n.recipient_id for n in out.notifications} == {"dev-review"}
    s = take(RewardStep.propose, propose("dev-review", LINES[:2]), s)
    s = take(RewardStep.review, decision("finance-1", True), s)
    s = take(RewardStep.decide, decision("chairman", True), s)
    assert s.stage is RewardStage.approved and s.approved_at == NOW and s.rounds == 2
    assert view_of(s).proposal_total == Decimal(30000)
    for step, inp in [(RewardStep.propose, propose("dev-review")), (RewardStep.decide, decision("chairman", True))]:
        assert refusal(step, inp, s) == ("conflict", "ND-12: the rewards of 2025 are approved")


@pytest.mark.parametrize(
    ("step", "actor"),
    [
        (RewardStep.propose, "finance-1"),
        (RewardStep.propose, "chairman"),
        (RewardStep.propose, "sales-1"),
        (RewardStep.review, "dev-review"),
        (RewardStep.review, "chairman"),
        (RewardStep.decide, "finance-1"),
        (RewardStep.decide, "dev-lead"),
    ],
)
def test_nd12_wrong_role_is_forbidden(step: RewardStep, actor: str) -> None:
    s = opened()
    states = {RewardStep.propose: s}
    states[RewardStep.review] = take(RewardStep.propose, propose("dev-review"), s)
    states[RewardStep.decide] = take(RewardStep.review, decision("finance-1", True), states[RewardStep.review])
    inp = propose(actor) if step is RewardStep.propose else decision(actor, True)
    found = refusal(step, inp, states[step])
    assert found is not None and found[0] == "forbidden", found


def test_nd12_out_of_order_is_a_conflict() -> None:
    s = opened()
    assert refusal(RewardStep.review, decision("finance-1", True), s) == (
        "conflict",
        "ND-12: the rewards of 2025 wait for the propose step",
    )
    assert refusal(RewardStep.decide, decision("chairman", True), s) is not None
    s = take(RewardStep.propose, propose("dev-review"), s)
    assert refusal(RewardStep.propose, propose("dev-review"), s) == (
        "conflict",
        "ND-12: the rewards of 2025 wait for the review step",
    )
    assert refusal(RewardStep.decide, decision("chairman", True), s) is not None


def test_nd12_a_proposal_names_the_years_projects_and_their_implementers() -> None:
    s = opened()
    bad = [
        ([{"project_id": "C", "implementer_id": "sales-1", "amount": "1"}], "did not succeed in 2025"),
        ([{"project_id": "B", "implementer_id": "sales-2", "amount": "1"}], "not an implementer of B"),
        ([LINES[0], LINES[0]], "proposed twice"),
    ]
    for lines, why in bad:
        found = refusal(RewardStep.propose, propose("dev-review", lines), s)
        assert found is not None and found[0] == "invalid" and why in found[1], found


def test_nd12_sending_back_needs_a_reason() -> None:
    s = take(RewardStep.propose, propose("dev-review"), opened())
    assert refusal(RewardStep.review, decision("finance-1", False), s) == (
        "invalid",
        "ND-12: send the proposal back with a reason (note)",
    )
    s = take(RewardStep.review, decision("finance-1", False, "amounts above the budget"), s)
    assert s.stage is RewardStage.proposing


def test_nd12_a_late_step_is_reminded_and_reminded_again() -> None:
    policy = RewardsPolicy(reward_review_deadline=timedelta(days=10), reward_reminder_interval=timedelta(days=3))
    s = take(RewardStep.propose, propose("dev-review"), opened(policy))
    assert next_clock(s) == (Clock.review, NOW + timedelta(days=10))
    out = apply_clock(Clock.review, s, NOW + timedelta(days=10))
    assert out.kind == "rewards_reminder" and out.state.reminders == 1
    assert {n.recipient_id for n in out.notifications} == {"finance-1", "dev-lead"}
    assert next_clock(out.state) == (Clock.review, NOW + timedelta(days=13))


def test_nd12_the_report_as_csv() -> None:
    s = take(RewardStep.propose, propose("dev-review"), opened())
    rows = report_csv(view_of(s)).splitlines()
    assert rows[0].startswith("year,stage,project_id")
    assert len(rows) == 1 + 4 + 1  # F (no reward), A twice, B, the total
    assert rows[-1].endswith(",TOTAL,,,5200000,1285000.50,,1285000.50,,38000")


def test_nd12_a_year_is_ended_only_once_over_on_the_companys_calendar() -> None:
    """ND-12: 2026's rewards may start at 00:00 on 1 January 2027 in Beijing (16:00 UTC on 31
    December), not a minute before."""
    from datetime import UTC, datetime

    from models.rewards.guards import year_ended

    assert not year_ended(2026, datetime(2026, 12, 31, 15, 59, tzinfo=UTC), "Asia/Shanghai")
    assert year_ended(2026, datetime(2026, 12, 31, 16, 0, tzinfo=UTC), "Asia/Shanghai")
