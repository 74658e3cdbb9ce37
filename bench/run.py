"""`make bench` (quick: 1-4 at the 1,000 scale) and `make bench-full` (everything).

Each figure is set beside a bare Temporal reference measured in the same run on a fresh
persisted dev server, and reported as a ratio. Results: bench/results/<stamp>.json and .md;
BENCHMARKS.md keeps the latest table and the plot.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import platform
import random
import shlex
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table
from sqlalchemy import create_engine, func, select, text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from bench import console_pages, customer_scale
from bench.bare import STEPS, BareLifecycleWorkflow, BareTimerWorkflow
from bench.harness import CpuMeter, Stack, bounded, console, progress, rss_mb, summary
from bench.mirror import TABLE as MIRROR_TABLE
from bench.mirror import MirrorLifecycleWorkflow
from config import ROOT, Settings
from infra.logs import configure_logging
from models.complaint.messages import (
    AssignBody,
    AssignInput,
    ClassifyBody,
    ClassifyInput,
    ComplaintCreate,
    ComplaintStepInput,
    PlanBody,
    PlanInput,
    ResolveBody,
    ResolveInput,
    SurveyBody,
    SurveyInput,
)
from models.complaint.vocabulary import Category, ComplaintStep, ReplyChannel, Subtype, Validity
from models.policy import ComplaintPolicy
from models.staff import Directory
from starter.intake import complaint_static_summary, intake_input, new_case_id, start_complaint
from storage import tables as t
from storage.engine import sync_url
from workflows.complaint import ComplaintWorkflow

#: pause between a saturating burst and the measurement that follows it
SETTLE_SECONDS = 5.0
app = typer.Typer(add_completion=False)
DIRECTORY = Directory.from_file(ROOT / "data" / "staff.json")
BODY = ComplaintCreate.model_validate(
    {"channel": "hotline", "target": {"kind": "service"}, "summary": "Delivery two days late"}
)


@dataclass
class Sizes:
    lifecycle: int
    concurrency: int
    intake: int
    latency_seconds: float
    timers: list[int]
    timer_deadline: float
    timer_window: float
    memory_caches: list[int]
    scale: int
    report: int = 0  # issue 15: closed complaints under the monthly CP-18 report (full mode)
    customers: int = 0  # issue 16: customer accounts open at once (bench/customer_scale.py)
    #: issue 18: complaints in the database under the console's pages (bench/console_pages.py),
    #: each size a fresh database; and the timed requests per page
    console: tuple[int, ...] = ()
    console_requests: int = 200

    @classmethod
    def of(cls, mode: str) -> Sizes:
        if mode == "smoke":
            return cls(6, 3, 10, 2, [10], 5, 2, [10], 0, console=(300,), console_requests=5)
        if mode == "full":
            return cls(
                1000,
                100,
                2000,
                20,
                [1000, 3000, 10000],
                120,
                60,
                [100, 1000, 10000],
                100_000,
                1_000_000,
                100_000,
                console=(10_000, 100_000),
            )
        return cls(150, 50, 300, 10, [1000], 20, 45, [100], 0, console=(1_000, 10_000))


def _steps(handler: str = "ops-2") -> list[tuple[ComplaintStep, ComplaintStepInput[Any]]]:
    """The steps of one lifecycle case, each with its typed input, as the API sends them."""
    h = DIRECTORY.get(handler)
    cs1, ops2 = DIRECTORY.get("cs-1"), DIRECTORY.get(handler)
    assert h and cs1 and ops2
    return [
        (
            ComplaintStep.assign,
            AssignInput(
                actor=cs1.ref,
                body=AssignBody(handler_id=handler),
                handler=h.ref,
                handler_chain=DIRECTORY.chain(handler),
            ),
        ),
        (
            ComplaintStep.classify,
            ClassifyInput(
                actor=ops2.ref,
                body=ClassifyBody(category=Category.business, subtype=Subtype.timeliness, validity=Validity.valid),
            ),
        ),
        (ComplaintStep.plan, PlanInput(actor=ops2.ref, body=PlanBody(plan="Re-deliver"))),
        (
            ComplaintStep.resolve,
            ResolveInput(actor=ops2.ref, body=ResolveBody(result="Re-delivered", reply_channel=ReplyChannel.letter)),
        ),
        (ComplaintStep.survey, SurveyInput(actor=cs1.ref, body=SurveyBody(satisfied=True, score=5))),
    ]


def _intake(policy: ComplaintPolicy) -> Any:
    cs1 = DIRECTORY.get("cs-1")
    assert cs1
    return intake_input(new_case_id() + uuid.uuid4().hex[:4], BODY, cs1, DIRECTORY, policy)


# --- 1. lifecycle throughput --------------------------------------------------------------


async def bench_lifecycle(sz: Sizes) -> dict[str, Any]:
    stack = Stack()
    client = await stack.start()
    bare = stack.bare_client
    assert bare is not None
    out: dict[str, Any] = {}
    try:
        with progress() as bar:
            bare_task = bar.add_task("lifecycle: bare", total=sz.lifecycle)

            async def bare_case(i: int) -> None:
                op = WithStartWorkflowOperation(
                    BareLifecycleWorkflow.run,
                    1800.0,
                    id=f"bare-{uuid.uuid4().hex}",
                    task_queue="bare",
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )
                await bare.execute_update_with_start_workflow(
                    BareLifecycleWorkflow.registered_case, start_workflow_operation=op
                )
                handle = await op.workflow_handle()
                for s in STEPS:
                    await handle.execute_update(BareLifecycleWorkflow.step, s)
                await handle.result()

            # Both workers run as processes of their own, as `make run` runs the worker.
            bare_worker = stack.spawn(["-m", "bench.bare_worker"], TASK_QUEUE="bare")
            await stack.watched(bare_case(-1))  # untimed: the worker process is up and polling
            with CpuMeter(stack.server_pid, bare_worker.pid) as bare_cpu:
                bare_s = await bounded(sz.lifecycle, sz.concurrency, bare_case, lambda: bar.advance(bare_task))
            stack.stop_proc(bare_worker)

            # The mirror: the same Temporal work as one of our cases (the same updates with the
            # same payloads, as plain JSON; a look-up and seven one-row writes in local
            # activities; the same search attributes; the same timers; encrypted), and none of
            # our code. Between the two others, so that ours still runs last on the server.
            policy = ComplaintPolicy()
            steps = _steps()
            mirror_steps = [(step.value, inp.model_dump(mode="json")) for step, inp in steps]
            mirror_task = bar.add_task("lifecycle: mirror", total=sz.lifecycle)

            async def mirror_case(i: int) -> None:
                intake = _intake(policy)
                op = WithStartWorkflowOperation(
                    MirrorLifecycleWorkflow.run,
                    intake.model_dump(mode="json"),
                    id=f"mirror-{intake.id}",
                    task_queue="mirror",
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    static_summary=complaint_static_summary(intake.id, intake.complaint),
                )
                await client.execute_update_with_start_workflow(
                    MirrorLifecycleWorkflow.registered_case, start_workflow_operation=op
                )
                handle = await op.workflow_handle()
                for name, body in mirror_steps:
                    await handle.execute_update(name, body, result_type=dict)
                await handle.result()

            mirror_worker = stack.spawn(["-m", "bench.mirror_worker"], TASK_QUEUE="mirror")
            await stack.watched(mirror_case(-1))
            with CpuMeter(stack.server_pid, mirror_worker.pid) as mirror_cpu:
                mirror_s = await bounded(sz.lifecycle, sz.concurrency, mirror_case, lambda: bar.advance(mirror_task))
            stack.stop_proc(mirror_worker)

            ours_task = bar.add_task("lifecycle: complaint system", total=sz.lifecycle)
            our_case = _our_case(client, "ours")
            our_worker = stack.spawn(["worker.py"], TASK_QUEUE="ours")
            await stack.watched(our_case(-1))
            with CpuMeter(stack.server_pid, our_worker.pid) as our_cpu:
                ours_s = await bounded(sz.lifecycle, sz.concurrency, our_case, lambda: bar.advance(ours_task))
        out = {
            "cases": sz.lifecycle,
            "concurrency": sz.concurrency,
            "bare_per_s": sz.lifecycle / bare_s,
            "mirror_per_s": sz.lifecycle / mirror_s,
            "ours_per_s": sz.lifecycle / ours_s,
            # what a case costs each process (ms of CPU): the two cores are shared, so the
            # totals bound the throughputs (see BENCHMARKS.md)
            "bare_cpu_ms_per_case": bare_cpu.ms_per(sz.lifecycle),
            "mirror_cpu_ms_per_case": mirror_cpu.ms_per(sz.lifecycle),
            "ours_cpu_ms_per_case": our_cpu.ms_per(sz.lifecycle),
            # the mirror writes as often as ours: rows written per case (the untimed one too)
            "writes_per_case": _writes_per_case(stack.database_url),
        }
        out["ratio"] = out["ours_per_s"] / out["bare_per_s"]
        out["ratio_to_mirror"] = out["ours_per_s"] / out["mirror_per_s"]
    finally:
        await stack.stop()
    return out


def _our_case(client: Client, task_queue: str) -> Callable[[int], Awaitable[None]]:
    """One complaint case of the lifecycle on ``task_queue``: the intake, then each step as an
    update with the input the API sends, then its end."""
    policy, steps = ComplaintPolicy(), _steps()

    async def case(i: int) -> None:
        intake = _intake(policy)
        await start_complaint(client, task_queue, intake)
        handle = client.get_workflow_handle(f"complaint-{intake.id}")
        for step, inp in steps:
            await handle.execute_update(ComplaintWorkflow.update_for(step), inp)
        await handle.result()

    return case


# --- 1b. worker processes (issue 17) ------------------------------------------------------


async def _pollers(client: Client, task_queue: str, n: int) -> None:
    """Wait until ``n`` worker processes poll ``task_queue`` for workflow tasks."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    while len((await client.workflow_service.describe_task_queue(request)).pollers) < n:
        await asyncio.sleep(0.2)


