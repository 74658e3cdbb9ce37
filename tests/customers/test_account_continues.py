"""Issue 16: an account never ends; before its history grows large it continues as new with
its whole state (CC-01 … CC-07 due times are absolute): nothing is lost or restarted, no
event is written twice, and the steps and clocks go on in the new run."""

from __future__ import annotations

from datetime import timedelta

from models.customer.vocabulary import Clock, CustomerStep
from tests.customers.accounts import OWNER, Accounts, at, create

DAY = timedelta(days=1)


async def test_cc01_cc05_an_account_continues_as_new_keeping_every_due_time(accounts: Accounts, time_env) -> None:  # type: ignore[no-untyped-def]
    """CC-01/CC-05/CC-07 across runs: with a small history limit the account continues as new
    several times while services are recorded and clocks remind; its due times are the ones
    the last step set, its events are one per seq, and a revisit still moves the clock."""
    now = await time_env.get_current_time()
    wid, view = await accounts.open(
        create(delivered=[{"project_id": "P-CAN", "delivered_at": now.isoformat()}]), history_limit=40
    )
    for _ in range(12):
        view = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "call"})
        await time_env.sleep(DAY)
    view = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "revisit"})
    before = {c: at(view, c) for c in (Clock.revisit, Clock.service, Clock.survey, Clock.credit_report)}
    await time_env.sleep(timedelta(hours=1))
    after = await accounts.wait_for(wid, lambda v: v.runs > 1)
    assert {c: at(after, c) for c in before} == before
    seqs = [k for k, _ in await accounts.events(wid)]
    assert len(seqs) == after.seq  # one event per step or clock, none doubled across runs
    again = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "revisit"})
    assert at(again, Clock.revisit) > before[Clock.revisit] and again.seq == after.seq + 1
