"""CC-05 on the time-skipping server with the real durations: a customer nobody served (an
invitation, a visit, a call, a revisit) for 3 calendar months is flagged unserved and the
supervisor is told; only then may the supervisor reassign it; the new owner has 3 new months."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.customer.vocabulary import Clock, CustomerStep, Flag
from tests.customers.accounts import OWNER, SUPERVISOR, Accounts, at, months

HOUR = timedelta(hours=1)
REASSIGN = {"owner_id": "cs-2", "reason": "nobody served it for 3 months"}


async def test_cc05_unserved_at_three_months_then_reassigned_to_cs2(accounts: Accounts, time_env: Any) -> None:
    """CC-05: an hour before 3 months without service the customer keeps its owner (a
    reassignment is refused with CC-05, nothing written); just after, it is unserved (owner and
    supervisor told) and the supervisor reassigns it to cs-2, who owns it with 3 new months;
    3 months on without service, cs-2 and the supervisor are told."""
    wid, view = await accounts.open()
    due = at(view, Clock.service)
    assert abs(due - months(view.created_at, 3)) < timedelta(seconds=5)
    await time_env.sleep(due - await time_env.get_current_time() - HOUR)
    assert "unserved" not in await accounts.kinds(wid)
    assert OWNER in await accounts.notified(wid, "clock_warning")
    msg = await accounts.refused(wid, CustomerStep.reassign, SUPERVISOR, REASSIGN, error="Conflict")
    assert msg.startswith("CC-05")
    await time_env.sleep(2 * HOUR)
    view = await accounts.wait_for(wid, lambda v: Flag.unserved in v.flags)
    assert Clock.service not in view.due
    assert await accounts.notified(wid, "unserved") == [OWNER, SUPERVISOR]
    await accounts.refused(wid, CustomerStep.reassign, OWNER, REASSIGN, error="Forbidden")
    view = await accounts.act(wid, CustomerStep.reassign, SUPERVISOR, REASSIGN)
    reassigned = await time_env.get_current_time()
    assert view.owner_id == "cs-2" and Flag.unserved not in view.flags
    new_due = at(view, Clock.service)
    assert abs(new_due - months(reassigned, 3)) < timedelta(seconds=5)
    assert await accounts.notified(wid, "customer_assigned") == [OWNER, "cs-2"]
    assert await accounts.notified(wid, "customer_reassigned") == [OWNER]
    (actor, _, data), *_ = await accounts.written(wid, "reassign")
    assert (actor, data["previous_owner_id"], data["owner_id"]) == (SUPERVISOR, OWNER, "cs-2")
    await time_env.sleep(new_due - await time_env.get_current_time() - HOUR)
    assert (await accounts.kinds(wid)).count("unserved") == 1
    await time_env.sleep(2 * HOUR)
    await accounts.wait_for(wid, lambda v: Flag.unserved in v.flags)
    assert await accounts.notified(wid, "unserved") == [OWNER, SUPERVISOR, "cs-2", SUPERVISOR]


async def test_cc05_a_service_restarts_the_three_months(accounts: Accounts, time_env: Any) -> None:
    """CC-05: a call two months in moves the clock to 3 months after the call: nothing is
    unserved at the first 3 months."""
    wid, view = await accounts.open()
    first = at(view, Clock.service)
    await time_env.sleep(timedelta(days=60))
    view = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "invitation"})
    called = view.last_service_at
    assert called is not None and at(view, Clock.service) == months(called, 3)
    await time_env.sleep(first - await time_env.get_current_time() + HOUR)
    view = await accounts.view(wid)
    assert "unserved" not in await accounts.kinds(wid) and Flag.unserved not in view.flags
    await accounts.refused(wid, CustomerStep.reassign, SUPERVISOR, REASSIGN, error="Conflict")
