"""The outbox (issue 17): a step's e-mails and webhook calls are written in the same transaction
as its event and notifications (storage/writer.py's ``write_step``), then each is started as a
DeliveryWorkflow of its own once the transaction committed. A step written again (a retry, a
replay) writes no delivery twice: they are written only with the event, keyed by (workflow id,
seq). A retry that finds the event there starts again what is still pending (the attempt that
wrote them may have died between the commit and the start); starting one already started
changes nothing (its workflow id)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from models.case import CaseEvent, Notification
from models.delivery import (
    DeliveryChannel,
    DeliveryMode,
    DeliveryStatus,
    WebhookSubscription,
    event_type,
    plan_deliveries,
)
from storage import tables as t

_DELIVERY = t.table(t.Delivery)
_NOTIFICATION = t.table(t.Notification)
_INSERT_DELIVERY = insert(_DELIVERY).returning(_DELIVERY.c.id)
_NOTES_OF_STEP = (
    select(_NOTIFICATION.c.id)
    .where(_NOTIFICATION.c.case_ref == bindparam("ref"), _NOTIFICATION.c.seq == bindparam("seq"))
    .order_by(_NOTIFICATION.c.id)
)
_MARK_READ = (
    update(_NOTIFICATION)
    .where(_NOTIFICATION.c.id.in_(bindparam("ids", expanding=True)))
    .values(read_at=bindparam("at"))
)
_PENDING_OF_STEP = select(_DELIVERY.c.id, _DELIVERY.c.workflow_id, _DELIVERY.c.channel, _DELIVERY.c.kind).where(
    _DELIVERY.c.case_ref == bindparam("ref"),
    _DELIVERY.c.seq == bindparam("seq"),
    _DELIVERY.c.status == DeliveryStatus.pending.value,
)


@dataclass(frozen=True)
class DeliveryStart:
    """A delivery written, to start as its own workflow (``workflow_id``)."""

    id: int
    workflow_id: str
    channel: DeliveryChannel
    summary: str


@dataclass
class Outbox:
    """What decides a step's deliveries in this process: whether mail is configured, who has
    an address, the default mode, the webhook subscribers; ``start`` starts the workflows."""

    start: Callable[[Sequence[DeliveryStart]], Awaitable[None]]
    mail: bool = False
    staff_with_address: set[str] = field(default_factory=set)
    default: DeliveryMode = DeliveryMode.both
    subscriptions: list[WebhookSubscription] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Nothing to deliver at all (no SMTP server, no subscriber): no step pays for it."""
        return self.mail or bool(self.subscriptions)

    def enqueue(
        self, db: Session, case_ref: str, event: CaseEvent, notifications: Sequence[Notification]
    ) -> list[DeliveryStart]:
        """Write the deliveries of a step just written (in its transaction)."""
        etype = event_type(case_ref, event.kind)
        staff = sorted(
            {n.recipient_id for n in notifications if n.recipient_kind == "staff" and n.recipient_id}
            & self.staff_with_address
        )
        chosen: dict[tuple[str, str], DeliveryMode] = {}
        if self.mail and staff:
            prefs = t.NotificationPreference
            for staff_id, kind, mode in db.execute(
                select(prefs.staff_id, prefs.kind, prefs.mode).where(prefs.staff_id.in_(staff))
            ):
                chosen[(staff_id, kind)] = DeliveryMode(mode)
        complainant = False
        if self.mail and any(n.recipient_kind == "complainant" for n in notifications):
            complainant = (
                db.scalar(select(t.Complaint.complainant_email).where(t.Complaint.workflow_id == case_ref)) is not None
            )
        plan = plan_deliveries(
            etype,
            notifications,
            mail=self.mail,
            staff_with_address=set(staff),
            chosen=chosen,
            default=self.default,
            complainant_has_address=complainant,
            subscriptions=self.subscriptions,
        )
        if not plan:
            return []
        note_ids = list(db.scalars(_NOTES_OF_STEP, {"ref": case_ref, "seq": event.seq}))
        read = [note_ids[p.notification] for p in plan if p.mark_read and p.notification is not None]
        if read:
            db.execute(_MARK_READ, {"ids": read, "at": event.at})
        now = datetime.now(UTC)
        payload = _payload(etype, case_ref, event)
        starts: list[DeliveryStart] = []
        for p in plan:
            note = notifications[p.notification] if p.notification is not None else None
            workflow_id = f"delivery-{uuid.uuid4().hex}"
            row: dict[str, Any] = {
                "workflow_id": workflow_id,
                "message_id": workflow_id,
                "case_ref": case_ref,
                "seq": event.seq,
                "event_type": etype,
                "channel": p.channel.value,
                "recipient_kind": p.recipient_kind,
                "recipient_id": p.recipient_id,
                "notification_id": note_ids[p.notification] if p.notification is not None else None,
                "kind": note.kind if note is not None else event.kind,
                "payload": payload if p.channel is DeliveryChannel.webhook else None,
                "status": DeliveryStatus.pending.value,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            new_id = db.execute(_INSERT_DELIVERY, row).scalar_one()
            starts.append(DeliveryStart(new_id, workflow_id, p.channel, summary_of(row)))
        return starts

    def pending(self, db: Session, case_ref: str, seq: int) -> list[DeliveryStart]:
        """The deliveries of a step written earlier that are still pending."""
        return [
            DeliveryStart(
                r.id,
                r.workflow_id,
                DeliveryChannel(r.channel),
                summary_of({"channel": r.channel, "kind": r.kind, "case_ref": case_ref}),
            )
            for r in db.execute(_PENDING_OF_STEP, {"ref": case_ref, "seq": seq})
        ]


def _payload(etype: str, case_ref: str, event: CaseEvent) -> dict[str, Any]:
    """A webhook's body: the event's plain data only (never ``texts``: what people wrote)."""
    return {
        "type": etype,
        "case_ref": case_ref,
        "seq": event.seq,
        "kind": event.kind,
        "actor_id": event.actor_id,
        "at": event.at.isoformat(),
        "data": event.data,
    }


def summary_of(row: dict[str, Any]) -> str:
    """The Temporal UI's summary of a delivery: channel, kind and case, never an address."""
    return f"{row['channel']}: {row.get('kind')} of {row['case_ref']}"
