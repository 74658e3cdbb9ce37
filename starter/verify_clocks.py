"""``python -m starter.verify_clocks``: every clock figure proven by replay (issue 14, point 6).

For each case (every complaint and project the database knows, or those named), this fetches
its workflow history from Temporal (every run of a project, following continue-as-new), replays
it with the production workflow classes, the worker's sandbox runner and the production data
converter (``PAYLOAD_KEY`` opens the sealed fields), and reads the replayed workflow's state:
its clock accounts are recomputed from the history alone, by the same pure functions the
worker ran (the kernel's commit, ``models.clock.reconcile``, the calendar's ``due_at`` and
``elapsed``). Each account is compared, field by field, with the case's ``case_clock`` rows:
started, allowed, due, outcome, pauses, warnings, ended, fulfilled, used, lateness, and the
step the rows were written at. For a project, the last run's state carries everything, and
each run must start from exactly the accounts its predecessor ended with (checked too).

It prints a table (cases checked, workflow runs replayed, clocks checked, mismatches) and each
mismatch (case, clock, run of that clock, field, history vs database), and exits 1 on any
mismatch, on a history that does not replay, and on a case whose history Temporal no longer
holds (unless ``--skip-missing``). A case that moves while it is checked (a step between the
read of its rows and the fetch of its history) is checked once more before it counts.

How the replayed instance is read: ``CaptureInstances`` is a worker interceptor whose workflow
interceptor notes ``workflow.instance()`` and the run's input in a registry of this module. The
interceptor's class is the host's (the sandbox instantiates the classes it is given; it does not
re-import this module), so the registry it writes is the one read here once ``Replayer``
returns; replays run one history at a time.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowReplayResult,
)

from config import Settings, get_settings
from infra.codec import data_converter
from infra.sandbox import workflow_runner
from infra.temporal import TemporalUnavailable, connect
from models.clock import ClockAccount, ClockOutcome, Pause, Warned
from starter.run import payload_key
from storage import tables as t
from storage.engine import make_engine, sessions
from workflows.care import (
    ScheduledTierReviewWorkflow,
    SurveyCampaignWorkflow,
    TierReviewWorkflow,
    YearlySurveyCampaignWorkflow,
)
from workflows.complaint import ComplaintWorkflow
from workflows.customer import CustomerAccountWorkflow
from workflows.delivery import DeliveryWorkflow
from workflows.inquiry import InquiryWorkflow
from workflows.project import ClientProjectWorkflow
from workflows.report import ComplaintReportWorkflow, ScheduledComplaintReportWorkflow
from workflows.rewards import RewardsWorkflow, YearEndRewardsWorkflow

#: The workflow types whose histories are replayed (the worker's, worker.WORKFLOWS). Reports,
#: rewards rounds, tier reviews and survey campaigns keep no clock accounts: they are listed so
#: that the replayer knows every type the worker runs.
WORKFLOWS: list[type] = [
    ComplaintWorkflow,
    ClientProjectWorkflow,
    ComplaintReportWorkflow,
    ScheduledComplaintReportWorkflow,
    RewardsWorkflow,
    YearEndRewardsWorkflow,
    CustomerAccountWorkflow,
    InquiryWorkflow,
    TierReviewWorkflow,
    ScheduledTierReviewWorkflow,
    SurveyCampaignWorkflow,
    YearlySurveyCampaignWorkflow,
    DeliveryWorkflow,
]

#: What a ``case_clock`` row keeps of a ``ClockAccount``, in the order they are reported.
FIELDS = (
    "clock",
    "started_at",
    "allowed",
    "due_at",
    "outcome",
    "pauses",
    "warnings",
    "ended_at",
    "fulfilled_at",
    "used",
    "lateness",
)

_CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


# --- the replayed instance ------------------------------------------------------------------


@dataclass
class Captured:
    """What the interceptor saw of one replayed run: the workflow object, and the accounts the
    state its input carried held (a project's run continued from another; None: no state)."""

    instance: Any
    started_with: list[ClockAccount] | None


#: workflow id → the run being replayed (the host's registry: see the module's docstring)
_CAPTURED: dict[str, Captured] = {}


class _CaptureInbound(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        carried = getattr(input.args[0], "state", None) if input.args else None
        started_with = [a.model_copy(deep=True) for a in carried.clocks] if carried is not None else None
        _CAPTURED[workflow.info().workflow_id] = Captured(workflow.instance(), started_with)
        return await super().execute_workflow(input)


class CaptureInstances(Interceptor):
    """The Replayer's interceptor: each replayed run's workflow object, for its state."""

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _CaptureInbound


@dataclass(frozen=True)
class ReplayedRun:
    """One run of a case's workflow, replayed: its clock accounts once its history is spent,
    the step they are at, the accounts it started with (a project's run continued from another)
    and whether it is still running."""

    run_id: str
    clocks: list[ClockAccount]
    seq: int
    started_with: list[ClockAccount] | None
    running: bool
    failure: str | None = None


def _running(history: WorkflowHistory) -> bool:
    return bool(history.events) and history.events[-1].event_type not in _CLOSED


def carries_clocks(history: WorkflowHistory) -> bool:
    """Whether the run started from a state that keeps clock accounts: a project's run continued
    from another since issue 14 (a state written before it has no ``clocks`` field, and its
    accounts are rebuilt from the run's steps on). Read from the input's JSON as recorded
    (sealed fields are values inside it)."""
    payloads = history.events[0].workflow_execution_started_event_attributes.input.payloads
    if not payloads or payloads[0].metadata.get("encoding") != b"json/plain":
        return False
    try:
        state = json.loads(payloads[0].data).get("state")
    except (ValueError, AttributeError):
        return False
    return isinstance(state, dict) and "clocks" in state


def make_replayer(key: str) -> Replayer:
    """The production workflows, the worker's sandbox runner and the production converter
    (``key``: PAYLOAD_KEY), plus the capturing interceptor."""
    return Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(key=key),
        workflow_runner=workflow_runner(),
        interceptors=[CaptureInstances()],
    )


def replayed(result: WorkflowReplayResult) -> ReplayedRun:
    """What the replay of one run left: its state's clock accounts (a copy), read from the
    instance the interceptor captured."""
    h = result.history
    got = _CAPTURED.pop(h.workflow_id, None)
    if result.replay_failure is not None or got is None:
        why = str(result.replay_failure or "the workflow never ran")
        return ReplayedRun(h.run_id, [], 0, None, _running(h), failure=why)
    state = got.instance.state
    started_with = got.started_with if carries_clocks(h) else None
    clocks = [a.model_copy(deep=True) for a in state.clocks]
    return ReplayedRun(h.run_id, clocks, state.seq, started_with, _running(h))


# --- comparing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """One figure the history and the database disagree on. ``run``: the run of that clock
    (1 its first), or the workflow run for what concerns a whole run."""

    case: str
    clock: str
    run: str
    field: str
    history: str
    database: str


def account_of_row(row: t.CaseClock) -> ClockAccount:
    """A ``case_clock`` row read back as the account it was written from (storage.writer)."""
    return ClockAccount(
        clock=row.clock,
        started_at=row.started_at,
        allowed=timedelta(seconds=row.allowed_seconds),
        due_at=row.due_at,
        outcome=ClockOutcome(row.outcome),
        pauses=[Pause.model_validate(p) for p in row.pauses or []],
        warnings=[Warned.model_validate(w) for w in row.warnings or []],
        ended_at=row.ended_at,
        fulfilled_at=row.fulfilled_at,
        used=timedelta(seconds=row.used_seconds) if row.used_seconds is not None else None,
        lateness=timedelta(seconds=row.lateness_seconds) if row.lateness_seconds is not None else None,
    )


def shown(value: Any) -> str:
    """A figure as the report prints it."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds()}s"
    if isinstance(value, ClockOutcome):
        return value.value
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, Pause | Warned):
        return value.model_dump_json(exclude_defaults=True)
    return str(value)


