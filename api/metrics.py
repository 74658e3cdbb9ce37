"""The API's Prometheus metrics (issue 17): requests by route template and status, their
latency, the process's own figures, and the business figures read from the read model at
scrape time (storage/figures.py). GET /metrics (api/routes/metrics.py) serves them; it is not
counted itself.

Each app has its own registry (``create_app`` makes one per app: the tests make many apps in
one process, and a process-wide registry would refuse the second one's instruments)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from api.middleware import ASGIApp, Message, Receive, Scope, Send
from storage.figures import OperationsFigures

#: The path of the endpoint (not counted in the request metrics).
METRICS_PATH = "/metrics"
#: The route label of a request no route matched (404, or refused before routing: 413): one
#: label value, not one per path a client made up.
UNMATCHED = "<unmatched>"
#: The method label's values; any other method a client makes up counts as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Seconds; an intake may wait up to INTAKE_WAIT_SECONDS (15 s) for the worker.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)


class ApiMetrics:
    """One app's instruments, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method and route template",
            ["method", "route"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self, figures: OperationsFigures | None) -> bytes:
        """The text format: the request and process metrics, then the business figures
        (``operations_figures_up 0`` and no figure when the database could not be read)."""
        business = CollectorRegistry()
        business.register(_Figures(figures))
        return generate_latest(self.registry) + generate_latest(business)


class _Figures(Collector):
    def __init__(self, figures: OperationsFigures | None) -> None:
        self.figures = figures

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("operations_figures_up", "1 when the business figures below were read from the database")
        up.add_metric([], 0 if self.figures is None else 1)
        yield up
        if self.figures is None:
            return
        f = self.figures
        yield _gauge("complaints_open", "Complaints not closed, by status", "status", f.complaints_open)
        yield _gauge("client_projects_open", "Client projects not ended, by stage", "stage", f.projects_open)
        yield _gauge("customer_accounts", "Customer accounts, by tier (none: no tier yet)", "tier", f.customer_accounts)
        yield _gauge(
            "case_clocks_breached",
            "Clocks that ran out with their obligation not done yet (case_clock: breached, no fulfilled_at), by clock",
            "clock",
            f.clocks_breached,
        )
        yield _gauge(
            "complaints_escalated",
            "Complaints not closed with an escalation level of 1 or more, by level",
            "level",
            f.complaints_escalated,
        )
        inquiries = GaugeMetricFamily("inquiries_open", "Inquiries waiting for their answer (CC-06)")
        inquiries.add_metric([], f.inquiries_open)
        yield inquiries
        deliveries = GaugeMetricFamily(
            "deliveries",
            "E-mails and webhook calls by channel and status (failed: needs an operator)",
            labels=["channel", "status"],
        )
        for (channel, status), n in sorted(f.deliveries.items()):
            deliveries.add_metric([channel, status], n)
        yield deliveries


def _gauge(name: str, documentation: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation, labels=[label])
    for value, n in sorted(values.items()):
        gauge.add_metric([value], n)
    return gauge


class RequestMetrics:
    """ASGI middleware counting each HTTP request by method, route template (``/complaints/{id}``,
    never the concrete path) and status, and observing its latency. GET /metrics is not
    counted."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def counted_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counted_send)
        finally:
            # the router writes the matched route into the request's scope
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.observe(method, route, status, time.perf_counter() - started)
