"""CP-18 over HTTP: POST /reports/complaints?period=… produces a new version through the
report workflow (201, the figures); GET reads it as JSON or CSV; the charts are an SVG; only
customer-service supervisors, managers and the general manager may read or produce; the
managers find the report in their inbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from tests.conftest import served_app
from tests.reports.cases import load_cases


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


@pytest_asyncio.fixture(scope="module")
async def rapi(
    dev_env: WorkflowEnvironment, database_url: str, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    await load_cases(engine)
    async with served_app(dev_env, database_url, f"tq-rep-{uuid.uuid4().hex[:8]}") as (client, _):
        yield client


async def test_cp18_produce_read_csv_chart_and_inbox(rapi: httpx.AsyncClient) -> None:
    r = await rapi.get("/reports/complaints", params={"period": "2031-W40"}, headers=key("gm"))
    assert r.status_code == 404  # never produced
    r = await rapi.post("/reports/complaints", params={"period": "2031-12"}, headers=key("cs-sup"))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["period"] == "2031-12" and body["requested_by"] == "cs-sup"
    assert body["figures"]["received"] == 4 and body["figures"]["by_target"] == {
        "staff:ops-1": 2,
        "department:Logistics": 1,
    }
    assert body["comparison"]["received"] == {"current": 4, "previous": 1, "change": 3}
    assert [p["period"] for p in body["trend"]] == ["2031-07", "2031-08", "2031-09", "2031-10", "2031-11", "2031-12"]
    version = body["version"]
    again = (await rapi.post("/reports/complaints", params={"period": "2031-12"}, headers=key("gm"))).json()
    assert again["version"] == version + 1 and again["figures"] == body["figures"]
    assert again["produced_at"] > body["produced_at"]

    got = (await rapi.get("/reports/complaints", params={"period": "2031-12"}, headers=key("ops-mgr"))).json()
    assert got["version"] == version + 1
    first = await rapi.get("/reports/complaints", params={"period": "2031-12", "version": version}, headers=key("gm"))
    assert first.json()["produced_at"] == body["produced_at"]

    csv = await rapi.get("/reports/complaints", params={"period": "2031-12", "format": "csv"}, headers=key("gm"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "headline,received,4,1" in csv.text.splitlines()

    svg = await rapi.get("/reports/complaints/2031-12/chart.svg", headers=key("cs-mgr"))
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg") and "Time to resolution, 2031-12" in svg.text and "SLA achievement" in svg.text

    inbox = (await rapi.get("/notifications", headers=key("cs-mgr"))).json()
    mine = [n for n in inbox if n["case_ref"] == "report-complaints-2031-12"]
    assert mine and "/reports/complaints/2031-12/chart.svg" in mine[0]["message"]


async def test_cp18_who_may_read(rapi: httpx.AsyncClient) -> None:
    for who in ("cs-1", "ops-sup", "ops-1"):
        for method, url in (
            ("GET", "/reports/complaints?period=2031-12"),
            ("POST", "/reports/complaints?period=2031-12"),
            ("GET", "/reports/complaints/2031-12/chart.svg"),
        ):
            r = await rapi.request(method, url, headers=key(who))
            assert r.status_code == 403, (who, method, url, r.text)
    assert (await rapi.get("/reports/complaints?period=2031-12")).status_code == 401
    bad = await rapi.get("/reports/complaints", params={"period": "2031-13"}, headers=key("gm"))
    assert bad.status_code == 422
