"""Customer-care periodic work: CC-04 the tier review (the department's customers, the
departments with customers, one transaction per step of a review) and CC-07 the yearly survey
campaign (one idempotent transaction: the campaign's event, the owners' notifications and the
year's report row)."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from temporalio import activity

from models.case import CaseEvent, Notification, StepWritten
from models.customer.vocabulary import BlacklistScope, CreditClass, Flag, Tier
from models.staff import Directory
from models.survey import (
    REPORT_KIND,
    ActiveCustomer,
    CampaignDone,
    SurveyCampaign,
    SurveyCampaignInput,
    campaign_of,
    owner_message,
    survey_campaign_id,
)
from models.tier_review.messages import DepartmentFacts, DepartmentQuery, ReviewedCustomer
from models.tier_review.views import TierReviewRecord
from models.tier_review.vocabulary import REVIEWER_ROLES
from storage import tables as t
from storage.engine import sessions
from storage.writer import BatchWriter, record_event, write_step

log = structlog.get_logger()


E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], value: str | None) -> E | None:
    """``value`` as ``kind``; None when empty or not one of its values."""
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


class CareActivities:
    """Holds the database engine, the batch writer and the staff file (given by the process's
    composition root); every method is an activity."""

    def __init__(self, engine: AsyncEngine, writer: BatchWriter, staff_file: Path) -> None:
        self.engine = engine
        self.sessions = sessions(engine)
        self.writer = writer
        self.staff_file = staff_file

    # --- CC-04 ----------------------------------------------------------------------------

    @activity.defn(name="tier_review_departments")
    async def departments(self) -> list[str]:
        """CC-04: the departments that have customers with an account (reads only)."""
        async with self.sessions() as db:
            rows = await db.scalars(
                select(t.Customer.department)
                .where(t.Customer.workflow_id.is_not(None), t.Customer.department.is_not(None))
                .distinct()
                .order_by(t.Customer.department)
            )
            return [d for d in rows if d]

    @activity.defn(name="tier_review_customers")
    async def department_customers(self, q: DepartmentQuery) -> DepartmentFacts:
        """CC-04: the department's customers with an account (ids, owner, tier, credit class,
        blacklist, flags) and its supervisors and managers from the staff file (reads only)."""
        c = t.Customer
        async with self.sessions() as db:
            rows = await db.execute(
                select(c.id, c.owner_id, c.tier, c.credit_class, c.blacklist, c.flags)
                .where(c.department == q.department, c.workflow_id.is_not(None))
                .order_by(c.id)
            )
            customers = [
                ReviewedCustomer(
                    id=r.id,
                    owner_id=r.owner_id,
                    tier=_enum(Tier, r.tier),
                    credit_class=_enum(CreditClass, r.credit_class),
                    blacklist=_enum(BlacklistScope, r.blacklist),
                    flags=[f for f in (_enum(Flag, x) for x in (r.flags or [])) if f is not None],
                )
                for r in rows
            ]
        staff = Directory.from_file(self.staff_file).staff
        reviewers = [s.ref for s in staff if s.role in REVIEWER_ROLES and s.department == q.department]
        return DepartmentFacts(customers=customers, reviewers=reviewers)

    @activity.defn(name="record_tier_review_step")
    async def record_tier_review_step(self, rec: TierReviewRecord) -> StepWritten:
        """Write one step of a review, all or nothing: its event, the tier_review projection
        and the notifications. Keyed by (workflow id, seq): a retry writes nothing."""
        job = functools.partial(_write_review_step, rec=rec)
        return await write_step(self.writer, rec.review.workflow_id, rec.event, rec.notifications, job)

    # --- CC-07 ----------------------------------------------------------------------------

    @activity.defn(name="survey_campaign")
    async def survey_campaign(self, inp: SurveyCampaignInput) -> CampaignDone:
        """CC-07: the active customers (an account, not blacklisted) with no survey in the
        year, listed by owner in the campaign's event, each owner told once which of theirs to
        survey, and the year's figures as a ``report`` row: one transaction keyed by
        (``survey-campaign-<year>``, 1), so a second run writes nothing."""
        began = time.perf_counter()
        c = t.Customer
        async with self.sessions() as db:
            rows = await db.execute(
                select(c.id, c.owner_id, c.department, c.last_survey_at)
                .where(c.workflow_id.is_not(None), c.blacklist.is_(None))
                .order_by(c.id)
            )
            active = [
                ActiveCustomer(id=r.id, owner_id=r.owner_id, department=r.department, last_survey_at=r.last_survey_at)
                for r in rows
            ]
        campaign = campaign_of(inp.year, inp.timezone, active)
        ref = survey_campaign_id(inp.year)
        now = datetime.now(UTC)
        by_owner = campaign.by_owner()
        event = CaseEvent(
            seq=1,
            kind="survey_campaign",
            actor_id=None,
            at=now,
            data={"year": inp.year, "by_owner": by_owner, "figures": campaign.figures.model_dump(mode="json")},
        )
        notes = [
            Notification(
                recipient_kind="staff",
                recipient_id=owner,
                kind="survey_campaign",
                message=owner_message(inp.year, ids),
            )
            for owner, ids in by_owner.items()
            if owner
        ]
        seconds = round(time.perf_counter() - began, 4)
        job = functools.partial(_write_campaign, ref=ref, event=event, notes=notes, campaign=campaign, seconds=seconds)
        written = await write_step(self.writer, ref, event, notes, job)
        log.info("survey_campaign", year=inp.year, to_survey=campaign.figures.to_survey, wrote=written.wrote)
        return CampaignDone(figures=campaign.figures, wrote=written.wrote)


def _write_review_step(db: Session, rec: TierReviewRecord) -> bool:
    r, ev = rec.review, rec.event
    if not record_event(db, r.workflow_id, ev, rec.notifications):
        return False
    row = db.get(t.TierReview, r.id)
    if row is None:
        row = t.TierReview(id=r.id, workflow_id=r.workflow_id, period=r.period, department=r.department)
        db.add(row)
    if row.seq is None or row.seq < ev.seq:
        row.stage = r.stage.value
        row.due_at, row.confirmed_at = r.due_at, r.confirmed_at
        row.seq = ev.seq
        row.view = rec.view.model_dump(mode="json")
    db.flush()
    return True


def _write_campaign(
    db: Session, ref: str, event: CaseEvent, notes: list[Notification], campaign: SurveyCampaign, seconds: float
) -> bool:
    if not record_event(db, ref, event, notes):
        return False  # the year's campaign is written already: nobody is told twice
    db.add(
        t.Report(
            kind=REPORT_KIND,
            period=str(campaign.figures.year),
            version=1,
            figures=campaign.model_dump(mode="json"),
            requested_by="schedule",
            produced_at=event.at,
            seconds=seconds,
        )
    )
    db.flush()
    return True
