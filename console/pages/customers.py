"""Customer accounts in the console (CC rules): the accounts the caller may see, soonest due
first, and an account's page with its cadences and only the caller's actions (the API's
visibility, through its own functions)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Offset, SessionDep
from api.routes import customers as api
from console.cases import Family, add_case_routes
from console.render import PAGE_SIZE, page
from console.session import ConsoleStaff, SessionCookie
from models.customer.vocabulary import Flag, Tier

router = APIRouter()

CUSTOMERS = Family(
    prefix="customers",
    template="customer.html",
    steps=api.STEP_ROUTES,
    paths=api.STEP_ROUTES.paths,
    row=lambda db, cid, staff, res: api._visible_customer(db, cid, staff, res.customer_policy().marketing_department),
    history=lambda db, cid, staff, res: api.customer_history(cid, staff, db, res),
    clocks=lambda db, cid, staff, res: api.customer_clocks(cid, staff, db, res),
    closed=lambda view: False,  # an account never ends (it continues as new)
    timezone=lambda res: res.customer_policy().timezone,
)


@router.get("/customers", response_class=HTMLResponse)
async def customers(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    db: SessionDep,
    tier: Tier | None = None,
    flag: Flag | None = None,
    offset: Offset = 0,
) -> Response:
    rows = await api.list_customers(
        staff,
        db,
        department=None,
        owner_id=None,
        tier=tier,
        credit_class=None,
        blacklisted=None,
        flag=flag,
        due_before=None,
        limit=PAGE_SIZE + 1,
        offset=offset,
    )
    return page(
        request,
        "customers.html",
        session,
        staff,
        customers=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        offset=offset,
        tier=tier,
        flag=flag,
        tiers=[x.value for x in Tier],
        flags=[f.value for f in Flag],
    )


add_case_routes(router, CUSTOMERS)  # after the more specific routes above
