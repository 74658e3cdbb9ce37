"""What a process tells its operators besides its logs (issue 17): the Temporal SDK's own
metrics through the runtime's Prometheus exporter, and OpenTelemetry traces.

- **SDK metrics**: :func:`sdk_runtime` makes the process's one ``temporalio.runtime.Runtime``
  whose telemetry serves the SDK's metrics (``temporal_*``: workflow and activity task
  latencies, slots, polls, requests) in the Prometheus text format on
  ``WORKER_METRICS_HOST:WORKER_METRICS_PORT``. Only the worker asks for it (through its
  ``Resources``), and only when the port is set; every other process keeps the SDK's default
  runtime.
- **Traces**: :func:`configure_tracing` installs the global tracer provider from the standard
  ``OTEL_*`` variables (``OTEL_TRACES_EXPORTER=otlp|console|none``, default ``none``: no
  provider, no interceptor, no instrumentation, no overhead; ``OTEL_SERVICE_NAME``,
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` … read by the SDK itself). :func:`tracing_interceptors` is
  the Temporal SDK's ``TracingInterceptor``, which infra.temporal.connect puts on every client
  when tracing is on: it traces the client's calls and, on a worker made from that client, the
  workflows and activities, carrying the context through Temporal's headers.
"""

from __future__ import annotations

import os
import threading

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from config import Settings

#: The runtimes this process made, by bind address (a Runtime binds its port once: a second
#: one on the same address would fail, so the process keeps one).
_runtimes: dict[str, Runtime] = {}
_lock = threading.Lock()
_tracing_configured = False


def sdk_metrics_address(settings: Settings) -> str | None:
    """``host:port`` the worker serves the SDK's metrics on, or None (``WORKER_METRICS_PORT``
    unset or 0)."""
    if not settings.worker_metrics_port:
        return None
    return f"{settings.worker_metrics_host}:{settings.worker_metrics_port}"


def sdk_runtime(settings: Settings) -> Runtime | None:
    """The process's Temporal runtime serving the SDK's metrics in the Prometheus format, made
    once per process and address; None when ``WORKER_METRICS_PORT`` is off (the SDK's default
    runtime is used)."""
    address = sdk_metrics_address(settings)
    if address is None:
        return None
    with _lock:
        runtime = _runtimes.get(address)
        if runtime is None:
            try:
                runtime = Runtime(
                    telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address, durations_as_seconds=True))
                )
            except Exception as e:  # noqa: BLE001 - the port is taken: run on, without these metrics
                structlog.get_logger().warning("sdk_metrics_unavailable", address=address, error=str(e))
                return None
            _runtimes[address] = runtime
        return runtime


def _exporter_names(settings: Settings) -> list[str]:
    """``OTEL_TRACES_EXPORTER`` as the specification reads it: a comma-separated list."""
    names = [n.strip().lower() for n in settings.otel_traces_exporter.split(",")]
    return [n for n in names if n and n != "none"]


def tracing_enabled(settings: Settings) -> bool:
    """Whether this process traces (``OTEL_TRACES_EXPORTER`` names an exporter, not ``none``)."""
    return bool(_exporter_names(settings))


def tracing_interceptors(settings: Settings) -> list[Interceptor]:
    """The Temporal SDK's tracing interceptor when tracing is on (client and worker alike: a
    worker made from a client with it traces its workflows and activities)."""
    return [TracingInterceptor()] if tracing_enabled(settings) else []


def span_exporters(settings: Settings) -> list[SpanExporter]:
    """The exporters ``OTEL_TRACES_EXPORTER`` names: ``otlp`` (OTLP over HTTP/protobuf,
    configured by ``OTEL_EXPORTER_OTLP_*``: endpoint, default ``http://localhost:4318``,
    headers, timeout, compression) and ``console``; ValueError for any other name."""
    exporters: list[SpanExporter] = []
    for name in _exporter_names(settings):
        if name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            # imported only when asked for (protobuf and an HTTP client are not free to import)
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER={settings.otel_traces_exporter!r}: expected otlp, console or none")
    return exporters


def configure_tracing(settings: Settings, service_name: str) -> None:
    """The global tracer provider from ``OTEL_*``, once per process, exporting each span in
    batches to :func:`span_exporters`; nothing at all when ``OTEL_TRACES_EXPORTER`` is
    ``none``. ``OTEL_SERVICE_NAME`` (and ``OTEL_RESOURCE_ATTRIBUTES``) override
    ``service_name``."""
    global _tracing_configured
    if _tracing_configured or not tracing_enabled(settings):
        return
    exporters = span_exporters(settings)
    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the given name is the default
    named = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": service_name}
    provider = TracerProvider(resource=Resource.create(named))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _tracing_configured = True
