"""Many workers (issue 17): `make run` with three worker processes (WORKER_PROCESSES=3) on one
Temporal dev server and PostgreSQL; a load of complaints goes through the API while one worker
is SIGKILLed in the middle; every case completes, and exactly once."""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from storage import tables as t
from storage.engine import sync_url
from tests.e2e.test_make_run import System

pytestmark = pytest.mark.faults

CASES = 30
IN_FLIGHT = 10
WORKERS = 3
#: the steps each case is taken through after its intake (who, step, body)
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("demo-cs-1", "assign", {"handler_id": "ops-2"}),
    ("demo-ops-2", "classify", {"category": "business", "subtype": "timeliness", "validity": "valid"}),
    ("demo-ops-2", "plan", {"plan": "Re-deliver tomorrow morning"}),
    ("demo-ops-2", "resolve", {"result": "Re-delivered, fee refunded", "reply_channel": "letter"}),
]
KINDS = ["registered", "assign", "classify", "plan", "resolve"]


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is ``pid``: {pid: command line}."""
    out: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return out


def worker_pids(system: System) -> list[int]:
    assert system.proc is not None
    return sorted(pid for pid, cmd in _children(system.proc.pid).items() if "worker.py" in cmd)


def send(system: System, method: str, path: str, key: str, idem: str | None = None, **kw: Any) -> httpx.Response:
    """One request, retried with the same Idempotency-Key while no worker answers (503), the
    intake is not yet registered (202) or the connection fails: what a careful client does."""
    headers = {"X-API-Key": key} | ({"Idempotency-Key": idem} if idem else {})
    deadline = time.monotonic() + 180
    r: httpx.Response | None = None
    while True:
        try:
            r = httpx.request(method, f"{system.base}{path}", headers=headers, timeout=60, **kw)
            if r.status_code not in (202, 502, 503, 504):
                return r
        except httpx.HTTPError:
            pass
        assert system.proc is not None and system.proc.poll() is None, "`make run` stopped"
        assert time.monotonic() < deadline, f"{method} {path} never answered: {r and (r.status_code, r.text)}"
        time.sleep(1)


def one_case(system: System, n: int, registered: list[str], lock: threading.Lock) -> str:
    """A complaint through the API: intake, then assign, classify, plan and resolve."""
    body = {
        "channel": "hotline",
        "complainant": {"name": f"Caller {n}", "phone": f"+86 139{secrets.randbelow(10**8):08d}"},
        "target": {"kind": "service", "name": "delivery"},
        "summary": f"Delivery {n} two days late",
    }
    r = send(system, "POST", "/complaints", "demo-cs-1", f"load-{n}-{secrets.token_hex(4)}", json=body)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    with lock:
        registered.append(cid)
    for key, step, step_body in STEPS:
        res = send(system, "POST", f"/complaints/{cid}/{step}", key, f"{cid}-{step}", json=step_body)
        assert res.status_code == 200, (cid, step, res.text)
    return cid


@pytest.fixture
def system(tmp_path: Path, postgres_db: tuple[str, str]) -> Iterator[System]:
    """`make run` with three worker processes, on a fresh PostgreSQL database."""
    _, url = postgres_db
    s = System(tmp_path)
    s.env |= {"DATABASE_URL": url, "WORKER_PROCESSES": str(WORKERS)}
    s.env.pop("POLICY_PLAN_DEADLINE")  # the seeds' deadlines: no clock fires during the load
    s.start()
    try:
        yield s
    finally:
        s.stop()


def test_three_workers_one_sigkilled_mid_load_every_case_completes_once(
    system: System, postgres_db: tuple[str, str]
) -> None:
    """Promise: with three worker processes on one server, a worker SIGKILLed in the middle of
    a load loses nothing and doubles nothing: all 30 complaints are resolved; each has its
    events 1..5 once (registered, assign, classify, plan, resolve), one projection row whose
    seq is its last event, and no notification twice; `make run` starts the dead worker again."""
    log = system.var / "run.log"
    deadline = time.monotonic() + 60  # the banner comes once the schedules and accounts are set
    while "Ctrl-C stops everything" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert f"{WORKERS} worker processes on task queue" in log.read_text()
    workers = worker_pids(system)
    assert len(workers) == WORKERS, _children(system.proc.pid)  # type: ignore[union-attr]

    registered: list[str] = []
    lock = threading.Lock()
    victim = workers[1]
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        futures = [pool.submit(one_case, system, n, registered, lock) for n in range(CASES)]
        deadline = time.monotonic() + 120
        while len(registered) < CASES // 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        in_flight = sum(1 for f in futures if not f.done())
        os.kill(victim, signal.SIGKILL)  # in the middle: cases registered, more in flight
        ids = [f.result(timeout=300) for f in futures]
    assert in_flight >= IN_FLIGHT // 2, "the worker was killed while the load ran"
    assert len(set(ids)) == CASES

    text = log.read_text()
    assert "exited with -9; starting it again" in text, text
    assert victim not in worker_pids(system) and len(worker_pids(system)) == WORKERS

    for cid in ids:
        view = system.call("GET", f"/complaints/{cid}", "demo-cs-1").json()
        assert view["status"] == "resolved", view

    _, url = postgres_db
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as db:
            complaints = db.execute(select(t.Complaint.id, t.Complaint.seq)).all()
            events = db.execute(select(t.CaseEvent.case_ref, t.CaseEvent.seq, t.CaseEvent.kind)).all()
            notes = db.execute(
                select(
                    t.Notification.case_ref,
                    t.Notification.seq,
                    t.Notification.recipient_kind,
                    t.Notification.recipient_id,
                    t.Notification.kind,
                )
            ).all()
    finally:
        engine.dispose()

    # one projection row per case, nothing else, its seq the case's last event
    assert sorted(c.id for c in complaints) == sorted(ids)
    assert all(c.seq == len(KINDS) for c in complaints), complaints
    by_case: dict[str, list[tuple[int, str]]] = {}
    for e in events:
        by_case.setdefault(e.case_ref, []).append((e.seq, e.kind))
    for cid in ids:
        assert sorted(by_case.pop(f"complaint-{cid}")) == list(enumerate(KINDS, start=1)), cid
    assert not {ref for ref in by_case if ref.startswith("complaint-")}, "events of no case of the load"
    assert notes, "the steps notify someone"
    doubled = [k for k, n in Counter(tuple(x) for x in notes).items() if n > 1]
    assert doubled == []
