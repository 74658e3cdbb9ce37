"""Issue 14, point 6: every clock figure proven by replay (``python -m starter.verify_clocks``).

On the real ``temporal server start-dev`` with a real worker, the API and a database of this
module's own, cases are driven through: a complaint paused (wait-for-customer) and resumed,
reopened by a dissatisfied survey, then closed and archived; a complaint whose clocks count
working time on a Berlin calendar with a holiday, its plan clock warned and breached, then done
late, then paused (left open); a project whose clocks count working time on a Berlin office
calendar with a holiday and a daylight-saving change, suspended and resumed, continued as new
into several runs (left open). The verifier replays every history and finds every figure of
the database's ``case_clock`` rows; then one row is corrupted and it reports exactly that
figure and exits 1.

Both open cases also change terms mid-way (``change_terms``, as ``starter.cli apply-calendar``
sends it: a new calendar with one more holiday), which moves their running clocks' due times.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from config import ROOT
from models.calendar import BusinessCalendar, ClockTime, local, local_date
from models.complaint.messages import ComplaintCreate
from models.complaint.steps import STEPS as COMPLAINT_STEPS
from models.complaint.vocabulary import ComplaintStep
from models.policy import ComplaintPolicy, ProjectPolicy
from models.project.messages import ProjectCreate
from models.project.steps import STEPS as PROJECT_STEPS
from models.project.vocabulary import ProjectStep
from models.staff import Directory
from starter.intake import intake_input, new_case_id, project_input, start_complaint, start_project
from starter.verify_clocks import Case, Mismatch, Report, carries_clocks, cases_in, histories_of, verify
from storage import tables as t
from storage.engine import make_engine, sessions
from storage.migrate import upgrade
from tests.conftest import STAFF_FILE, TEST_PAYLOAD_KEY, served_app
from workflows.complaint import ComplaintWorkflow
from workflows.project import ClientProjectWorkflow

W = ClockTime.working
BERLIN = "Europe/Berlin"
CLASSIFY_GENERAL = {"category": "business", "subtype": "timeliness", "validity": "valid", "severity": "general"}


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


async def step(api: httpx.AsyncClient, path: str, by: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await api.post(path, json=body, headers=key(by))
    assert r.status_code == 200, f"{path} by {by}: {r.status_code} {r.text}"
    return dict(r.json())


async def eventually(probe: Callable[[], Awaitable[Any]], timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (got := await probe()):
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"not within {timeout}s: {probe}")
        await asyncio.sleep(0.2)
    return got


async def events(api: httpx.AsyncClient, path: str, by: str = "cs-1") -> list[str]:
    r = await api.get(f"{path}/history", headers=key(by))
    assert r.status_code == 200, r.text
    return [e["kind"] for e in r.json()]


async def accounts(engine: AsyncEngine, workflow_id: str) -> list[t.CaseClock]:
    async with sessions(engine)() as db:
        q = select(t.CaseClock).where(t.CaseClock.case_ref == workflow_id).order_by(t.CaseClock.n)
        return list(await db.scalars(q))


async def kinds(engine: AsyncEngine, workflow_id: str) -> list[str]:
    async with sessions(engine)() as db:
        q = select(t.CaseEvent.kind).where(t.CaseEvent.case_ref == workflow_id).order_by(t.CaseEvent.seq)
        return list(await db.scalars(q))


def next_weekday(after: date, days: int) -> date:
    """The first Monday-to-Friday date at least ``days`` after ``after``."""
    d = after + timedelta(days=days)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def crosses_dst(start: datetime, end: datetime, timezone: str) -> bool:
    """Whether the company's clock changes its UTC offset between ``start`` and ``end``."""
    offset = local(start, timezone).utcoffset()
    at = start
    while at < end:
        at = min(at + timedelta(days=1), end)
        if local(at, timezone).utcoffset() != offset:
            return True
    return False


def complaint_body() -> dict[str, Any]:
    return {
        "channel": "phone",
        "complainant": {"name": "Li Lei", "phone": f"+86 136{secrets.randbelow(10**8):08d}"},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "Late delivery",
    }


