"""Delivery activities (issue 17): send one e-mail or webhook call, and write down how it went.

``deliver`` is retried by Temporal with the delivery's terms (workflows/delivery.py). Every
attempt writes its count and what went wrong into the delivery's row, so GET /deliveries
shows a delivery still trying as well as one that failed. What goes wrong is described without
an address or a text (the description reaches Temporal's history in plain): the error's type,
an SMTP code, an HTTP status. A delivery already delivered is not sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import aiosmtplib
import httpx
import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from infra import mail, webhooks
from models.delivery import (
    DeliveryChannel,
    DeliveryInput,
    DeliveryResult,
    DeliveryStatus,
    DeliveryTerms,
    WebhookSubscription,
    case_path,
)
from models.staff import Directory
from storage import tables as t
from storage.engine import sessions
from storage.outbox import DeliveryStart

log = structlog.get_logger()

#: The workflow every delivery runs as (workflows/delivery.py; by name: activities sit below
#: the workflows).
DELIVERY_WORKFLOW = "DeliveryWorkflow"


class Undeliverable(Exception):
    """Sending again would not help: no address, a subscriber removed, a permanent refusal."""


def describe(error: BaseException) -> tuple[str, bool]:
    """What went wrong, fit for Temporal's history (no address, no text), and whether it is
    permanent."""
    if isinstance(error, Undeliverable):
        return str(error), True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = sorted({r.code for r in error.recipients})
        return f"SMTP: recipient refused ({', '.join(map(str, codes))})", all(c >= 500 for c in codes)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"SMTP: the server answered {error.code}", error.code >= 500 and error.code != 554
    if isinstance(error, aiosmtplib.SMTPException | OSError | asyncio.TimeoutError):
        detail = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        return f"SMTP: cannot reach the server ({detail})", False
    if isinstance(error, webhooks.Refused):
        return f"webhook: the receiver answered {error.status}", error.status == 410
    if isinstance(error, httpx.HTTPError):
        return f"webhook: cannot reach the receiver ({type(error).__name__})", False
    return f"{type(error).__name__}", False


class DeliveryActivities:
    """Holds the database engine, the staff directory (addresses, languages), the SMTP server
    (None: no mail), the sender, the public URL of the links and the webhook subscribers."""

    def __init__(
        self,
        engine: AsyncEngine,
        directory: Directory,
        *,
        smtp: mail.Smtp | None,
        sender: str,
        public_url: str,
        subscriptions: Sequence[WebhookSubscription],
    ) -> None:
        self.sessions = sessions(engine)
        self.directory = directory
        self.smtp = smtp
        self.sender = sender
        self.public_url = public_url.rstrip("/")
        self.subscriptions = {s.id: s for s in subscriptions}

    @activity.defn(name="deliver")
    async def deliver(self, inp: DeliveryInput) -> DeliveryResult:
        """One attempt at one delivery."""
        async with self.sessions() as db:
            row = await db.get(t.Delivery, inp.delivery_id)
        if row is None:
            raise ApplicationError("no such delivery", type="Undeliverable", non_retryable=True)
        if row.status == DeliveryStatus.delivered.value:
            return DeliveryResult(delivery_id=row.id, status=DeliveryStatus.delivered, attempts=row.attempts)
        attempt = activity.info().attempt
        try:
            if row.channel == DeliveryChannel.email.value:
                await self._mail(row)
            else:
                await self._post(row)
        except Exception as e:  # noqa: BLE001 - every failure is written down, then retried or not
            reason, permanent = describe(e)
            await self._write(row.id, attempts=attempt, last_error=reason)
            log.warning("delivery_failed", delivery=row.id, channel=row.channel, attempt=attempt, reason=reason)
            raise ApplicationError(
                reason, type="Undeliverable" if permanent else "NotDelivered", non_retryable=permanent
            ) from None
        now = datetime.now(UTC)
        await self._write(row.id, attempts=attempt, status=DeliveryStatus.delivered.value, delivered_at=now)
        log.info("delivered", delivery=row.id, channel=row.channel, kind=row.kind, attempt=attempt)
        return DeliveryResult(delivery_id=row.id, status=DeliveryStatus.delivered, attempts=attempt)

    @activity.defn(name="settle_delivery")
    async def settle(self, result: DeliveryResult) -> None:
        """A delivery that gave up: failed, with its last reason (shown by GET /deliveries)."""
        values: dict[str, object] = {"status": result.status.value}
        if result.reason:
            values["last_error"] = result.reason[:500]
        await self._write(result.delivery_id, **values)

    async def _write(self, delivery_id: int, **values: object) -> None:
        async with self.sessions() as db, db.begin():
            await db.execute(
                update(t.Delivery).where(t.Delivery.id == delivery_id).values(updated_at=datetime.now(UTC), **values)
            )

    async def _mail(self, row: t.Delivery) -> None:
        if self.smtp is None:
            raise Undeliverable("no SMTP server is configured")
        async with self.sessions() as db:
            note = await db.get(t.Notification, row.notification_id) if row.notification_id else None
            contact = None
            if row.recipient_kind == "complainant":
                contact = (
                    await db.execute(
                        select(t.Complaint.complainant_email, t.Complaint.complainant_language).where(
                            t.Complaint.workflow_id == row.case_ref
                        )
                    )
                ).first()
        if note is None:
            raise Undeliverable("its notification is gone")
        if row.recipient_kind == "staff":
            staff = self.directory.get(row.recipient_id)
            if staff is None or not staff.email:
                raise Undeliverable("the staff member has no e-mail address")
            to, language, name, link = (
                staff.email,
                staff.language,
                staff.name,
                self.public_url + case_path(row.case_ref),
            )
        else:
            if contact is None or not contact.complainant_email:
                raise Undeliverable("the complainant gave no e-mail address")
            to, language, name, link = contact.complainant_email, contact.complainant_language or "zh", "", ""
        letter = mail.Letter(
            kind=note.kind,
            message=note.message,
            case_ref=row.case_ref,
            recipient_kind=row.recipient_kind,
            language=language,
            link=link,
            name=name,
        )
        await mail.send(mail.compose(letter, sender=self.sender, to=to, message_id=row.message_id), self.smtp)

    async def _post(self, row: t.Delivery) -> None:
        sub = self.subscriptions.get(row.recipient_id or "")
        if sub is None:
            raise Undeliverable("the subscriber is no longer configured")
        timeout = activity.info().start_to_close_timeout
        await webhooks.post(
            str(sub.url),
            sub.secret.get_secret_value(),
            row.message_id,
            row.payload or {},
            timeout=timeout.total_seconds() * 0.8 if timeout else 20.0,
        )


async def start_deliveries(
    client: Client, task_queue: str, terms: DeliveryTerms, starts: Sequence[DeliveryStart]
) -> None:
    """Start each delivery's workflow; one started already (by an earlier attempt) is left as
    it is, and one that ran to its end is not run again (its workflow id)."""
    for s in starts:
        try:
            await client.start_workflow(
                DELIVERY_WORKFLOW,
                DeliveryInput(delivery_id=s.id, channel=s.channel, terms=terms),
                id=s.workflow_id,
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=s.summary,
            )
        except WorkflowAlreadyStartedError:
            continue
