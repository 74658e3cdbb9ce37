"""The complaint analysis (CP-18) in the console: a period's figures with their comparison to
the period before, its charts, and producing it anew; for those the API lets read it
(customer-service supervisors, managers and the general manager)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ResourcesDep, SessionDep, TemporalDep, report_reader
from api.routes import reports as api
from console.render import page
from console.session import ConsoleStaff, CsrfChecked, SessionCookie
from models.report import headline

router = APIRouter()

Period = Annotated[str | None, Query(max_length=10, description="an ISO week (2026-W48) or a month (2026-11)")]


def _this_month(res: ResourcesDep) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(res.complaint_policy().timezone)).strftime("%Y-%m")


@router.get("/reports", response_class=HTMLResponse)
async def reports(
    request: Request,
    staff: ConsoleStaff,
    session: SessionCookie,
    res: ResourcesDep,
    db: SessionDep,
    period: Period = None,
) -> Response:
    report_reader(staff)  # CP-18: 403 for anyone else, as the API
    name = period or _this_month(res)
    try:
        report = await api.get_complaint_report(staff, res, db, name, None, api.Format.json)
    except HTTPException as e:
        if e.status_code != 404:
            raise
        report = None
    return page(
        request,
        "reports.html",
        session,
        staff,
        period=name,
        report=report,
        headline=headline(report.figures) if report else {},
        before=headline(report.previous) if report else {},
    )


@router.get("/reports/{period}/chart.svg")
async def chart(period: str, staff: ConsoleStaff, res: ResourcesDep, db: SessionDep) -> Response:
    return await api.complaint_report_chart(report_reader(staff), res, db, period, None)


@router.post("/reports")
async def produce(
    staff: ConsoleStaff,
    res: ResourcesDep,
    db: SessionDep,
    client: TemporalDep,
    _csrf: CsrfChecked,
    period: Annotated[str, Form(max_length=10)],
) -> Response:
    """A new version of the period's analysis now, as POST /reports/complaints."""
    await api.produce_complaint_report(report_reader(staff), res, db, client, period)
    return RedirectResponse(f"/console/reports?period={period}", status_code=303)