@dataclass(frozen=True)
class Cases:
    reopened: str  # complaint: paused and resumed, reopened, closed and archived
    holiday: str  # complaint: working time (Berlin, a holiday), warned, breached, done late, paused
    project: str  # project: working time (Berlin office hours, a holiday, DST), suspended, resumed, 3+ runs
    database_url: str
    workflow_ids: dict[str, str]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This module's own database: the verifier checks every case in it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('verify') / 'app.db'}"
    upgrade(url)
    return url


@pytest_asyncio.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    e = make_engine(database_url)
    yield e
    await e.dispose()


@pytest_asyncio.fixture(scope="module")
async def cases(dev_env: WorkflowEnvironment, database_url: str, engine: AsyncEngine) -> Cases:
    directory = Directory.from_file(STAFF_FILE)
    task_queue = f"tq-verify-{uuid.uuid4().hex[:8]}"
    async with served_app(dev_env, database_url, task_queue) as (api, _):
        # 1. pause and resume, reopen (dissatisfied survey), then closed and archived
        r = await api.post("/complaints", json=complaint_body(), headers=key("cs-1"))
        assert r.status_code == 201, r.text
        c1 = r.json()["id"]
        p1 = f"/complaints/{c1}"
        await step(api, f"{p1}/assign", "cs-1", {"handler_id": "ops-2"})
        await step(api, f"{p1}/classify", "ops-2", CLASSIFY_GENERAL)
        await step(api, f"{p1}/plan", "ops-2", {"plan": "Call the carrier"})
        await step(api, f"{p1}/wait-for-customer", "ops-2", {"reason": "Waiting for the waybill"})
        await asyncio.sleep(0.3)  # a pause that counts
        await step(api, f"{p1}/resume", "cs-1", {"note": "It came"})
        await step(api, f"{p1}/resolve", "ops-2", {"result": "Refund", "reply_channel": "letter"})
        v = await step(api, f"{p1}/survey", "cs-1", {"satisfied": False, "score": 1, "comment": "still late"})
        assert v["reopen_count"] == 1
        await step(api, f"{p1}/plan", "ops-2", {"plan": "Second try"})
        await step(api, f"{p1}/resolve", "ops-2", {"result": "Refund and a voucher", "reply_channel": "letter"})
        await step(api, f"{p1}/survey", "cs-1", {"satisfied": True, "score": 5})

        # 2. working time on a Berlin calendar (every hour worked, a holiday two days on): the plan
        # clock warned at 50 % of its 3 s, breached, done late; then waiting on the customer
        today = local_date(datetime.now(UTC), BERLIN)
        holiday = today + timedelta(days=2)
        whole_days = BusinessCalendar(timezone=BERLIN, hours={d: "00:00-00:00" for d in range(7)}, holidays=[holiday])
        policy = ComplaintPolicy(
            plan_deadline=timedelta(seconds=3),
            plan_warnings=[0.5],
            plan_clock_counts=W,
            resolution_clock_counts=W,
            customer_wait_warnings=[],
            timezone=BERLIN,
            calendar=whole_days,
        )
        receiver = directory.get("cs-1")
        assert receiver is not None
        inp = intake_input(new_case_id(), ComplaintCreate.model_validate(complaint_body()), receiver, directory, policy)
        view = await start_complaint(dev_env.client, task_queue, inp)
        assert view.resolution_due_at is not None  # 3 days of working time take the holiday too
        assert view.resolution_due_at - view.received_at >= timedelta(days=3, hours=23)
        c2 = inp.id
        p2 = f"/complaints/{c2}"
        await step(api, f"{p2}/assign", "cs-1", {"handler_id": "ops-2"})
        await eventually(lambda: _has(api, p2, "plan_overdue"))
        await step(api, f"{p2}/classify", "ops-2", CLASSIFY_GENERAL)
        await step(api, f"{p2}/plan", "ops-2", {"plan": "Late, but here"})
        one_more = whole_days.model_copy(update={"holidays": [holiday, holiday + timedelta(days=1)]})
        await change_terms(dev_env, ComplaintStep.change_terms, f"complaint-{c2}", directory, "gm", one_more)
        await step(api, f"{p2}/wait-for-customer", "ops-2", {"reason": "Waiting for the photo"})

        # 3. a project whose every clock counts Berlin office hours (a weekday holiday), suspended
        # and resumed, continuing as new every few steps
        office = BusinessCalendar(
            timezone=BERLIN,
            hours={d: "09:00-17:00" for d in range(5)},
            holidays=[next_weekday(today, 2), date(today.year, 12, 25), date(today.year + 1, 1, 1)],
        )
        ppolicy = ProjectPolicy(
            timezone=BERLIN,
            budget_clock_counts=W,
            follow_up_clock_counts=W,
            attention_clock_counts=W,
            study_clock_counts=W,
            annual_review_clock_counts=W,
            calendar=office,
        )
        applicant = directory.get("sales-1")
        assert applicant is not None
        application = ProjectCreate.model_validate(
            {
                "client_name": f"Foundry {uuid.uuid4().hex[:8]}",
                "background": "Ball mill operator",
                "contact_channel": "trade fair",
                "approach": "plant visit",
                "product_line": "cast_ball",
                "expected_annual_business": "3500000",
                "implementer_ids": ["sales-1"],
            }
        )
        pinp = project_input(new_case_id(), application, applicant, directory, ppolicy, history_limit=20)
        await start_project(dev_env.client, task_queue, pinp)
        p3 = f"/client-projects/{pinp.id}"
        for who in ("dev-review", "dev-deputy", "dev-lead"):
            await step(api, f"{p3}/review", who, {"approved": True, "note": "ok"})
        await step(api, f"{p3}/suspend", "sales-1", {"reason": "buyer on leave"})
        await asyncio.sleep(0.3)
        await step(api, f"{p3}/resume", "sales-1")
        await step(api, f"{p3}/suspend", "sales-1", {"reason": "plant closed"})
        await step(api, f"{p3}/resume", "sales-1")
        later = office.model_copy(update={"holidays": [*office.holidays, next_weekday(today, 10)]})
        await change_terms(dev_env, ProjectStep.change_terms, f"client-project-{pinp.id}", directory, "dev-lead", later)

        wids = {c1: f"complaint-{c1}", c2: f"complaint-{c2}", pinp.id: f"client-project-{pinp.id}"}

        async def archived() -> bool:
            r = await api.get(p1, headers=key("cs-1"))
            return bool(r.json()["archived"])

        await eventually(archived)
    return Cases(c1, c2, pinp.id, database_url, wids)


