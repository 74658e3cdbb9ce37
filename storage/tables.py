"""Tables (singular names, timestamps end in ``_at``). ``case_ref`` is the workflow id, so the
event, notification and accountability tables serve complaints and projects alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Customer(Base):
    """The customer registry (CP-03 looks complainants up here; ND-01 refuses existing ones).
    Issue 16: each customer's account is a workflow (``customer-<id>``) whose steps keep the
    rest of the row: ``name`` and ``phone`` are the working record's, ``original`` the record as
    registered, written once and never changed (CC-08); owner, department, tier, credit class
    and blacklist are what lists filter on. A row from before accounts has them empty."""

    __tablename__ = "customer"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    workflow_id: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    owner_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    department: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    tier: Mapped[str | None] = mapped_column(String(20), index=True, nullable=True)
    credit_class: Mapped[str | None] = mapped_column(String(1), index=True, nullable=True)
    product_line: Mapped[str | None] = mapped_column(String(40), nullable=True)
    blacklist: Mapped[str | None] = mapped_column(String(20), index=True, nullable=True)
    flags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    last_service_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_survey_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True, nullable=True)
    original: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    view: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Complaint(Base):
    """Projection of a complaint workflow, written by its activities, read by the API."""

    __tablename__ = "complaint"
    # CP-18 (issue 15, migration 0007): a period's cohort as a range, the counts index-only
    __table_args__ = (
        Index(
            "ix_complaint_report",
            "received_at",
            "category",
            "subtype",
            "severity",
            "validity",
            "channel",
            "target_kind",
            "target_ref",
            "escalation_level",
            "workflow_id",
            "plan_recorded_at",
            "resolved_at",
            "closed_at",
            "reopen_count",
            "satisfied",
            "score",
            "compensation_status",
            "compensation_level",
            "compensation_amount",
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(30))
    handler_id: Mapped[str | None] = mapped_column(String(64), index=True)
    first_responder_id: Mapped[str] = mapped_column(String(64))
    target_staff_id: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    complainant_phone: Mapped[str | None] = mapped_column(String(40), index=True)
    #: issue 17: where the complainant's mail goes (CP-14, CP-21), and in which language
    complainant_email: Mapped[str | None] = mapped_column(String(254))
    complainant_language: Mapped[str | None] = mapped_column(String(5))
    escalation_level: Mapped[int] = mapped_column(Integer, index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    case_file: Mapped[str | None] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    view: Mapped[dict[str, Any]] = mapped_column(JSON)
    # CP-18 (issue 15): what the complaint analysis aggregates, as columns (SQL aggregates on
    # both backends without reading the view's JSON); written with the projection.
    subtype: Mapped[str | None] = mapped_column(String(30), nullable=True)
    validity: Mapped[str | None] = mapped_column(String(20), nullable=True)
    target_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    target_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    plan_recorded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    reopen_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    compensation_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    compensation_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    compensation_amount: Mapped[Any] = mapped_column(Numeric(14, 2), nullable=True)
    satisfied: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)


#: Issue 18 (migration 0012): the console's lists (my work, the board) read the open cases only,
#: and however long the closed history they read no closed one. Partial: a closed case is not
#: in it. ``ix_complaint_open`` in the board's order (escalation level down, then due) with the
#: columns its filters and counts read; ``ix_complaint_open_handler`` its count by handler;
#: ``ix_complaint_open_due`` by due time: the board's "in breach" (soonest due first, the first
#: fifty) and "due within the hour" (a range).
OPEN = Complaint.status != "closed"
Index(
    "ix_complaint_open",
    Complaint.escalation_level.desc(),
    Complaint.next_due_at,
    Complaint.handler_id,
    Complaint.first_responder_id,
    Complaint.severity,
    Complaint.target_staff_id,
    Complaint.workflow_id,
    sqlite_where=OPEN,
    postgresql_where=OPEN,
)
Index(
    "ix_complaint_open_due",
    Complaint.next_due_at,
    Complaint.workflow_id,
    Complaint.target_staff_id,
    sqlite_where=OPEN,
    postgresql_where=OPEN,
)
Index(
    "ix_complaint_open_handler",
    Complaint.handler_id,
    Complaint.workflow_id,
    Complaint.target_staff_id,
    sqlite_where=OPEN,
    postgresql_where=OPEN,
)


class CaseViewer(Base):
    """CP-19: who may read a case (the API filters every read and list on it)."""

    __tablename__ = "case_viewer"

    case_ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class CaseEvent(Base):
    """A case's history. (case_ref, seq) is the idempotency key of every step's write."""

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_ref", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_ref: Mapped[str] = mapped_column(String(100), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class CaseClock(Base):
    """Issue 14: every run of every clock of a case (complaints and projects alike, by workflow
    id): started, allowed, due, pauses, warnings, met / breached / stopped and when, the time
    used and the lateness of the firing. Rewritten with the projection at each newer step."""

    __tablename__ = "case_clock"
    # CP-18 (issue 15, migration 0007): the report's clock shares read a case's runs in the index
    __table_args__ = (
        Index("ix_case_clock_report", "case_ref", "clock", "outcome"),
        # issue 18 (migration 0012): the console board's "in breach" test of a case, one probe
        Index("ix_case_clock_breach", "case_ref", "outcome", "fulfilled_at"),
    )

    case_ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, primary_key=True)
    clock: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    allowed_seconds: Mapped[float] = mapped_column(Float)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_seconds: Mapped[float | None] = mapped_column(Float)
    lateness_seconds: Mapped[float | None] = mapped_column(Float)
    pauses: Mapped[list[Any]] = mapped_column(JSON)
    warnings: Mapped[list[Any]] = mapped_column(JSON)
    seq: Mapped[int] = mapped_column(Integer)


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_ref: Mapped[str] = mapped_column(String(100), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: issue 17: when its recipient read it (POST /notifications/{id}/read), or when it was
    #: written, for one mailed to a staff member who chose ``email`` for its kind
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Delivery(Base):
    """Issue 17: one e-mail or webhook call a step gave, written with the step (the outbox),
    sent by its DeliveryWorkflow (``workflow_id``, a new one when sent again). No address and no text: the address is
    looked up and the text read from ``notification_id`` when it is sent; a webhook's
    ``payload`` holds only the event's plain data."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    #: the message's id, the same on every attempt and when sent again (a new workflow): a
    #: webhook's ``webhook-id`` / ``Idempotency-Key``, a mail's Message-ID
    message_id: Mapped[str] = mapped_column(String(100), unique=True)
    case_ref: Mapped[str] = mapped_column(String(100), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(20))
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[str | None] = mapped_column(String(64), index=True)
    notification_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(40))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NotificationPreference(Base):
    """Issue 17: a staff member's mode (inbox | email | both) for a kind of notification (``*``:
    every kind without a choice of its own)."""

    __tablename__ = "notification_preference"

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccountabilityRecord(Base):
    """CP-13: written for the handler and their manager when a case is not resolved in time."""

    __tablename__ = "accountability_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_ref: Mapped[str] = mapped_column(String(100), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClientProject(Base):
    """Projection of a new-client development project workflow (ND rules), read by the API.
    Its history, notifications and readers share case_event / notification by workflow id."""

    __tablename__ = "client_project"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    client_name: Mapped[str] = mapped_column(String(200))
    product_line: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(20), index=True)
    implementer_ids: Mapped[list[str]] = mapped_column(JSON)
    flags: Mapped[list[str]] = mapped_column(JSON)
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seq: Mapped[int] = mapped_column(Integer)
    view: Mapped[dict[str, Any]] = mapped_column(JSON)


