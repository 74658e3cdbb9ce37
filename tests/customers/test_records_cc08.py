"""CC-08 on the time-skipping server: the original record never changes; a change of the
working record waits for a manager's decision (never the requester's); every change is kept in
the events with who asked, who decided and when."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.customer.vocabulary import CustomerStep, Decision, Flag
from tests.customers.accounts import MANAGER, OWNER, SUPERVISOR, Accounts, create


async def test_cc08_a_change_waits_for_the_manager_and_is_kept_with_its_history(
    accounts: Accounts, time_env: Any
) -> None:
    """CC-08: the owner asks to change the address: the manager is told, the working record
    is unchanged until the manager approves (the supervisor may not decide, nothing written);
    the original keeps the old address; the events say who asked, who decided and when."""
    wid, view = await accounts.open(create(address="Old Rd 1", phone="13800000000"))
    original = view.original
    view = await accounts.act(wid, CustomerStep.request_change, OWNER, {"address": "New Rd 2", "reason": "moved"})
    asked = await time_env.get_current_time()
    assert Flag.change_pending in view.flags and view.working.address == "Old Rd 1"
    assert await accounts.notified(wid, "change_decision_due") == [MANAGER]
    decide = {"change_id": "R1", "approved": True, "note": "checked"}
    msg = await accounts.refused(wid, CustomerStep.decide_change, SUPERVISOR, decide, error="Forbidden")
    assert "CC-08" in msg
    await accounts.refused(wid, CustomerStep.decide_change, OWNER, decide, error="Forbidden")
    await time_env.sleep(timedelta(days=2))
    view = await accounts.act(wid, CustomerStep.decide_change, MANAGER, decide)
    decided = await time_env.get_current_time()
    assert view.original == original and view.working.address == "New Rd 2"
    assert view.working.phone == original.phone and Flag.change_pending not in view.flags
    c = view.changes[-1]
    assert (c.status, c.requested_by, c.decided_by) == (Decision.approved, OWNER, MANAGER)
    assert await accounts.notified(wid, "change_decided") == [OWNER]
    (req_actor, req_at, req), *_ = await accounts.written(wid, "request_change")
    (dec_actor, dec_at, dec), *_ = await accounts.written(wid, "decide_change")
    assert (req_actor, req["change_id"], req["fields"]) == (OWNER, "R1", ["address"])
    assert (dec_actor, dec["change_id"], dec["approved"], dec["requested_by"]) == (MANAGER, "R1", True, OWNER)
    assert abs(req_at - asked) < timedelta(seconds=5) and abs(dec_at - decided) < timedelta(seconds=5)
    assert dec["requested_at"] == c.requested_at.isoformat()
    await accounts.refused(wid, CustomerStep.decide_change, MANAGER, decide, error="Conflict")


async def test_cc08_the_manager_does_not_decide_their_own_request(accounts: Accounts) -> None:
    """CC-08: a change asked by the manager is decided by another manager above (the general
    manager); refused, the working record stays as it was, the refusal kept too."""
    wid, view = await accounts.open()
    await accounts.act(wid, CustomerStep.request_change, MANAGER, {"name": "Renamed Co", "reason": "r"})
    assert await accounts.notified(wid, "change_decision_due") == ["gm"]
    decide = {"change_id": "R1", "approved": True}
    await accounts.refused(wid, CustomerStep.decide_change, MANAGER, decide, error="Forbidden")
    after = await accounts.act(wid, CustomerStep.decide_change, "gm", decide | {"approved": False, "note": "no"})
    assert after.working == view.working == after.original and after.changes[-1].status is Decision.rejected
    (actor, _, data), *_ = await accounts.written(wid, "decide_change")
    assert (actor, data["approved"], data["requested_by"]) == ("gm", False, MANAGER)
