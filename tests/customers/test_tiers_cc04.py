"""CC-04 on the time-skipping server with the real durations: a VIP with a problem is
downgraded within 5 days (missed: supervisor and manager told); a blacklisted customer gets no
business and its cadences stop until the blacklist is lifted; the department's supervisors keep
its blacklist, the marketing division's the company's (a staff file with a marketing division)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from models.customer.messages import TierCounts
from models.customer.vocabulary import BlacklistScope, Clock, CustomerStep, Flag, Tier
from models.staff import Directory
from tests.conftest import STAFF_FILE
from tests.customers.accounts import MANAGER, OWNER, SUPERVISOR, Accounts, at, create, months

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MARKETING_SUP = "mkt-sup"


@pytest.fixture
def staff_file(tmp_path: Path) -> Path:
    """The staff file with a marketing division (CC-04: it keeps the company blacklist)."""
    staff = json.loads(STAFF_FILE.read_text(encoding="utf-8"))
    digest = "0" * 64
    staff += [
        {"id": "mkt-mgr", "name": "M", "role": "manager", "leader_id": "gm", "department": "marketing"},
        {"id": MARKETING_SUP, "name": "S", "role": "supervisor", "leader_id": "mkt-mgr", "department": "marketing"},
    ]
    for s in staff[-2:]:
        s["api_key_sha256"] = digest
    path = tmp_path / "staff.json"
    path.write_text(json.dumps(staff), encoding="utf-8")
    return path


@pytest.fixture
def directory(staff_file: Path) -> Directory:
    return Directory.from_file(staff_file)


async def test_cc04_a_vip_not_downgraded_in_five_days_goes_to_supervisor_and_manager(
    accounts: Accounts, time_env: Any
) -> None:
    """CC-04: a VIP's problem arms the 5-day downgrade: an hour before, nothing is missed (the
    owner and the supervisor were reminded); just after, the downgrade is missed: the owner,
    the supervisor and the manager told, flagged."""
    wid, _ = await accounts.open(create(tier="vip"))
    view = await accounts.act(wid, CustomerStep.report_problem, OWNER, {"problem": "two payments late"})
    due = at(view, Clock.downgrade)
    assert due == view.problem_at + 5 * DAY  # type: ignore[operator]
    assert Flag.downgrade_due in view.flags
    assert await accounts.notified(wid, "downgrade_due") == [SUPERVISOR, OWNER]
    await time_env.sleep(due - await time_env.get_current_time() - HOUR)
    assert "downgrade_missed" not in await accounts.kinds(wid)
    assert {OWNER, SUPERVISOR} <= set(await accounts.notified(wid, "clock_warning"))
    await time_env.sleep(2 * HOUR)
    view = await accounts.wait_for(wid, lambda v: Flag.downgrade_overdue in v.flags)
    assert await accounts.notified(wid, "downgrade_missed") == [OWNER, SUPERVISOR, MANAGER]
    assert Clock.downgrade not in view.due and Clock.downgrade in view.sla_breached
    view = await accounts.act(wid, CustomerStep.change_tier, SUPERVISOR, {"tier": "preferred", "reason": "late"})
    assert view.tier is Tier.preferred and not {Flag.downgrade_overdue, Flag.downgrade_due} & set(view.flags)
    (_, _, data), *_ = await accounts.written(wid, "change_tier")
    assert data["downgrade_on_time"] is False


async def test_cc04_a_downgrade_in_time_meets_the_clock(accounts: Accounts, time_env: Any) -> None:
    """CC-04: downgraded on the fourth day, the VIP's clock is met: nothing is missed after the
    5 days."""
    wid, _ = await accounts.open(create(tier="vip"))
    view = await accounts.act(wid, CustomerStep.report_problem, SUPERVISOR, {"problem": "crisis"})
    due = at(view, Clock.downgrade)
    await time_env.sleep(4 * DAY)
    counts = TierCounts(total=20, vip=3, preferred=5)  # preferred 6 of 20: at most 30 %
    view = await accounts.act(
        wid, CustomerStep.change_tier, SUPERVISOR, {"tier": "preferred", "reason": "crisis"}, counts=counts
    )
    assert Clock.downgrade not in view.due and Flag.downgrade_due not in view.flags
    await time_env.sleep(due - await time_env.get_current_time() + HOUR)
    view = await accounts.view(wid)
    assert "downgrade_missed" not in await accounts.kinds(wid) and Flag.downgrade_overdue not in view.flags
    (_, _, data), *_ = await accounts.written(wid, "change_tier")
    assert data["downgrade_on_time"] is True


async def test_cc04_tier_shares_are_enforced(accounts: Accounts) -> None:
    """CC-04: a VIP beyond 15 % of the department (1 of 10 already) is refused, nothing written;
    the owner is no supervisor and may not change a tier."""
    wid, _ = await accounts.open()
    body = {"tier": "vip", "reason": "big buyer"}
    full = TierCounts(total=10, vip=1, preferred=0)
    msg = await accounts.refused(wid, CustomerStep.change_tier, SUPERVISOR, body, error="Conflict", counts=full)
    assert msg.startswith("CC-04") and "15%" in msg
    await accounts.refused(wid, CustomerStep.change_tier, OWNER, body, error="Forbidden")
    view = await accounts.act(
        wid, CustomerStep.change_tier, SUPERVISOR, body, counts=TierCounts(total=20, vip=2, preferred=0)
    )
    assert view.tier is Tier.vip


async def test_cc04_a_blacklisted_customer_gets_no_business_and_its_clocks_stop(
    accounts: Accounts, time_env: Any
) -> None:
    """CC-04: on the department's blacklist, a service, a delivery and a survey are refused
    (409, CC-04, nothing written); the cadences stop: a year passes with no unserved, survey or
    credit report missed; lifted, they restart a full period from the lift (the months on the
    blacklist never count: the customer served and surveyed before it is not unserved at once)."""
    wid, _ = await accounts.open()
    await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "call"})
    await accounts.act(wid, CustomerStep.survey, OWNER, {"score": 4})
    await accounts.refused(
        wid, CustomerStep.blacklist, MARKETING_SUP, {"scope": "department", "reason": "r"}, error="Forbidden"
    )
    view = await accounts.act(wid, CustomerStep.blacklist, SUPERVISOR, {"scope": "department", "reason": "fraud"})
    assert view.blacklist is BlacklistScope.department
    assert await accounts.notified(wid, "customer_blacklisted") == [OWNER, SUPERVISOR]
    assert not {Clock.service, Clock.survey, Clock.credit_report} & set(view.due)
    refusals: list[tuple[CustomerStep, dict[str, Any]]] = [
        (CustomerStep.record_service, {"kind": "visit"}),
        (CustomerStep.record_delivery, {"project_id": "P-1"}),
        (CustomerStep.survey, {"score": 5}),
    ]
    for step, body in refusals:
        msg = await accounts.refused(wid, step, OWNER, body, error="Conflict")
        assert msg.startswith("CC-04") and "blacklist" in msg
    await time_env.sleep(months(await time_env.get_current_time(), 13) - await time_env.get_current_time())
    kinds = set(await accounts.kinds(wid))
    assert not {"unserved", "survey_missed", "credit_report_missed", "clock_warning"} & kinds, kinds
    view = await accounts.act(wid, CustomerStep.lift_blacklist, SUPERVISOR, {"reason": "settled"})
    lifted = await time_env.get_current_time()
    assert view.blacklist is None
    for clock, n in ((Clock.service, 3), (Clock.survey, 12), (Clock.credit_report, 1)):
        assert abs(at(view, clock) - months(lifted, n)) < timedelta(seconds=5), clock
    await time_env.sleep(HOUR)  # nothing the blacklist stopped runs out when it is lifted
    kinds = set(await accounts.kinds(wid))
    assert not {"unserved", "survey_missed", "credit_report_missed"} & kinds, kinds
    view = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "call"})
    assert view.last_service_at is not None and Flag.unserved not in view.flags


async def test_cc04_the_marketing_division_keeps_the_company_blacklist(accounts: Accounts) -> None:
    """CC-04: the company blacklist is kept by the marketing division's supervisors: the
    customer's own supervisor may neither put it there nor lift it (nothing written)."""
    wid, _ = await accounts.open()
    company = {"scope": "company", "reason": "fraud at another branch"}
    msg = await accounts.refused(wid, CustomerStep.blacklist, SUPERVISOR, company, error="Forbidden")
    assert "marketing" in msg
    view = await accounts.act(wid, CustomerStep.blacklist, MARKETING_SUP, company)
    assert view.blacklist is BlacklistScope.company
    await accounts.refused(wid, CustomerStep.survey, OWNER, {"score": 3}, error="Conflict")
    await accounts.refused(wid, CustomerStep.lift_blacklist, SUPERVISOR, {"reason": "r"}, error="Forbidden")
    view = await accounts.act(wid, CustomerStep.lift_blacklist, MARKETING_SUP, {"reason": "cleared"})
    assert view.blacklist is None
    (actor, _, data), *_ = await accounts.written(wid, "lift_blacklist")
    assert actor == MARKETING_SUP and data["scope"] == "company"
