"""CC-04 and CC-07 on Temporal Schedules: the tier reviews every ``tier_review_months`` (1
January and 1 July 02:00 company time for the default 6) and the survey campaign once a year (1
October 02:00 company time by default) are among the schedules ``ensure`` creates (what `make
run` calls); on a dev server they exist in the company's timezone with their next firing where
the rule says, and a triggered campaign starts the year's campaign once however often it fires.
(The time-skipping server has no schedules: tests/care/test_tier_review.py and
test_survey_campaign.py run the schedules' workflows there.)"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import ScheduleActionExecutionStartWorkflow, ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from models.calendar import local_year
from models.policy import load_customer_policy
from models.survey import ScheduledSurveyCampaign, survey_campaign_id
from models.tier_review.messages import ScheduledTierReview
from starter.schedules import (
    SCHEDULES,
    SURVEY_CAMPAIGN,
    TIER_REVIEWS,
    ensure,
    schedule_of,
    survey_campaign,
    tier_reviews,
)
from tests.conftest import running_worker

TZ = "Asia/Shanghai"


def starts(spec: object) -> tuple[list[int], list[int], list[int], list[int]]:
    (cal,) = spec.calendars  # type: ignore[attr-defined]
    return (
        [m for r in cal.month for m in range(r.start, (r.end or r.start) + 1, r.step or 1)],
        [r.start for r in cal.day_of_month],
        [r.start for r in cal.hour],
        [r.start for r in cal.minute],
    )


def test_cc04_cc07_the_schedules_are_among_the_schedules_with_the_rules_times() -> None:
    assert TIER_REVIEWS in SCHEDULES and SURVEY_CAMPAIGN in SCHEDULES
    review = TIER_REVIEWS.spec(TZ)
    assert review.time_zone_name == TZ
    assert starts(review) == ([1, 7], [1], [2], [0])  # CC-04: every 6 months, 1 January and 1 July 02:00
    assert starts(tier_reviews(TZ, 3))[0] == [1, 4, 7, 10]  # the months come from the policy
    with pytest.raises(ValueError, match="CC-04"):
        tier_reviews(TZ, 5)
    campaign = SURVEY_CAMPAIGN.spec(TZ)
    assert campaign.time_zone_name == TZ
    assert starts(campaign) == ([10], [1], [2], [0])  # CC-07: 1 October 02:00
    assert starts(survey_campaign(TZ, 9))[0] == [9]
    review_action = schedule_of(TIER_REVIEWS, "tq", TZ).action
    assert isinstance(review_action, ScheduleActionStartWorkflow)
    assert review_action.workflow == "ScheduledTierReviewWorkflow"
    (arg,) = review_action.args
    assert isinstance(arg, ScheduledTierReview) and arg.timezone == TZ and arg.at is None
    assert arg.policy == load_customer_policy()
    campaign_action = schedule_of(SURVEY_CAMPAIGN, "tq", TZ).action
    assert isinstance(campaign_action, ScheduleActionStartWorkflow)
    assert campaign_action.workflow == "YearlySurveyCampaignWorkflow"
    assert campaign_action.args == [ScheduledSurveyCampaign(timezone=TZ)]


async def test_cc04_cc07_ensure_creates_both_and_a_triggered_campaign_starts_one(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    jobs = [
        dataclasses.replace(TIER_REVIEWS, id=f"tier-reviews-{tag}"),
        dataclasses.replace(SURVEY_CAMPAIGN, id=f"survey-campaign-{tag}"),
    ]
    assert await ensure(dev_env.client, task_queue, TZ, jobs) == [j.id for j in jobs]
    assert await ensure(dev_env.client, task_queue, TZ, jobs) == [j.id for j in jobs]  # updated, not doubled
    review, campaign = (dev_env.client.get_schedule_handle(j.id) for j in jobs)
    year = local_year(datetime.now(UTC), TZ)
    try:
        r, c = await review.describe(), await campaign.describe()
        assert r.schedule.spec.time_zone_name == TZ and c.schedule.spec.time_zone_name == TZ
        zone = ZoneInfo(TZ)
        nxt = r.info.next_action_times[0].astimezone(zone)
        assert (nxt.month, nxt.day, nxt.hour, nxt.minute) in ((1, 1, 2, 0), (7, 1, 2, 0))
        nxt = c.info.next_action_times[0].astimezone(zone)
        assert (nxt.month, nxt.day, nxt.hour, nxt.minute) == (10, 1, 2, 0)
        wid = survey_campaign_id(year)
        async with running_worker(dev_env.client, database_url, task_queue):
            run_id = None
            for fired in (1, 2):
                await campaign.trigger()
                end = time.monotonic() + 30
                while len((d := await campaign.describe()).info.recent_actions) < fired:
                    assert time.monotonic() < end, f"the {fired}. trigger started nothing"
                    await asyncio.sleep(0.2)
                action = d.info.recent_actions[-1].action
                assert isinstance(action, ScheduleActionExecutionStartWorkflow)
                started = dev_env.client.get_workflow_handle(action.workflow_id, run_id=action.first_execution_run_id)
                assert await started.result() == year  # the campaign of the company's current year
                campaign_run = (await dev_env.client.get_workflow_handle(wid).describe()).run_id
                run_id = run_id or campaign_run
                assert campaign_run == run_id  # one campaign, however often it fires
    finally:
        await review.delete()
        await campaign.delete()
