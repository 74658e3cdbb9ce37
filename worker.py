"""The worker: runs every workflow and activity of the task queue.

``python worker.py`` (``make run`` starts it). ``main(client=...)`` lets tests pass their own.
"""

from __future__ import annotations

import asyncio
import functools

import structlog
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Interceptor, Worker

from activities.care import CareActivities
from activities.complaint import ComplaintActivities
from activities.customer import CustomerActivities
from activities.delivery import DeliveryActivities, start_deliveries
from activities.inquiry import InquiryActivities
from activities.project import ProjectActivities
from activities.report import ReportActivities
from activities.rewards import RewardsActivities
from config import Settings, get_settings
from infra import mail, proofs
from infra.bootstrap import Resources
from infra.logs import configure_logging
from infra.process import settle_heap
from infra.sandbox import compile_workflow_modules, workflow_runner
from infra.telemetry import configure_tracing, sdk_metrics_address, tracing_interceptors
from models.delivery import DeliveryMode
from storage.outbox import Outbox
from workflows.care import (
    ScheduledTierReviewWorkflow,
    SurveyCampaignWorkflow,
    TierReviewWorkflow,
    YearlySurveyCampaignWorkflow,
)
from workflows.complaint import ComplaintWorkflow
from workflows.customer import CustomerAccountWorkflow
from workflows.delivery import DeliveryWorkflow
from workflows.inquiry import InquiryWorkflow
from workflows.project import ClientProjectWorkflow
from workflows.report import ComplaintReportWorkflow, ScheduledComplaintReportWorkflow
from workflows.rewards import RewardsWorkflow, YearEndRewardsWorkflow

WORKFLOWS = [
    ComplaintWorkflow,
    ClientProjectWorkflow,
    ComplaintReportWorkflow,
    ScheduledComplaintReportWorkflow,
    RewardsWorkflow,
    YearEndRewardsWorkflow,
    CustomerAccountWorkflow,
    InquiryWorkflow,
    TierReviewWorkflow,
    ScheduledTierReviewWorkflow,
    SurveyCampaignWorkflow,
    YearlySurveyCampaignWorkflow,
    DeliveryWorkflow,
]

log = structlog.get_logger()


def worker_interceptors(settings: Settings, client: Client) -> list[Interceptor]:
    """The SDK's tracing interceptor for the workflows and activities when tracing is on and
    ``client`` does not carry it already (a client made by infra.temporal.connect does, and the
    worker takes a client's worker interceptors by itself)."""
    if any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"]):
        return []
    return [i for i in tracing_interceptors(settings) if isinstance(i, Interceptor)]


def delivery_activities(resources: Resources) -> DeliveryActivities:
    """Issue 17: the activities that mail and post, with the process's SMTP server and
    webhook subscribers."""
    s = resources.settings
    smtp = (
        mail.Smtp(
            host=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value(),
            starttls=s.smtp_starttls,
            tls=s.smtp_tls,
            timeout=s.smtp_timeout_seconds,
        )
        if s.mail_enabled
        else None
    )
    return DeliveryActivities(
        resources.engine,
        resources.directory,
        smtp=smtp,
        sender=s.mail_from,
        public_url=s.public_url,
        subscriptions=resources.webhooks(),
    )


def outbox(resources: Resources, client: Client) -> Outbox:
    """Issue 17: what every step written by this worker mails and posts (storage/outbox.py)."""
    s = resources.settings
    return Outbox(
        start=functools.partial(start_deliveries, client, s.task_queue, resources.delivery_terms()),
        mail=s.mail_enabled,
        staff_with_address={m.id for m in resources.directory.staff if m.email},
        default=DeliveryMode(s.notify_default_mode),
        subscriptions=resources.webhooks(),
    )


def build_worker(resources: Resources, client: Client) -> Worker:
    """The worker of every workflow and activity on ``resources.settings.task_queue``. The
    activities get the engine, the batch writer and the staff file of ``resources``, which
    closes them once the worker has stopped."""
    settings = resources.settings
    compile_workflow_modules()
    proofs.configure(settings.step_key)  # what the steps' validators verify with
    complaints = ComplaintActivities(resources.engine, resources.writer, settings.staff_file)
    projects = ProjectActivities(resources.engine, resources.writer)
    rewards = RewardsActivities(resources.engine, resources.writer, settings.staff_file)
    inquiries = InquiryActivities(resources.engine, resources.writer)
    reports = ReportActivities(resources.engine, settings.staff_file)
    customers = CustomerActivities(resources.engine, resources.writer, settings.staff_file)
    care = CareActivities(resources.engine, resources.writer, settings.staff_file)
    deliveries = delivery_activities(resources)
    resources.writer.outbox = outbox(resources, client)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            complaints.lookup_complainant,
            complaints.record_complaint_step,
            complaints.pick_reassignment,
            projects.check_eligibility,
            projects.record_project_step,
            projects.hand_over_to_sales,
            rewards.year_totals,
            rewards.record_rewards_step,
            inquiries.check_start,
            inquiries.record_inquiry_step,
            reports.produce_complaint_report,
            customers.check_customer_start,
            customers.record_customer_step,
            customers.handed_over_account,
            care.departments,
            care.department_customers,
            care.record_tier_review_step,
            care.survey_campaign,
            deliveries.deliver,
            deliveries.settle,
        ],
        workflow_runner=workflow_runner(),
        interceptors=worker_interceptors(settings, client),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
    )


async def main(client: Client | None = None) -> None:
    settings = get_settings()
    configure_logging(settings)
    configure_tracing(settings, "customer-workflows-worker")
    async with Resources(settings, client=client, sdk_metrics=True) as resources:
        worker = build_worker(resources, await resources.temporal())
        settle_heap(settings)
        log.info(
            "worker_started",
            task_queue=settings.task_queue,
            address=settings.temporal_address,
            sdk_metrics=sdk_metrics_address(settings),
        )
        await worker.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
