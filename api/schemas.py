"""The API's own response shapes (the cases' shapes are in models/)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.complaint.vocabulary import Status
from models.confidential import Confidential
from models.delivery import DeliveryChannel, DeliveryMode, DeliveryStatus
from models.inquiry.vocabulary import InquiryStatus
from models.project.views import ExpenseView
from models.project.vocabulary import Stage


class Problem(BaseModel):
    detail: str


class Unprocessable(BaseModel):
    """422: a sentence naming the problem, or FastAPI's list of field errors."""

    detail: str | list[dict[str, Any]]


class EventOut(BaseModel):
    seq: int
    kind: str
    actor_id: str | None
    at: datetime
    data: dict[str, Any]


class ClockOut(BaseModel):
    """Issue 14: one run of one clock (GET /complaints/{id}/clocks, /client-projects/{id}/clocks):
    started, allowed, due, each pause and resume, each warning, met / breached / stopped and
    when, the time it used and, for a breach, how late the workflow acted after the due time."""

    clock: str
    started_at: datetime
    allowed_seconds: float
    due_at: datetime | None
    outcome: str
    pauses: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    ended_at: datetime | None
    fulfilled_at: datetime | None
    used_seconds: float | None
    lateness_seconds: float | None


class NotificationOut(BaseModel):
    id: int
    case_ref: str
    kind: str
    message: str
    channel: str | None
    created_at: datetime
    #: when it was read (POST /notifications/{id}/read), or mailed to one who chose ``email``
    read_at: datetime | None = None


class NotificationPreferences(BaseModel):
    """Issue 17: how the caller receives each kind of notification: ``inbox`` (no mail),
    ``email`` (mailed; the inbox keeps it, already read) or ``both`` (mailed, and unread in the
    inbox). ``*`` is every kind without a choice of its own; without either, ``default``."""

    default: DeliveryMode
    email: bool = Field(description="whether the staff file gives the caller an e-mail address")
    mail_enabled: bool = Field(description="whether this system mails at all (SMTP_HOST)")
    kinds: dict[str, DeliveryMode] = Field(default_factory=dict)


class PreferencesBody(BaseModel):
    """PUT /me/notification-preferences: modes by kind (``*``: every kind); ``null`` removes a
    choice. Kinds not named keep theirs."""

    model_config = ConfigDict(extra="forbid")

    kinds: dict[str, DeliveryMode | None] = Field(min_length=1, max_length=200)


class DeliveryOut(BaseModel):
    """Issue 17: one e-mail or webhook call: its case and step, to whom (a staff id, the
    complainant or a subscriber id, never an address), and how it went."""

    id: int
    workflow_id: str
    message_id: str = Field(description="the same on every attempt: a webhook's idempotency key, a mail's Message-ID")
    case_ref: str
    seq: int
    event_type: str
    channel: DeliveryChannel
    recipient_kind: str
    recipient_id: str | None
    kind: str | None
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


class ComplaintAccepted(BaseModel):
    """202: the complaint is registered (or will be), without its content."""

    id: str
    workflow_id: str
    status: Status


class Health(BaseModel):
    api: str
    database: str
    temporal: str


class ProjectAccepted(BaseModel):
    """202: the application is started durably, not yet registered."""

    id: str
    workflow_id: str
    stage: Stage


class InquiryAccepted(BaseModel):
    """202: the inquiry is started durably, not yet registered (CC-06)."""

    id: str
    workflow_id: str
    status: InquiryStatus


class ExpenseOut(BaseModel):
    """One expense of a project (ND-04): what claiming it answers (201), what reading it
    answers, in the shape an expense decision answers."""

    project_id: str
    stage: Stage
    expense: ExpenseView


class ExpenseDecisionOut(ExpenseOut):
    """What an expense decision answers: the expense only (finance decides reimbursements
    without seeing the project, ND-04 / ND-13)."""


class StaffSurveyOut(BaseModel):
    """What the staff member complained about reads when they answer (CP-16): the result only,
    never the complainant's details or the case (CP-07)."""

    complaint_id: str
    status: Status
    result: Confidential | None
    accepted: bool | None
