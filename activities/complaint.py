"""Complaint activities: customer look-up, one transaction per step, reassignment."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

import structlog
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from infra.proofs import start_refusal
from models.case import StepWritten
from models.complaint.guards import reassignment_candidate, viewers
from models.complaint.messages import CustomerLookup, LookupInput, ReassignInput, Reassignment
from models.complaint.records import ComplaintRecord
from models.complaint.steps import repeats_of
from models.complaint.views import ComplaintView, view_of
from models.policy import ComplaintPolicy
from models.staff import Directory
from storage import tables as t
from storage.engine import sessions
from storage.writer import BatchWriter, record_clocks, record_event, write_step

log = structlog.get_logger()

COMPLAINTS, VIEWERS, ACCOUNTABILITY = (
    t.table(t.Complaint),
    t.table(t.CaseViewer),
    t.table(t.AccountabilityRecord),
)

# A step's statements, built once (see storage.writer): each write passes only its values.
_PROJECTION = select(COMPLAINTS.c.archived, COMPLAINTS.c.seq).where(COMPLAINTS.c.id == bindparam("case_id"))
_INSERT_COMPLAINT = insert(COMPLAINTS)
_UPDATE_COMPLAINT = update(COMPLAINTS).where(COMPLAINTS.c.id == bindparam("case_id"))
_VIEWERS_OF = select(VIEWERS.c.staff_id).where(VIEWERS.c.case_ref == bindparam("ref"))
_INSERT_VIEWERS = insert(VIEWERS)
_DROP_VIEWERS = delete(VIEWERS).where(
    VIEWERS.c.case_ref == bindparam("ref"), VIEWERS.c.staff_id.in_(bindparam("gone", expanding=True))
)
_INSERT_ACCOUNTABILITY = insert(ACCOUNTABILITY)


class ComplaintActivities:
    """Holds the database engine, the batch writer and the staff file, all given by the
    process's composition root (infra.bootstrap.Resources, which closes them); every method
    is an activity."""

    def __init__(self, engine: AsyncEngine, writer: BatchWriter, staff_file: Path) -> None:
        self.engine = engine
        self.sessions = sessions(engine)
        self.writer = writer
        self.staff_file = staff_file

    @activity.defn(name="lookup_complainant")
    async def lookup_complainant(self, inp: LookupInput) -> CustomerLookup:
        """CP-03: look the complainant up in the customer registry; CP-06: find the same
        customer's earlier complaints inside the repeat window. Reads only."""
        refusal = start_refusal(inp.start, inp.started_at)
        if refusal is not None:  # a start sent around the API: nothing is looked up or written
            return CustomerLookup(customer_verified=False, customer_id=None, refusal=refusal)
        async with self.sessions() as db:
            customer = None
            if inp.customer_id:
                customer = await db.get(t.Customer, inp.customer_id)
            if customer is None and inp.phone:
                customer = (
                    await db.execute(select(t.Customer).where(t.Customer.phone == inp.phone).limit(1))
                ).scalar_one_or_none()
            keys = []
            customer_id = customer.id if customer else inp.customer_id
            if customer_id:
                keys.append(t.Complaint.customer_id == customer_id)
            if inp.phone:
                keys.append(t.Complaint.complainant_phone == inp.phone)
            prior: list[tuple[str, datetime]] = []
            if keys:
                rows = await db.execute(
                    select(t.Complaint.id, t.Complaint.received_at).where(
                        or_(*keys),
                        t.Complaint.id != inp.complaint_id,
                        t.Complaint.received_at >= inp.received_at - inp.repeat_window,
                    )
                )
                prior = [(r.id, r.received_at) for r in rows]
        policy = ComplaintPolicy(repeat_window=inp.repeat_window)
        return CustomerLookup(
            customer_verified=customer is not None,
            customer_id=customer.id if customer else inp.customer_id,
            repeat_of=repeats_of(prior, inp.received_at, policy),
        )

    @activity.defn(name="record_complaint_step")
    async def record_complaint_step(self, rec: ComplaintRecord) -> StepWritten | bool:
        """Write one step: its event, the projection, who may read the case, notifications and
        accountability records, all or nothing (grouped with other steps by the batch writer).
        Keyed by (workflow id, seq): a retry, or a replayed step, finds the event there and
        writes nothing. Answers whether it wrote and when it was done (a plain bool in
        histories recorded before that time was reported: they still replay)."""
        job = functools.partial(_write_complaint_step, rec=rec)
        return await write_step(self.writer, rec.case.workflow_id, rec.event, rec.notifications, job)

    @activity.defn(name="pick_reassignment")
    async def pick_reassignment(self, inp: ReassignInput) -> Reassignment:
        """CP-13: a handler of another department, from the staff file as it is now."""
        directory = Directory.from_file(self.staff_file)
        chosen = reassignment_candidate(directory, inp.department, inp.exclude)
        if chosen is None:
            return Reassignment(handler=None)
        return Reassignment(handler=chosen.ref, handler_chain=directory.chain(chosen.id))


