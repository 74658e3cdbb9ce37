"""Restarts of the system `make run` starts (a persisted dev server on its var/ file, the
worker and the API as processes): open cases keep their clocks across a Temporal restart, and a
client retrying with its Idempotency-Key after the API died mid-request gets one case."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from config import Settings
from infra.temporal import connect
from tests.e2e.test_make_run import System, _poll
from workflows import search_attributes as sa

pytestmark = pytest.mark.faults

CLOCK_SECONDS = 25  # plan deadline (CP-08) and follow-up interval (ND-05): due after the restart


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    s = System(tmp_path_factory.mktemp("var-faults"))
    s.env |= {"POLICY_PLAN_DEADLINE": str(CLOCK_SECONDS), "POLICY_FOLLOW_UP_INTERVAL": str(CLOCK_SECONDS)}
    s.start()
    yield s
    s.stop()


def complaint_body() -> dict[str, Any]:
    return {
        "channel": "hotline",
        "complainant": {"name": "Sun Li", "phone": f"+86 137{secrets.randbelow(10**8):08d}"},
        "target": {"kind": "service"},
        "summary": "Delivery two days late",
    }


def ok(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()


def keyed(system: System, body: dict[str, Any], idem: str) -> httpx.Response:
    """POST /complaints as cs-1 with an Idempotency-Key."""
    return httpx.post(
        f"{system.base}/complaints", json=body, timeout=30, headers={"X-API-Key": "demo-cs-1", "Idempotency-Key": idem}
    )


def _settings(system: System) -> Settings:
    """The Temporal address and payload key of the system's processes."""
    return Settings(temporal_address=system.env["TEMPORAL_ADDRESS"], payload_key=system.env.get("PAYLOAD_KEY", ""))


def temporal_client(system: System) -> Client:
    return asyncio.run(connect(_settings(system)))


def complaint_workflow_ids(system: System) -> set[str]:
    async def ids() -> set[str]:
        client = await connect(_settings(system))
        return {w.id async for w in client.list_workflows('WorkflowType = "ComplaintWorkflow"')}

    return asyncio.run(ids())


def test_temporal_restart_keeps_open_cases_and_their_clocks(system: System) -> None:
    """Promise: after the Temporal dev server (and the whole system) restarts on its database
    file, an open complaint and an approved project are still there; their timers, due only
    after the restart, fire (CP-08 plan deadline, ND-05 follow-up lapse), and their search
    attributes say so (describe())."""
    case = ok(system.call("POST", "/complaints", "demo-cs-1", json=complaint_body()), 201)
    cid = case["id"]
    project = ok(
        system.call(
            "POST",
            "/client-projects",
            "demo-sales-1",
            json={
                "client_name": f"Restart Cement {secrets.token_hex(3)}",
                "background": "Three kilns",
                "contact_channel": "industry association",
                "approach": "trial batch",
                "product_line": "cast_ball",
                "expected_annual_business": 3200000,
                "implementer_ids": ["sales-1"],
            },
        ),
        201,
    )
    pid = project["id"]
    for who in ("dev-review", "dev-deputy", "dev-lead"):
        ok(system.call("POST", f"/client-projects/{pid}/review", f"demo-{who}", json={"approved": True}))
    # nothing has fired yet: the clocks are due after the restart
    assert ok(system.call("GET", f"/complaints/{cid}", "demo-cs-1"))["escalation_level"] == 0
    assert "follow_up_overdue" not in ok(system.call("GET", f"/client-projects/{pid}", "demo-sales-1"))["flags"]

    system.stop()
    system.start()
    restarted_at = datetime.now().astimezone()

    escalated = _poll(
        lambda: ok(system.call("GET", f"/complaints/{cid}", "demo-cs-sup")),
        lambda c: c["escalation_level"] >= 1,
        timeout=CLOCK_SECONDS + 30,
    )
    assert escalated["escalation_level"] == 1 and escalated["plan_overdue"] is True
    lapsed = _poll(
        lambda: ok(system.call("GET", f"/client-projects/{pid}", "demo-sales-1")),
        lambda p: "follow_up_overdue" in p["flags"],
        timeout=30,
    )
    assert "follow_up_overdue" in lapsed["flags"] and lapsed["stage"] == "approved"
    overdue = [
        e for e in ok(system.call("GET", f"/complaints/{cid}/history", "demo-cs-1")) if e["kind"] == "plan_overdue"
    ]
    assert len(overdue) == 1 and datetime.fromisoformat(overdue[0]["at"]) >= restarted_at.replace(microsecond=0)

    client = temporal_client(system)

    async def attributes() -> tuple[Any, Any]:
        c = await client.get_workflow_handle(case["workflow_id"]).describe()
        p = await client.get_workflow_handle(project["workflow_id"]).describe()
        return c.typed_search_attributes, p.typed_search_attributes

    complaint_sa, project_sa = asyncio.run(attributes())
    assert complaint_sa.get(sa.ESCALATION_LEVEL) == 1
    assert complaint_sa.get(sa.COMPLAINT_STATUS) == "received"
    assert project_sa.get(sa.PROJECT_STAGE) == "approved"
    assert "follow_up_overdue" in (project_sa.get(sa.PROJECT_FLAGS) or [])


def _children(pid: int) -> dict[int, str]:
    """The child processes of ``pid``: {pid: command line}."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return out


def _child(system: System, marker: str) -> int:
    assert system.proc is not None
    found = [pid for pid, cmd in _children(system.proc.pid).items() if marker in cmd]
    assert len(found) == 1, _children(system.proc.pid)
    return found[0]


def test_api_killed_mid_request_retry_with_the_key_gets_one_case(system: System) -> None:
    """Promise: a client whose POST was in flight when the API died (killed after the workflow
    started, before any answer) retries with the same Idempotency-Key after the restart and gets
    that case: one workflow, one row. An answer given before the restart is answered again
    (the key's mapping is in the database)."""
    answered_key = f"answered-{secrets.token_hex(4)}"
    answered_body = complaint_body()
    answered = ok(keyed(system, answered_body, answered_key), 201)
    before = complaint_workflow_ids(system)

    # the worker paused: intake cannot be written, so the API waits inside the request
    worker, api = _child(system, "worker.py"), _child(system, "-m console")
    key, body = f"in-flight-{secrets.token_hex(4)}", complaint_body()
    os.kill(worker, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(keyed, system, body, key)
            started = _poll(lambda: complaint_workflow_ids(system) - before, bool, timeout=15)
            assert len(started) == 1, "the request reached Temporal"
            assert not in_flight.done(), "the request is still in flight"
            os.kill(api, signal.SIGKILL)
            with pytest.raises(httpx.HTTPError):
                in_flight.result(timeout=30)
    finally:
        os.kill(worker, signal.SIGCONT)
    assert system.proc is not None
    # `make run` stops the rest when the API dies, and exits cleanly (it crashed once on the
    # API's end, leaving the dev server and the worker running with nobody to stop them)
    assert system.proc.wait(timeout=60) == 0, (system.var / "run.log").read_text()[-2000:]
    system.start()

    retry = ok(keyed(system, body, key), 201)
    assert {retry["workflow_id"]} == started
    again = keyed(system, body, key)
    assert again.status_code == 201 and again.json() == retry
    assert complaint_workflow_ids(system) == before | started
    with sqlite3.connect(system.var / "app.db") as db:
        assert db.execute("SELECT count(*) FROM complaint WHERE id = ?", (retry["id"],)).fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM complaint").fetchone() == (len(before) + 1,)

    replay = keyed(system, answered_body, answered_key)
    assert replay.status_code == 201 and replay.json() == answered
