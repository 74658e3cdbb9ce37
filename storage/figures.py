"""The figures operators watch (issue 17), read from the read model when Prometheus scrapes
the API's GET /metrics: a handful of ``GROUP BY`` counts over indexed columns, one read
transaction, nothing loaded row by row."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from models.clock import ClockOutcome
from models.complaint.vocabulary import Status
from models.customer.vocabulary import Tier
from models.delivery import DeliveryChannel, DeliveryStatus
from models.inquiry.vocabulary import InquiryStatus
from models.project.vocabulary import TERMINAL_STAGES, Stage
from storage import tables as t


@dataclass
class OperationsFigures:
    """Counts by label value; every known status, stage and tier is present (0 when none)."""

    complaints_open: dict[str, int] = field(default_factory=dict)  # by status
    projects_open: dict[str, int] = field(default_factory=dict)  # by stage
    customer_accounts: dict[str, int] = field(default_factory=dict)  # by tier ("none": not set)
    clocks_breached: dict[str, int] = field(default_factory=dict)  # by clock
    complaints_escalated: dict[str, int] = field(default_factory=dict)  # by escalation level
    inquiries_open: int = 0
    #: issue 17: e-mails and webhook calls by (channel, status)
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)


async def operations_figures(engine: AsyncEngine) -> OperationsFigures:
    """The figures as the read model holds them now."""
    figures = OperationsFigures(
        complaints_open={s.value: 0 for s in Status if s is not Status.closed},
        projects_open={s.value: 0 for s in Stage if s not in TERMINAL_STAGES},
        customer_accounts={tier.value: 0 for tier in Tier},
        deliveries={(c.value, s.value): 0 for c in DeliveryChannel for s in DeliveryStatus},
    )
    complaint, project, customer, clock = t.Complaint, t.ClientProject, t.Customer, t.CaseClock
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(complaint.status, func.count())
            .where(complaint.status != Status.closed.value)
            .group_by(complaint.status)
        )
        figures.complaints_open.update({status: n for status, n in rows})
        rows = await conn.execute(
            select(project.stage, func.count())
            .where(project.stage.not_in([s.value for s in TERMINAL_STAGES]))
            .group_by(project.stage)
        )
        figures.projects_open.update({stage: n for stage, n in rows})
        rows = await conn.execute(
            select(customer.tier, func.count()).where(customer.workflow_id.is_not(None)).group_by(customer.tier)
        )
        figures.customer_accounts.update({tier or "none": n for tier, n in rows})
        rows = await conn.execute(
            select(clock.clock, func.count())
            .where(clock.outcome == ClockOutcome.breached.value, clock.fulfilled_at.is_(None))
            .group_by(clock.clock)
        )
        figures.clocks_breached = {name: n for name, n in rows}
        rows = await conn.execute(
            select(complaint.escalation_level, func.count())
            .where(complaint.escalation_level >= 1, complaint.status != Status.closed.value)
            .group_by(complaint.escalation_level)
        )
        figures.complaints_escalated = {str(level): n for level, n in rows}
        figures.inquiries_open = (
            await conn.scalar(
                select(func.count()).select_from(t.Inquiry).where(t.Inquiry.status == InquiryStatus.open.value)
            )
        ) or 0
        by_status = await conn.execute(
            select(t.Delivery.channel, t.Delivery.status, func.count()).group_by(t.Delivery.channel, t.Delivery.status)
        )
        figures.deliveries.update({(channel, status): n for channel, status, n in by_status})
    return figures