async def bench_workers(sz: Sizes) -> dict[str, Any]:
    """Issue 17: the lifecycle load of benchmark 1 (our cases, as many, as many in flight) on
    one fresh server, first with one worker process (`worker.py`), then with two on one task
    queue (a queue of its own for each run): what a second worker process adds here."""
    stack = Stack()
    client = await stack.start()
    per_s: dict[int, float] = {}
    try:
        with progress() as bar:
            for n in (1, 2):
                queue = f"workers-{n}"
                case = _our_case(client, queue)
                task = bar.add_task(f"lifecycle: {n} worker process{'es' if n > 1 else ''}", total=sz.lifecycle)
                workers = [stack.spawn(["worker.py"], TASK_QUEUE=queue, WORKER_METRICS_PORT="0") for _ in range(n)]
                await stack.watched(_pollers(client, queue, n))
                await stack.watched(case(-1))  # untimed, as in benchmark 1
                elapsed = await stack.watched(
                    bounded(sz.lifecycle, sz.concurrency, case, functools.partial(bar.advance, task))
                )
                per_s[n] = sz.lifecycle / elapsed
                for worker in workers:
                    stack.stop_proc(worker)
    finally:
        await stack.stop()
    return {
        "cases": sz.lifecycle,
        "concurrency": sz.concurrency,
        "one_per_s": per_s[1],
        "two_per_s": per_s[2],
        "ratio": per_s[2] / per_s[1],
    }


