"""The one assembler of the API: every router, the middlewares, the exception handlers, and
a lifespan that opens the process's Resources (infra/bootstrap.py) and closes them. Its
OpenAPI at /openapi.json is the reference.

``python -m api`` (``make api``) serves it with uvicorn.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from temporalio.client import Client

from api.errors import add_exception_handlers
from api.metrics import ApiMetrics, RequestMetrics
from api.middleware import BodyLimit
from api.routes import (
    care,
    complaints,
    customers,
    deliveries,
    health,
    inbox,
    inquiries,
    metrics,
    projects,
    reports,
    rewards,
)
from config import Settings, get_settings
from infra.bootstrap import Resources
from infra.logs import configure_logging
from infra.process import settle_heap
from infra.telemetry import configure_tracing, tracing_enabled
from models.staff import Directory

#: How long a request waits for an unreachable Temporal before answering 503.
TEMPORAL_CONNECT_TIMEOUT = 5.0


def create_app(
    settings: Settings | None = None,
    client: Client | None = None,
    directory: Directory | None = None,
    intake_wait_seconds: float | None = None,
) -> FastAPI:
    """The API. ``client`` and ``directory`` replace the ones the lifespan would make (tests);
    ``intake_wait_seconds`` replaces INTAKE_WAIT_SECONDS."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with Resources(
            settings, client=client, directory=directory, temporal_timeout=TEMPORAL_CONNECT_TIMEOUT
        ) as resources:
            app.state.resources = resources
            yield

    app = FastAPI(
        title="Customer department workflows",
        version="0.1.0",
        description="Complaints as durable Temporal workflows. Every request carries X-API-Key.",
        lifespan=lifespan,
    )
    app.state.intake_wait_seconds = settings.intake_wait_seconds if intake_wait_seconds is None else intake_wait_seconds
    app.include_router(complaints.router)
    app.include_router(inbox.router)
    app.include_router(health.router)
    app.include_router(projects.router)
    app.include_router(rewards.router)
    app.include_router(inquiries.router)
    app.include_router(reports.router)
    app.include_router(customers.router)
    app.include_router(care.router)
    app.include_router(deliveries.router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.api_metrics:
        app.state.metrics = ApiMetrics()
        app.include_router(metrics.router)
        # outside the body limit: a 413 is counted too
        app.add_middleware(RequestMetrics, metrics=app.state.metrics)
    if tracing_enabled(settings):
        # a server span per request (its name: the method and the route template), the
        # current span of everything the request does, the Temporal client's calls included
        FastAPIInstrumentor.instrument_app(app, excluded_urls="/metrics,/health", exclude_spans=["receive", "send"])
    add_exception_handlers(app)
    return app


def main(factory: Callable[[Settings], FastAPI] = create_app) -> None:
    """Serve ``factory``'s app with uvicorn (``python -m console`` passes the API with the
    console)."""
    settings = get_settings()
    configure_logging(settings)
    configure_tracing(settings, "customer-workflows-api")
    app = factory(settings)
    settle_heap(settings)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="warning")


if __name__ == "__main__":
    main()
