"""CC-02 on the time-skipping server with the real durations: a visit report is due within 2
days of the visit, a revisit report by the end of the next day (Asia/Shanghai); a report is
reviewed by the supervisor; sent back, it is due again."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.customer.vocabulary import Clock, CustomerStep, Flag
from models.policy import CustomerPolicy
from tests.customers.accounts import OWNER, SUPERVISOR, Accounts, at, create

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SHANGHAI = ZoneInfo(CustomerPolicy().timezone)


async def test_cc02_a_visit_report_is_due_within_two_days(accounts: Accounts, time_env: Any) -> None:
    """CC-02: a visit owes its report 2 days after it was held: an hour before, nothing is
    missed (the owner was reminded half-way); just after, the report is late: flagged, owner
    and supervisor told. The late report clears the flag and goes to the supervisor."""
    wid, _ = await accounts.open()
    view = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "visit"})
    held = view.services[-1].held_at
    due = at(view, Clock.visit_report)
    assert due == held + 2 * DAY
    await time_env.sleep(due - await time_env.get_current_time() - HOUR)
    assert "report_missed" not in await accounts.kinds(wid)
    assert OWNER in await accounts.notified(wid, "clock_warning")
    view = await accounts.view(wid)
    assert Flag.report_overdue not in view.flags and at(view, Clock.visit_report) == due
    await time_env.sleep(2 * HOUR)
    view = await accounts.wait_for(wid, lambda v: Flag.report_overdue in v.flags)
    assert Clock.visit_report not in view.due and view.services[-1].report_overdue
    assert await accounts.notified(wid, "report_missed") == [OWNER, SUPERVISOR]
    (_, _, data), *_ = await accounts.written(wid, "report_missed")
    assert data["service_id"] == "S1" and data["due_at"] == due.isoformat()
    view = await accounts.act(wid, CustomerStep.visit_report, OWNER, {"service_id": "S1", "report": "late"})
    assert Flag.report_overdue not in view.flags and Flag.review_due in view.flags
    assert await accounts.notified(wid, "report_review_due") == [SUPERVISOR]
    (_, _, data), *_ = await accounts.written(wid, "visit_report")
    assert data["on_time"] is False


async def test_cc02_a_report_in_time_misses_nothing(accounts: Accounts, time_env: Any) -> None:
    """CC-02: a report written a day after the visit meets the clock: nothing is late after
    the 2 days; the supervisor accepts it."""
    wid, _ = await accounts.open()
    view = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "visit"})
    due = at(view, Clock.visit_report)
    await time_env.sleep(DAY)
    view = await accounts.act(wid, CustomerStep.visit_report, OWNER, {"service_id": "S1", "report": "ok"})
    assert Clock.visit_report not in view.due
    await time_env.sleep(due - await time_env.get_current_time() + HOUR)
    view = await accounts.view(wid)
    assert "report_missed" not in await accounts.kinds(wid) and Flag.report_overdue not in view.flags
    view = await accounts.act(wid, CustomerStep.review_report, SUPERVISOR, {"service_id": "S1", "approved": True})
    assert Flag.review_due not in view.flags and view.services[-1].reviewed_by == SUPERVISOR


async def test_cc02_a_revisit_report_is_due_by_the_end_of_the_next_shanghai_day(
    accounts: Accounts, time_env: Any
) -> None:
    """CC-02: a revisit's report is due at midnight (Shanghai) ending the day after the
    revisit's day; an hour before nothing is missed, just after it is late."""
    delivered = await time_env.get_current_time()
    wid, _ = await accounts.open(create(delivered=[{"project_id": "P-1", "delivered_at": delivered.isoformat()}]))
    view = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "revisit"})
    held = view.services[-1].held_at
    day_after = held.astimezone(SHANGHAI).date() + 2 * DAY
    due = datetime.combine(day_after, time(0), tzinfo=SHANGHAI).astimezone(UTC)
    assert at(view, Clock.visit_report) == due
    assert timedelta(days=1) < due - held <= timedelta(days=2)
    await time_env.sleep(due - await time_env.get_current_time() - HOUR)
    assert "report_missed" not in await accounts.kinds(wid)
    await time_env.sleep(2 * HOUR)
    await accounts.wait_for(wid, lambda v: Flag.report_overdue in v.flags)
    assert await accounts.notified(wid, "report_missed") == [OWNER, SUPERVISOR]


async def test_cc02_a_report_sent_back_is_due_again(accounts: Accounts, time_env: Any) -> None:
    """CC-02: the supervisor sends a report back: it is owed again, 2 days from the review,
    and missed if not rewritten; the owner may not review (nothing written)."""
    wid, _ = await accounts.open()
    await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "visit"})
    await accounts.act(wid, CustomerStep.visit_report, OWNER, {"service_id": "S1", "report": "thin"})
    review = {"service_id": "S1", "approved": False, "note": "more detail"}
    msg = await accounts.refused(wid, CustomerStep.review_report, OWNER, review, error="Forbidden")
    assert "CC-02" in msg
    await time_env.sleep(DAY)
    view = await accounts.act(wid, CustomerStep.review_report, SUPERVISOR, review)
    reviewed = await time_env.get_current_time()
    due = at(view, Clock.visit_report)
    assert reviewed - timedelta(minutes=5) < due - 2 * DAY <= reviewed
    assert Flag.review_due not in view.flags and view.services[-1].reported_at is None
    assert await accounts.notified(wid, "report_sent_back") == [OWNER]
    # a new run of 2 days from the review: its reminder half-way, not at once
    assert view.next_warning_at is not None and view.next_warning_at - reviewed > 23 * HOUR
    warned = len(await accounts.written(wid, "clock_warning"))
    await time_env.sleep(HOUR)
    assert len(await accounts.written(wid, "clock_warning")) == warned
    await time_env.sleep(due - await time_env.get_current_time() - HOUR)
    assert "report_missed" not in await accounts.kinds(wid)
    await time_env.sleep(2 * HOUR)
    await accounts.wait_for(wid, lambda v: Flag.report_overdue in v.flags)
    assert await accounts.notified(wid, "report_missed") == [OWNER, SUPERVISOR]
