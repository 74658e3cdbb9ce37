"""Issue 17, metrics: the worker serves the Temporal SDK's own metrics (``temporal_*``) in the
Prometheus text format on WORKER_METRICS_PORT, through the one Temporal runtime its
Resources made (infra.telemetry.sdk_runtime)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from config import ROOT
from infra.bootstrap import Resources
from infra.telemetry import sdk_runtime
from tests.api.test_complaints_api import complaint_body, key
from tests.conftest import TEST_PAYLOAD_KEY
from tests.ops.conftest import dashboard_metrics, free_port, settings_on
from worker import build_worker


async def test_worker_serves_the_sdk_metrics_of_the_workflows_it_ran(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str, staff_file: Path
) -> None:
    port = free_port()
    settings = settings_on(dev_env, database_url, task_queue, worker_metrics_port=port)
    async with Resources(settings, sdk_metrics=True) as resources:
        assert resources.runtime is not None
        assert sdk_runtime(settings) is resources.runtime  # one runtime per process and address
        client = await resources.temporal()  # infra.temporal.connect, on that runtime
        assert client.service_client.config.runtime is resources.runtime
        async with build_worker(resources, client):
            app = create_app(settings, client=client)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=60) as api:
                    r = await api.post("/complaints", json=complaint_body(), headers=key("cs-1"))
                    assert r.status_code == 201, r.text  # the intake ran: a workflow task and its write
            async with httpx.AsyncClient(timeout=10) as http:
                r = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert r.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    served = {s.name for f in families.values() for s in f.samples}
    wanted = {name for name in dashboard_metrics() if name.startswith("temporal_")}
    assert wanted and wanted <= served, sorted(wanted - served)  # the dashboard's worker queries
    names = sorted(families)
    assert all(name.startswith("temporal_") for name in names), names
    ours = {
        name
        for name, family in families.items()
        if any(s.labels.get("task_queue") == task_queue for s in family.samples)
    }
    # the worker's own figures, of this task queue: workflow tasks and (local) activities executed
    assert {"temporal_workflow_task_execution_latency", "temporal_local_activity_execution_latency"} <= ours, sorted(
        ours
    )


async def test_worker_process_serves_its_sdk_metrics_on_worker_metrics_port(
    dev_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    """``python worker.py`` with WORKER_METRICS_PORT (what ``make run`` starts): the case a
    complaint's intake ran on it shows in its ``temporal_*`` metrics."""
    port, task_queue = free_port(), f"tq-ops-proc-{uuid.uuid4().hex[:8]}"
    settings = settings_on(dev_env, database_url, task_queue)
    env = os.environ | {
        "TEMPORAL_ADDRESS": settings.temporal_address,
        "DATABASE_URL": database_url,
        "TASK_QUEUE": task_queue,
        "PAYLOAD_KEY": TEST_PAYLOAD_KEY,
        "WORKER_METRICS_PORT": str(port),
    }
    with (tmp_path / "worker.log").open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        app = create_app(settings, client=dev_env.client)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=60) as api:
                r = await api.post("/complaints", json=complaint_body(), headers=key("cs-1"))
                assert r.status_code == 201, r.text + (tmp_path / "worker.log").read_text()
        async with httpx.AsyncClient(timeout=10) as http:
            text = ""
            for _ in range(50):  # the histogram shows once the task's completion is recorded
                text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                if f'task_queue="{task_queue}"' in text and "temporal_workflow_task_execution_latency" in text:
                    break
                await asyncio.sleep(0.1)
        assert "temporal_workflow_task_execution_latency_count{" in text
        assert f'task_queue="{task_queue}"' in text
    finally:
        worker.terminate()
        worker.wait(timeout=30)
