"""Issue 17, metrics: the API's GET /metrics, in the Prometheus text format, counts requests
by route template and status (not itself), times them, and reads the business figures from
the read model when it is scraped."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from config import Settings
from storage import tables as t
from storage.engine import sessions
from tests.api.test_complaints_api import complaint_body, key
from tests.conftest import served_app
from tests.ops.conftest import dashboard_metrics

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest_asyncio.fixture(scope="module")
async def api(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str, staff_file: Path
) -> AsyncIterator[httpx.AsyncClient]:
    async with served_app(dev_env, database_url, task_queue, staff_file) as (client, _):
        yield client


async def scrape(api: httpx.AsyncClient) -> tuple[str, Samples]:
    r = await api.get("/metrics")  # no API key
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return r.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_requests_by_route_template_and_status_not_their_own(api: httpx.AsyncClient) -> None:
    _, before = await scrape(api)
    r = await api.post("/complaints", json=complaint_body(), headers=key("cs-1"))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert (await api.get(f"/complaints/{cid}", headers=key("cs-1"))).status_code == 200
    assert (await api.get(f"/complaints/{cid}", headers=key("cs-1"))).status_code == 200
    assert (await api.get("/complaints/no-such-case", headers=key("cs-1"))).status_code == 404
    assert (await api.get(f"/complaints/{cid}")).status_code == 401
    assert (await api.get(f"/made-up/{cid}")).status_code == 404
    assert (await api.request("BREW", "/complaints", headers=key("cs-1"))).status_code == 405
    text, after = await scrape(api)

    def delta(**labels: str) -> float:
        return value(after, "http_requests_total", **labels) - value(before, "http_requests_total", **labels)

    assert delta(method="POST", route="/complaints", status="201") == 1
    assert delta(method="GET", route="/complaints/{complaint_id}", status="200") == 2
    assert delta(method="GET", route="/complaints/{complaint_id}", status="404") == 1
    assert delta(method="GET", route="/complaints/{complaint_id}", status="401") == 1
    assert delta(method="GET", route="<unmatched>", status="404") == 1
    assert delta(method="other", route="/complaints", status="405") == 1  # a made-up method: one label value
    # one label value per route, never the concrete path; the scrapes themselves are not counted
    assert cid not in text
    assert not [k for k in after if k[0] == "http_requests_total" and ("route", "/metrics") in k[1]]
    # the latency histogram of the route: every request in a bucket, +Inf holds them all
    latency = {"method": "GET", "route": "/complaints/{complaint_id}"}
    count = value(after, "http_request_duration_seconds_count", **latency)
    assert count >= 4
    assert value(after, "http_request_duration_seconds_bucket", **latency, le="+Inf") == count
    assert value(after, "http_request_duration_seconds_sum", **latency) > 0
    assert value(after, "process_resident_memory_bytes") > 0


async def test_metrics_business_figures_are_read_from_the_database_at_scrape_time(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    _, before = await scrape(api)
    assert value(before, "operations_figures_up") == 1
    for status in ("received", "in_progress", "resolved"):  # every open status is there, 0 or more
        assert ("complaints_open", frozenset({("status", status)})) in before
    for stage in ("under_review", "approved", "active", "suspended"):
        assert ("client_projects_open", frozenset({("stage", stage)})) in before
    for tier in ("vip", "preferred", "qualified"):
        assert ("customer_accounts", frozenset({("tier", tier)})) in before
    assert ("inquiries_open", frozenset()) in before
    for channel in ("email", "webhook"):  # issue 17: every (channel, status), 0 or more
        for status in ("pending", "delivered", "failed"):
            assert ("deliveries", frozenset({("channel", channel), ("status", status)})) in before

    r = await api.post("/complaints", json=complaint_body(), headers=key("cs-1"))
    assert r.status_code == 201, r.text
    complaint = r.json()
    # a breached clock whose obligation is still not done counts; one done late and one met do not
    now = datetime.now(UTC)
    clock = f"test_clock_{uuid.uuid4().hex[:6]}"
    ref = complaint["workflow_id"]
    rows: list[dict[str, Any]] = [
        {"n": 900, "outcome": "breached", "fulfilled_at": None},
        {"n": 901, "outcome": "breached", "fulfilled_at": now},
        {"n": 902, "outcome": "met", "fulfilled_at": now},
    ]
    async with sessions(engine)() as db, db.begin():
        for row in rows:
            db.add(
                t.CaseClock(
                    case_ref=ref,
                    clock=clock,
                    started_at=now,
                    allowed_seconds=60,
                    due_at=now,
                    ended_at=now,
                    used_seconds=60,
                    lateness_seconds=0,
                    pauses=[],
                    warnings=[],
                    seq=1,
                    **row,
                )
            )
        # issue 17: a webhook call that gave up counts as failed
        db.add(
            t.Delivery(
                workflow_id=f"delivery-{uuid.uuid4().hex}",
                message_id=f"delivery-{uuid.uuid4().hex}",
                case_ref=ref,
                seq=1,
                event_type="complaint.registered",
                channel="webhook",
                recipient_kind="webhook",
                recipient_id="crm",
                status="failed",
                attempts=8,
                created_at=now,
                updated_at=now,
            )
        )
        # the read model says this complaint went up a level (CP-08's escalation writes this)
        await db.execute(update(t.Complaint).where(t.Complaint.id == complaint["id"]).values(escalation_level=1))
    _, after = await scrape(api)

    assert value(after, "complaints_open", status="received") == value(before, "complaints_open", status="received") + 1
    assert value(after, "case_clocks_breached", clock=clock) == 1
    failed = value(before, "deliveries", channel="webhook", status="failed")
    assert value(after, "deliveries", channel="webhook", status="failed") == failed + 1
    assert value(after, "complaints_escalated", level="1") == value(before, "complaints_escalated", level="1") + 1


async def test_the_dashboards_api_queries_read_metrics_the_api_serves(api: httpx.AsyncClient) -> None:
    """docs/grafana-dashboard.json names no metric the API does not serve (the worker's
    ``temporal_*`` ones: tests/ops/test_worker_metrics.py)."""
    assert (await api.post("/complaints", json=complaint_body(), headers=key("cs-1"))).status_code == 201
    _, samples = await scrape(api)
    served = {name for name, _ in samples}
    wanted = {name for name in dashboard_metrics() if not name.startswith("temporal_")}
    assert {"http_requests_total", "http_request_duration_seconds_bucket", "case_clocks_breached"} <= wanted
    assert wanted <= served, sorted(wanted - served)


async def test_api_metrics_false_serves_no_metrics_route(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, api_metrics=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as http:
        assert (await http.get("/metrics")).status_code == 404
    assert "/metrics" not in app.openapi()["paths"]
