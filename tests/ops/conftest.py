"""Fixtures of the operations tests (issue 17): one in-memory span exporter for the process,
a free port, the settings of an app and a worker on the session's dev server."""

from __future__ import annotations

import json
import re
import socket
import uuid
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.testing import WorkflowEnvironment

from config import ROOT, Settings
from tests.conftest import TEST_PAYLOAD_KEY

_exporter = InMemorySpanExporter()
_attached: list[TracerProvider] = []


@pytest.fixture(scope="module")
def task_queue() -> str:
    return f"tq-ops-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def staff_file() -> Path:
    return ROOT / "data" / "staff.json"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """Every span the process ends from now on, kept in memory. The global tracer provider
    can be set once per process: the first use installs one that exports here (what
    OTEL_TRACES_EXPORTER would choose in production, infra.telemetry.configure_tracing)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if provider not in _attached:
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        _attached.append(provider)
    _exporter.clear()
    return _exporter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_on(env: WorkflowEnvironment, database_url: str, task_queue: str, **overrides: object) -> Settings:
    """The settings of a process connecting to ``env``'s server by itself (infra.temporal.connect),
    as the worker and the API do in production."""
    return Settings(
        database_url=database_url,
        task_queue=task_queue,
        staff_file=ROOT / "data" / "staff.json",
        temporal_address=env.client.service_client.config.target_host,
        payload_key=TEST_PAYLOAD_KEY,
        **overrides,  # type: ignore[arg-type]
    )


def dashboard_metrics() -> set[str]:
    """The metric names the queries of docs/grafana-dashboard.json read (label names, label
    matchers and functions left out)."""
    names: set[str] = set()
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = re.sub(r"\b(by|without)\s*\([^)]*\)|\{[^}]*\}|\[[^\]]*\]", " ", target["expr"])
            names |= {w for w in re.findall(r"[a-z][a-z0-9_]*", expr) if "_" in w and w != "histogram_quantile"}
    return names
