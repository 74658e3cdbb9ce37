"""CC-01 on the time-skipping server with the real durations: a delivered project is revisited
monthly in its first year and quarterly after; a missed revisit tells the owner and the
supervisor and the next one is due a period later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.calendar import add_months
from models.customer.vocabulary import Clock, CustomerStep, Flag
from models.policy import CustomerPolicy
from tests.customers.accounts import OWNER, SUPERVISOR, Accounts, at, create

TZ = CustomerPolicy().timezone
HOUR = timedelta(hours=1)


def months(t: datetime, n: int) -> datetime:
    return add_months(t, n, TZ).astimezone(UTC)


async def test_cc01_a_year_of_monthly_revisits_then_quarterly(accounts: Accounts, time_env) -> None:  # type: ignore[no-untyped-def]
    """CC-01: revisits recorded each month keep the clock monthly for the first year after the
    delivery; from then on the next revisit is due a quarter after the last."""
    now = await time_env.get_current_time()
    delivered = now
    wid, view = await accounts.open(create(delivered=[{"project_id": "P-1", "delivered_at": delivered.isoformat()}]))
    due = at(view, Clock.revisit)
    assert due == months(delivered, 1)
    intervals = []
    for n in range(1, 15):  # a revisit a day before each due time, for a year and more
        await time_env.sleep(due - await time_env.get_current_time() - timedelta(days=1))
        view = await accounts.act(wid, CustomerStep.record_service, OWNER, {"kind": "revisit"})
        held = view.last_revisit_at
        assert held is not None
        nxt = at(view, Clock.revisit)
        first_year = held < months(delivered, 12)
        assert nxt == months(held, 1 if first_year else 3), (n, held, nxt)
        intervals.append(1 if first_year else 3)
        due = nxt
    assert intervals == [1] * 12 + [3, 3]  # twelve monthly revisits in the first year, then quarterly
    assert Flag.revisit_overdue not in view.flags
    assert "revisit_missed" not in await accounts.kinds(wid)


async def test_cc01_a_missed_revisit_tells_owner_and_supervisor_and_rearms(accounts: Accounts, time_env) -> None:  # type: ignore[no-untyped-def]
    """CC-01: nobody revisits: at the due time the revisit is missed (owner and supervisor
    told, flagged), and the next is due a month later; twelve months of lapses, then quarterly."""
    now = await time_env.get_current_time()
    wid, view = await accounts.open(create(delivered=[{"project_id": "P-2", "delivered_at": now.isoformat()}]))
    first = at(view, Clock.revisit)
    await time_env.sleep(first - now - HOUR)
    assert "revisit_missed" not in await accounts.kinds(wid)
    await time_env.sleep(2 * HOUR)
    view = await accounts.wait_for(wid, lambda v: v.revisit_lapses == 1)
    assert Flag.revisit_overdue in view.flags
    assert at(view, Clock.revisit) == months(first, 1)
    told = await accounts.notified(wid, "revisit_missed")
    assert told == [OWNER, SUPERVISOR]
    # the rest of the year and one quarter: 12 monthly lapses in all, then one a quarter later
    await time_env.sleep(months(now, 12) - await time_env.get_current_time() + HOUR)
    view = await accounts.wait_for(wid, lambda v: v.revisit_lapses == 12)
    assert at(view, Clock.revisit) == months(now, 15)
