"""The outbox (issue 17) against the real database: a step's deliveries are written with the
step, once; a retried write writes none again and hands back those still pending, so a start
lost between the commit and the workflow's start is made good, and a delivery is never doubled."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from infra.bootstrap import Resources
from models.case import CaseEvent, Notification
from models.delivery import DeliveryMode, WebhookSubscription
from storage import tables as t
from storage.outbox import DeliveryStart, Outbox
from storage.writer import BatchWriter, record_event, write_step

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Starts:
    def __init__(self) -> None:
        self.started: list[DeliveryStart] = []

    async def __call__(self, starts: Sequence[DeliveryStart]) -> None:
        self.started += starts


async def _forget(resources: Resources, ref: str) -> None:
    """Leave no row of a case that does not exist (inboxes are walked by tests/access)."""
    async with resources.sessions() as db, db.begin():
        for table in (t.Delivery, t.Notification, t.CaseEvent):
            await db.execute(delete(table).where(table.case_ref == ref))


def _write(db: Session, ref: str, event: CaseEvent, notes: list[Notification]) -> bool:
    return record_event(db, ref, event, notes)


async def test_a_retried_step_writes_its_deliveries_once_and_starts_the_pending_again(
    resources: Resources,
) -> None:
    """Issue 17: the first write of a step writes its mail (cs-sup chose ``email`` for the
    kind: its inbox record is filed as read) and its webhook call, and starts both; the same
    step written again writes nothing and hands back the same two, still pending."""
    writer = BatchWriter(resources.settings.database_url)
    starts = Starts()
    writer.outbox = Outbox(
        start=starts,
        mail=True,
        staff_with_address={"cs-sup"},
        default=DeliveryMode.inbox,
        subscriptions=[
            WebhookSubscription.model_validate(
                {
                    "id": "crm",
                    "url": "http://127.0.0.1:9/",
                    "kinds": ["complaint.*"],
                    "secret": "whsec_" + "A" * 43 + "=",
                }
            )
        ],
    )
    ref = f"complaint-OUTBOX-{uuid.uuid4().hex[:8]}"
    async with resources.sessions() as db, db.begin():
        db.add(t.NotificationPreference(staff_id="cs-sup", kind="*", mode="email", updated_at=datetime.now(UTC)))
    try:
        event = CaseEvent(seq=1, kind="registered", actor_id="cs-1", at=datetime.now(UTC), data={"channel": "hotline"})
        notes = [
            Notification(recipient_kind="staff", recipient_id="cs-sup", kind="new_complaint", message="New complaint"),
            Notification(recipient_kind="staff", recipient_id="cs-2", kind="new_complaint", message="no address"),
        ]
        job = functools.partial(_write, ref=ref, event=event, notes=notes)
        first = await write_step(writer, ref, event, notes, job)
        again = await write_step(writer, ref, event, notes, job)
        assert first.wrote and not again.wrote
        assert len(starts.started) == 4 and starts.started[:2] == starts.started[2:]
        async with resources.sessions() as db:
            rows = (await db.scalars(select(t.Delivery).where(t.Delivery.case_ref == ref))).all()
            read = dict(
                (
                    await db.execute(
                        select(t.Notification.recipient_id, t.Notification.read_at).where(
                            t.Notification.case_ref == ref
                        )
                    )
                ).all()
            )
        assert sorted((r.channel, r.recipient_id) for r in rows) == [("email", "cs-sup"), ("webhook", "crm")]
        assert read["cs-sup"] is not None and read["cs-2"] is None
        webhook = next(r for r in rows if r.channel == "webhook")
        assert webhook.payload == {
            "type": "complaint.registered",
            "case_ref": ref,
            "seq": 1,
            "kind": "registered",
            "actor_id": "cs-1",
            "at": event.at.isoformat(),
            "data": {"channel": "hotline"},
        }
    finally:
        async with resources.sessions() as db, db.begin():
            await db.execute(
                t.NotificationPreference.__table__.delete().where(t.NotificationPreference.staff_id == "cs-sup")
            )
        await _forget(resources, ref)
        writer.dispose()


async def test_without_smtp_or_subscribers_a_step_writes_no_delivery(resources: Resources) -> None:
    """Issue 17: nothing configured, nothing delivered: the outbox is not even asked."""
    writer = BatchWriter(resources.settings.database_url)
    starts = Starts()
    writer.outbox = Outbox(start=starts, staff_with_address={"cs-sup"})
    ref = f"complaint-QUIET-{uuid.uuid4().hex[:8]}"
    event = CaseEvent(seq=1, kind="registered", actor_id="cs-1", at=datetime.now(UTC))
    notes = [Notification(recipient_kind="staff", recipient_id="cs-sup", kind="new_complaint", message="x")]
    try:
        assert (
            await write_step(writer, ref, event, notes, functools.partial(_write, ref=ref, event=event, notes=notes))
        ).wrote
        async with resources.sessions() as db:
            assert await db.scalar(select(func.count()).select_from(t.Delivery).where(t.Delivery.case_ref == ref)) == 0
        assert starts.started == []
    finally:
        await _forget(resources, ref)
        writer.dispose()
