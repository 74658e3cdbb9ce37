"""Messages that leave the building (issue 17): which e-mails and webhook calls a step's
notifications give, decided here as plain functions; storage/outbox.py writes them with the
step, workflows/delivery.py delivers each one.

- **E-mail to staff.** Each staff member chooses per notification kind (or ``*`` for every
  kind): ``inbox`` (no mail), ``email`` (a mail, and the inbox keeps the record, already read)
  or ``both`` (a mail, and the record waits unread in the inbox). Without a choice,
  ``NOTIFY_DEFAULT_MODE``. A staff member without an address in the staff file gets no mail.
- **E-mail to the complainant** (CP-14, CP-21): a complainant note is mailed when the
  complainant gave an address and the note goes by e-mail or has no channel of its own (a result
  sent by letter is not mailed).
- **Webhooks.** One call per subscriber whose kinds match the step's event type
  (``complaint.registered``, ``complaint.*`` or ``*``), whatever the notifications.

Nothing here names an address: a delivery names its recipient (a staff id, the complainant, a
subscriber id), and the address is looked up when it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr

from models.case import Notification
from models.staff import Role

Language = Literal["zh", "en"]


class DeliveryMode(StrEnum):
    """How a staff member wants one kind of notification."""

    inbox = "inbox"
    email = "email"
    both = "both"


class DeliveryChannel(StrEnum):
    email = "email"
    webhook = "webhook"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


#: Every kind: a preference for ``*`` applies to the kinds without one of their own.
ANY_KIND = "*"

#: The families of cases, by the prefix of their workflow id (longest first): the family's
#: name in a webhook's event type, and where the API reads its case (None: no page).
FAMILIES: tuple[tuple[str, str, str | None], ...] = (
    ("client-project-", "project", "/client-projects/"),
    ("survey-campaign-", "survey_campaign", "/survey-campaigns/"),
    ("report-complaints-", "report", None),
    ("tier-review-", "tier_review", "/tier-reviews/"),
    ("complaint-", "complaint", "/complaints/"),
    ("customer-", "customer", "/customers/"),
    ("inquiry-", "inquiry", "/inquiries/"),
    ("rewards-", "rewards", "/rewards/"),
)


class WebhookSubscription(BaseModel):
    """One subscriber (``WEBHOOKS``, a JSON list): where to post, which event types, and the
    secret the signature is made with (Standard Webhooks: ``whsec_`` and base64)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    url: HttpUrl
    kinds: list[str] = Field(default_factory=lambda: [ANY_KIND], min_length=1)
    secret: SecretStr

    def wants(self, event_type: str) -> bool:
        family = event_type.split(".", 1)[0]
        return any(k in (ANY_KIND, event_type, f"{family}.*") for k in self.kinds)


class DeliveryTerms(BaseModel):
    """How hard a delivery tries: Temporal retries the send with this backoff, at most
    ``max_attempts`` times, then the delivery is failed and shown (GET /deliveries?status=
    failed, ``DeliveryFailed = true`` in the Temporal UI). Kept in the delivery's workflow
    input, so a change reaches only new deliveries. Resolved from the ``DELIVERY_*`` settings
    (infra.bootstrap.Resources.delivery_terms), which hold the defaults."""

    max_attempts: int = Field(ge=1, le=100)
    first_retry: timedelta
    max_retry: timedelta
    attempt_timeout: timedelta


class DeliveryInput(BaseModel):
    """The input of DeliveryWorkflow: the delivery's row (no address, no text: those are read
    when it is sent) and its terms."""

    delivery_id: int
    channel: DeliveryChannel
    terms: DeliveryTerms


class DeliveryResult(BaseModel):
    delivery_id: int
    status: DeliveryStatus
    attempts: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class PlannedDelivery:
    """One message to send for a step: ``notification`` is the index of the note it mails (None
    for a webhook call); ``mark_read``: the note's inbox record is read already (``email``)."""

    channel: DeliveryChannel
    recipient_kind: str  # "staff" | "complainant" | "webhook"
    recipient_id: str | None
    notification: int | None = None
    mark_read: bool = False


#: Who sees every delivery and may send a failed one again (anyone else: the mails to them).
OPERATORS = (Role.manager, Role.general_manager)


def sees_every_delivery(role: Role) -> bool:
    return role in OPERATORS


def event_type(case_ref: str, kind: str) -> str:
    """A step's event type as webhooks name it: ``<family>.<event kind>``."""
    for prefix, family, _ in FAMILIES:
        if case_ref.startswith(prefix):
            return f"{family}.{kind}"
    return f"case.{kind}"


def case_path(case_ref: str) -> str:
    """The API path of a case (a mail's link), or ``/notifications`` for one without a page."""
    for prefix, _, path in FAMILIES:
        if path is not None and case_ref.startswith(prefix):
            return path + case_ref.removeprefix(prefix)
    return "/notifications"


def mode_for(
    staff_id: str, kind: str, chosen: Mapping[tuple[str, str], DeliveryMode], default: DeliveryMode
) -> DeliveryMode:
    """A staff member's mode for a kind: their choice for the kind, else for ``*``, else the
    default."""
    return chosen.get((staff_id, kind)) or chosen.get((staff_id, ANY_KIND)) or default


def plan_deliveries(
    event: str,
    notifications: Sequence[Notification],
    *,
    mail: bool,
    staff_with_address: set[str],
    chosen: Mapping[tuple[str, str], DeliveryMode],
    default: DeliveryMode,
    complainant_has_address: bool,
    subscriptions: Sequence[WebhookSubscription],
) -> list[PlannedDelivery]:
    """The e-mails and webhook calls one step of event type ``event`` gives (``mail``: an SMTP
    server is configured)."""
    out: list[PlannedDelivery] = []
    for i, n in enumerate(notifications):
        if not mail:
            break
        if n.recipient_kind == "staff" and n.recipient_id in staff_with_address:
            mode = mode_for(n.recipient_id, n.kind, chosen, default)
            if mode is not DeliveryMode.inbox:
                out.append(
                    PlannedDelivery(
                        DeliveryChannel.email, "staff", n.recipient_id, i, mark_read=mode is DeliveryMode.email
                    )
                )
        elif n.recipient_kind == "complainant" and complainant_has_address and n.channel in (None, "email"):
            out.append(PlannedDelivery(DeliveryChannel.email, "complainant", None, i))
    out += [PlannedDelivery(DeliveryChannel.webhook, "webhook", s.id) for s in subscriptions if s.wants(event)]
    return out


def complainant_channel(has_email: bool, has_phone: bool) -> str | None:
    """CP-21: how the acknowledgement reaches the complainant: e-mail when they gave one (in
    writing), else a text message to their phone."""
    if has_email:
        return "email"
    return "sms" if has_phone else None
