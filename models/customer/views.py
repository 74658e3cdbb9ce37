"""What people and supervisors read of a customer account: its view (GET /customers/{id}) and
what the Temporal UI shows it waits for (ids, kinds and times only: never a name or a text)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from models.clock import clocks_overdue, clocks_running, in_breach
from models.customer.clocks import clock_due, next_clock, next_warning_of
from models.customer.messages import CustomerRecord
from models.customer.state import (
    ChangeRequest,
    CreditAlert,
    CreditReport,
    CustomerState,
    Delivery,
    Service,
    Survey,
)
from models.customer.vocabulary import BlacklistScope, Clock, CreditClass, Flag, Tier


class CustomerView(BaseModel):
    """GET /customers/{id}: the account as it is now."""

    id: str
    workflow_id: str
    #: CC-08: as registered, never modified; and the working record, as approved changes left it
    original: CustomerRecord
    working: CustomerRecord
    owner_id: str
    department: str
    tier: Tier
    credit_class: CreditClass
    blacklist: BlacklistScope | None
    flags: list[Flag]
    deliveries: list[Delivery]
    last_service_at: datetime | None
    last_revisit_at: datetime | None
    last_survey_at: datetime | None
    revisit_lapses: int
    #: each clock that runs and when it is due (CC-01 revisit, CC-02 visit report, CC-03 credit
    #: report, CC-04 downgrade, CC-05 service, CC-07 survey)
    due: dict[Clock, datetime]
    next_due_at: datetime | None
    next_clock: Clock | None
    services: list[Service]
    credit_reports: list[CreditReport]
    alerts: list[CreditAlert]
    surveys: list[Survey]
    changes: list[ChangeRequest]
    problem_at: datetime | None
    from_project: str | None
    created_at: datetime
    runs: int
    seq: int
    sla_breached: list[str] = []
    next_warning_at: datetime | None = None


def view_of(s: CustomerState) -> CustomerView:
    nxt = next_clock(s)
    w = next_warning_of(s)
    due = {c: d for c in Clock if (d := clock_due(s, c)) is not None}
    return CustomerView(
        id=s.id,
        workflow_id=s.workflow_id,
        original=s.original,
        working=s.working,
        owner_id=s.owner.id,
        department=s.department,
        tier=s.tier,
        credit_class=s.credit_class,
        blacklist=s.blacklist,
        flags=list(s.flags),
        deliveries=list(s.deliveries),
        last_service_at=s.last_service_at,
        last_revisit_at=s.last_revisit_at,
        last_survey_at=s.last_survey_at,
        revisit_lapses=s.revisit_lapses,
        due=due,
        next_due_at=nxt[1] if nxt else None,
        next_clock=nxt[0] if nxt else None,
        services=list(s.services),
        credit_reports=list(s.credit_reports),
        alerts=list(s.alerts),
        surveys=list(s.surveys),
        changes=list(s.changes),
        problem_at=s.problem_at,
        from_project=s.from_project,
        created_at=s.created_at,
        runs=s.runs,
        seq=s.seq,
        sla_breached=in_breach(s.clocks),
        next_warning_at=w.at if w else None,
    )


def describe_waiting(s: CustomerState) -> str:
    """Current details for the Temporal UI: the account's tier, class, owner, what is due next
    and what is overdue. Ids, kinds and times only."""
    head = f"{s.tier.value} · credit {s.credit_class.value} · owner {s.owner.id} ({s.department})"
    if s.blacklist is not None:
        head += f" · on the {s.blacklist.value} blacklist: no business"
    parts = [head]
    nxt = next_clock(s)
    if nxt:
        parts.append(f"next: {nxt[0].value} at {nxt[1]:%Y-%m-%d %H:%M} UTC")
    running = [c for c in clocks_running(s.clocks) if not nxt or not c.startswith(f"{nxt[0].value} ")]
    if running:
        parts.append(f"running: {', '.join(running)}")
    overdue = clocks_overdue(s.clocks)
    if overdue:
        parts.append(f"overdue: {', '.join(overdue)}")
    waiting = [f.value for f in s.flags if f in (Flag.review_due, Flag.credit_alert, Flag.change_pending)]
    if waiting:
        parts.append(f"waiting for a supervisor or manager: {', '.join(waiting)}")
    return "; ".join(parts)