def report_columns(view: ComplaintView) -> dict[str, object]:
    """CP-18: the projection's columns the complaint analysis aggregates (storage/reports.py)."""
    comp = view.compensation
    return {
        "subtype": view.subtype.value if view.subtype else None,
        "validity": view.validity.value if view.validity else None,
        "target_kind": view.target.kind.value,
        "target_ref": view.target.staff_id or view.target.name,
        "plan_recorded_at": view.plan_recorded_at,
        "resolved_at": view.resolved_at,
        "reopen_count": view.reopen_count,
        "compensation_status": comp.status.value if comp else None,
        "compensation_level": comp.required_level.value if comp else None,
        "compensation_amount": comp.amount if comp else None,
        "satisfied": view.satisfied,
        "score": view.score,
    }


def _write_complaint_step(db: Session, rec: ComplaintRecord) -> bool:
    """One step in SQL Core (it runs for every step of every case; the ORM's unit of work cost
    more than the SQL): the event first, whose (workflow id, seq) key makes a retry write
    nothing, then the projection if this step is newer than what it holds."""
    case, ev = rec.case, rec.event
    view = rec.view or view_of(case)
    ref = case.workflow_id
    if not record_event(db, ref, ev, rec.notifications):
        return False
    row = db.execute(_PROJECTION, {"case_id": case.id}).first()
    if row is not None and row.archived:
        raise ApplicationError("CP-17: an archived complaint is read-only", type="ReadOnly", non_retryable=True)
    if row is None or row.seq is None or row.seq < ev.seq:
        values = {
            "status": case.status.value,
            "severity": case.severity.value,
            "category": case.category.value if case.category else None,
            "channel": case.complaint.channel.value,
            "handler_id": view.handler_id,
            "first_responder_id": view.first_responder_id,
            "target_staff_id": case.target_staff_id,
            "customer_id": case.complaint.complainant.customer_id,
            "complainant_phone": case.complaint.complainant.phone,
            "complainant_email": case.complaint.complainant.email,
            "complainant_language": case.complaint.complainant.language,
            "escalation_level": case.escalation_level,
            "received_at": case.received_at,
            "next_due_at": view.next_due_at,
            "closed_at": case.closed_at,
            "archived": case.archived,
            "case_file": case.case_file,
            "seq": ev.seq,
            "view": view.model_dump(mode="json"),
            **report_columns(view),
        }
        present: set[str] = set()
        if row is None:
            db.execute(_INSERT_COMPLAINT, {"id": case.id, "workflow_id": ref, **values})
        else:
            db.execute(_UPDATE_COMPLAINT, {"case_id": case.id, **values})
            present = set(db.scalars(_VIEWERS_OF, {"ref": ref}))
        wanted = set(rec.viewers if rec.viewers is not None else viewers(case))
        if present - wanted:
            db.execute(_DROP_VIEWERS, {"ref": ref, "gone": sorted(present - wanted)})
        if wanted - present:
            db.execute(_INSERT_VIEWERS, [{"case_ref": ref, "staff_id": s} for s in sorted(wanted - present)])
        if case.clocks:
            record_clocks(db, ref, ev.seq, case.clocks)
    if rec.accountability:
        db.execute(
            _INSERT_ACCOUNTABILITY,
            [
                {
                    "case_ref": ref,
                    "seq": ev.seq,
                    "staff_id": a.staff_id,
                    "role": a.role,
                    "reason": a.reason,
                    "created_at": ev.at,
                }
                for a in rec.accountability
            ],
        )
    return True