def _runs_of_clocks(accounts: Iterable[ClockAccount]) -> list[str]:
    """For each account in order, the run of its clock it is: "1", "2", …"""
    seen: dict[str, int] = {}
    out = []
    for a in accounts:
        seen[a.clock] = seen.get(a.clock, 0) + 1
        out.append(str(seen[a.clock]))
    return out


def compare(case: str, history: Sequence[ClockAccount], seq: int, rows: Sequence[t.CaseClock]) -> list[Mismatch]:
    """Every figure of ``history`` (the accounts the replay recomputed, at step ``seq``) that the
    rows (in their order ``n``) do not hold as it is; rows with no account and accounts with no
    row are mismatches too."""
    out: list[Mismatch] = []
    runs = _runs_of_clocks(history)
    for i, a in enumerate(history):
        if i >= len(rows):
            out.append(Mismatch(case, a.clock, runs[i], "row", f"run of {shown(a.started_at)}", "no row"))
            continue
        row = rows[i]
        try:
            b = account_of_row(row)
        except ValueError as e:
            out.append(Mismatch(case, a.clock, runs[i], "row", "a valid account", f"unreadable: {e}"))
            continue
        for name in FIELDS:
            mine, theirs = getattr(a, name), getattr(b, name)
            if mine != theirs:
                out.append(Mismatch(case, a.clock, runs[i], name, shown(mine), shown(theirs)))
        if row.seq != seq:
            out.append(Mismatch(case, a.clock, runs[i], "seq", str(seq), str(row.seq)))
    for row in rows[len(history) :]:
        out.append(Mismatch(case, row.clock, f"row {row.n}", "row", "no such run", f"started {shown(row.started_at)}"))
    return out


