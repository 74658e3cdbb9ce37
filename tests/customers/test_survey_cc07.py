"""CC-07 on the time-skipping server with the real durations: a satisfaction survey at least
every 12 months."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.customer.vocabulary import Clock, CustomerStep, Flag
from tests.customers.accounts import OWNER, SUPERVISOR, Accounts, at, months

HOUR = timedelta(hours=1)


async def test_cc07_a_survey_missed_at_twelve_months(accounts: Accounts, time_env: Any) -> None:
    """CC-07: no survey for 12 calendar months: an hour before, nothing is missed (the owner
    was reminded); just after, the survey is missed (owner and supervisor told, flagged); a
    survey then clears it and the next is due 12 months later."""
    wid, view = await accounts.open()
    due = at(view, Clock.survey)
    assert abs(due - months(view.created_at, 12)) < timedelta(seconds=5)
    await time_env.sleep(due - await time_env.get_current_time() - HOUR)
    assert "survey_missed" not in await accounts.kinds(wid)
    warned = [d for _, _, d in await accounts.written(wid, "clock_warning") if d["clock"] == Clock.survey]
    assert warned and OWNER in await accounts.notified(wid, "clock_warning")
    await time_env.sleep(2 * HOUR)
    view = await accounts.wait_for(wid, lambda v: Flag.survey_overdue in v.flags)
    assert Clock.survey not in view.due
    assert await accounts.notified(wid, "survey_missed") == [OWNER, SUPERVISOR]
    view = await accounts.act(wid, CustomerStep.survey, OWNER, {"score": 4})
    surveyed = view.last_survey_at
    assert surveyed is not None and Flag.survey_overdue not in view.flags
    assert at(view, Clock.survey) == months(surveyed, 12)


async def test_cc07_a_survey_within_the_year_misses_nothing(accounts: Accounts, time_env: Any) -> None:
    """CC-07: a survey at 11 months moves the next to 12 months after it: nothing is missed at
    the first 12 months."""
    wid, view = await accounts.open()
    first = at(view, Clock.survey)
    await time_env.sleep(months(await time_env.get_current_time(), 11) - await time_env.get_current_time())
    view = await accounts.act(wid, CustomerStep.survey, OWNER, {"score": 5})
    await time_env.sleep(first - await time_env.get_current_time() + HOUR)
    assert "survey_missed" not in await accounts.kinds(wid)
    assert Flag.survey_overdue not in (await accounts.view(wid)).flags
