"""The customer account as its workflow holds it (and carries across continue-as-new), the
workflow's input, and the pure queries the rules ask of the state."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from models.calendar import add_months, local_date, zone
from models.case import CaseInput
from models.clock import ClockAccount, ClockOutcome
from models.confidential import Confidential
from models.customer.messages import CustomerCreate, CustomerRecord, TierCounts
from models.customer.vocabulary import REPORTED, BlacklistScope, Clock, CreditClass, Decision, Flag, ServiceKind, Tier
from models.policy import CustomerPolicy
from models.staff import Directory, Role, StaffRef

#: How many past entries of each kind the state keeps (the history keeps them all).
KEEP = 12


class Delivery(BaseModel):
    project_id: str
    delivered_at: datetime


class Service(BaseModel):
    """CC-05 a service; CC-02 its report, due by ``report_due_at`` and reviewed by a supervisor."""

    id: str
    kind: ServiceKind
    held_at: datetime
    by: str
    recorded_at: datetime
    report_due_at: datetime | None = None
    #: since when the report is owed: the visit, or the review that sent it back (CC-02)
    report_owed_since: datetime | None = None
    report_overdue: bool = False
    reported_at: datetime | None = None
    reported_by: str | None = None
    report: Confidential | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    review_note: Confidential | None = None

    @property
    def owes_report(self) -> bool:
        return self.report_due_at is not None and self.reported_at is None

    @property
    def awaits_review(self) -> bool:
        return self.reported_at is not None and self.reviewed_at is None


class CreditReport(BaseModel):
    at: datetime
    by: str
    credit_class: CreditClass
    report: Confidential


class CreditAlert(BaseModel):
    """CC-03: an urgent report; the supervisor's instruction settles it."""

    id: str
    at: datetime
    by: str
    report: Confidential
    instructed_at: datetime | None = None
    instructed_by: str | None = None
    instruction: Confidential | None = None


class Survey(BaseModel):
    at: datetime
    by: str
    score: int


class ChangeRequest(BaseModel):
    """CC-08: a change of the working record: who asked, who decided, when."""

    id: str
    fields: dict[str, Confidential]
    reason: Confidential
    requested_by: str
    requested_at: datetime
    status: Decision = Decision.pending
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: Confidential | None = None


class ClockRun(BaseModel):
    """One clock's current run: since when, due when; ``ended`` once it no longer runs."""

    since: datetime
    due: datetime
    ended: ClockOutcome | None = None


class CustomerState(BaseModel):
    """The account as the workflow holds it. Every due time is absolute (it survives a new run)."""

    id: str
    workflow_id: str
    policy: CustomerPolicy
    created_at: datetime
    seq: int = 0
    runs: int = 1
    #: CC-08: as registered; no step ever changes it
    original: CustomerRecord
    working: CustomerRecord
    owner: StaffRef
    owner_chain: list[StaffRef] = Field(default_factory=list)
    department: str
    tier: Tier
    credit_class: CreditClass
    blacklist: BlacklistScope | None = None
    from_project: str | None = None

    deliveries: list[Delivery] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    service_count: int = 0
    last_service_at: datetime | None = None
    last_revisit_at: datetime | None = None
    revisit_lapses: int = 0
    credit_reports: list[CreditReport] = Field(default_factory=list)
    alerts: list[CreditAlert] = Field(default_factory=list)
    alert_count: int = 0
    problem_at: datetime | None = None
    surveys: list[Survey] = Field(default_factory=list)
    last_survey_at: datetime | None = None
    changes: list[ChangeRequest] = Field(default_factory=list)
    change_count: int = 0

    flags: list[Flag] = Field(default_factory=list)
    #: the clocks that run now (or ended), by name: models.customer.clocks
    dues: dict[str, ClockRun] = Field(default_factory=dict)
    #: every run of every clock, accounted (models.clock.reconcile)
    clocks: list[ClockAccount] = Field(default_factory=list)

    @property
    def supervisor(self) -> StaffRef | None:
        """The owner's direct leader: who is told when an obligation is missed."""
        return self.owner_chain[0] if self.owner_chain else None

    @property
    def manager(self) -> StaffRef | None:
        """The first manager (or above) over the owner: CC-08 approves changes, CC-04 hears of a
        downgrade missed."""
        for s in self.owner_chain:
            if s.role in (Role.manager, Role.general_manager):
                return s
        return None


class CustomerInput(CaseInput):
    """Input of CustomerAccountWorkflow. ``state`` is set when the workflow continues as new."""

    id: str
    create: CustomerCreate
    owner: StaffRef
    owner_chain: list[StaffRef] = Field(default_factory=list)
    #: who opened the account (the proof's actor)
    opened_by: StaffRef
    policy: CustomerPolicy
    #: ND-11: the client project that handed this customer over
    from_project: str | None = None
    history_limit: int = Field(2000, ge=10)
    state: CustomerState | None = None

    def acting_staff_id(self) -> str:
        return self.opened_by.id


