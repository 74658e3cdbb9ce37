"""Issue 16 at scale: N customer accounts open at once, each with its clocks armed, beside bare
Temporal in the same run, on a fresh persisted ``temporal server start-dev`` (bench/harness.py).

    python -m bench.customer_scale --count 100000    # what `make bench-full` runs
    python -m bench.customer_scale --count 300       # a quick look

1. The bare reference: ``--bare-open`` (default N) bare workflows opened by update-with-start on
   the bare worker process (``bench.bare_worker``), each waiting for a month: the start rate of
   Temporal alone, and the bare worker's RSS holding them.
2. N accounts opened through ``starter.intake``'s CUSTOMER kind (update-with-start that answers
   once the worker has registered the account and armed its clocks), 100 in flight, on the real
   worker process with the shipped ``max_cached_workflows`` (config.Settings). Every account has
   a delivered project (CC-01 revisit, due within the month), a class-C credit report (CC-03,
   monthly), the CC-05 service clock (3 months after the last service) and the yearly survey
   (CC-07) armed; none of them comes due in the run, except:
3. the last ``--due`` accounts opened, whose last service (``last_service_at``) was almost
   ``unserved_after_months`` ago, so that their CC-05 clocks come due spread evenly over
   ``--window`` seconds, once all N are open; beside them, as many bare timers (``BareDueTimer
   Workflow``) with the same absolute due times, started in the same run. Lateness is when the
   workflow acted minus the due time (the ``unserved`` event's ``lateness_seconds``; the bare
   timer's ``workflow.now()`` minus its due time). The policy is the shipped one (the
   environment's, as the API reads it), so each of those accounts also gives its CC-05 reminder
   (at 80 % of the 3 months, already past) as soon as it opens.

Reported: the start rates and the CPU a start costs (server, worker, load generator), the
workers' RSS with everything open and its peak, the lateness distribution (p50, p90, p99, max)
of both sides. Saved as bench/results/<stamp>-customers-<N>.json and .md.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import create_engine, func, select
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from bench.bare import BareDueTimerWorkflow, BareLifecycleWorkflow
from bench.harness import CpuMeter, Stack, bounded, console, progress, rss_mb, summary
from config import ROOT, Settings
from models.calendar import add_months
from models.customer.messages import CustomerCreate
from models.customer.state import CustomerInput, months_later
from models.policy import CustomerPolicy, load_customer_policy
from models.staff import Directory
from starter.intake import CUSTOMER, customer_input, start_case
from storage import tables as t
from storage.engine import sync_url

DIRECTORY = Directory.from_file(ROOT / "data" / "staff.json")
OWNER, OPENER = "cs-1", "cs-sup"
#: accounts (and bare workflows) being opened at once
CONCURRENCY = 100
#: a bare workflow waits this long: open for the whole run, as an account is
BARE_OPEN_SECONDS = 30 * 86400.0


def default_due(count: int) -> int:
    """How many accounts' clocks come due in the window: a tenth, at most 1,000 (the same firing
    rate at 10,000 and 100,000)."""
    return max(1, min(1000, count // 10))


def account_input(policy: CustomerPolicy, i: int, now: datetime, last_service_at: datetime | None) -> CustomerInput:
    """Account ``i``: a class-C customer of cs-1 with a project delivered ten days ago, opened by
    the supervisor (as the API would open it), its last service when given."""
    opener = DIRECTORY.get(OPENER)
    assert opener is not None
    create = CustomerCreate.model_validate(
        {
            "name": f"Bench customer {i}",
            "owner_id": OWNER,
            "credit_class": "C",
            "delivered": [{"project_id": f"P{i}", "delivered_at": (now - timedelta(days=10)).isoformat()}],
            "last_service_at": last_service_at.isoformat() if last_service_at else None,
        }
    )
    return customer_input(f"{now:%Y%m%d}-B{i:06d}{uuid.uuid4().hex[:4].upper()}", create, opener, DIRECTORY, policy)


def served_for(due: datetime, policy: CustomerPolicy) -> tuple[datetime, datetime]:
    """The last service that makes CC-05 come due at (about) ``due``, and the due time it makes
    (calendar months: the same unless the day is past the end of a shorter month)."""
    served = add_months(due, -policy.unserved_after_months, policy.timezone).astimezone(UTC)
    return served, months_later(served, policy.unserved_after_months, policy)


class RssPeaks:
    """The peak RSS of some processes, read once a second while it runs."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.peak = pids, dict.fromkeys(pids, 0.0)
        self.task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_mb(pid))
            await asyncio.sleep(1)

    def __enter__(self) -> RssPeaks:
        self.task = asyncio.ensure_future(self._sample())
        return self

    def __exit__(self, *_: object) -> None:
        if self.task:
            self.task.cancel()


