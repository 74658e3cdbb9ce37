"""Inquiry activities (CC-06): the start's proof, and one transaction per step."""

from __future__ import annotations

import functools

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from temporalio import activity

from infra.proofs import start_refusal
from models.case import StepWritten
from models.inquiry.messages import StartCheck, StartChecked
from models.inquiry.records import InquiryRecord
from storage import tables as t
from storage.engine import sessions
from storage.writer import BatchWriter, record_clocks, record_event, write_step


class InquiryActivities:
    """Holds the database engine and the batch writer, given by the process's composition root
    (infra.bootstrap.Resources, which closes them); every method is an activity."""

    def __init__(self, engine: AsyncEngine, writer: BatchWriter) -> None:
        self.engine = engine
        self.sessions = sessions(engine)
        self.writer = writer

    @activity.defn(name="check_inquiry_start")
    async def check_start(self, inp: StartCheck) -> StartChecked:
        """Whether the inquiry was started through the API (infra/proofs.py); reads nothing."""
        return StartChecked(refusal=start_refusal(inp.start, inp.started_at))

    @activity.defn(name="record_inquiry_step")
    async def record_inquiry_step(self, rec: InquiryRecord) -> StepWritten | bool:
        """Write one step, all or nothing: its event, the inquiry projection, who may read it,
        its clock accounts and the notifications. Keyed by (workflow id, seq): a retry or a
        replayed step finds the event there and writes nothing."""
        job = functools.partial(_write_inquiry_step, rec=rec)
        return await write_step(self.writer, rec.inquiry.workflow_id, rec.event, rec.notifications, job)


def _write_inquiry_step(db: Session, rec: InquiryRecord) -> bool:
    q, view, ev = rec.inquiry, rec.view, rec.event
    ref = q.workflow_id
    if not record_event(db, ref, ev, rec.notifications):
        return False
    row = db.get(t.Inquiry, q.id)
    if row is None:
        row = t.Inquiry(id=q.id, workflow_id=ref, received_at=q.received_at)
        db.add(row)
    if row.seq is None or row.seq < ev.seq:
        row.customer_id = q.inquiry.customer_id
        row.channel = q.inquiry.channel.value
        row.receiver_id = q.receiver.id
        row.assignee_id = q.assignee.id if q.assignee else None
        row.status = q.status.value
        row.late = q.late
        row.due_at = q.due_at
        row.answered_at = q.answered_at
        row.seq = ev.seq
        row.view = view.model_dump(mode="json")
        present = set(db.scalars(select(t.CaseViewer.staff_id).where(t.CaseViewer.case_ref == ref)))
        wanted = set(rec.viewers)
        if present - wanted:
            db.execute(
                delete(t.CaseViewer).where(t.CaseViewer.case_ref == ref, t.CaseViewer.staff_id.in_(present - wanted))
            )
        for staff_id in sorted(wanted - present):
            db.add(t.CaseViewer(case_ref=ref, staff_id=staff_id))
        if q.clocks:
            record_clocks(db, ref, ev.seq, q.clocks)
    db.flush()
    return True
