"""End to end: the system exactly as `make run` starts it (a real `temporal server start-dev`
persisted to a file, the worker and the API as separate processes), driven over HTTP.

The plan deadline is shortened through the environment (POLICY_PLAN_DEADLINE), which also
proves that the policy is read from it; everything else keeps the seeds' values.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow

from config import ROOT
from infra.codec import data_converter

PLAN_DEADLINE_SECONDS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class System:
    def __init__(self, var: Path) -> None:
        self.var = var
        self.api_port = _free_port()
        # as on a fresh machine: no keys in the environment, `make run` makes them in VAR_DIR
        inherited = {k: v for k, v in os.environ.items() if k not in ("STEP_KEY", "PAYLOAD_KEY")}
        self.env = inherited | {
            "TEMPORAL_ADDRESS": f"127.0.0.1:{_free_port()}",
            "TEMPORAL_UI_PORT": str(_free_port()),
            # each system's worker its own metrics port (make run's default, 9464, is one a machine)
            "WORKER_METRICS_PORT": str(_free_port()),
            "API_PORT": str(self.api_port),
            "VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'app.db'}",
            "TASK_QUEUE": "e2e",
            "POLICY_PLAN_DEADLINE": str(PLAN_DEADLINE_SECONDS),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{self.api_port}"

    def start(self) -> None:
        log = (self.var / "run.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "starter.run"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.var / "run.log").read_text()
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError("the system did not become healthy:\n" + (self.var / "run.log").read_text())

    def stop(self) -> None:
        """Ctrl-C, as a person would."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise

    def call(self, method: str, path: str, key: str, **kw: object) -> httpx.Response:
        return httpx.request(method, f"{self.base}{path}", headers={"X-API-Key": key}, timeout=30, **kw)  # type: ignore[arg-type]


@contextmanager
def running_system(var: Path) -> Iterator[System]:
    """The `make run` system on ``var``, stopped with Ctrl-C when the block ends."""
    s = System(var)
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("var")) as s:
        yield s