def carried_over(case: str, runs: Sequence[ReplayedRun]) -> list[Mismatch]:
    """A project continues as new carrying its whole state: each run must start with exactly
    the accounts the run before it ended with."""
    out = []
    for before, after in zip(runs, runs[1:], strict=False):
        if after.started_with is not None and after.started_with != before.clocks:
            out.append(
                Mismatch(
                    case,
                    "(all)",
                    f"workflow run {after.run_id}",
                    "carried over",
                    f"{len(before.clocks)} accounts at the end of run {before.run_id}",
                    f"{len(after.started_with)} accounts, not the same, at its start",
                )
            )
    return out


# --- the cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    workflow_id: str


@dataclass
class CaseResult:
    case: Case
    runs: int = 0
    clocks: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    #: no history in Temporal (past the namespace's retention, or never started there)
    missing: bool = False
    #: its last run is still running (a mismatch may be a step in flight: checked again)
    running: bool = False


@dataclass
class Report:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def checked(self) -> list[CaseResult]:
        return [r for r in self.results if not r.missing]

    @property
    def missing(self) -> list[CaseResult]:
        return [r for r in self.results if r.missing]

    @property
    def mismatches(self) -> list[Mismatch]:
        return [m for r in self.results for m in r.mismatches]

    @property
    def clocks(self) -> int:
        return sum(r.clocks for r in self.results)

    @property
    def runs(self) -> int:
        return sum(r.runs for r in self.results)

    def ok(self, skip_missing: bool = False) -> bool:
        return not self.mismatches and (skip_missing or not self.missing)


