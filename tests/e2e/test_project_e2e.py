"""End to end: one new-client development project driven over HTTP through the system exactly
as `make run` starts it (temporal dev server, worker and API as separate processes)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from models.calendar import local_month
from models.policy import ProjectPolicy
from tests.e2e.test_make_run import System


@pytest.fixture(scope="module")
def project_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The `make run` system with the ND-11 standard set to one month through the environment
    (POLICY_SUPPLY_MONTHS_TO_COMPLETE): on a wall clock only the current month of supply can
    be recorded, and a month later than now is refused."""
    s = System(tmp_path_factory.mktemp("var-projects"))
    s.env["POLICY_SUPPLY_MONTHS_TO_COMPLETE"] = "1"
    s.start()
    try:
        yield s
    finally:
        s.stop()


def _ok(system: System, path: str, key: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = system.call("POST", path, key, json=body)
    assert r.status_code in (200, 201), (path, key, r.status_code, r.text)
    return r.json()


def test_e2e_nd01_nd02_nd03_nd04_nd05_nd11_project_over_http_to_completion(project_system: System) -> None:
    """ND-01 application (201), ND-02 review chain, ND-03 budget (deputy, leader), ND-04 an
    expense claimed (201 with its Location) and reimbursed deputy → finance → leader, ND-05 a
    follow-up, ND-11 a month of supply still to come is 422, the standard met (here one month, by the environment's policy) waits for the
    deputy leader, whose confirmation completes the project and hands the client to sales: a
    second application for the same client is then refused as already a customer (ND-01: 201,
    rejected, refused, and listed as rejected)."""
    s = project_system
    client = f"Hebei Cement {uuid.uuid4().hex[:6]}"
    p = _ok(
        s,
        "/client-projects",
        "demo-sales-1",
        {
            "client_name": client,
            "background": "Three kilns, buys grinding media yearly",
            "contact_channel": "industry association",
            "approach": "trial batch of cast balls",
            "product_line": "cast_ball",
            "expected_annual_business": 3200000,
            "implementer_ids": ["sales-1", "sales-2"],
        },
    )
    pid = p["id"]
    base = f"/client-projects/{pid}"
    assert p["workflow_id"] == f"client-project-{pid}" and p["stage"] == "under_review"

    for who in ("dev-review", "dev-deputy", "dev-lead"):
        view = _ok(s, f"{base}/review", f"demo-{who}", {"approved": True, "note": f"{who} agrees"})
    assert view["stage"] == "approved" and view["budget_due_at"] is not None

    _ok(
        s,
        f"{base}/budget",
        "demo-sales-1",
        {
            "phase": "preliminary",
            "lines": [{"name": "entertainment", "amount": 15000}, {"name": "samples", "amount": 10000}],
        },
    )
    for who in ("dev-deputy", "dev-lead"):
        view = _ok(s, f"{base}/budget/decision", f"demo-{who}", {"approved": True})
    assert view["stage"] == "active"

    r = s.call("POST", f"{base}/expenses", "demo-sales-2", json={"line": "samples", "amount": 4000, "description": "x"})
    assert r.status_code == 201, r.text
    eid = r.json()["expense"]["id"]
    assert r.headers["location"] == f"{base}/expenses/{eid}"
    assert s.call("GET", r.headers["location"], "demo-dev-lead").json() == r.json()
    for who in ("dev-deputy", "finance-1", "dev-lead"):
        out = _ok(s, f"{base}/expenses/{eid}/decision", f"demo-{who}", {"approved": True})
    assert out["expense"]["status"] == "approved"

    view = _ok(s, f"{base}/follow-ups", "demo-sales-1", {"note": "trial batch accepted", "progress": "breakthrough"})
    assert view["progress"] == "breakthrough" and view["breakthrough_at"] is not None

    now = datetime.now(UTC)
    month = local_month(now, ProjectPolicy().timezone)
    year, m = map(int, month.split("-"))
    later = f"{year + m // 12}-{m % 12 + 1:02d}"
    r = s.call("POST", f"{base}/supply", "demo-sales-1", json={"month": later, "amount": 300000})
    assert r.status_code == 422 and "future" in r.json()["detail"]
    view = _ok(s, f"{base}/supply", "demo-dev-deputy", {"month": month, "amount": 300000})
    assert view["stage"] == "active" and view["completion_waiting_for"] == "deputy_leader"
    assert s.call("POST", f"{base}/completion", "demo-sales-1").status_code == 403
    view = _ok(s, f"{base}/completion", "demo-dev-deputy", {"note": "steady batches"})
    assert view["stage"] == "completed"

    deadline = time.monotonic() + 20
    while True:
        got = s.call("GET", base, "demo-dev-lead").json()
        if got.get("customer_id") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert got["stage"] == "completed" and got["customer_id"] == f"NC-{pid}"
    kinds = [e["kind"] for e in s.call("GET", f"{base}/history", "demo-sales-2").json()]
    assert kinds[0] == "applied" and kinds[-3:] == ["supply", "confirm_completion", "handed_to_sales"]
    assert s.call("POST", f"{base}/follow-ups", "demo-sales-1", json={"note": "late"}).status_code == 409
    assert s.call("GET", base, "demo-finance-1").status_code == 403  # ND-13

    again = s.call(
        "POST",
        "/client-projects",
        "demo-sales-2",
        json={
            "client_name": client.upper(),
            "background": "b",
            "contact_channel": "c",
            "approach": "a",
            "product_line": "cast_ball",
            "expected_annual_business": 5000000,
            "implementer_ids": ["sales-2"],
        },
    )
    assert again.status_code == 201, again.text
    refused = again.json()
    assert refused["stage"] == "rejected" and refused["refused"] is True
    assert "already a customer" in refused["rejection_reason"]
    listed = s.call("GET", "/client-projects?stage=rejected", "demo-sales-2").json()
    assert refused["id"] in {p["id"] for p in listed}
