"""CP-18 (issue 15): the complaint analysis workflows.

``ComplaintReportWorkflow`` (id ``report-complaints-<period>``) produces one version of a
period's report through one activity. ``ScheduledComplaintReportWorkflow`` is what the weekly
and the monthly Temporal Schedules start: it works out the period that had just ended at its
scheduled time (on the company's calendar) and runs that period's report workflow as a child
with the period's id, so a schedule and an on-demand request for the same period running at
the same time make one report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.report import ReportActivities
    from models.report import Period, ReportInput, ReportProduced, ScheduledReportInput, report_workflow_id

#: Set by Temporal on every workflow a schedule starts: the time it was due (not when it ran).
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@workflow.defn(name="ComplaintReportWorkflow")
class ComplaintReportWorkflow:
    @workflow.run
    async def run(self, inp: ReportInput) -> ReportProduced:
        return await workflow.execute_activity_method(
            ReportActivities.produce_complaint_report,
            inp,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), non_retryable_error_types=["BadPeriod"]),
        )


def scheduled_time(inp: ScheduledReportInput) -> datetime:
    """When this run was due: the schedule's search attribute; started by hand, the input's
    ``at``, else now."""
    at = workflow.info().typed_search_attributes.get(SCHEDULED_START)
    return at if at is not None else inp.at or workflow.now()


@workflow.defn(name="ScheduledComplaintReportWorkflow")
class ScheduledComplaintReportWorkflow:
    @workflow.run
    async def run(self, inp: ScheduledReportInput) -> str:
        period = Period.ended_at(scheduled_time(inp), inp.cadence, inp.timezone)
        try:
            await workflow.execute_child_workflow(
                ComplaintReportWorkflow.run,
                ReportInput(period=period.name, timezone=inp.timezone, requested_by="schedule"),
                id=report_workflow_id(period.name),
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("the report of %s is being produced already", period.name)
        return period.name