async def cases_in(engine: AsyncEngine, wanted: Sequence[str] = ()) -> list[Case]:
    """The cases to check: every complaint and project of the database (and any case that has
    clock rows only), or those ``wanted`` names (a case id or a workflow id)."""
    found: dict[str, Case] = {}
    async with sessions(engine)() as db:
        for table in (t.Complaint, t.ClientProject, t.Inquiry):
            q = select(table.id, table.workflow_id)
            if wanted:
                q = q.where(or_(table.id.in_(wanted), table.workflow_id.in_(wanted)))
            for cid, wid in await db.execute(q.order_by(table.workflow_id)):
                found.setdefault(wid, Case(cid, wid))
        q2 = select(t.CaseClock.case_ref).distinct()
        if wanted:
            q2 = q2.where(t.CaseClock.case_ref.in_(wanted))
        for (ref,) in await db.execute(q2.order_by(t.CaseClock.case_ref)):
            found.setdefault(ref, Case(ref, ref))
    for w in wanted:  # named but unknown to the database: checked all the same (no rows)
        if not any(w in (c.id, c.workflow_id) for c in found.values()):
            found.setdefault(w, Case(w, w))
    return list(found.values())


async def clock_rows(engine: AsyncEngine, workflow_id: str) -> list[t.CaseClock]:
    async with sessions(engine)() as db:
        q = select(t.CaseClock).where(t.CaseClock.case_ref == workflow_id).order_by(t.CaseClock.n)
        return list(await db.scalars(q))


async def histories_of(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of the workflow, the first first (continue-as-new followed backwards from the
    latest run); [] when Temporal holds none."""
    out: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        try:
            h = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        except RPCError as e:
            if e.status is RPCStatusCode.NOT_FOUND:
                break
            raise
        if not h.events:
            break
        out.append(h)
        run_id = h.events[0].workflow_execution_started_event_attributes.continued_execution_run_id or None
        if run_id is None:
            break
    return out[::-1]


def judge(case: Case, rows: Sequence[t.CaseClock], runs: Sequence[ReplayedRun]) -> CaseResult:
    """One case's verdict: its runs replayed (the first first), compared with its rows."""
    result = CaseResult(case, runs=len(runs), running=runs[-1].running)
    for r in runs:
        if r.failure is not None:
            result.mismatches.append(Mismatch(case.id, "(all)", f"workflow run {r.run_id}", "replay", r.failure, "—"))
    if result.mismatches:
        return result
    last = runs[-1]
    result.clocks = len(last.clocks)
    result.mismatches += carried_over(case.id, runs)
    result.mismatches += compare(case.id, last.clocks, last.seq, rows)
    return result


async def check(
    client: Client,
    engine: AsyncEngine,
    rp: Replayer,
    cases: Sequence[Case],
    progress: Callable[[CaseResult], None] = lambda _: None,
    window: int = 8,
) -> list[CaseResult]:
    """Every case, in one stream of replays: each case's rows, then its histories (read back to
    back: a step in between shows as a mismatch of a running case, which ``verify`` checks
    again), fetched up to ``window`` cases ahead of the replay."""

    async def load(case: Case) -> tuple[list[t.CaseClock], list[WorkflowHistory]]:
        rows = await clock_rows(engine, case.workflow_id)
        return rows, await histories_of(client, case.workflow_id)

    out: dict[int, CaseResult] = {}
    #: the cases whose histories are in the stream: (index, case, rows, how many runs)
    streamed: deque[tuple[int, Case, list[t.CaseClock], int]] = deque()

    def done(i: int, result: CaseResult) -> None:
        out[i] = result
        progress(result)

    async def feed() -> AsyncIterator[WorkflowHistory]:
        pending: deque[tuple[int, Case, asyncio.Task[tuple[list[t.CaseClock], list[WorkflowHistory]]]]] = deque()
        ahead = iter(enumerate(cases))
        for i, case in ahead:
            pending.append((i, case, asyncio.create_task(load(case))))
            if len(pending) < window:
                continue
            async for h in drain(pending.popleft()):
                yield h
        while pending:
            async for h in drain(pending.popleft()):
                yield h

    async def drain(
        item: tuple[int, Case, Awaitable[tuple[list[t.CaseClock], list[WorkflowHistory]]]],
    ) -> AsyncIterator[WorkflowHistory]:
        i, case, task = item
        rows, histories = await task
        if not histories:
            done(i, CaseResult(case, missing=True))
            return
        streamed.append((i, case, rows, len(histories)))
        for h in histories:
            yield h

    runs: list[ReplayedRun] = []
    async with rp.workflow_replay_iterator(feed()) as results:
        async for result in results:
            runs.append(replayed(result))
            i, case, rows, n = streamed[0]
            if len(runs) == n:
                streamed.popleft()
                done(i, judge(case, rows, runs))
                runs = []
    return [out[i] for i in range(len(cases))]


async def verify(
    client: Client,
    engine: AsyncEngine,
    cases: Sequence[Case],
    key: str,
    progress: Callable[[CaseResult], None] = lambda _: None,
    settle: float = 1.0,
) -> Report:
    """Check every case (``key``: PAYLOAD_KEY); a running case found with a mismatch is checked
    once more after ``settle`` seconds (its rows and its history may have been read either side
    of a step)."""
    rp = make_replayer(key)
    report = Report(await check(client, engine, rp, cases, progress))
    again = [i for i, r in enumerate(report.results) if r.mismatches and r.running]
    if again:
        await asyncio.sleep(settle)
        redone = await check(client, engine, rp, [report.results[i].case for i in again])
        for i, r in zip(again, redone, strict=True):
            report.results[i] = r
    return report


# --- the command ----------------------------------------------------------------------------

console = Console()
app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0] if __doc__ else None)


