"""Customer accounts (issue 16: CC-01 … CC-08).

Every customer has an account, a workflow (``customer-<id>``) that keeps its calendar; reads
come from the ``customer`` rows its activities keep, and people's steps go to the workflow as
Temporal updates whose validators refuse what is not allowed before anything is written. Who
sees a customer: its owner, the owner's leaders, and its department's supervisors and managers.
"""

from datetime import datetime
from typing import Annotated, Any
from weakref import WeakKeyDictionary

import structlog
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentStaff, IntakeDep, Offset, ResourcesDep, SessionDep
from api.errors import ERRORS
from api.schemas import ClockOut, EventOut, Problem, Unprocessable
from api.step_routes import StepRoutes
from api.steps import HumanStep, Intake, clocks_of, history_of
from models.customer.guards import OFFICER_ROLES, may_see_customer
from models.customer.messages import CustomerCreate, TierCounts
from models.customer.state import tier_share_refusal
from models.customer.steps import STEPS
from models.customer.views import CustomerView
from models.customer.vocabulary import CreditClass, CustomerStep, Flag, Tier
from models.staff import Staff
from starter.intake import CUSTOMER, customer_input, new_case_id
from storage import tables as t
from workflows.customer import CustomerAccountWorkflow, customer_workflow_id

log = structlog.get_logger()

CUSTOMER_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": Problem, "description": "not a customer of yours, or not your step"},
    404: {"model": Problem, "description": "no such customer account"},
    422: {"model": Unprocessable, "description": "bad input: the field and the problem are named"},
}
LOCATION = {"Location": {"description": "where to read what was created", "schema": {"type": "string"}}}

router = APIRouter(prefix="/customers", tags=["customers"])


class CustomerAccepted(BaseModel):
    id: str
    workflow_id: str


# --- reads --------------------------------------------------------------------------------


async def _leaders(db: AsyncSession, row: t.Customer) -> list[str]:
    rows = await db.scalars(select(t.CaseViewer.staff_id).where(t.CaseViewer.case_ref == row.workflow_id))
    return [sid for sid in rows if sid != row.owner_id]


async def _visible_customer(
    db: AsyncSession, customer_id: str, staff: Staff, marketing: str, step: CustomerStep | None = None
) -> t.Customer:
    row = await db.get(t.Customer, customer_id)
    if row is None or row.workflow_id is None or row.owner_id is None:
        raise HTTPException(404, f"customer {customer_id} has no account")
    if not may_see_customer(staff.ref, row.owner_id, await _leaders(db, row), row.department, marketing, step):
        raise HTTPException(
            403,
            "a customer is visible to its owner, the owner's leaders and its department's supervisors and managers",
        )
    return row


async def tier_counts(db: AsyncSession, department: str, product_line: str | None = None) -> TierCounts:
    """CC-04: a department's customers by tier (of one product line, when given)."""
    q = select(t.Customer.tier, func.count()).where(
        t.Customer.department == department, t.Customer.workflow_id.is_not(None)
    )
    if product_line is not None:
        q = q.where(t.Customer.product_line == product_line)
    counts = {tier: n for tier, n in (await db.execute(q.group_by(t.Customer.tier))).all()}
    return TierCounts(
        total=sum(counts.values()), vip=counts.get(Tier.vip.value, 0), preferred=counts.get(Tier.preferred.value, 0)
    )


@router.post(
    "",
    status_code=201,
    response_model=CustomerView,
    responses={
        **CUSTOMER_ERRORS,
        201: {"description": "the account, its clocks armed", "headers": LOCATION},
        202: {"model": CustomerAccepted, "description": "accepted; the account opens as soon as a worker runs"},
        409: {"model": Problem, "description": "CC-04: the tier's share is full; or the customer exists already"},
    },
    summary="Open a customer's account: its owner, tier, credit class and delivered projects (CC-01 … CC-08)",
)
async def create_customer(body: CustomerCreate, intake: IntakeDep, db: SessionDep) -> Any:
    async def open_account() -> Any:
        cid = intake.idem.new_id(lambda: new_case_id(timezone=intake.resources.customer_policy().timezone))
        return await _open(body, intake, db, cid)

    return await intake.idem.answer(201, open_account, location=lambda c: f"/customers/{c['id']}")


