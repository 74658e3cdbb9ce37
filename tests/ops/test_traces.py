"""Issue 17, traces: with tracing on, one trace goes from the API's POST /complaints through
the Temporal client (infra.temporal.connect puts the SDK's TracingInterceptor on it) to the
workflow and the intake's database write on the worker (made from that client); and a log
line written inside a span carries its trace id."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from config import Settings
from infra.bootstrap import Resources
from infra.logs import log_processors
from infra.telemetry import span_exporters, tracing_enabled, tracing_interceptors
from tests.api.test_complaints_api import complaint_body, key
from tests.ops.conftest import settings_on
from worker import build_worker, worker_interceptors


async def _spans_named(spans: InMemorySpanExporter, names: set[str], timeout: float = 10) -> list[ReadableSpan]:
    for _ in range(int(timeout * 10)):
        finished = list(spans.get_finished_spans())
        if names <= {s.name for s in finished}:
            return finished
        await asyncio.sleep(0.1)
    raise AssertionError(f"missing spans {names - {s.name for s in spans.get_finished_spans()}}")


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """What the production processor chain (infra.logs.log_processors) makes of every structlog
    line of this test, as the JSON events it would render."""
    lines: list[dict[str, Any]] = []
    # a module's logger cached on first use keeps the chain it was built with: fresh ones here
    for module in list(sys.modules.values()):
        if isinstance(getattr(module, "log", None), structlog._config.BoundLoggerLazyProxy):
            monkeypatch.setattr(module, "log", structlog.get_logger())

    def capture(_: object, __: str, event: dict[str, Any]) -> dict[str, Any]:
        lines.append(json.loads(json.dumps(event, default=str)))
        raise structlog.DropEvent

    old = structlog.get_config()
    structlog.configure(
        processors=[*log_processors(Settings(log_json=True))[:-1], capture],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    )
    try:
        yield lines
    finally:
        structlog.configure(**old)


async def test_one_trace_from_post_complaints_to_the_intakes_database_write(
    dev_env: WorkflowEnvironment,
    database_url: str,
    task_queue: str,
    staff_file: Path,
    spans: InMemorySpanExporter,
    log_lines: list[dict[str, Any]],
) -> None:
    settings = settings_on(dev_env, database_url, task_queue, otel_traces_exporter="otlp")
    async with Resources(settings) as resources:
        client = await resources.temporal()  # infra.temporal.connect: the tracing interceptor is on it
        assert any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"])
        async with build_worker(resources, client):
            app = create_app(settings, client=client)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=60) as api:
                    r = await api.post("/complaints", json=complaint_body(), headers=key("cs-1"))
                    assert r.status_code == 201, r.text
    workflow_id = r.json()["workflow_id"]
    server = "POST /complaints"  # the API's server span (FastAPI instrumentation)
    start = "StartUpdateWithStartWorkflow:ComplaintWorkflow"  # the Temporal client's call
    run = "RunWorkflow:ComplaintWorkflow"  # the workflow, on the worker
    update = "HandleUpdate:registered_case"  # the update the intake waits for
    schedule = "StartActivity:record_complaint_step"  # the workflow schedules the write
    write = "RunActivity:record_complaint_step"  # the intake's database write
    finished = await _spans_named(spans, {server, start, run, update, schedule, write})
    by_name = {s.name: s for s in finished}
    trace_id = by_name[server].context.trace_id
    for name in (start, run, update, schedule, write):
        assert by_name[name].context.trace_id == trace_id, f"{name} is not in the request's trace"
    parent = by_name[start].parent
    assert parent is not None and parent.span_id == by_name[server].context.span_id
    attributes = by_name[run].attributes or {}
    assert attributes.get("temporalWorkflowID") == workflow_id
    # the write's log line carries the trace id, as a tracing backend shows it
    step_lines = [line for line in log_lines if line["event"] == "case_step" and line.get("case") == workflow_id]
    assert step_lines, log_lines
    assert {line.get("trace_id") for line in step_lines} == {format(trace_id, "032x")}


def test_a_log_line_inside_a_span_carries_its_trace_id(spans: InMemorySpanExporter) -> None:
    out = io.StringIO()
    log = structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=log_processors(Settings(log_json=True)),
        wrapper_class=structlog.BoundLogger,
    )
    log.info("outside")
    with trace.get_tracer(__name__).start_as_current_span("request") as span:
        log.info("inside")
    outside, inside = (json.loads(line) for line in out.getvalue().splitlines())
    context = span.get_span_context()
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert "trace_id" not in outside and "span_id" not in outside


def test_tracing_is_off_by_default_no_interceptor_no_instrumentation(database_url: str) -> None:
    """OTEL_TRACES_EXPORTER defaults to none: no tracing interceptor on a client connect
    makes, no server spans in the API (no overhead)."""
    assert Settings.model_fields["otel_traces_exporter"].default == "none"
    settings = Settings(database_url=database_url, otel_traces_exporter="none")
    assert not tracing_enabled(settings) and tracing_interceptors(settings) == []
    assert not getattr(create_app(settings), "_is_instrumented_by_opentelemetry", False)
    on = Settings(database_url=database_url, otel_traces_exporter="otlp")
    assert getattr(create_app(on), "_is_instrumented_by_opentelemetry", False)


def test_otel_traces_exporter_names_its_exporters_and_refuses_an_unknown_one() -> None:
    def names(value: str) -> list[str]:
        return [type(e).__name__ for e in span_exporters(Settings(otel_traces_exporter=value))]

    assert names("none") == [] and names("") == []
    assert names("console") == ["ConsoleSpanExporter"]
    assert names("otlp, console") == ["OTLPSpanExporter", "ConsoleSpanExporter"]
    with pytest.raises(ValueError, match="expected otlp, console or none"):
        span_exporters(Settings(otel_traces_exporter="jaeger"))


def test_a_worker_on_a_client_without_the_interceptor_still_traces(dev_env: WorkflowEnvironment) -> None:
    """The tests' clients (and any client given to the worker) carry no tracing interceptor:
    with tracing on the worker adds its own; on a client from connect it adds none (the
    worker takes the client's)."""
    on = Settings(otel_traces_exporter="otlp")
    added = worker_interceptors(on, dev_env.client)
    assert [type(i) for i in added] == [TracingInterceptor]
    assert worker_interceptors(Settings(otel_traces_exporter="none"), dev_env.client) == []
    traced = Client(**{**dev_env.client.config(), "interceptors": [TracingInterceptor()]})
    assert worker_interceptors(on, traced) == []
