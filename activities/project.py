"""Project activities: the eligibility look-up, one transaction per step, the hand-over to sales."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from models.project import Eligibility, EligibilityInput, HandOver, HandOverInput, ProjectRecord
from models.project_rules import eligibility
from storage import tables as t
from storage.engine import sessions

log = structlog.get_logger()


def customer_id_for(project_id: str) -> str:
    """ND-11: the customer a completed project's client becomes (one per project)."""
    return f"NC-{project_id}"


class ProjectActivities:
    """Holds the database engine; every method is an activity."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = sessions(engine)

    @activity.defn(name="check_project_eligibility")
    async def check_eligibility(self, inp: EligibilityInput) -> Eligibility:
        """ND-01: is the client already in the customer registry (name, case-insensitive), and
        does the expected business reach the product line's threshold? Reads only."""
        name = inp.client_name.strip()
        async with self.sessions() as db:
            rows = await db.execute(
                select(t.Customer.id, t.Customer.name).where(
                    or_(func.lower(func.trim(t.Customer.name)) == name.lower(), t.Customer.name == name)
                )
            )
            found = [(r.id, r.name) for r in rows]
        return eligibility(inp.client_name, inp.product_line, inp.expected_annual_business, inp.policy, found)

    @activity.defn(name="record_project_step")
    async def record_project_step(self, rec: ProjectRecord) -> bool:
        """Write one step in one transaction: its event, the projection (or, for an ineligible
        application, the refusal) and the notifications. Keyed by (workflow id, seq): a retry or
        a replayed step finds the event there and writes nothing. Returns whether it wrote."""
        p, view, ev = rec.project, rec.view, rec.event
        ref = p.workflow_id
        async with self.sessions() as db:
            try:
                async with db.begin():
                    exists = await db.scalar(
                        select(t.CaseEvent.id).where(t.CaseEvent.case_ref == ref, t.CaseEvent.seq == ev.seq)
                    )
                    if exists is not None:
                        return False
                    db.add(
                        t.CaseEvent(
                            case_ref=ref, seq=ev.seq, kind=ev.kind, actor_id=ev.actor_id, at=ev.at, data=ev.data
                        )
                    )
                    if rec.refusal is not None:
                        r = rec.refusal
                        db.add(
                            t.ProjectRefusal(
                                project_id=r.project_id,
                                client_name=r.application.client_name,
                                product_line=r.application.product_line,
                                expected_annual_business=str(r.application.expected_annual_business),
                                applicant_id=r.applicant_id,
                                reason=r.reason,
                                application=r.application.model_dump(mode="json"),
                                created_at=ev.at,
                            )
                        )
                    else:
                        row = await db.get(t.ClientProject, p.id)
                        if row is None:
                            row = t.ClientProject(id=p.id, workflow_id=ref, created_at=p.created_at)
                            db.add(row)
                        if row.seq is None or row.seq < ev.seq:
                            row.client_name = p.application.client_name
                            row.product_line = p.application.product_line
                            row.stage = p.stage.value
                            row.implementer_ids = p.implementer_ids
                            row.flags = [f.value for f in p.flags]
                            row.next_due_at = view.next_due_at
                            row.closed_at = p.closed_at
                            row.seq = ev.seq
                            row.view = view.model_dump(mode="json")
                    db.add_all(
                        t.Notification(
                            case_ref=ref,
                            seq=ev.seq,
                            recipient_kind=n.recipient_kind,
                            recipient_id=n.recipient_id,
                            kind=n.kind,
                            channel=n.channel,
                            message=n.message,
                            created_at=ev.at,
                        )
                        for n in rec.notifications
                    )
            except IntegrityError:
                # a concurrent attempt of the same step committed first: nothing more to write
                return False
        for n in rec.notifications:
            log.info("notification", case=ref, seq=ev.seq, to=n.recipient_id, kind=n.kind)
        log.info("project_step", case=ref, seq=ev.seq, kind=ev.kind, actor=ev.actor_id)
        return True

    @activity.defn(name="hand_over_to_sales")
    async def hand_over_to_sales(self, inp: HandOverInput) -> HandOver:
        """ND-11: the client becomes a regular customer: one ``customer`` row per project,
        written once however often this runs."""
        cid = customer_id_for(inp.project_id)
        async with self.sessions() as db:
            try:
                async with db.begin():
                    if await db.get(t.Customer, cid) is not None:
                        return HandOver(customer_id=cid, created=False)
                    db.add(t.Customer(id=cid, name=inp.client_name, phone=None, created_at=datetime.now(UTC)))
            except IntegrityError:
                return HandOver(customer_id=cid, created=False)
        log.info("handed_to_sales", customer=cid, project=inp.project_id)
        return HandOver(customer_id=cid, created=True)
