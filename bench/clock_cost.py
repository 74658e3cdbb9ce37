"""What business calendars cost a step (issue 14), beside the same step with them off.

``python -m bench.clock_cost``: the pure work a complaint's workflow does for each step and
clock (the rules' transition, bringing the clock accounts up to date, the next clock and the
next warning, the view) over one case's lifecycle (intake, assign, classify, plan, resolve),
``--n`` times per round, rounds interleaved, with every clock on wall time (the default: the
reference) and with every clock on working time over a two-year business calendar. Reported:
the median microseconds a lifecycle takes and the ratio.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bench.run import BODY, DIRECTORY, _steps
from infra.calendars import calendar_for
from models.calendar import ClockTime
from models.complaint.clocks import account, next_clock, next_warning_of
from models.complaint.messages import ComplaintInput, CustomerLookup
from models.complaint.steps import apply_intake, apply_step, new_case
from models.complaint.views import view_of
from models.policy import ComplaintPolicy

console = Console()
#: Tuesday 24 November 2026, 10:00 in Beijing: inside working hours.
START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def policies() -> dict[str, ComplaintPolicy]:
    wall = ComplaintPolicy()
    working = ComplaintPolicy(
        plan_clock_counts=ClockTime.working,
        resolution_clock_counts=ClockTime.working,
        major_report_clock_counts=ClockTime.working,
        survey_clock_counts=ClockTime.working,
    )
    return {"wall": wall, "working": working.model_copy(update={"calendar": calendar_for(working, START)})}


def lifecycle(policy: ComplaintPolicy) -> None:
    """One case's pure clock work, as its workflow does it for each step."""
    cs1 = DIRECTORY.get("cs-1")
    assert cs1 is not None
    intake = ComplaintInput(
        id="20261124-CLOCK1",
        complaint=BODY,
        receiver=cs1.ref,
        receiver_chain=DIRECTORY.chain("cs-1"),
        crisis_team=[],
        policy=policy,
    )
    now = START
    state = new_case(intake.id, "complaint-" + intake.id, intake, now)
    state = account(
        apply_intake(state, CustomerLookup(customer_verified=False, customer_id=None), now).state, None, now
    )
    for step, inp in _steps()[:-1]:
        now += timedelta(minutes=10)
        state = account(apply_step(step, inp, state, now).state, None, now)
        next_clock(state), next_warning_of(state), view_of(state)


def measure(n: int = 200, rounds: int = 7) -> dict[str, float]:
    """Median µs per lifecycle, per setting."""
    samples: dict[str, list[float]] = {name: [] for name in policies()}
    pols = policies()
    for _ in range(rounds):
        for name, policy in pols.items():
            t0 = time.perf_counter()
            for _ in range(n):
                lifecycle(policy)
            samples[name].append((time.perf_counter() - t0) / n * 1e6)
    return {name: statistics.median(xs) for name, xs in samples.items()}


def main(
    n: Annotated[int, typer.Option(help="lifecycles per round")] = 200,
    rounds: Annotated[int, typer.Option(help="interleaved rounds")] = 7,
) -> None:
    with console.status("measuring …"):
        res = measure(n, rounds)
    table = Table(title=f"a complaint's clock work over its lifecycle (median of {rounds} rounds of {n})")
    for col in ("clocks count", "µs per lifecycle", "ratio to wall time"):
        table.add_column(col, justify="right" if col != "clocks count" else "left")
    for name, us in res.items():
        table.add_row(name, f"{us:.0f}", f"{us / res['wall']:.2f}")
    console.print(table)


if __name__ == "__main__":
    typer.run(main)
