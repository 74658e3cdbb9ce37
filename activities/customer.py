"""Customer-account activities: the start's proof, and one transaction per step (the event, the
registry's row, who may read it, the clock accounts, the notifications)."""

from __future__ import annotations

import functools

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from temporalio import activity

from infra.proofs import start_refusal
from models.case import StepWritten
from models.customer.records import CustomerWrite
from models.customer.state import OpenCheck, OpenChecked
from storage import tables as t
from storage.writer import BatchWriter, record_clocks, record_event, write_step


class CustomerActivities:
    """Holds the database engine and the batch writer (infra.bootstrap.Resources closes them)."""

    def __init__(self, engine: AsyncEngine, writer: BatchWriter) -> None:
        self.engine = engine
        self.writer = writer

    @activity.defn(name="check_customer_start")
    async def check_customer_start(self, inp: OpenCheck) -> OpenChecked:
        """A start sent around the API registers nothing (infra/proofs.py). Reads nothing."""
        return OpenChecked(refusal=start_refusal(inp.start, inp.started_at))

    @activity.defn(name="record_customer_step")
    async def record_customer_step(self, rec: CustomerWrite) -> StepWritten:
        """Write one step, all or nothing, keyed by (workflow id, seq): a retry or a replayed
        step finds the event there and writes nothing."""
        job = functools.partial(_write_customer_step, rec=rec)
        return await write_step(self.writer, rec.customer.workflow_id, rec.event, rec.notifications, job)


def _write_customer_step(db: Session, rec: CustomerWrite) -> bool:
    c, view, ev = rec.customer, rec.view, rec.event
    ref = c.workflow_id
    if not record_event(db, ref, ev, rec.notifications):
        return False
    row = db.get(t.Customer, c.id)
    if row is None:
        row = t.Customer(id=c.id, name=c.working.name, created_at=c.created_at)
        db.add(row)
    if row.original is None:  # CC-08: the original record, written once, never again
        row.original = c.original.model_dump(mode="json")
    if row.seq is None or row.seq < ev.seq:
        row.workflow_id = ref
        row.name, row.phone = c.working.name, c.working.phone
        row.owner_id, row.department = c.owner.id, c.department
        row.tier, row.credit_class = c.tier.value, c.credit_class.value
        row.product_line = c.working.product_line
        row.blacklist = c.blacklist.value if c.blacklist else None
        row.flags = [f.value for f in c.flags]
        row.last_service_at, row.last_survey_at = c.last_service_at, c.last_survey_at
        row.next_due_at = view.next_due_at
        row.seq = ev.seq
        row.view = view.model_dump(mode="json")
        # who may read it by name: the owner and the owner's leaders (the department's
        # supervisors and managers read it by its department)
        db.execute(delete(t.CaseViewer).where(t.CaseViewer.case_ref == ref))
        for sid in dict.fromkeys([c.owner.id, *(x.id for x in c.owner_chain)]):
            db.add(t.CaseViewer(case_ref=ref, staff_id=sid))
        record_clocks(db, ref, ev.seq, c.clocks)
    db.flush()
    return True
