"""Customer care's periodic work (issue 16).

CC-04: ``TierReviewWorkflow`` (id ``tier-review-<period>-<department>``) is one department's
six-monthly tier review: it reads the department's customers with their tiers and the shares
against the caps, asks the department's supervisors and managers to confirm or change the tiers,
and waits for one of them to confirm (an update with a validator: workflows.kernel); the
confirmation is due within ``tier_review_deadline``, and a reminder goes out when it runs out,
again every reminder interval. Once confirmed, the result is filed with the tiers as they are
then. ``ScheduledTierReviewWorkflow`` is what the review schedule starts: the period just ended
on the company's calendar, and one review per department with customers, each started as a
child with its period's id (two starts give one review).

CC-07: ``SurveyCampaignWorkflow`` (id ``survey-campaign-<year>``) is the yearly survey campaign,
one idempotent activity; ``YearlySurveyCampaignWorkflow`` is what the yearly schedule starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.care import CareActivities
    from models.calendar import local_year
    from models.case import CaseEvent, Outcome, StepWritten
    from models.survey import CampaignDone, ScheduledSurveyCampaign, SurveyCampaignInput, survey_campaign_id
    from models.tier_review.clocks import apply_clock, next_clock
    from models.tier_review.messages import (
        DepartmentQuery,
        ScheduledReviews,
        ScheduledTierReview,
        TierReviewInput,
    )
    from models.tier_review.periods import ReviewPeriod, tier_review_id, tier_review_workflow_id
    from models.tier_review.state import TierReviewState
    from models.tier_review.steps import STEPS, apply_filing, apply_opening, apply_step, new_review
    from models.tier_review.views import TierReviewRecord, TierReviewView, describe_waiting, view_of
    from models.tier_review.vocabulary import Clock, ReviewStage
    from workflows.kernel import CaseWorkflow, DeadlineClock, Family

#: Set by Temporal on every workflow a schedule starts: the time it was due (not when it ran).
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")

#: Reads of the database (the department's customers, the departments): retried for as long
#: as the database is away.
READ: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(minutes=1),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
)


def scheduled_time(at: datetime | None) -> datetime:
    """When this run was due: the schedule's search attribute; started by hand, ``at``, else now."""
    found = workflow.info().typed_search_attributes.get(SCHEDULED_START)
    return found if found is not None else at or workflow.now()


@workflow.defn(name="TierReviewWorkflow")
class TierReviewWorkflow(CaseWorkflow[TierReviewState, TierReviewView]):
    """Its one step (confirm: models.tier_review.steps.STEPS) is its update."""

    family = Family(
        STEPS, apply_step, view_of, TierReviewView, registration="registered_tier_review", noun="tier review"
    )

    @workflow.init
    def __init__(self, inp: TierReviewInput) -> None:
        self.start_case(new_review(inp, workflow.info().workflow_id, workflow.now()), registered=False)
        self.clock = DeadlineClock(lambda: next_clock(self.state), lambda: self.state.stage is ReviewStage.confirmed)

    @workflow.run
    async def run(self, inp: TierReviewInput) -> TierReviewView:
        query = DepartmentQuery(department=inp.department)
        facts = await workflow.execute_activity_method(CareActivities.department_customers, query, **READ)
        async with self.lock:
            await self.commit(apply_opening(self.state, facts, workflow.now()))
        self.registered = True
        while self.state.stage is not ReviewStage.confirmed:
            clock = await self.clock.next_due()
            if isinstance(clock, Clock):
                await self._run_out(clock)
        # CC-04: the result is filed with the tiers as they are once confirmed
        facts = await workflow.execute_activity_method(CareActivities.department_customers, query, **READ)
        async with self.lock:
            await self.commit(apply_filing(self.state, facts, workflow.now()))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    async def _run_out(self, clock: Clock) -> None:
        def due_of(s: Any) -> datetime | None:
            nxt = next_clock(s)
            return nxt[1] if nxt is not None and nxt[0] is clock else None

        await self.run_out(clock, due_of, apply_clock)

    @workflow.query
    def get_tier_review(self) -> TierReviewView:
        return self.view()

    # --- the kernel's hooks -----------------------------------------------------------------

    def record(self, out: Outcome[TierReviewState], event: CaseEvent) -> tuple[Any, TierReviewRecord]:
        rec = TierReviewRecord(review=out.state, view=view_of(out.state), event=event, notifications=out.notifications)
        return CareActivities.record_tier_review_step, rec

    def adopted(self, written: StepWritten | bool) -> None:
        self.clock.wrote(written)

    def show(self) -> None:
        workflow.set_current_details(describe_waiting(self.state))


@workflow.defn(name="ScheduledTierReviewWorkflow")
class ScheduledTierReviewWorkflow:
    """What the review schedule starts (every ``tier_review_months``): the period that had just
    ended at the scheduled time on the company's calendar, and one review per department that
    has customers with an account, each ``tier-review-<period>-<department>`` (one that exists
    already is left as it is: two starts give one review)."""

    @workflow.run
    async def run(self, inp: ScheduledTierReview) -> ScheduledReviews:
        period = ReviewPeriod.ended_at(scheduled_time(inp.at), inp.policy.tier_review_months, inp.timezone)
        departments = await workflow.execute_activity_method(CareActivities.departments, **READ)
        started: list[str] = []
        existing: list[str] = []
        for department in departments:
            wid = tier_review_workflow_id(period.name, department)
            try:
                await workflow.start_child_workflow(
                    TierReviewWorkflow.run,
                    TierReviewInput(
                        id=tier_review_id(period.name, department),
                        period=period.name,
                        department=department,
                        policy=inp.policy,
                    ),
                    id=wid,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    parent_close_policy=ParentClosePolicy.ABANDON,
                    static_summary=f"CC-04 tier review {period.name} · {department}",
                )
                started.append(wid)
            except WorkflowAlreadyStartedError:
                existing.append(wid)
        return ScheduledReviews(period=period.name, started=started, existing=existing)


@workflow.defn(name="SurveyCampaignWorkflow")
class SurveyCampaignWorkflow:
    """CC-07: the year's survey campaign: one activity, idempotent (a second run writes and
    tells nothing)."""

    @workflow.run
    async def run(self, inp: SurveyCampaignInput) -> CampaignDone:
        return await workflow.execute_activity_method(
            CareActivities.survey_campaign,
            inp,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
        )


@workflow.defn(name="YearlySurveyCampaignWorkflow")
class YearlySurveyCampaignWorkflow:
    """What the yearly schedule starts: the campaign of the company's current calendar year at
    the scheduled time (``survey-campaign-<year>``; one that exists already is left as it is).
    Answers the year."""

    @workflow.run
    async def run(self, inp: ScheduledSurveyCampaign) -> int:
        year = local_year(scheduled_time(inp.at), inp.timezone)
        try:
            await workflow.execute_child_workflow(
                SurveyCampaignWorkflow.run,
                SurveyCampaignInput(year=year, timezone=inp.timezone),
                id=survey_campaign_id(year),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=f"CC-07 survey campaign {year}",
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("the survey campaign of %s exists already", year)
        return year