def _settings() -> Settings:
    """The settings, with ``PAYLOAD_KEY`` as the worker has it (the environment, or the key
    ``make run`` keeps under VAR_DIR): replay opens the sealed fields of each history."""
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(update={"payload_key": payload_key(settings.var_dir)})


def print_report(report: Report, out: Console = console) -> None:
    summary = Table(title="Clocks proven by replay", show_header=False)
    summary.add_row("cases checked", str(len(report.checked)))
    summary.add_row("workflow runs replayed", str(report.runs))
    summary.add_row("clocks checked", str(report.clocks))
    summary.add_row("mismatches", str(len(report.mismatches)))
    if report.missing:
        summary.add_row("cases with no history in Temporal", str(len(report.missing)))
    out.print(summary)
    if report.mismatches:
        table = Table(title="Mismatches (history vs database)")
        for col in ("case", "clock", "run", "field", "history", "database"):
            table.add_column(col, overflow="fold")
        for m in report.mismatches:
            table.add_row(m.case, m.clock, m.run, m.field, m.history, m.database)
        out.print(table)
    for r in report.missing:
        out.print(f"no history in Temporal: {r.case.id} ({r.case.workflow_id})")


async def run(settings: Settings, wanted: Sequence[str]) -> Report:
    """Connect with ``settings`` and check the cases ``wanted`` (every case when none)."""
    engine = make_engine(settings.database_url)
    try:
        client = await connect(settings)
        cases = await cases_in(engine, wanted)
        show = console.is_terminal and len(cases) > 1
        with Progress(console=console, transient=True, disable=not show) as bar:
            task = bar.add_task("replaying", total=len(cases))
            return await verify(client, engine, cases, settings.payload_key, progress=lambda _: bar.advance(task))
    finally:
        await engine.dispose()


@app.command()
def main(
    case: Annotated[
        list[str] | None, typer.Option("--case", help="a case id or workflow id (repeat for several)")
    ] = None,
    all_cases: Annotated[
        bool, typer.Option("--all", help="every complaint and project of the database (the default)")
    ] = False,
    skip_missing: Annotated[
        bool, typer.Option(help="a case whose history Temporal no longer holds does not fail the check")
    ] = False,
) -> None:
    """Recompute every clock figure of every case from its Temporal history alone (a replay of
    the production workflows) and compare it with the database's case_clock rows: exit 1 on any
    mismatch."""
    if case and all_cases:
        raise typer.BadParameter("--all or --case, not both")
    try:
        report = asyncio.run(run(_settings(), case or []))
    except TemporalUnavailable as e:
        console.print(f"Temporal is unavailable: {e}")
        raise typer.Exit(2) from None
    print_report(report)
    if not report.ok(skip_missing):
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
