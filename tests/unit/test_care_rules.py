"""CC-04 the six-monthly tier review and CC-07 the yearly survey campaign, the rules alone: the
review periods on the company's calendar (a schedule firing at 02:00 on 1 July in Shanghai
reviews the first half-year, though it is still June in UTC), the shares by tier against the
caps, who may confirm a review and when, the reminders of a late review, and which customers
the campaign lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.case import step_refusal
from models.customer.vocabulary import Tier
from models.policy import CustomerPolicy
from models.staff import Directory
from models.survey import ActiveCustomer, campaign_of, year_start
from models.tier_review.clocks import apply_clock, next_clock
from models.tier_review.messages import ConfirmBody, ConfirmInput, DepartmentFacts, ReviewedCustomer, TierReviewInput
from models.tier_review.periods import ReviewPeriod, check_months, review_months_of_year
from models.tier_review.state import tier_figures
from models.tier_review.steps import STEPS, apply_opening, apply_step, new_review
from models.tier_review.vocabulary import Clock, ReviewStage, ReviewStep
from tests.conftest import STAFF_FILE

DIRECTORY = Directory.from_file(STAFF_FILE)
TZ = "Asia/Shanghai"
NOW = datetime(2026, 7, 1, 2, tzinfo=UTC)


def ref(staff_id: str) -> Any:
    s = DIRECTORY.get(staff_id)
    assert s is not None
    return s.ref


# --- CC-04: the periods -------------------------------------------------------------------


def test_cc04_the_half_year_just_ended_is_counted_on_the_companys_clock() -> None:
    # 1 July 01:00 in Shanghai is 30 June 17:00 UTC: still June in UTC, but the second
    # half-year has begun in the company: the period just ended is the first half-year
    one_am = datetime(2026, 6, 30, 17, tzinfo=UTC)
    assert ReviewPeriod.containing(one_am, 6, TZ).name == "2026-H2"
    assert ReviewPeriod.ended_at(one_am, 6, TZ).name == "2026-H1"
    # the schedule's own time: 1 July 02:00 Shanghai = 30 June 18:00 UTC
    assert ReviewPeriod.ended_at(datetime(2026, 6, 30, 18, tzinfo=UTC), 6, TZ).name == "2026-H1"
    # 30 June 23:59 in Shanghai (15:59 UTC) is still the first half: a review then names the second half of last year
    assert ReviewPeriod.ended_at(datetime(2026, 6, 30, 15, 59, tzinfo=UTC), 6, TZ).name == "2025-H2"
    # 1 January 02:00 Shanghai (31 December 18:00 UTC): the second half of the year just ended
    assert ReviewPeriod.ended_at(datetime(2026, 12, 31, 18, tzinfo=UTC), 6, TZ).name == "2026-H2"
    # a start made up within the catch-up window names the period of its scheduled time
    assert ReviewPeriod.ended_at(datetime(2027, 1, 6, 9, tzinfo=UTC), 6, TZ).name == "2026-H2"


def test_cc04_a_half_years_bounds_are_midnight_in_the_company() -> None:
    h1 = ReviewPeriod.of(2026, 1, 6, TZ)
    assert (h1.start, h1.end) == (datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 6, 30, 16, tzinfo=UTC))
    h2 = ReviewPeriod.of(2026, 2, 6, TZ)
    assert h2.end == datetime(2026, 12, 31, 16, tzinfo=UTC) and h2.previous() == h1
    assert h1.previous().name == "2025-H2"


def test_cc04_the_review_months_come_from_the_policy() -> None:
    assert review_months_of_year(CustomerPolicy().tier_review_months) == [1, 7]
    assert review_months_of_year(3) == [1, 4, 7, 10]
    assert ReviewPeriod.ended_at(datetime(2026, 3, 31, 18, tzinfo=UTC), 3, TZ).name == "2026-Q1"
    assert ReviewPeriod.ended_at(datetime(2026, 12, 31, 18, tzinfo=UTC), 12, TZ).name == "2026"
    with pytest.raises(ValueError, match="CC-04"):
        check_months(5)


# --- CC-04: shares, the step, the clock ------------------------------------------------------


def customers(vip: int, preferred: int, qualified: int) -> list[ReviewedCustomer]:
    tiers = [Tier.vip] * vip + [Tier.preferred] * preferred + [Tier.qualified] * qualified
    return [ReviewedCustomer(id=f"C{i}", owner_id="cs-1", tier=t, credit_class=None) for i, t in enumerate(tiers)]


def test_cc04_the_shares_show_the_tiers_over_their_cap() -> None:
    policy = CustomerPolicy()
    fits = tier_figures(customers(3, 6, 11), policy, "customer_service")  # 15 % and 30 % of 20
    assert fits.total == 20 and fits.counts == {"vip": 3, "preferred": 6, "qualified": 11}
    assert fits.shares["vip"] == 0.15 and fits.over_cap == []
    over = tier_figures(customers(4, 7, 9), policy, "customer_service")
    assert [o.tier for o in over.over_cap] == [Tier.vip, Tier.preferred]
    assert "CC-04" in over.over_cap[0].reason and "15%" in over.over_cap[0].reason


def opened(department: str = "customer_service") -> Any:
    policy = CustomerPolicy()
    inp = TierReviewInput(id=f"2026-H1-{department}", period="2026-H1", department=department, policy=policy)
    s = new_review(inp, f"tier-review-2026-H1-{department}", NOW)
    reviewers = [ref("cs-mgr"), ref("cs-sup")]
    return apply_opening(s, DepartmentFacts(customers=customers(1, 1, 3), reviewers=reviewers), NOW)


def confirm(who: str, note: str | None = None) -> ConfirmInput:
    return ConfirmInput(actor=ref(who), body=ConfirmBody(note=note))


def test_cc04_the_opening_asks_the_departments_supervisors_and_managers_within_14_days() -> None:
    out = opened()
    assert out.state.stage is ReviewStage.open
    assert out.state.due_at == NOW + timedelta(days=14)
    assert [n.recipient_id for n in out.notifications] == ["cs-mgr", "cs-sup"]
    assert "vip" in out.data["figures"]["counts"] and out.data["figures"]["over_cap"]  # 1 VIP of 5 is over 15 %


def test_cc04_only_a_supervisor_or_manager_of_the_department_confirms_and_only_once() -> None:
    s = opened().state
    rule = STEPS[ReviewStep.confirm]
    for other in ("ops-sup", "ops-mgr", "cs-1", "gm", "finance-1"):
        refusal = step_refusal(rule, confirm(other), s, NOW)
        assert refusal is not None and refusal.kind == "forbidden", other
    for who in ("cs-sup", "cs-mgr"):
        assert step_refusal(rule, confirm(who), s, NOW) is None
    done = apply_step(ReviewStep.confirm, confirm("cs-sup", "checked"), s, NOW).state
    assert done.stage is ReviewStage.confirmed and done.confirmed_by == "cs-sup"
    twice = step_refusal(rule, confirm("cs-mgr"), done, NOW)
    assert twice is not None and twice.kind == "conflict" and "confirmed already" in twice.reason
    assert next_clock(done) is None


def test_cc04_a_late_review_reminds_managers_then_supervisors_every_interval() -> None:
    s = opened().state
    clock, due = next_clock(s) or (None, None)
    assert clock is Clock.confirm and due == NOW + timedelta(days=14)
    late = apply_clock(Clock.confirm, s, due)
    assert [n.recipient_id for n in late.notifications] == ["cs-mgr", "cs-sup"]
    assert late.state.due_at == due + timedelta(days=7) and late.state.reminders == 1


# --- CC-07 ----------------------------------------------------------------------------------


def test_cc07_the_campaign_lists_the_active_customers_not_surveyed_this_year() -> None:
    y = 2026
    start = year_start(y, TZ)
    assert start == datetime(2025, 12, 31, 16, tzinfo=UTC)  # 1 January 00:00 in Shanghai
    active = [
        ActiveCustomer(id="never", owner_id="cs-1", department="customer_service"),
        ActiveCustomer(
            id="last-year", owner_id="cs-1", department="customer_service", last_survey_at=start - timedelta(minutes=1)
        ),
        ActiveCustomer(
            id="new-year-eve-utc",
            owner_id="ops-1",
            department="operations",
            last_survey_at=start + timedelta(minutes=1),
        ),
        ActiveCustomer(
            id="in-march", owner_id="ops-1", department="operations", last_survey_at=datetime(y, 3, 1, tzinfo=UTC)
        ),
    ]
    c = campaign_of(y, TZ, active)
    assert [x.customer_id for x in c.customers] == ["last-year", "never"]
    assert c.by_owner() == {"cs-1": ["last-year", "never"]}
    f = c.figures
    assert (f.active, f.surveyed, f.to_survey) == (4, 2, 2)
    assert f.by_department["operations"].surveyed == 2 and f.by_department["customer_service"].to_survey == 2
