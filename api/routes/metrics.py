"""GET /metrics: the Prometheus text format (api/metrics.py), without an API key.

Why no key: Prometheus scrapes with no credentials of the staff, and what it reads here is
aggregate (counts by route, status, stage, tier, clock), never a case, a name or a phone. The
route is left out of the OpenAPI document (it is not part of the API's contract); an operator
who does not want it served sets ``API_METRICS=false``, and a deployment keeps it on the
internal network as it does the worker's metrics port."""

import asyncio

import structlog
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import ResourcesDep
from api.metrics import METRICS_PATH, ApiMetrics
from storage.figures import OperationsFigures, operations_figures

router = APIRouter()
log = structlog.get_logger()

#: A scrape waits this long for the database before answering without the business figures.
FIGURES_TIMEOUT = 5.0


@router.get(METRICS_PATH, include_in_schema=False)
async def metrics(request: Request, res: ResourcesDep) -> Response:
    figures: OperationsFigures | None
    try:
        figures = await asyncio.wait_for(operations_figures(res.engine), timeout=FIGURES_TIMEOUT)
    except Exception as e:  # noqa: BLE001 - the request metrics are served even when the database is not
        log.warning("metrics_figures_unavailable", error=type(e).__name__)
        figures = None
    api_metrics: ApiMetrics = request.app.state.metrics
    return Response(api_metrics.render(figures), media_type=CONTENT_TYPE_LATEST)
