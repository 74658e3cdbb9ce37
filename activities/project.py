"""Project activities: the eligibility look-up, one transaction per step, the hand-over to sales."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import structlog
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from temporalio import activity

from infra.proofs import start_refusal
from models.case import StepWritten
from models.project.guards import eligibility
from models.project.messages import Eligibility, HandOver, HandOverInput
from models.project.records import ProjectRecord
from models.project.state import EligibilityInput
from storage import tables as t
from storage.engine import sessions
from storage.writer import BatchWriter, record_clocks, record_event, write_step

log = structlog.get_logger()


def customer_id_for(project_id: str) -> str:
    """ND-11: the customer a completed project's client becomes (one per project)."""
    return f"NC-{project_id}"


class ProjectActivities:
    """Holds the database engine and the batch writer, given by the process's composition root
    (infra.bootstrap.Resources, which closes them); every method is an activity."""

    def __init__(self, engine: AsyncEngine, writer: BatchWriter) -> None:
        self.engine = engine
        self.sessions = sessions(engine)
        self.writer = writer

    @activity.defn(name="check_project_eligibility")
    async def check_eligibility(self, inp: EligibilityInput) -> Eligibility:
        """ND-01: is the client already in the customer registry (name, case-insensitive), and
        does the expected business reach the product line's threshold? Reads only."""
        refusal = start_refusal(inp.start, inp.started_at)
        if refusal is not None:  # a start sent around the API: nothing is looked up or written
            return Eligibility(eligible=False, refusal=refusal)
        name = inp.client_name.strip()
        async with self.sessions() as db:
            rows = list(
                await db.execute(
                    select(t.Customer.id, t.Customer.name, t.Customer.blacklist, t.Customer.department).where(
                        or_(func.lower(func.trim(t.Customer.name)) == name.lower(), t.Customer.name == name)
                    )
                )
            )
        found = [(r.id, r.name) for r in rows]
        department = inp.start.applicant.department if inp.start is not None else None
        blacklisted = {  # CC-04: the company's blacklist binds everyone, a department's its own
            r.id: r.blacklist
            for r in rows
            if r.blacklist == "company" or (r.blacklist == "department" and r.department == department)
        }
        return eligibility(
            inp.client_name, inp.product_line, inp.expected_annual_business, inp.policy, found, blacklisted
        )

    @activity.defn(name="record_project_step")
    async def record_project_step(self, rec: ProjectRecord) -> StepWritten | bool:
        """Write one step, all or nothing: its event, the projection (or, for an ineligible
        application, the refusal) and the notifications, grouped with other steps by the batch
        writer. Keyed by (workflow id, seq): a retry or a replayed step finds the event there
        and writes nothing. Answers whether it wrote and when it was done (a plain bool in
        histories recorded before that time was reported: they still replay)."""
        job = functools.partial(_write_project_step, rec=rec)
        return await write_step(self.writer, rec.project.workflow_id, rec.event, rec.notifications, job)

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


def _write_project_step(db: Session, rec: ProjectRecord) -> bool:
    p, view, ev = rec.project, rec.view, rec.event
    ref = p.workflow_id
    if not record_event(db, ref, ev, rec.notifications):
        return False
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
    # A refused application is a project too (stage rejected): its applicant's inbox points
    # at it, and GET, history and ?stage=rejected show it with the reason.
    row = db.get(t.ClientProject, p.id)
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
        if p.clocks:
            record_clocks(db, ref, ev.seq, p.clocks)
    db.flush()
    return True