def _poll(fn, until, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if until(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_e2e_cp08_complaint_escalates_by_itself_and_survives_a_restart(system: System) -> None:
    """CP-01/CP-02/CP-03/CP-08/CP-20 over HTTP on the persisted dev server: a complaint posted
    with curl is registered; with no plan by the (env-configured) deadline it escalates to the
    receiver's direct leader by itself; after Ctrl-C and `make run` again the case is still
    there and the lifecycle goes on to the archive (CP-14, CP-16, CP-17)."""
    r = system.call(
        "POST",
        "/complaints",
        "demo-cs-1",
        json={
            "channel": "hotline",
            "complainant": {"name": "Zhang Wei", "phone": "13800000001", "customer_id": "C-1001"},
            "target": {"kind": "service"},
            "summary": "Delivery two days late",
            "subject_ref": "order-778",
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["id"]
    assert case["workflow_id"] == f"complaint-{cid}"
    assert case["first_responder_id"] == "cs-1"
    assert case["customer_verified"] is True  # C-1001 is a demo customer (CP-03)

    escalated = _poll(
        lambda: system.call("GET", f"/complaints/{cid}", "demo-cs-1").json(),
        lambda c: c["escalation_level"] >= 1,
        timeout=PLAN_DEADLINE_SECONDS + 20,
    )
    assert escalated["escalation_level"] == 1
    assert escalated["plan_overdue"] is True
    assert escalated["escalated_to"] == ["cs-sup"]
    inbox = system.call("GET", "/notifications", "demo-cs-sup").json()
    assert any(n["kind"] == "escalated" and cid in n["message"] for n in inbox)

    system.stop()
    system.start()

    again = system.call("GET", f"/complaints/{cid}", "demo-cs-sup")
    assert again.status_code == 200
    assert again.json()["escalation_level"] == 1
    steps = [
        ("assign", "demo-cs-1", {"handler_id": "ops-2"}),
        ("classify", "demo-ops-2", {"category": "business", "subtype": "timeliness", "validity": "valid"}),
        ("plan", "demo-ops-2", {"plan": "Re-deliver tomorrow morning"}),
        ("resolve", "demo-ops-2", {"result": "Re-delivered, fee refunded", "reply_channel": "letter"}),
        ("survey", "demo-cs-1", {"satisfied": True, "score": 5}),
    ]
    for step, key, body in steps:
        res = system.call("POST", f"/complaints/{cid}/{step}", key, json=body)
        assert res.status_code == 200, (step, res.text)
    archived = _poll(lambda: system.call("GET", f"/complaints/{cid}", "demo-cs-1").json(), lambda c: c["archived"])
    assert archived["status"] == "closed" and archived["archived"] is True
    late = system.call("POST", f"/complaints/{cid}/plan", "demo-ops-2", json={"plan": "too late"})
    assert late.status_code == 409
    kinds = [e["kind"] for e in system.call("GET", f"/complaints/{cid}/history", "demo-cs-1").json()]
    assert kinds == [
        "registered",
        "clock_warning",  # issue 14: the plan clock at 50 % ...
        "clock_warning",  # ... and at 80 % of its time
        "plan_overdue",
        "assign",
        "classify",
        "plan",
        "resolve",
        "survey",
        "closed",
        "archived",
    ]


def test_cp01_the_command_line_registers_a_complaint_with_the_keys_make_run_keeps(system: System) -> None:
    """CP-01: the command line's intake (straight through Temporal, no API) registers a case:
    it uses the payload and step keys `make run` keeps in VAR_DIR, so what it sends is
    sealed as the worker expects and its start is proven (an unproven start registers
    nothing, tests/faults/test_forged_steps.py)."""
    out = subprocess.run(
        [sys.executable, "-m", "starter.cli", "complaint", "--as", "cs-1", "--summary", "Typed in at the command line"],
        cwd=ROOT,
        env=system.env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    found = re.search(r"\b(\d{8}-[0-9A-Z]{6})\b", out.stdout)
    assert found is not None, out.stdout
    r = system.call("GET", f"/complaints/{found.group(1)}", "demo-cs-1")
    assert r.status_code == 200, r.text
    assert r.json()["summary"] == "Typed in at the command line"


def test_issue14_the_command_line_applies_a_new_calendar_to_the_open_cases_it_names(system: System) -> None:
    """Issue 14 point 2: `starter.cli apply-calendar` applies the calendar as the policy and
    data/calendar.json say now to each open case named, as the general manager: the case's
    history records a `change_terms` event with its due times before and after (its clocks
    count wall time here, so none moves). Anyone else is refused: nothing written, exit 1."""
    r = system.call(
        "POST", "/complaints", "demo-cs-1", json={"channel": "hotline", "target": {"kind": "service"}, "summary": "s"}
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]

    def cli(actor: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "starter.cli", "apply-calendar", "--as", actor, "--complaint", cid],
            cwd=ROOT,
            env=system.env | {"COLUMNS": "250"},  # the table on one line a row
            capture_output=True,
            text=True,
            timeout=90,
        )

    refused = cli("cs-1")
    assert refused.returncode == 1 and "general manager or a department manager" in refused.stdout, refused.stdout
    assert "change_terms" not in [
        e["kind"] for e in system.call("GET", f"/complaints/{cid}/history", "demo-cs-1").json()
    ]
    applied = cli("gm")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "no due time moved" in applied.stdout
    events = system.call("GET", f"/complaints/{cid}/history", "demo-cs-1").json()
    terms = [e for e in events if e["kind"] == "change_terms"]
    assert len(terms) == 1 and terms[0]["actor_id"] == "gm"
    assert terms[0]["data"]["old_due"] == terms[0]["data"]["new_due"] and "resolution" in terms[0]["data"]["new_due"]


def test_issue15_nd12_make_run_creates_the_year_end_rewards_schedule(system: System) -> None:
    """After `make run` the yearly rewards schedule is on the Temporal server, in the company's
    timezone, starting the year-end rewards workflow (ND-12)."""

    async def describe() -> tuple[str, str | None, str]:
        key = (system.var / "payload.key").read_text().strip()
        client = await Client.connect(system.env["TEMPORAL_ADDRESS"], data_converter=data_converter(key=key))
        desc = await client.get_schedule_handle("rewards-year-end").describe()
        action = desc.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        return action.workflow, desc.schedule.spec.time_zone_name, action.task_queue

    workflow, tz, queue = asyncio.run(describe())
    assert (workflow, tz, queue) == ("YearEndRewardsWorkflow", "Asia/Shanghai", "e2e")
    assert "rewards-year-end" in (system.var / "run.log").read_text()


def test_cp18_make_run_creates_the_report_schedules_and_reports_on_demand(system: System) -> None:
    """CP-18: after `make run` the weekly and monthly schedules exist on its Temporal server,
    in the company's timezone; a report asked through the API is produced by its worker."""

    async def schedules() -> dict[str, str | None]:
        client = await Client.connect(system.env["TEMPORAL_ADDRESS"])
        out = {}
        for sid in ("report-complaints-weekly", "report-complaints-monthly"):
            d = await client.get_schedule_handle(sid).describe()
            out[sid] = d.schedule.spec.time_zone_name
        return out

    assert asyncio.run(schedules()) == {
        "report-complaints-weekly": "Asia/Shanghai",
        "report-complaints-monthly": "Asia/Shanghai",
    }
    r = system.call("POST", "/reports/complaints?period=2026-11", "demo-gm")
    assert r.status_code == 201, r.text
    assert r.json()["period"] == "2026-11" and r.json()["version"] >= 1
    svg = system.call("GET", "/reports/complaints/2026-11/chart.svg", "demo-cs-mgr")
    assert svg.status_code == 200 and svg.text.startswith("<svg")


def test_issue16_make_run_opens_the_demo_customers_accounts_in_every_tier_and_class(system: System) -> None:
    """Issue 16: after `make run` every demo customer with an owner has its account, its clocks
    armed; the demo holds every tier (CC-04) and every credit class (CC-03), within the
    department's shares; a customer nobody served for over 3 months is flagged unserved at
    once (CC-05); the owner sees their own, the department's supervisor all of the department's."""
    sup = _poll(
        lambda: system.call("GET", "/customers", "demo-cs-sup").json(),
        lambda rows: isinstance(rows, list) and len(rows) >= 10,
    )
    assert {c["tier"] for c in sup} == {"vip", "preferred", "qualified"}
    assert {c["credit_class"] for c in sup} == {"A", "B", "C", "D"}
    assert sum(c["tier"] == "vip" for c in sup) <= 0.15 * len(sup)
    assert sum(c["tier"] == "preferred" for c in sup) <= 0.30 * len(sup)
    assert all(c["due"].get("credit_report") for c in sup)  # CC-03: every account's next credit report
    # CC-07: a survey due within the year, or (surveyed 380 days ago) missed and flagged
    assert all(c["due"].get("survey") or "survey_overdue" in c["flags"] for c in sup)
    unserved = _poll(
        lambda: system.call("GET", "/customers/C-1004", "demo-cs-sup").json(),
        lambda c: "unserved" in c.get("flags", []),
    )
    assert "unserved" in unserved["flags"]  # 95 days without service
    mine = system.call("GET", "/customers", "demo-cs-1").json()
    assert mine and all(c["owner_id"] == "cs-1" for c in mine)
    assert system.call("GET", "/customers/C-1001", "demo-ops-1").status_code == 403