def _writes_per_case(database_url: str) -> dict[str, float]:
    """Rows written per case: our case events per complaint, the mirror's rows per case."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as db:
            events = db.scalar(select(func.count()).select_from(t.CaseEvent)) or 0
            cases = db.scalar(select(func.count()).select_from(t.Complaint)) or 0
            rows, refs = db.execute(text(f"SELECT count(*), count(DISTINCT case_ref) FROM {MIRROR_TABLE}")).one()
    finally:
        engine.dispose()
    return {"ours": events / cases if cases else 0.0, "mirror": rows / refs if refs else 0.0}


# --- 2. intake over HTTP ------------------------------------------------------------------


async def bench_intake(sz: Sizes) -> dict[str, Any]:
    stack = Stack()
    await stack.start()
    client = stack.bare_client
    assert client is not None
    try:
        stack.spawn(["worker.py"], TASK_QUEUE="ours")
        bare_worker = stack.spawn(["-m", "bench.bare_worker"], TASK_QUEUE="bare")
        base = await asyncio.to_thread(stack.spawn_api, "ours")
        body = BODY.model_dump(mode="json")
        with progress() as bar:
            bare_task = bar.add_task("intake: bare start_workflow", total=sz.intake)

            async def bare_start(i: int) -> None:
                await client.start_workflow(
                    BareLifecycleWorkflow.run, 1800.0, id=f"bare-{uuid.uuid4().hex}", task_queue="bare-idle"
                )

            bare_s = await bounded(sz.intake, sz.concurrency, bare_start, lambda: bar.advance(bare_task))

            # The second reference: what it costs Temporal alone to start a workflow AND hear
            # back from a worker that ran it (update-with-start, as the intake does), with the
            # bare workflow on a bare worker process: no HTTP, no activity, no database.
            uws_task = bar.add_task("intake: bare update-with-start", total=sz.intake)
            uws_latencies: list[float] = []

            async def bare_uws(i: int) -> None:
                op = WithStartWorkflowOperation(
                    BareLifecycleWorkflow.run,
                    1800.0,
                    id=f"bare-{uuid.uuid4().hex}",
                    task_queue="bare",
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )
                t0 = time.perf_counter()
                await client.execute_update_with_start_workflow(
                    BareLifecycleWorkflow.registered_case, start_workflow_operation=op
                )
                uws_latencies.append(time.perf_counter() - t0)

            uws_s = await bounded(sz.intake, sz.concurrency, bare_uws, lambda: bar.advance(uws_task))
            stack.stop_proc(bare_worker)

            ours_task = bar.add_task("intake: POST /complaints", total=sz.intake)
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            async with httpx.AsyncClient(
                base_url=base,
                headers={"X-API-Key": "demo-cs-1"},
                timeout=60,
                limits=httpx.Limits(max_connections=sz.concurrency),
            ) as http:

                async def post(i: int) -> None:
                    t0 = time.perf_counter()
                    r = await http.post("/complaints", json=body)
                    latencies.append(time.perf_counter() - t0)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    assert r.status_code in (201, 202), r.text  # 202: started durably, intake still running

                ours_s = await bounded(sz.intake, sz.concurrency, post, lambda: bar.advance(ours_task))
                saturated = sz.intake / ours_s

                # open loop at half the saturation rate, once the server has worked off what the
                # burst left queued (visibility writes of the search attributes, timers armed)
                await asyncio.sleep(SETTLE_SECONDS)
                rate = saturated / 2
                n = max(1, int(rate * sz.latency_seconds))
                half_task = bar.add_task(f"intake: {rate:.0f}/s open loop", total=n)
                half: list[float] = []

                async def timed(i: int) -> None:
                    await asyncio.sleep(i / rate)
                    t0 = time.perf_counter()
                    r = await http.post("/complaints", json=body)
                    half.append(time.perf_counter() - t0)
                    bar.advance(half_task)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    assert r.status_code in (201, 202), r.text

                await asyncio.gather(*(timed(i) for i in range(n)))
        out = {
            "requests": sz.intake,
            "bare_per_s": sz.intake / bare_s,
            "ours_per_s": saturated,
            "ratio": saturated / (sz.intake / bare_s),
            "bare_uws_per_s": sz.intake / uws_s,
            "ratio_to_uws": saturated / (sz.intake / uws_s),
            "bare_uws_latency_ms": {k: v * 1000 if k != "n" else v for k, v in summary(uws_latencies).items()},
            "saturated_latency_ms": {k: v * 1000 if k != "n" else v for k, v in summary(latencies).items()},
            "half_rate_per_s": rate,
            "half_rate_latency_ms": {k: v * 1000 if k != "n" else v for k, v in summary(half).items()},
            "statuses": statuses,
        }
    finally:
        await stack.stop()
    return out


# --- 3 and 4. timer lateness and worker memory --------------------------------------------


async def bench_timers_and_memory(sz: Sizes, open_cases: int) -> dict[str, Any]:
    """``open_cases`` complaints whose plan clocks fire in a spread window; then the worker's
    memory with them all open, against a bare worker holding as many bare workflows."""
    stack = Stack()
    client = await stack.start()
    deadline, window = sz.timer_deadline, sz.timer_window
    # The clocks come due spread evenly over `window` seconds, starting `deadline` seconds
    # after the first start: open_cases / window escalations a second.
    result: dict[str, Any] = {
        "open": open_cases,
        "deadline_s": deadline,
        "window_s": window,
        "fires_per_s": open_cases / window,
    }

    def due_in(t0: float, i: int) -> float:
        return max(1.0, t0 + deadline + window * i / open_cases - time.time())

    bare = stack.bare_client
    assert bare is not None
    try:
        worker = stack.spawn(["worker.py"], TASK_QUEUE="ours")  # the shipped cache size (Settings)
        bare_worker = stack.spawn(["-m", "bench.bare_worker"], TASK_QUEUE="bare")
        with progress() as bar:
            t_bare = bar.add_task(f"timers: start {open_cases} bare", total=open_cases)
            bare_handles = []
            t0 = time.time()

            async def bare_start(i: int) -> None:
                bare_handles.append(
                    await bare.start_workflow(
                        BareTimerWorkflow.run, due_in(t0, i), id=f"bt-{uuid.uuid4().hex}", task_queue="bare"
                    )
                )

            await bounded(open_cases, 50, bare_start, lambda: bar.advance(t_bare))
            t_bare_fire = bar.add_task("timers: bare fired", total=open_cases)
            bare_late: list[float] = []
            # No long polls on the server while the timers fire (they would load it): count the
            # completed ones once a second, as the complaint side reads its database.
            done_query = 'WorkflowType = "BareTimerWorkflow" AND ExecutionStatus = "Completed"'
            give_up = time.monotonic() + deadline + window + 300
            while time.monotonic() < give_up:
                done = (await bare.count_workflows(done_query)).count
                bar.update(t_bare_fire, completed=done)
                if done >= open_cases:
                    break
                await asyncio.sleep(1)

            async def bare_result(i: int) -> None:
                bare_late.append(await bare_handles[i].result())

            await bounded(open_cases, 50, bare_result, lambda: None)

            t_ours = bar.add_task(f"timers: start {open_cases} complaints", total=open_cases)

            t0 = time.time()

            async def our_start(i: int) -> None:
                policy = ComplaintPolicy(plan_deadline=timedelta(seconds=due_in(t0, i)))
                await client.start_workflow(
                    ComplaintWorkflow.run, _intake(policy), id=f"complaint-{uuid.uuid4().hex}", task_queue="ours"
                )

            await bounded(open_cases, 50, our_start, lambda: bar.advance(t_ours))
            t_fire = bar.add_task("timers: complaints escalated", total=open_cases)
            engine = create_engine(sync_url(stack.database_url))
            fired: list[float] = []
            give_up = time.monotonic() + deadline + window + 300
            while time.monotonic() < give_up:
                with engine.connect() as db:
                    rows = db.execute(
                        select(t.CaseEvent.at, t.CaseEvent.data).where(t.CaseEvent.kind == "plan_overdue")
                    ).all()
                bar.update(t_fire, completed=len(rows))
                if len(rows) >= open_cases:
                    break
                await asyncio.sleep(1)
            for at, data in rows:
                fired.append((at - datetime.fromisoformat(data["due_at"])).total_seconds())
            # issue 14: each plan clock warns at its warning points before it runs out (at 50 %
            # and 80 % by default): those timers fire too, and count in the firing rate
            with engine.connect() as db:
                warned = db.execute(
                    select(t.CaseEvent.at, t.CaseEvent.data).where(t.CaseEvent.kind == "clock_warning")
                ).all()
            engine.dispose()
        warn_late = [(at - datetime.fromisoformat(data["warning_at"])).total_seconds() for at, data in warned]
        every = [at for at, _ in rows] + [at for at, _ in warned]
        span = (max(every) - min(every)).total_seconds() if len(every) > 1 else 0.0
        result["bare_lateness_s"] = summary(bare_late)
        result["ours_lateness_s"] = summary(fired)
        result["escalated"] = len(fired)
        result["warnings"] = len(warned)
        result["warning_lateness_s"] = summary(warn_late)
        result["fires_per_s_with_warnings"] = len(every) / span if span > 0 else 0.0

        # memory: every complaint is open (waiting for its 3-day clock) in the worker's cache
        with progress() as bar:
            t_idle = bar.add_task(f"memory: {open_cases} open bare", total=open_cases)

            async def bare_open(i: int) -> None:
                await bare.start_workflow(
                    BareLifecycleWorkflow.run, 86400.0, id=f"bl-{uuid.uuid4().hex}", task_queue="bare"
                )

            await bounded(open_cases, 50, bare_open, lambda: bar.advance(t_idle))
        await asyncio.sleep(3)
        result["memory_mb"] = {"bare_worker": rss_mb(bare_worker.pid), "ours_worker": rss_mb(worker.pid)}
        result["memory_mb"]["ratio"] = result["memory_mb"]["ours_worker"] / result["memory_mb"]["bare_worker"]

        # how it scales with the cache (at the largest scale only): restart the worker with each
        # size and touch every case, so that the cache fills up to its size
        per_cache: dict[str, float] = {}
        untouched: dict[str, int] = {}
        ids = [
            w.id
            async for w in client.list_workflows('WorkflowType = "ComplaintWorkflow" AND ExecutionStatus = "Running"')
        ]
        for cache in sz.memory_caches if open_cases == max(sz.timers) else []:
            stack.stop_proc(worker)
            worker = stack.spawn(["worker.py"], TASK_QUEUE="ours", MAX_CACHED_WORKFLOWS=str(cache))
            await asyncio.sleep(2)
            with progress() as bar:
                t_q = bar.add_task(f"memory: cache {cache}, touch cases", total=len(ids))

                async def touch(i: int, cache: int = cache) -> None:
                    # a query on a case out of the cache replays its history: under a small
                    # cache and 10,000 cases that can outlast a time-out; try again, then count it
                    for _ in range(3):
                        try:
                            await client.get_workflow_handle(ids[i]).query(
                                ComplaintWorkflow.get_case, rpc_timeout=timedelta(seconds=30)
                            )
                            return
                        except RPCError:
                            await asyncio.sleep(1)
                    untouched[str(cache)] = untouched.get(str(cache), 0) + 1

                await bounded(len(ids), 20, touch, functools.partial(bar.advance, t_q))
            per_cache[str(cache)] = rss_mb(worker.pid)
        result["memory_by_cache_mb"] = per_cache
        result["untouched_by_cache"] = untouched
        result["disk_mb"] = stack.disk_mb()
    finally:
        await stack.stop()
    return result


# --- 5. scale -----------------------------------------------------------------------------


REPORT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _report_scale(*args: str) -> str:
    """``python -m bench.report_scale …`` in its own process (its progress on our stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.report_scale", *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"bench.report_scale {args[0]} exited {proc.returncode}")
    return out.decode().strip().splitlines()[-1]


async def bench_report(n: int, runs: int = 3) -> dict[str, Any]:
    """Issue 15: the monthly CP-18 report over ``n`` closed complaints (four years of history at
    n = 1,000,000) on SQLite and on PostgreSQL, generated straight into a fresh database, then
    produced ``runs`` times, each in a fresh process (the median run kept, every run recorded)."""
    import psycopg

    results: dict[str, Any] = {}
    urls = {"sqlite": f"sqlite:///{ROOT / 'var' / 'bench-report.db'}"}
    try:
        with psycopg.connect(REPORT_PG_ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute("DROP DATABASE IF EXISTS bench_report")
            admin.execute("CREATE DATABASE bench_report")
        urls["postgresql"] = "postgresql://postgres@127.0.0.1:5432/bench_report"
    except psycopg.Error as e:
        results["postgresql"] = {"skipped": f"no PostgreSQL at 127.0.0.1:5432: {e}"}
    for path in (ROOT / "var").glob("bench-report.db*"):
        path.unlink()
    for backend, url in urls.items():
        console.print(f"CP-18 report: generating {n:,} closed complaints on {backend}")
        generated = json.loads(await _report_scale("generate", "--url", url, "--n", str(n)))
        measured = []
        for i in range(runs):
            measured.append(json.loads(await _report_scale("measure", "--url", url)))
            console.print(f"CP-18 report on {backend}, run {i + 1}/{runs}: {measured[-1]}")
        median = sorted(measured, key=lambda m: m["seconds"])[len(measured) // 2]
        results[backend] = {"n": n, "generated": generated, "runs": measured, **median}
    return results


async def bench_scale(n: int) -> dict[str, Any]:
    stack = Stack()
    client = await stack.start()
    try:
        stack.spawn(["worker.py"], TASK_QUEUE="ours")
        base = await asyncio.to_thread(stack.spawn_api, "ours")
        policy = ComplaintPolicy()
        rates: list[tuple[int, float]] = []
        started = 0
        window_t0, window_n = time.perf_counter(), 0
        ids: list[str] = []
        with progress() as bar:
            task = bar.add_task(f"scale: start {n} complaints", total=n)

            async def start(i: int) -> None:
                nonlocal started, window_t0, window_n
                inp = _intake(policy)
                await client.start_workflow(ComplaintWorkflow.run, inp, id=f"complaint-{inp.id}", task_queue="ours")
                ids.append(inp.id)
                started += 1
                window_n += 1
                if time.perf_counter() - window_t0 >= 10:
                    rates.append((started, window_n / (time.perf_counter() - window_t0)))
                    window_t0, window_n = time.perf_counter(), 0

            await bounded(n, 100, start, lambda: bar.advance(task))
        await asyncio.sleep(30)
        # Read cases the worker has registered (a case it has not reached yet is a quick 404,
        # which says nothing of reading): how many it has reached is reported beside.
        engine = create_engine(sync_url(stack.database_url))
        with engine.connect() as db:
            registered = list(db.scalars(select(t.Complaint.id)))
        engine.dispose()
        latencies = []
        statuses: dict[int, int] = {}
        async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": "demo-cs-1"}) as http:
            for cid in random.sample(registered, min(200, len(registered))):
                t0 = time.perf_counter()
                r = await http.get(f"/complaints/{cid}")
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        return {
            "open": n,
            "start_rate_by_count": rates,
            "registered_when_read": len(registered),
            "read_latency_ms": summary(latencies),
            "read_statuses": statuses,
            "disk_mb": stack.disk_mb(),
        }
    finally:
        await stack.stop()


# --- report -------------------------------------------------------------------------------


def _table(res: dict[str, Any]) -> tuple[Table, str]:
    rows: list[tuple[str, str, str, str, str]] = []

    def cpu(c: dict[str, float]) -> str:
        return f"{sum(c.values()):.0f} ms = server {c['server']:.0f} + worker {c['worker']:.0f} + load {c['load']:.0f}"

    lc = res.get("lifecycle")
    if lc:
        rows.append(
            (
                "1. lifecycle throughput",
                f"{lc['ours_per_s']:.1f} cases/s",
                f"{lc['bare_per_s']:.1f} cases/s",
                f"{lc['ratio']:.2f}",
                "≥ 0.7",
            )
        )
        if "ours_cpu_ms_per_case" in lc:
            o, b = lc["ours_cpu_ms_per_case"], lc["bare_cpu_ms_per_case"]
            rows.append(("1. CPU per case", cpu(o), cpu(b), f"{sum(b.values()) / sum(o.values()):.2f}", ""))
        if "mirror_per_s" in lc:
            # the second reference: the same Temporal work as our case, none of our code
            rows.append(
                (
                    "1. lifecycle, against the mirror",
                    f"{lc['ours_per_s']:.1f} cases/s",
                    f"{lc['mirror_per_s']:.1f} cases/s (mirror)",
                    f"{lc['ratio_to_mirror']:.2f}",
                    "",
                )
            )
            o, m = lc["ours_cpu_ms_per_case"], lc["mirror_cpu_ms_per_case"]
            rows.append(
                (
                    "1. CPU per case, against the mirror",
                    cpu(o),
                    cpu(m) + " (mirror)",
                    f"{sum(m.values()) / sum(o.values()):.2f}",
                    "",
                )
            )
    wk = res.get("workers")
    if wk:
        rows.append(
            (
                "1. lifecycle, 2 worker processes against 1",
                f"{wk['two_per_s']:.1f} cases/s (2 workers) · {wk['one_per_s']:.1f} cases/s (1 worker)",
                "",
                f"{wk['ratio']:.2f}",
                "",
            )
        )
    it = res.get("intake")
    if it:
        late = it.get("statuses", {}).get(202, 0)
        rows.append(
            (
                "2. intake (HTTP)",
                f"{it['ours_per_s']:.1f} req/s" + (f" ({late} answered 202)" if late else ""),
                f"{it['bare_per_s']:.1f} starts/s",
                f"{it['ratio']:.2f}",
                "≥ 0.8",
            )
        )
        if "bare_uws_per_s" in it:
            rows.append(
                (
                    "2. intake, against start + worker reply",
                    f"{it['ours_per_s']:.1f} req/s",
                    f"{it['bare_uws_per_s']:.1f} update-with-start/s",
                    f"{it['ratio_to_uws']:.2f}",
                    "",
                )
            )
        rows.append(
            (
                "2. p99 at half saturation",
                f"{it['half_rate_latency_ms']['p99']:.0f} ms at {it['half_rate_per_s']:.0f}/s",
                "",
                "",
                "< 100 ms",
            )
        )
    for tm in res.get("timers", []):
        o, b = tm["ours_lateness_s"], tm["bare_lateness_s"]
        landed = "" if tm["escalated"] >= tm["open"] else f" (only {tm['escalated']} landed while watched)"
        rows.append(
            (
                f"3. timer lateness, {tm['open']} open ({tm.get('fires_per_s', 0):.0f} fires/s)",
                f"p50 {o['p50']:.2f} s · p99 {o['p99']:.2f} s · max {o['max']:.2f} s{landed}",
                f"p50 {b['p50']:.2f} s · p99 {b['p99']:.2f} s",
                f"{o['p99'] - b['p99']:+.2f} s p99",
                "p99 < 1 s",
            )
        )
        if tm.get("warnings"):
            w = tm["warning_lateness_s"]
            rows.append(
                (
                    f"3. warning lateness, {tm['warnings']} warnings "
                    f"({tm.get('fires_per_s_with_warnings', 0):.0f} fires/s with the escalations)",
                    f"p50 {w['p50']:.2f} s · p99 {w['p99']:.2f} s · max {w['max']:.2f} s",
                    f"p50 {b['p50']:.2f} s · p99 {b['p99']:.2f} s",
                    f"{w['p99'] - b['p99']:+.2f} s p99",
                    "p99 < 1 s",
                )
            )
        m = tm["memory_mb"]
        rows.append(
            (
                f"4. worker RSS, {tm['open']} open, shipped cache",
                f"{m['ours_worker']:.0f} MB",
                f"{m['bare_worker']:.0f} MB",
                f"{m['ratio']:.2f}",
                "< 300 MB at 10,000",
            )
        )
        if tm.get("memory_by_cache_mb"):
            rows.append(
                (
                    "4. RSS by max_cached_workflows",
                    ", ".join(f"{k}: {v:.0f} MB" for k, v in tm["memory_by_cache_mb"].items()),
                    "",
                    "",
                    "",
                )
            )
    sc = res.get("scale")
    if sc:
        reached = f" ({sc['registered_when_read']} registered by then)" if "registered_when_read" in sc else ""
        rows.append(
            (f"5. scale, {sc['open']} open", f"GET p99 {sc['read_latency_ms']['p99']:.0f} ms{reached}", "", "", "")
        )
    if res.get("customers"):
        rows.extend(customer_scale.rows(res["customers"]))
    rows.extend(console_pages.rows_of(res.get("console", [])))
    for name, err in res.get("errors", {}).items():
        rows.append((f"{name}: did not finish", err[:100].replace("|", "/"), "", "", ""))
    table = Table(title="Benchmarks (ratios against the bare reference, same run, same server)")
    for col in ("measure", "complaint system", "bare Temporal", "ratio", "target"):
        table.add_column(col)
    md = ["| measure | complaint system | bare Temporal | ratio | target |", "|---|---|---|---|---|"]
    for r in rows:
        table.add_row(*r)
        md.append("| " + " | ".join(r) + " |")
    return table, "\n".join(md)


def _plot(res: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    timers = res.get("timers", [])
    if not timers:
        return False
    xs = [tm["open"] for tm in timers]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for key, label in (("ours_lateness_s", "complaint system"), ("bare_lateness_s", "bare Temporal")):
        ax.plot(xs, [tm[key]["p50"] for tm in timers], marker="o", label=f"{label} p50")
        ax.plot(xs, [tm[key]["p99"] for tm in timers], marker="s", linestyle="--", label=f"{label} p99")
    ax.set_xscale("log")
    ax.set_yscale("log")  # from tens of milliseconds below saturation to minutes past it
    ax.set_xticks(xs, [f"{x:,}\n{tm.get('fires_per_s', 0):.0f}/s" for x, tm in zip(xs, timers, strict=True)])
    ax.set_xlabel("open complaints whose clocks fire in the window, and escalations a second")
    ax.set_ylabel("lateness (s)")
    ax.set_title("Escalation timer lateness")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


async def run_all(mode: str, out_dir: Path, write_benchmarks_md: bool) -> dict[str, Any]:
    sz = Sizes.of(mode)
    configure_logging(Settings(log_level="WARNING"))  # as the processes the Stack spawns
    res: dict[str, Any] = {
        "mode": mode,
        "started_at": datetime.now(UTC).isoformat(),
        "errors": {},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    raw = out_dir / f"{stamp}-{mode}.json"

    async def phase(name: str, run: Callable[[], Awaitable[Any]], keep: Callable[[Any], None]) -> None:
        """One benchmark; its result is kept and everything so far saved after each, and a
        failure is recorded (and the run goes on) rather than losing the others. The smoke run
        lets it raise."""
        try:
            keep(await run())
        except Exception as e:
            if mode == "smoke":
                raise
            console.print(f"[red]{name} failed: {e!r}[/red]")
            res["errors"][name] = repr(e)
        finally:
            raw.write_text(json.dumps(res, indent=2, default=str))

    res["timers"] = []
    await phase("lifecycle", lambda: bench_lifecycle(sz), lambda out: res.__setitem__("lifecycle", out))
    await phase("workers", lambda: bench_workers(sz), lambda out: res.__setitem__("workers", out))
    await phase("intake", lambda: bench_intake(sz), lambda out: res.__setitem__("intake", out))
    for n in sz.timers:
        await phase(f"timers {n}", lambda n=n: bench_timers_and_memory(sz, n), res["timers"].append)  # type: ignore[misc]
    if sz.scale:
        await phase("scale", lambda: bench_scale(sz.scale), lambda out: res.__setitem__("scale", out))
    if sz.report:
        await phase("report", lambda: bench_report(sz.report), lambda out: res.__setitem__("report", out))
    if sz.customers:
        await phase(
            "customers", lambda: customer_scale.measure(sz.customers), lambda out: res.__setitem__("customers", out)
        )
    res["console"] = []
    for n in sz.console:
        db = (out_dir if mode == "smoke" else ROOT / "var") / "bench-console.db"
        await phase(
            f"console {n}",
            lambda n=n, db=db: console_pages.run(n, sz.console_requests, db),  # type: ignore[misc]
            res["console"].append,
        )
    table, md = _table(res)
    console.print(table)
    raw.write_text(json.dumps(res, indent=2, default=str))
    (out_dir / f"{stamp}-{mode}.md").write_text(md + "\n")
    if write_benchmarks_md:
        plotted = _plot(res, ROOT / "bench" / "timer_lateness.png")
        command = "make bench-full" if mode == "full" else "make bench"
        block = "\n".join(
            [
                f"Latest run: `{command}` on {res['started_at'][:16]} UTC, {res['machine']['cpus']} cores, "
                f"Python {res['machine']['python']}, {res['machine']['platform']}.",
                "Each benchmark starts its own `temporal server start-dev` persisted to a file (as `make run` "
                "does) and measures the bare reference and the complaint system on it in the same run.",
                'The lifecycle has a second reference, the mirror (`bench/mirror.py`, rows "against the mirror"): '
                "the same Temporal work as a complaint case (the same updates with validators, a look-up and "
                "eight one-row writes in local activities, the same search attributes and timers, the same "
                "data converter) and none of our code; the ratio to it is about the share of a case's cost that is "
                "Temporal's, the rest being our code (rules, pydantic state, projection, notifications).",
                "",
                md,
                "",
                "![timer lateness against open complaints](bench/timer_lateness.png)" if plotted else "",
                "",
                f"Raw results: `bench/results/{stamp}-{mode}.json`. Command line: `{shlex.join(sys.argv)}`.",
            ]
        )
        _write_latest(ROOT / "BENCHMARKS.md", block)
    return res


BEGIN, END = "<!-- latest run: written by bench/run.py -->", "<!-- end of latest run -->"


def _write_latest(path: Path, block: str) -> None:
    """Replace the latest-run block of BENCHMARKS.md, keeping the analysis written around it."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not (sep and sep2):
        head, tail = text.rstrip() + "\n\n", "\n"
    path.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}")


@app.command()
def main(
    mode: Annotated[str, typer.Option(help="smoke (tiny, for tests), quick (make bench), full")] = "quick",
    out: Annotated[Path, typer.Option()] = ROOT / "bench" / "results",
    write_md: Annotated[bool, typer.Option("--write-md/--no-write-md")] = True,
) -> None:
    asyncio.run(run_all(mode, out, write_md and mode != "smoke"))


if __name__ == "__main__":
    app()
