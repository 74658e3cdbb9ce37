"""Periodic work on Temporal Schedules (issue 15): the weekly and monthly complaint analysis
(CP-18), the year-end rewards (ND-12), the six-monthly tier reviews (CC-04) and the yearly
survey campaign (CC-07) start by themselves, at the company's times, even
when nobody asks; a server down at the due time still starts them within the catch-up window.

``SCHEDULES`` lists every periodic job; ``ensure`` creates each schedule or updates it to what
the code says (idempotent: `make run` calls it at every start). ``python -m starter.schedules``
does the same by hand and lists them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from config import Settings, get_settings
from infra.temporal import connect
from models.policy import load_complaint_policy, load_customer_policy, load_rewards_policy
from models.report import Cadence, ScheduledReportInput
from models.rewards.messages import YearEnd
from models.survey import ScheduledSurveyCampaign
from models.tier_review.messages import ScheduledTierReview
from models.tier_review.periods import review_months_of_year
from workflows.care import ScheduledTierReviewWorkflow, YearlySurveyCampaignWorkflow
from workflows.report import ScheduledComplaintReportWorkflow
from workflows.rewards import YearEndRewardsWorkflow

#: How late a missed start may still be made up (the server or the worker down at midnight).
CATCHUP_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Periodic:
    """One periodic job: the schedule ``id``, the workflow it starts (its run method), the
    workflow's input and the schedule's times (both given the company's timezone: a week
    starts on Monday 00:00 there), and what the Temporal UI says of it."""

    id: str
    workflow: Callable[..., Any]
    arg: Callable[[str], Any]
    spec: Callable[[str], ScheduleSpec]
    summary: str


def year_end(timezone: str) -> ScheduleSpec:
    """ND-12: once a year, 1 January 02:00 on the company's clock (two hours after midnight:
    a project closed in the last minutes of the year is written by then)."""
    first_of_january = ScheduleCalendarSpec(
        month=[ScheduleRange(1)], day_of_month=[ScheduleRange(1)], hour=[ScheduleRange(2)], minute=[ScheduleRange(0)]
    )
    return ScheduleSpec(calendars=[first_of_january], time_zone_name=timezone)


#: ND-12: the year-end rewards: the round of the year just ended (``rewards-<year>``).
YEAR_END_REWARDS = Periodic(
    id="rewards-year-end",
    workflow=YearEndRewardsWorkflow.run,
    arg=lambda tz: YearEnd(timezone=tz, policy=load_rewards_policy()),
    spec=year_end,
    summary="ND-12 year-end rewards: the round of the year just ended",
)


def tier_reviews(timezone: str, months: int | None = None) -> ScheduleSpec:
    """CC-04: every ``tier_review_months`` (the policy's, by default 6): 02:00 on the 1st of
    each month a review period starts (6: 1 January and 1 July) on the company's clock."""
    every = months if months is not None else load_customer_policy().tier_review_months
    starts = ScheduleCalendarSpec(
        month=[ScheduleRange(m) for m in review_months_of_year(every)],
        day_of_month=[ScheduleRange(1)],
        hour=[ScheduleRange(2)],
        minute=[ScheduleRange(0)],
    )
    return ScheduleSpec(calendars=[starts], time_zone_name=timezone)


#: CC-04: the tier review of every department with customers, for the period just ended.
TIER_REVIEWS = Periodic(
    id="tier-reviews",
    workflow=ScheduledTierReviewWorkflow.run,
    arg=lambda tz: ScheduledTierReview(timezone=tz, policy=load_customer_policy()),
    spec=tier_reviews,
    summary="CC-04: the tier review of each department, for the period just ended",
)


def survey_campaign(timezone: str, month: int | None = None) -> ScheduleSpec:
    """CC-07: once a year, 02:00 on the 1st of ``survey_campaign_month`` (the policy's, by
    default October) on the company's clock: a quarter of the year is left to survey."""
    m = month if month is not None else load_customer_policy().survey_campaign_month
    first = ScheduleCalendarSpec(
        month=[ScheduleRange(m)], day_of_month=[ScheduleRange(1)], hour=[ScheduleRange(2)], minute=[ScheduleRange(0)]
    )
    return ScheduleSpec(calendars=[first], time_zone_name=timezone)


#: CC-07: the yearly survey campaign (``survey-campaign-<year>``).
SURVEY_CAMPAIGN = Periodic(
    id="survey-campaign",
    workflow=YearlySurveyCampaignWorkflow.run,
    arg=lambda tz: ScheduledSurveyCampaign(timezone=tz),
    spec=survey_campaign,
    summary="CC-07: the yearly survey campaign: every active customer not surveyed this year",
)


def weekly(timezone: str) -> ScheduleSpec:
    """Every Monday at 00:00 on the company's clock."""
    return ScheduleSpec(calendars=[ScheduleCalendarSpec(day_of_week=[ScheduleRange(1)])], time_zone_name=timezone)


def monthly(timezone: str) -> ScheduleSpec:
    """The first day of every month at 00:00 on the company's clock."""
    return ScheduleSpec(calendars=[ScheduleCalendarSpec(day_of_month=[ScheduleRange(1)])], time_zone_name=timezone)


#: Every periodic job: the complaint analysis (CP-18), the year-end rewards (ND-12), the tier
#: reviews (CC-04) and the survey campaign (CC-07).
SCHEDULES: list[Periodic] = [
    Periodic(
        "report-complaints-weekly",
        ScheduledComplaintReportWorkflow.run,
        lambda tz: ScheduledReportInput(cadence=Cadence.week, timezone=tz),
        weekly,
        "CP-18: the complaint analysis of the week just ended",
    ),
    Periodic(
        "report-complaints-monthly",
        ScheduledComplaintReportWorkflow.run,
        lambda tz: ScheduledReportInput(cadence=Cadence.month, timezone=tz),
        monthly,
        "CP-18: the complaint analysis of the month just ended",
    ),
    YEAR_END_REWARDS,
    TIER_REVIEWS,
    SURVEY_CAMPAIGN,
]


def schedule_of(p: Periodic, task_queue: str, timezone: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            p.workflow, p.arg(timezone), id=p.id, task_queue=task_queue, static_summary=p.summary
        ),
        spec=p.spec(timezone),
        policy=SchedulePolicy(catchup_window=CATCHUP_WINDOW),
    )


async def ensure(client: Client, task_queue: str, timezone: str, items: Sequence[Periodic] = SCHEDULES) -> list[str]:
    """Create each schedule, or update an existing one to what the code says. Returns the ids."""
    for p in items:
        schedule = schedule_of(p, task_queue, timezone)
        try:
            await client.create_schedule(p.id, schedule)
        except ScheduleAlreadyRunningError:

            def replace(_: ScheduleUpdateInput, schedule: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=schedule)

            await client.get_schedule_handle(p.id).update(replace)
    return [p.id for p in items]


async def ensure_from_settings(settings: Settings) -> list[str]:
    client = await connect(settings)
    return await ensure(client, settings.task_queue, load_complaint_policy().timezone)


def main() -> None:
    """Create or update every schedule, then list them."""
    settings = get_settings()
    ids = asyncio.run(ensure_from_settings(settings))
    table = Table(title="Temporal Schedules")
    table.add_column("schedule")
    table.add_column("what it starts")
    for p in SCHEDULES:
        table.add_row(p.id, p.summary)
    Console().print(table if ids else "no periodic work is defined")


if __name__ == "__main__":
    typer.run(main)
