"""CP-18 (issue 15): the complaint analysis: read a period's report (JSON, CSV, charts) or
produce a new version on demand. Customer-service supervisors, managers and the general
manager only (api.deps.ReportReader)."""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from api.deps import ReportReader, ResourcesDep, SessionDep, TemporalDep
from api.errors import ERRORS
from models.report import ComplaintReport, Period, ReportInput, report_csv, report_workflow_id
from models.report_chart import report_svg
from storage.reports import load_report
from workflows.report import ComplaintReportWorkflow

router = APIRouter(prefix="/reports", tags=["reports"])

PeriodQuery = Annotated[str, Query(description="an ISO week (2026-W48) or a month (2026-11), company time")]


class Format(StrEnum):
    json = "json"
    csv = "csv"


def _period(res: ResourcesDep, name: str) -> Period:
    try:
        return Period.parse(name, res.complaint_policy().timezone)
    except ValueError as e:
        raise HTTPException(422, f"CP-18: {e}") from None


async def _stored(db: SessionDep, period: str, version: int | None) -> ComplaintReport:
    conn = await db.connection()
    report = await load_report(conn, period, version)
    if report is None:
        what = f"version {version} of " if version is not None else ""
        raise HTTPException(
            404, f"no {what}complaint report of {period} yet (POST /reports/complaints?period={period})"
        )
    return report


@router.get(
    "/complaints",
    response_model=ComplaintReport,
    responses={**ERRORS, 200: {"content": {"text/csv": {}}}},
    summary="A period's complaint analysis, the latest version (CP-18); format=csv for CSV",
)
async def get_complaint_report(
    _: ReportReader,
    res: ResourcesDep,
    db: SessionDep,
    period: PeriodQuery,
    version: Annotated[int | None, Query(ge=1)] = None,
    format: Format = Format.json,
) -> Any:
    p = _period(res, period)
    report = await _stored(db, p.name, version)
    if format is Format.csv:
        return Response(
            report_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="complaints-{p.name}-v{report.version}.csv"'},
        )
    return report


@router.post(
    "/complaints",
    status_code=201,
    response_model=ComplaintReport,
    responses=ERRORS,
    summary="Produce a period's complaint analysis now: a new version (CP-18)",
)
async def produce_complaint_report(
    staff: ReportReader, res: ResourcesDep, db: SessionDep, client: TemporalDep, period: PeriodQuery
) -> Any:
    p = _period(res, period)
    # one workflow per period: a request while one runs attaches to it; a later one is a new version
    handle = await client.start_workflow(
        ComplaintReportWorkflow.run,
        ReportInput(period=p.name, timezone=p.timezone, requested_by=staff.id),
        id=report_workflow_id(p.name),
        task_queue=res.settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    produced = await handle.result()
    return await _stored(db, p.name, produced.version)


@router.get(
    "/complaints/{period}/chart.svg",
    responses={**ERRORS, 200: {"content": {"image/svg+xml": {}}}},
    response_class=Response,
    summary="The charts of a period's complaint analysis, as SVG (CP-18)",
)
async def complaint_report_chart(
    _: ReportReader, res: ResourcesDep, db: SessionDep, period: str, version: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    p = _period(res, period)
    return Response(report_svg(await _stored(db, p.name, version)), media_type="image/svg+xml")
