"""Customer-account activities: the start's proof, and one transaction per step (the event, the
registry's row, who may read it, the clock accounts, the notifications)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from temporalio import activity

from infra import proofs
from infra.calendars import with_calendar
from infra.proofs import start_refusal
from models.case import StepWritten
from models.customer.messages import CustomerCreate, DeliveryIn
from models.customer.records import CustomerWrite
from models.customer.state import CustomerInput, HandOverAccount, OpenCheck, OpenChecked, account_input
from models.customer.vocabulary import customer_workflow_id
from models.policy import load_customer_policy
from models.staff import Directory
from storage import tables as t
from storage.writer import BatchWriter, record_clocks, record_event, write_step

log = structlog.get_logger()

#: How long the proof of a hand-over's account start is good for (it starts at once).
PROOF_TTL = timedelta(hours=1)


class CustomerActivities:
    """Holds the database engine and the batch writer (infra.bootstrap.Resources closes them)."""

    def __init__(self, engine: AsyncEngine, writer: BatchWriter, staff_file: Path) -> None:
        self.engine = engine
        self.writer = writer
        self.staff_file = staff_file

    @activity.defn(name="handed_over_account")
    async def handed_over_account(self, inp: HandOverAccount) -> CustomerInput | None:
        """ND-11: the input of the account of a client a completed project handed to sales:
        owned by the project's implementer, the project its first delivery (CC-01), under the
        customer policy as the environment sets it now; its start proven with the worker's step
        key, as the API proves its own (infra/proofs.py). None when the implementer is no longer
        a staff member who serves customers (the hand-over stays; an account is opened by hand)."""
        directory = Directory.from_file(self.staff_file)
        create = CustomerCreate(
            name=inp.client_name,
            owner_id=inp.owner_id,
            product_line=inp.product_line,
            delivered=[DeliveryIn(project_id=inp.project_id, delivered_at=inp.delivered_at)],
            last_service_at=inp.delivered_at,
        )
        owner = directory.get(inp.owner_id)
        if owner is None:
            log.warning("handover_without_owner", customer=inp.customer_id, owner=inp.owner_id)
            return None
        try:
            account = account_input(
                inp.customer_id, create, owner.ref, directory, with_calendar(load_customer_policy()), inp.project_id
            )
        except ValueError as e:
            log.warning("handover_without_owner", customer=inp.customer_id, reason=str(e))
            return None
        if proofs.VERIFYING.keys:
            # counted from the later of now and the hand-over (the workflow's clock, which a
            # time-skipping test server runs ahead of this one)
            expires = max(datetime.now(UTC), inp.delivered_at) + PROOF_TTL
            account.proof = proofs.VERIFYING.sign_start(customer_workflow_id(inp.customer_id), account, expires)
        return account

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