class Rates:
    """Opens counted as they come: the rate of each window of ``every`` seconds."""

    def __init__(self, every: float = 10.0) -> None:
        self.every, self.done = every, 0
        self.windows: list[tuple[int, float]] = []
        self.t0, self.n = time.perf_counter(), 0

    def tick(self) -> float | None:
        """Count one; the last window's rate when one has just closed."""
        self.done += 1
        self.n += 1
        elapsed = time.perf_counter() - self.t0
        if elapsed < self.every:
            return None
        self.windows.append((self.done, self.n / elapsed))
        self.t0, self.n = time.perf_counter(), 0
        return self.windows[-1][1]


async def _open_many(stack: Stack, n: int, label: str, job: Callable[[int], Any], rates: Rates | None = None) -> float:
    """``job(0..n-1)``, CONCURRENCY in flight, with a progress bar that shows the rate; seconds."""
    if n == 0:
        return 0.0
    with progress() as bar:
        task = bar.add_task(label, total=n)

        def tick() -> None:
            bar.advance(task)
            rate = rates.tick() if rates else None
            if rate is not None:
                bar.update(task, description=f"{label} ({rate:.0f}/s)")

        return await stack.watched(bounded(n, CONCURRENCY, job, tick))


async def _bare_open(client: Client, tag: str) -> None:
    op = WithStartWorkflowOperation(
        BareLifecycleWorkflow.run,
        BARE_OPEN_SECONDS,
        id=f"bare-{tag}-{uuid.uuid4().hex}",
        task_queue="bare",
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(BareLifecycleWorkflow.registered_case, start_workflow_operation=op)


async def measure(
    count: int,
    due: int | None = None,
    window: float = 60.0,
    bare_open: int | None = None,
    margin: float = 10.0,
    give_up: float = 300.0,
) -> dict[str, Any]:
    """Open ``count`` accounts (``due`` of them with a clock due in ``window`` seconds once all are
    open) and ``bare_open`` bare workflows; see the module's docstring."""
    if count < 2:
        raise ValueError("open at least two accounts (one untimed, then the measured ones)")
    due = default_due(count) if due is None else max(1, min(due, count - 1))
    bare_open = count if bare_open is None else bare_open
    policy = load_customer_policy()
    cache = Settings().max_cached_workflows  # what the worker reads from the same environment
    res: dict[str, Any] = {
        "open": count,
        "due": due,
        "window_s": window,
        "bare_open": bare_open,
        "max_cached_workflows": cache,
        "concurrency": CONCURRENCY,
        "unserved_after_months": policy.unserved_after_months,
    }
    stack = Stack()
    client = await stack.start()
    bare = stack.bare_client
    assert bare is not None
    engine = create_engine(sync_url(stack.database_url))
    try:
        worker = stack.spawn(["worker.py"], TASK_QUEUE="ours")  # the shipped cache size
        bare_worker = stack.spawn(["-m", "bench.bare_worker"], TASK_QUEUE="bare")
        pids = {"worker": worker.pid, "bare_worker": bare_worker.pid, "server": stack.server_pid}
        with RssPeaks(pids) as peaks:
            # 1. the bare reference: as many bare workflows opened, each registered by its worker
            await stack.watched(_bare_open(bare, "warm"))  # untimed: the bare worker is polling
            bare_rates = Rates()
            with CpuMeter(stack.server_pid, bare_worker.pid) as bare_cpu:
                bare_s = await _open_many(
                    stack,
                    bare_open,
                    f"customers: open {bare_open:,} bare",
                    lambda i: _bare_open(bare, str(i)),
                    bare_rates,
                )
            await asyncio.sleep(3)
            res["bare_per_s"] = bare_open / bare_s if bare_s else 0.0
            res["bare_rate_by_count"] = bare_rates.windows
            res["bare_cpu_ms_per_start"] = bare_cpu.ms_per(max(bare_open, 1))
            res["bare_worker_rss_mb"] = rss_mb(bare_worker.pid)

            # 2. the accounts whose clocks do not come due in the run
            now = datetime.now(UTC)
            background = count - due
            timed = count - 1  # account 0 is opened untimed: the worker is polling
            await stack.watched(start_case(client, "ours", CUSTOMER, account_input(policy, 0, now, None)))
            rates = Rates()

            async def open_account(i: int) -> None:
                await start_case(client, "ours", CUSTOMER, account_input(policy, i + 1, now, None))

            with CpuMeter(stack.server_pid, worker.pid) as cpu:
                ours_s = await _open_many(
                    stack, background - 1, f"customers: open {count:,} accounts", open_account, rates
                )
            # 3. the last `due` accounts, their CC-05 clocks due in the window once all are
            # open, and as many bare timers due at the same times; the window starts once
            # both are started (estimated from the rates so far), with a margin
            our_rate = (background - 1) / ours_s if ours_s > 1 else 20.0
            bare_rate = res["bare_per_s"] or 100.0
            first = time.time() + 1.5 * (due / our_rate + due / bare_rate) + margin
            dues = [served_for(datetime.fromtimestamp(first + window * i / due, UTC), policy) for i in range(due)]
            bare_handles: list[WorkflowHandle[Any, float]] = []

            async def bare_timer(i: int) -> None:
                bare_handles.append(
                    await bare.start_workflow(
                        BareDueTimerWorkflow.run,
                        dues[i][1].isoformat(),
                        id=f"bdt-{uuid.uuid4().hex}",
                        task_queue="bare",
                    )
                )

            await _open_many(stack, due, f"customers: start {due:,} bare timers", bare_timer)
            opened_late = 0

            async def due_account(i: int) -> None:
                nonlocal opened_late
                served, due_at = dues[i]
                await start_case(client, "ours", CUSTOMER, account_input(policy, background + i, now, served))
                opened_late += datetime.now(UTC) >= due_at

            t_due = time.perf_counter()
            await _open_many(stack, due, f"customers: open {due:,} due", due_account, rates)
            ours_s += time.perf_counter() - t_due
            res["ours_per_s"] = timed / ours_s
            res["ours_rate_by_count"] = rates.windows
            res["ours_cpu_ms_per_start"] = cpu.ms_per(max(background - 1, 1))  # the background opens
            res["ratio"] = res["ours_per_s"] / res["bare_per_s"] if res["bare_per_s"] else 0.0
            res["opened_after_due"] = opened_late
            res["window_opened_after_s"] = max(0.0, time.time() - first)  # > 0: some starts ran into it
            await asyncio.sleep(3)
            res["worker_rss_mb"] = rss_mb(worker.pid)
            res["open_rss_mb"] = {"ours_worker": res["worker_rss_mb"], "bare_worker": rss_mb(bare_worker.pid)}

            # 4. the window: count the fired clocks once a second (no long polls on the server)
            fired: list[Any] = []
            deadline = time.monotonic() + max(0.0, first + window - time.time()) + give_up
            with progress() as bar:
                t_ours = bar.add_task("customers: CC-05 clocks acted on", total=due)
                t_bare = bar.add_task("customers: bare timers fired", total=due)
                bare_done = 0
                while time.monotonic() < deadline:
                    with engine.connect() as db:
                        fired = list(db.execute(select(t.CaseEvent.data).where(t.CaseEvent.kind == "unserved")).all())
                    query = 'WorkflowType = "BareDueTimerWorkflow" AND ExecutionStatus = "Completed"'
                    bare_done = (await bare.count_workflows(query)).count
                    bar.update(t_ours, completed=len(fired))
                    bar.update(t_bare, completed=bare_done)
                    if len(fired) >= due and bare_done >= due:
                        break
                    await stack.watched(asyncio.sleep(1))
            bare_late: list[float] = []

            async def bare_result(i: int) -> None:
                bare_late.append(await bare_handles[i].result())

            if bare_done >= due:
                await bounded(due, 50, bare_result, lambda: None)
            res["ours_lateness_s"] = summary([row.data["lateness_seconds"] for row in fired])
            res["bare_lateness_s"] = summary(bare_late)
            res["acted_on"] = len(fired)
            res["bare_fired"] = bare_done
            res["peak_rss_mb"] = dict(peaks.peak)
        with engine.connect() as db:
            res["registered"] = db.scalar(select(func.count()).select_from(t.Customer)) or 0
            res["warnings"] = (
                db.scalar(select(func.count()).select_from(t.CaseEvent).where(t.CaseEvent.kind == "clock_warning")) or 0
            )
        running = 'WorkflowType = "CustomerAccountWorkflow" AND ExecutionStatus = "Running"'
        res["running_at_end"] = (await client.count_workflows(running)).count
        res["disk_mb"] = stack.disk_mb()
    finally:
        engine.dispose()
        await stack.stop()
    return res


def rows(res: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The table's rows (measure, accounts, bare Temporal, ratio, target), as bench/run.py's."""
    n = f"{res['open']:,}"

    def cpu(c: dict[str, float]) -> str:
        return f"{sum(c.values()):.0f} ms = server {c['server']:.0f} + worker {c['worker']:.0f} + load {c['load']:.0f}"

    def late(s: dict[str, float]) -> str:
        return f"p50 {s['p50']:.2f} s · p90 {s['p90']:.2f} s · p99 {s['p99']:.2f} s · max {s['max']:.2f} s"

    o, b = res["ours_lateness_s"], res["bare_lateness_s"]
    acted = "" if res["acted_on"] >= res["due"] else f" (only {res['acted_on']} acted on while watched)"
    opened = "" if not res["opened_after_due"] else f" ({res['opened_after_due']} opened after their due time)"
    fired = "" if res["bare_fired"] >= res["due"] else f" (only {res['bare_fired']} fired while watched: not read)"
    mem, peak = res["open_rss_mb"], res["peak_rss_mb"]
    return [
        (
            f"6. customers: start rate, {n} accounts",
            f"{res['ours_per_s']:.1f} accounts/s (registered, clocks armed)",
            f"{res['bare_per_s']:.1f} update-with-start/s ({res['bare_open']:,})",
            f"{res['ratio']:.2f}",
            "",
        ),
        (
            "6. customers: CPU per start",
            cpu(res["ours_cpu_ms_per_start"]),
            cpu(res["bare_cpu_ms_per_start"]),
            f"{sum(res['bare_cpu_ms_per_start'].values()) / sum(res['ours_cpu_ms_per_start'].values()):.2f}",
            "",
        ),
        (
            f"6. customers: worker RSS, {n} open, cache {res['max_cached_workflows']}",
            f"{mem['ours_worker']:.0f} MB (peak {peak['worker']:.0f} MB)",
            f"{mem['bare_worker']:.0f} MB (peak {peak['bare_worker']:.0f} MB)",
            f"{mem['ours_worker'] / mem['bare_worker']:.2f}",
            "",
        ),
        (
            f"6. customers: CC-05 lateness, {res['due']:,} due over {res['window_s']:.0f} s "
            f"({res['due'] / res['window_s']:.0f}/s), {n} open",
            late(o) + acted + opened,
            late(b) + fired,
            f"{o['p99'] - b['p99']:+.2f} s p99",
            "p99 < 1 s",
        ),
    ]


def table(res: dict[str, Any]) -> tuple[Table, str]:
    """A rich table and its markdown."""
    tab = Table(title=f"{res['open']:,} customer accounts open at once, beside bare Temporal (same run, same server)")
    md = ["| measure | customer accounts | bare Temporal | ratio | target |", "|---|---|---|---|---|"]
    for col in ("measure", "customer accounts", "bare Temporal", "ratio", "target"):
        tab.add_column(col)
    for r in rows(res):
        tab.add_row(*r)
        md.append("| " + " | ".join(r) + " |")
    return tab, "\n".join(md)


def save(res: dict[str, Any], out_dir: Path) -> Path:
    """bench/results/<stamp>-customers-<N>.json and .md; the JSON's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    raw = out_dir / f"{stamp}-customers-{res['open']}.json"
    raw.write_text(json.dumps(res, indent=2, default=str))
    _, md = table(res)
    raw.with_suffix(".md").write_text(f"{md}\n\nCommand line: `{shlex.join(sys.argv)}`\n")
    return raw


def main(
    count: Annotated[int, typer.Option(help="accounts open at once (100,000 in make bench-full)")] = 100_000,
    due: Annotated[
        int | None, typer.Option(help="of them, whose CC-05 clock comes due (default: a tenth, ≤ 1,000)")
    ] = None,
    window: Annotated[float, typer.Option(help="seconds over which those clocks come due")] = 60.0,
    bare_open: Annotated[int | None, typer.Option(help="bare workflows opened for reference (default: count)")] = None,
    out: Annotated[Path, typer.Option()] = ROOT / "bench" / "results",
) -> None:
    started = datetime.now(UTC).isoformat()
    res = asyncio.run(measure(count, due, window, bare_open)) | {"started_at": started}
    tab, _ = table(res)
    console.print(tab)
    console.print(f"saved {save(res, out)}")


if __name__ == "__main__":
    typer.run(main)