def account_input(
    customer_id: str,
    create: CustomerCreate,
    opened_by: StaffRef,
    directory: Directory,
    policy: CustomerPolicy,
    from_project: str | None = None,
    history_limit: int | None = None,
) -> CustomerInput:
    """An account's workflow input: its owner (a staff member who serves customers) with the
    leaders above them. ValueError names a field that cannot be."""
    owner = directory.get(create.owner_id)
    if owner is None:
        raise ValueError(f"owner_id: unknown staff {create.owner_id}")
    if owner.role is not Role.staff:
        raise ValueError(f"owner_id: {create.owner_id} is not a staff member who serves customers")
    extra = {"history_limit": history_limit} if history_limit else {}
    return CustomerInput(
        id=customer_id,
        create=create,
        owner=owner.ref,
        owner_chain=directory.chain(owner.id),
        opened_by=opened_by,
        policy=policy,
        from_project=from_project,
        **extra,
    )


class HandOverAccount(BaseModel):
    """ND-11: the account of a client a completed project handed to sales: the project's
    implementer owns it, the project is its first delivery (CC-01)."""

    customer_id: str
    project_id: str
    client_name: Confidential
    product_line: str
    owner_id: str
    delivered_at: datetime


class OpenCheck(BaseModel):
    """Input of the check_customer_start activity: the workflow's input (its proof is checked)
    and when the workflow started."""

    start: CustomerInput
    started_at: datetime


class OpenChecked(BaseModel):
    refusal: str | None = None


# --- queries ------------------------------------------------------------------------------


def utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def months_later(at: datetime, months: int, policy: CustomerPolicy) -> datetime:
    """``at`` plus calendar months on the company's clock (RULES.md), in UTC."""
    return utc(add_months(at, months, policy.timezone))


def revisit_interval(s: CustomerState, at: datetime) -> int:
    """CC-01: monthly while a delivered project is in its first year at ``at``, quarterly after."""
    p = s.policy
    young = any(at < months_later(d.delivered_at, p.revisit_first_period_months, p) for d in s.deliveries)
    return p.revisit_first_year_months if young else p.revisit_later_months


def next_revisit(s: CustomerState, after: datetime) -> datetime:
    """CC-01: when the next revisit is due, counted from ``after`` (a delivery, the last
    revisit, or a revisit missed)."""
    return months_later(after, revisit_interval(s, after), s.policy)


def service(s: CustomerState, service_id: str) -> Service | None:
    for x in s.services:
        if x.id == service_id.upper():
            return x
    return None


def alert(s: CustomerState, alert_id: str) -> CreditAlert | None:
    for a in s.alerts:
        if a.id == alert_id.upper():
            return a
    return None


def change(s: CustomerState, change_id: str) -> ChangeRequest | None:
    for c in s.changes:
        if c.id == change_id.upper():
            return c
    return None


def owed_reports(s: CustomerState) -> list[Service]:
    """CC-02: the services whose report is still owed, the earliest due first."""
    return sorted((x for x in s.services if x.owes_report), key=lambda x: x.report_due_at or x.held_at)


def report_due(s: CustomerState, kind: ServiceKind, held_at: datetime) -> datetime | None:
    """CC-02: a visit's report within 2 days; a revisit's by the end of the next day (the
    company's day); no report for a call or an invitation."""
    if kind not in REPORTED:
        return None
    p = s.policy
    if kind is ServiceKind.visit:
        return p.due("visit_report", held_at, p.visit_report_deadline)
    day = local_date(held_at, p.timezone) + timedelta(days=p.revisit_report_days + 1)
    return utc(datetime.combine(day, time(0), tzinfo=zone(p.timezone)))


def tier_share_refusal(
    counts: TierCounts, old: Tier | None, new: Tier, policy: CustomerPolicy, scope: str
) -> str | None:
    """CC-04: VIP at most ``vip_share_max`` (15 %) and preferred at most ``preferred_share_max``
    (30 %) of a department's customers (``counts``, which do not yet hold the change; ``old``:
    the customer's tier now, None for a new customer). The reason, or None when it fits."""
    total = counts.total + (1 if old is None else 0)
    n = {Tier.vip: counts.vip, Tier.preferred: counts.preferred}
    if old is not None and old in n:
        n[old] -= 1
    if new not in n:
        return None
    n[new] += 1
    cap = policy.vip_share_max if new is Tier.vip else policy.preferred_share_max
    allowed = int((Decimal(total) * cap).to_integral_value(rounding="ROUND_FLOOR"))
    if n[new] > allowed:
        return (
            f"CC-04: {new.value} customers may be at most {cap:.0%} of {scope} ({allowed} of {total}); "
            f"this would make {n[new]}"
        )
    return None


def set_flag(s: CustomerState, flag: Flag, on: bool) -> None:
    if on and flag not in s.flags:
        s.flags.append(flag)
    if not on and flag in s.flags:
        s.flags.remove(flag)


def trim(items: list[Any], keep: int = KEEP) -> None:
    """In place: keep the last ``keep`` entries (the history keeps every one)."""
    del items[: max(len(items) - keep, 0)]


def trim_services(s: CustomerState) -> None:
    """In place: every service still owing a report or a review, and the last few done."""
    done = [x for x in s.services if not x.owes_report and not x.awaits_review]
    old = {x.id for x in done[: max(len(done) - KEEP, 0)]}
    s.services = [x for x in s.services if x.id not in old]


def clock_running(s: CustomerState, clock: Clock) -> datetime | None:
    run = s.dues.get(clock.value)
    return run.due if run is not None and run.ended is None else None
