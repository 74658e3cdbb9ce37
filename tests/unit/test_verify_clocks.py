"""Issue 14, point 6: the verifier's comparison (starter/verify_clocks.py), without servers: a
row written from an account reads back as that account; every field, a missing or extra row and
the step the rows were written at are named when they differ; a project's run must start from
the accounts its predecessor ended with. And the replay it rests on reads the clock accounts of
stored histories (a project's three runs carried over)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowHistory

import worker
from config import ROOT
from models.clock import ClockAccount, ClockOutcome, Pause, Warned
from starter.verify_clocks import (
    FIELDS,
    WORKFLOWS,
    Case,
    Mismatch,
    ReplayedRun,
    account_of_row,
    carried_over,
    compare,
    judge,
    make_replayer,
    replayed,
)
from storage import tables as t
from tests.replay.record_histories import REPLAY_PAYLOAD_KEY

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def account(**kw: object) -> ClockAccount:
    base: dict[str, object] = dict(
        clock="resolution",
        started_at=T0,
        allowed=timedelta(days=3),
        due_at=T0 + timedelta(days=3, minutes=5),
        outcome=ClockOutcome.met,
        pauses=[Pause(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=1, minutes=5), kind="customer")],
        warnings=[Warned(point=0.5, due_at=T0 + timedelta(days=1.5), at=T0 + timedelta(days=1.5, seconds=0.2))],
        ended_at=T0 + timedelta(days=2),
        used=timedelta(days=2) - timedelta(minutes=5),
    )
    return ClockAccount.model_validate(base | kw)


def row(a: ClockAccount, n: int = 0, seq: int = 7) -> t.CaseClock:
    """The row storage.writer.record_clocks writes for ``a``."""
    return t.CaseClock(
        case_ref="complaint-X",
        n=n,
        clock=a.clock,
        started_at=a.started_at,
        allowed_seconds=a.allowed.total_seconds(),
        due_at=a.due_at,
        outcome=a.outcome.value,
        ended_at=a.ended_at,
        fulfilled_at=a.fulfilled_at,
        used_seconds=a.used.total_seconds() if a.used is not None else None,
        lateness_seconds=a.lateness.total_seconds() if a.lateness is not None else None,
        pauses=[p.model_dump(mode="json") for p in a.pauses],
        warnings=[w.model_dump(mode="json") for w in a.warnings],
        seq=seq,
    )


def test_it_replays_every_workflow_type_the_worker_runs() -> None:
    assert WORKFLOWS == worker.WORKFLOWS  # (the application may not import the worker)


def test_a_row_reads_back_as_the_account_it_was_written_from() -> None:
    a = account(used=timedelta(seconds=0.128886), lateness=timedelta(seconds=1.000001))
    assert account_of_row(row(a)) == a
    assert compare("X", [a, account(clock="plan")], 7, [row(a), row(account(clock="plan"), 1)]) == []


CHANGED = {
    "clock": "plan",
    "started_at": T0 + timedelta(microseconds=1),
    "allowed": timedelta(days=3, seconds=1),
    "due_at": None,
    "outcome": ClockOutcome.breached,
    "pauses": [],
    "warnings": [],
    "ended_at": T0,
    "fulfilled_at": T0,
    "used": timedelta(days=2),
    "lateness": timedelta(seconds=3),
}


@pytest.mark.parametrize("field", FIELDS)
def test_each_figure_that_differs_is_named(field: str) -> None:
    a = account()
    db = a.model_copy(update={field: CHANGED[field]})
    got = compare("X", [a], 7, [row(db)])
    assert [(m.case, m.clock, m.run, m.field) for m in got] == [("X", "resolution", "1", field)]


def test_a_missing_row_an_extra_row_and_rows_of_another_step_are_named() -> None:
    first, second = account(), account(started_at=T0 + timedelta(days=3), outcome=ClockOutcome.running)
    missing = compare("X", [first, second], 7, [row(first)])
    assert [(m.clock, m.run, m.field, m.database) for m in missing] == [("resolution", "2", "row", "no row")]
    extra = compare("X", [first], 7, [row(first), row(second, 1)])
    assert [(m.clock, m.run, m.field, m.history) for m in extra] == [("resolution", "row 1", "row", "no such run")]
    stale = compare("X", [first], 8, [row(first, seq=7)])
    assert stale == [Mismatch("X", "resolution", "1", "seq", "8", "7")]


def test_a_run_must_start_from_the_accounts_its_predecessor_ended_with() -> None:
    a, b = account(), account(outcome=ClockOutcome.running, ended_at=None, used=None)
    runs = [ReplayedRun("r1", [a, b], 5, None, False), ReplayedRun("r2", [a, b], 9, [a, b], True)]
    assert carried_over("P", runs) == []
    assert [m.field for m in carried_over("P", [runs[0], ReplayedRun("r2", [a], 9, [a], True)])] == ["carried over"]
    # a run continued before clocks were kept (its input has no accounts field): not compared
    assert carried_over("P", [runs[0], ReplayedRun("r2", [a], 9, None, True)]) == []


async def test_replayed_stored_histories_give_their_accounts_and_carry_them_over() -> None:
    """The replay of stored histories (the capturing interceptor through the worker's sandbox):
    a complaint that waited on the customer, and a project's three runs judged as one case."""
    rp = make_replayer(REPLAY_PAYLOAD_KEY)

    def history(name: str, workflow_id: str) -> WorkflowHistory:
        text = (ROOT / "tests" / "histories" / f"{name}.json").read_text()
        return WorkflowHistory(workflow_id, WorkflowHistory.from_json(name, text).events)

    async def replay(*hs: WorkflowHistory) -> list[ReplayedRun]:
        async def feed():  # type: ignore[no-untyped-def]
            for h in hs:
                yield h

        async with rp.workflow_replay_iterator(feed()) as results:
            return [replayed(r) async for r in results]

    (complaint,) = await replay(history("complaint_clocks_sealed", "complaint-A"))
    assert complaint.failure is None and not complaint.running
    assert [(a.clock, a.outcome.value) for a in complaint.clocks] == [
        ("plan", "met"),
        ("resolution", "met"),
        ("customer_wait", "met"),
    ]
    assert len(complaint.clocks[1].pauses) == 1
    rows = [row(a, n, complaint.seq) for n, a in enumerate(complaint.clocks)]
    assert judge(Case("A", "complaint-A"), rows, [complaint]).mismatches == []

    names = [f"project_continue_as_new_corrected_run{i}" for i in (1, 2, 3)]
    runs = await replay(*(history(n, "client-project-P") for n in names))
    assert [r.failure for r in runs] == [None, None, None]
    verdict = judge(
        Case("P", "client-project-P"), [row(a, n, runs[-1].seq) for n, a in enumerate(runs[-1].clocks)], runs
    )
    assert (verdict.runs, verdict.clocks, verdict.mismatches) == (3, len(runs[-1].clocks), [])