async def _open(body: CustomerCreate, intake: Intake, db: AsyncSession, cid: str) -> Any:
    res, staff = intake.resources, intake.staff
    policy = res.customer_policy()
    try:
        inp = customer_input(cid, body, staff, res.directory, policy)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    leaders = [x.id for x in inp.owner_chain]
    if not may_see_customer(staff.ref, inp.owner.id, leaders, inp.owner.department, policy.marketing_department):
        raise HTTPException(403, "open accounts for your own customers, or as a supervisor of the owner's department")
    same = await db.scalar(
        select(t.Customer.id).where(func.lower(func.trim(t.Customer.name)) == body.name.strip().lower()).limit(1)
    )
    if same is not None:
        raise HTTPException(409, f"{body.name} is a customer already ({same})")
    counts = await tier_counts(db, inp.owner.department)
    reason = tier_share_refusal(counts, None, body.tier, policy, f"department {inp.owner.department}'s customers")
    if reason is None and body.product_line:
        line = await tier_counts(db, inp.owner.department, body.product_line)
        reason = tier_share_refusal(
            line, None, body.tier, policy, f"the {body.product_line} customers of the department"
        )
    if reason is not None:
        raise HTTPException(409, reason)
    await db.close()
    view = await intake.registered(CUSTOMER, inp, {"id": cid, "workflow_id": customer_workflow_id(cid)})
    if isinstance(view, JSONResponse):
        return view
    log.info("customer_opened", customer=cid, owner=inp.owner.id, by=staff.id)
    return view


