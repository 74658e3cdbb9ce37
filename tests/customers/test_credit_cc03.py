"""CC-03 on the time-skipping server with the real durations: credit reports of class A every
six months, B every three, C and D monthly (calendar months); a report that changes the class
changes the cadence; an urgent report goes to the supervisor at once and waits for the
supervisor's instruction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.customer.vocabulary import Clock, CreditClass, CustomerStep, Flag
from tests.customers.accounts import MANAGER, OWNER, SUPERVISOR, Accounts, at, create, months

HOUR = timedelta(hours=1)


async def test_cc03_a_class_a_report_is_missed_at_six_months(accounts: Accounts, time_env: Any) -> None:
    """CC-03: a class-A customer's credit report is due six calendar months after the opening:
    an hour before, nothing is missed (the owner was reminded); just after, it is missed
    (owner and supervisor told, flagged) and the next is due six months later."""
    opened = await time_env.get_current_time()
    wid, view = await accounts.open(create(credit_class="A"))
    due = at(view, Clock.credit_report)
    assert months(opened, 6) - timedelta(seconds=5) < due <= months(opened, 6) + timedelta(seconds=5)
    await time_env.sleep(due - await time_env.get_current_time() - HOUR)
    assert "credit_report_missed" not in await accounts.kinds(wid)
    warned = [d for _, _, d in await accounts.written(wid, "clock_warning") if d["clock"] == Clock.credit_report]
    assert warned, "the owner is reminded before the credit report is due"
    assert Flag.credit_report_overdue not in (await accounts.view(wid)).flags
    await time_env.sleep(2 * HOUR)
    view = await accounts.wait_for(wid, lambda v: Flag.credit_report_overdue in v.flags)
    assert await accounts.notified(wid, "credit_report_missed") == [OWNER, SUPERVISOR]
    assert at(view, Clock.credit_report) == months(due, 6)
    # the report, late, clears the flag and sets the next six months from it
    view = await accounts.act(wid, CustomerStep.credit_report, "finance-1", {"credit_class": "A", "report": "r"})
    assert Flag.credit_report_overdue not in view.flags
    assert at(view, Clock.credit_report) == months(view.credit_reports[-1].at, 6)


async def test_cc03_a_class_change_to_c_makes_the_cadence_monthly(accounts: Accounts, time_env: Any) -> None:
    """CC-03: a report finding class C for a class-A customer makes the next report due a
    month later (not six): just before, nothing; just after, missed; the next again monthly."""
    wid, _ = await accounts.open(create(credit_class="A"))
    await time_env.sleep(timedelta(days=10))
    view = await accounts.act(wid, CustomerStep.credit_report, OWNER, {"credit_class": "C", "report": "slow payer"})
    reported = view.credit_reports[-1].at
    assert view.credit_class is CreditClass.C
    due = at(view, Clock.credit_report)
    assert due == months(reported, 1)
    assert await accounts.notified(wid, "credit_class_changed") == [OWNER, SUPERVISOR]
    await time_env.sleep(due - await time_env.get_current_time() - HOUR)
    assert "credit_report_missed" not in await accounts.kinds(wid)
    await time_env.sleep(2 * HOUR)
    view = await accounts.wait_for(wid, lambda v: Flag.credit_report_overdue in v.flags)
    assert at(view, Clock.credit_report) == months(due, 1)
    (_, _, data), *_ = await accounts.written(wid, "credit_report_missed")
    assert data["due_at"] == due.isoformat()


async def test_cc03_an_urgent_report_notifies_the_supervisor_at_once(accounts: Accounts, time_env: Any) -> None:
    """CC-03: an urgent report of a sudden change tells the supervisor (and the manager) at
    once, with no time passing; it waits (flag credit_alert) for the supervisor's instruction,
    which the owner may not give (nothing written); the instruction settles it and its class
    sets the cadence."""
    wid, _ = await accounts.open(create(credit_class="A"))
    before = await time_env.get_current_time()
    view = await accounts.act(wid, CustomerStep.credit_alert, OWNER, {"report": "the buyer's bank froze its account"})
    assert await accounts.notified(wid, "credit_alert_urgent") == [SUPERVISOR, MANAGER]
    (actor, when, data), *_ = await accounts.written(wid, "credit_alert")
    assert actor == OWNER and data["alert_id"] == "A1" and when - before < timedelta(minutes=1)
    assert Flag.credit_alert in view.flags
    body = {"alert_id": "A1", "instruction": "cash on delivery only", "credit_class": "D"}
    msg = await accounts.refused(wid, CustomerStep.credit_instruction, OWNER, body, error="Forbidden")
    assert "CC-03" in msg
    await time_env.sleep(timedelta(days=3))
    assert Flag.credit_alert in (await accounts.view(wid)).flags  # it waits for the supervisor
    view = await accounts.act(wid, CustomerStep.credit_instruction, SUPERVISOR, body)
    assert Flag.credit_alert not in view.flags and view.credit_class is CreditClass.D
    assert view.alerts[-1].instructed_by == SUPERVISOR
    assert await accounts.notified(wid, "credit_instruction") == [OWNER]
    # class D: monthly, from the opening (no report yet)
    assert abs(at(view, Clock.credit_report) - months(view.created_at, 1)) < timedelta(seconds=5)
    await accounts.refused(wid, CustomerStep.credit_instruction, SUPERVISOR, body, error="Conflict")