async def change_terms(
    env: WorkflowEnvironment,
    which: ComplaintStep | ProjectStep,
    workflow_id: str,
    directory: Directory,
    by: str,
    calendar: BusinessCalendar,
) -> None:
    """Issue 14's change of terms, sent as ``starter.cli apply-calendar`` sends it."""
    actor = directory.get(by)
    assert actor is not None
    if isinstance(which, ComplaintStep):
        table: Any = COMPLAINT_STEPS
        update_for: Any = ComplaintWorkflow.update_for
    else:
        table, update_for = PROJECT_STEPS, ClientProjectWorkflow.update_for
    inp = table[which].input.model_validate({"actor": actor.ref, "body": {"calendar": calendar}})
    await env.client.get_workflow_handle(workflow_id).execute_update(update_for(which), inp)


async def _has(api: httpx.AsyncClient, path: str, kind: str) -> bool:
    return kind in await events(api, path)


def figures(rows: list[t.CaseClock], clock: str) -> list[t.CaseClock]:
    return [r for r in rows if r.clock == clock]


def run_command(database_url: str, env_address: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": env_address,
        "PAYLOAD_KEY": TEST_PAYLOAD_KEY,
        "COLUMNS": "240",
    }
    return subprocess.run(
        [sys.executable, "-m", "starter.verify_clocks", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def test_issue14_every_clock_figure_of_every_case_is_proven_by_replay(
    dev_env: WorkflowEnvironment, cases: Cases, engine: AsyncEngine
) -> None:
    """Issue 14, point 6: the clock accounts recomputed from each case's Temporal history (every
    run of the project) equal the database's, figure for figure: the command says so (exit 0)."""
    # what the cases cover, read from the database's own rows
    rows = {cid: await accounts(engine, wid) for cid, wid in cases.workflow_ids.items()}
    reopened = rows[cases.reopened]
    assert [r.outcome for r in figures(reopened, "plan")] == ["met", "met"]  # reopened: a second run
    assert any(len(r.pauses) == 1 and r.pauses[0]["until"] for r in figures(reopened, "resolution"))
    holiday = figures(rows[cases.holiday], "plan")[0]
    assert (holiday.outcome, len(holiday.warnings)) == ("breached", 1) and holiday.fulfilled_at is not None
    resolution = figures(rows[cases.holiday], "resolution")[0]
    assert resolution.outcome == "paused" and resolution.due_at is not None  # open, paused
    # 3 days of working time: a holiday, then one more when the terms changed
    assert resolution.due_at - resolution.started_at >= timedelta(days=4, hours=22)
    project = rows[cases.project]
    assert {r.clock for r in project} >= {"budget", "follow_up", "attention", "study", "annual_review"}
    assert all(len(figures(project, c)[0].pauses) == 2 for c in ("budget", "follow_up", "attention"))  # suspended twice
    attention = figures(project, "attention")[0]
    assert attention.due_at is not None and crosses_dst(attention.started_at, attention.due_at, BERLIN)
    assert "change_terms" in await kinds(engine, cases.workflow_ids[cases.project])
    assert "change_terms" in await kinds(engine, cases.workflow_ids[cases.holiday])
    runs = await histories_of(dev_env.client, cases.workflow_ids[cases.project])
    assert len(runs) >= 3, "the project should have continued as new"
    assert all(carries_clocks(h) for h in runs[1:])  # so each run's start is checked against the last

    report = await verify(dev_env.client, engine, await cases_in(engine), TEST_PAYLOAD_KEY)
    assert report.mismatches == [] and report.missing == []
    assert len(report.checked) == 3
    assert report.runs == 2 + len(runs)
    assert report.clocks == sum(len(r) for r in rows.values())

    done = run_command(cases.database_url, address(dev_env), "--all")
    assert done.returncode == 0, done.stdout + done.stderr

    # a case Temporal holds no history of is not proven: it fails the check (unless skipped)
    gone = await verify(dev_env.client, engine, [Case("gone", "complaint-gone")], TEST_PAYLOAD_KEY)
    assert [r.case.id for r in gone.missing] == ["gone"] and not gone.ok() and gone.ok(skip_missing=True)
    assert "cases checked" in done.stdout and "mismatches" in done.stdout


async def test_issue14_a_corrupted_clock_row_is_reported_exactly_and_fails_the_check(
    dev_env: WorkflowEnvironment, cases: Cases, engine: AsyncEngine
) -> None:
    """One figure changed in the database (the time a reopened case's first plan used): the
    verifier names that case, clock, run and field, with the history's value and the database's,
    and nothing else; the command exits 1."""
    wid = cases.workflow_ids[cases.reopened]
    plan = figures(await accounts(engine, wid), "plan")[0]
    assert plan.used_seconds is not None
    async with sessions(engine)() as db, db.begin():
        await db.execute(
            update(t.CaseClock)
            .where(t.CaseClock.case_ref == wid, t.CaseClock.n == plan.n)
            .values(used_seconds=plan.used_seconds + 60)
        )
    try:
        report: Report = await verify(dev_env.client, engine, await cases_in(engine), TEST_PAYLOAD_KEY, settle=0)
        used = timedelta(seconds=plan.used_seconds)
        assert report.mismatches == [
            Mismatch(
                cases.reopened,
                "plan",
                "1",
                "used",
                f"{used.total_seconds()}s",
                f"{(used + timedelta(seconds=60)).total_seconds()}s",
            )
        ]
        assert not report.ok()

        done = run_command(cases.database_url, address(dev_env), "--case", cases.reopened)
        assert done.returncode == 1, done.stdout + done.stderr
        lines = [line for line in done.stdout.splitlines() if cases.reopened in line]
        assert len(lines) == 1 and "plan" in lines[0] and "used" in lines[0], done.stdout
        assert "mismatches" in done.stdout
    finally:
        async with sessions(engine)() as db, db.begin():
            await db.execute(
                update(t.CaseClock)
                .where(t.CaseClock.case_ref == wid, t.CaseClock.n == plan.n)
                .values(used_seconds=plan.used_seconds)
            )