@router.get("", response_model=list[CustomerView], responses=CUSTOMER_ERRORS, summary="List the customers you may see")
async def list_customers(
    staff: CurrentStaff,
    db: SessionDep,
    department: str | None = None,
    owner_id: str | None = None,
    tier: Tier | None = None,
    credit_class: CreditClass | None = None,
    blacklisted: bool | None = None,
    flag: Flag | None = None,
    due_before: Annotated[datetime | None, Query(description="next due time at or before this (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Any:
    c = t.Customer
    named = exists().where(t.CaseViewer.case_ref == c.workflow_id, t.CaseViewer.staff_id == staff.id)
    mine = or_(named, c.department == staff.department) if staff.role in OFFICER_ROLES else named
    q = select(c.view).where(c.workflow_id.is_not(None), mine)
    if department is not None:
        q = q.where(c.department == department)
    if owner_id is not None:
        q = q.where(c.owner_id == owner_id)
    if tier is not None:
        q = q.where(c.tier == tier.value)
    if credit_class is not None:
        q = q.where(c.credit_class == credit_class.value)
    if blacklisted is not None:
        q = q.where(c.blacklist.is_not(None) if blacklisted else c.blacklist.is_(None))
    if flag is not None:
        escaped = flag.value.replace("_", "\\_")
        q = q.where(cast(c.flags, String).like(f'%"{escaped}"%', escape="\\"))
    if due_before is not None:
        q = q.where(c.next_due_at <= due_before)
    rows = await db.scalars(q.order_by(c.next_due_at.is_(None), c.next_due_at, c.id).limit(limit).offset(offset))
    return list(rows)


@router.get(
    "/{customer_id}", response_model=CustomerView, responses=CUSTOMER_ERRORS, summary="The account as it is now"
)
async def get_customer(customer_id: str, staff: CurrentStaff, db: SessionDep, res: ResourcesDep) -> Any:
    return (await _visible_customer(db, customer_id, staff, res.customer_policy().marketing_department)).view


@router.get(
    "/{customer_id}/history",
    response_model=list[EventOut],
    responses=CUSTOMER_ERRORS,
    summary="Every event, in order: services, reports, credit, tiers, and every change of the record "
    "with who asked, who decided and when (CC-08)",
)
async def customer_history(customer_id: str, staff: CurrentStaff, db: SessionDep, res: ResourcesDep) -> Any:
    row = await _visible_customer(db, customer_id, staff, res.customer_policy().marketing_department)
    return await history_of(db, _Case(row))


@router.get(
    "/{customer_id}/clocks",
    response_model=list[ClockOut],
    responses=CUSTOMER_ERRORS,
    summary="Every run of every clock of the account: due, reminders, met or missed, lateness",
)
async def customer_clocks(customer_id: str, staff: CurrentStaff, db: SessionDep, res: ResourcesDep) -> Any:
    row = await _visible_customer(db, customer_id, staff, res.customer_policy().marketing_department)
    return await clocks_of(db, _Case(row))


class _Case:
    """A customer row as a case (its workflow id is set once it has an account)."""

    def __init__(self, row: t.Customer) -> None:
        assert row.workflow_id is not None
        self.workflow_id: str = row.workflow_id


# --- human steps --------------------------------------------------------------------------

#: CC-04: the department's counts by tier, read while the case is looked up (the step's input is
#: built after the database session is given back)
_COUNTS: WeakKeyDictionary[HumanStep, tuple[TierCounts, TierCounts | None]] = WeakKeyDictionary()


async def _open_customer(human: HumanStep, customer_id: str, step: CustomerStep) -> _Case:
    marketing = human.resources.customer_policy().marketing_department
    row = await _visible_customer(human.db, customer_id, human.staff, marketing, step)
    if step is CustomerStep.change_tier and row.department is not None:
        line = await tier_counts(human.db, row.department, row.product_line) if row.product_line else None
        _COUNTS[human] = (await tier_counts(human.db, row.department), line)
    return _Case(row)


def _step_input(human: HumanStep, step: CustomerStep, body: BaseModel, extra: dict[str, Any]) -> BaseModel:
    """The step's typed update input: CC-05 the new owner and their leaders; CC-04 the counts."""
    fields: dict[str, Any] = {"actor": human.staff.ref, "body": body}
    if step is CustomerStep.reassign:
        owner_id = getattr(body, "owner_id", "")
        owner = human.resources.directory.get(owner_id)
        if owner is None:
            raise HTTPException(422, f"owner_id: unknown staff {owner_id}")
        fields |= {"new_owner": owner.ref, "new_owner_chain": human.resources.directory.chain(owner.id)}
    if step is CustomerStep.change_tier and human in _COUNTS:
        fields["counts"], fields["line_counts"] = _COUNTS.pop(human)
    return STEPS[step].input(**fields)


STEP_ROUTES = StepRoutes(
    router,
    STEPS,
    CustomerAccountWorkflow,
    "customer_id",
    "customer",
    CUSTOMER_ERRORS,
    _open_customer,
    _step_input,
    closed="the account is closed",
)
STEP_ROUTES.add(
    [
        (
            CustomerStep.record_service,
            "services",
            "Record a service: an invitation, a visit, a call or a revisit (CC-05, CC-01, CC-02)",
        ),
        (
            CustomerStep.visit_report,
            "reports",
            "The report of a visit (within 2 days) or a revisit (by the next day) (CC-02)",
        ),
        (CustomerStep.review_report, "reports/review", "The supervisor accepts a report or sends it back (CC-02)"),
        (
            CustomerStep.record_delivery,
            "deliveries",
            "A project delivered: monthly revisits in its first year, quarterly after (CC-01)",
        ),
        (
            CustomerStep.credit_report,
            "credit-reports",
            "A credit report: A six-monthly, B quarterly, C and D monthly (CC-03)",
        ),
        (
            CustomerStep.credit_alert,
            "credit-alerts",
            "An urgent report of a sudden change of credit, to the supervisor at once (CC-03)",
        ),
        (
            CustomerStep.credit_instruction,
            "credit-alerts/instruction",
            "The supervisor's instruction on an urgent report (CC-03)",
        ),
        (
            CustomerStep.change_tier,
            "tier",
            "Change the tier: VIP at most 15 %, preferred at most 30 % of the department's (CC-04)",
        ),
        (CustomerStep.report_problem, "problems", "A VIP's problem: it is downgraded within 5 days (CC-04)"),
        (
            CustomerStep.blacklist,
            "blacklist",
            "Put the customer on the department's or the company's blacklist: no business (CC-04)",
        ),
        (CustomerStep.lift_blacklist, "blacklist/lift", "Take the customer off its blacklist (CC-04)"),
        (CustomerStep.reassign, "reassign", "Give a customer nobody served for 3 months to another owner (CC-05)"),
        (CustomerStep.survey, "surveys", "Record a satisfaction survey, at least one a year (CC-07)"),
        (CustomerStep.request_change, "changes", "Ask to change the working record; a manager decides (CC-08)"),
        (
            CustomerStep.decide_change,
            "changes/decision",
            "A manager approves or refuses a change of the record (CC-08)",
        ),
    ]
)