class ProjectRefusal(Base):
    """ND-01: an ineligible project application, refused with its reason (one per project id)."""

    __tablename__ = "project_refusal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_name: Mapped[str] = mapped_column(String(200))
    product_line: Mapped[str] = mapped_column(String(40))
    expected_annual_business: Mapped[str] = mapped_column(String(40))
    applicant_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    application: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdempotencyKey(Base):
    """The first final answer to a POST sent with an ``Idempotency-Key`` (per caller): a retry
    with the same key and body gets it again and starts nothing new (api/idempotency.py)."""

    __tablename__ = "idempotency_key"

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    body_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Report(Base):
    """CP-18 (issue 15): every version of every periodic report (``kind`` ``complaints``, the
    ``period`` ``2026-W48`` or ``2026-11``), with its figures and when they were produced. A
    re-run adds a version; nothing rewrites one."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("kind", "period", "version"), Index("ix_report_kind_period", "kind", "period"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(64))
    produced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seconds: Mapped[float] = mapped_column(Float)


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class (for statements built once in SQL Core)."""
    found = model.__table__
    assert isinstance(found, Table)
    return found


class RewardRound(Base):
    """Projection of a year's rewards round (ND-12), read by the API: the round as its
    workflow holds it; once approved, the year's report."""

    __tablename__ = "reward_round"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    stage: Mapped[str] = mapped_column(String(20), index=True)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seq: Mapped[int] = mapped_column(Integer)
    view: Mapped[dict[str, Any]] = mapped_column(JSON)


class Inquiry(Base):
    """Projection of an inquiry workflow (CC-06), read by the API. Who may read it is in
    case_viewer (the receiver, the assignee and the leaders above each); its history,
    notifications and clocks share case_event / notification / case_clock by workflow id."""

    __tablename__ = "inquiry"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    channel: Mapped[str] = mapped_column(String(30))
    receiver_id: Mapped[str] = mapped_column(String(64), index=True)
    assignee_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    seq: Mapped[int] = mapped_column(Integer)
    view: Mapped[dict[str, Any]] = mapped_column(JSON)


class TierReview(Base):
    """Projection of a department's tier review (CC-04, ``tier-review-<period>-<department>``),
    read by the API."""

    __tablename__ = "tier_review"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(140), unique=True)
    period: Mapped[str] = mapped_column(String(20), index=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(20), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    seq: Mapped[int] = mapped_column(Integer)
    view: Mapped[dict[str, Any]] = mapped_column(JSON)
