"""Issue 14, the pure clock rules (models/clock.py) both families share: pauses move due times by
exactly the time paused, warnings skip clocks met or paused, every run is accounted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.clock import (
    ClockAccount,
    ClockFact,
    ClockOutcome,
    Pause,
    in_breach,
    next_warning,
    reconcile,
    run_due,
    shift_due,
    used_time,
    warn,
    warning_points,
)
from models.policy import ComplaintPolicy, ProjectPolicy

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)


def test_issue14_run_due_moves_later_by_exactly_the_time_paused_and_is_none_while_paused() -> None:
    pauses = [Pause(since=T0 + H, until=T0 + 3 * H, kind="customer"), Pause(since=T0 + 5 * H, kind="customer")]
    assert run_due(T0, 3 * D, []) == T0 + 3 * D
    assert run_due(T0, 3 * D, pauses) is None  # paused: the clock does not run out
    pauses[1].until = T0 + 6 * H
    assert run_due(T0, 3 * D, pauses) == T0 + 3 * D + 3 * H
    assert used_time(T0, pauses, T0 + 10 * H) == 7 * H


def test_issue14_nd09_shift_due_keeps_what_was_left_when_the_suspension_began() -> None:
    pause = Pause(since=T0, until=T0 + 15 * D, kind="suspension")
    assert shift_due(T0 + 30 * D, pause) == T0 + 45 * D
    assert shift_due(T0 - D, pause) == T0 + 14 * D  # already due before: later by the pause too


def test_issue14_warning_points_are_fractions_with_documented_defaults() -> None:
    assert ComplaintPolicy().warning_points()["plan"] == [0.5, 0.8]
    assert ComplaintPolicy().max_customer_wait == 7 * D
    assert ProjectPolicy().warning_points()["budget"] == [0.5, 0.8]
    assert warning_points([0.8, 0.5, 0.5]) == [0.5, 0.8]
    with pytest.raises(ValueError):
        warning_points([1.2])
    with pytest.raises(ValueError):
        ComplaintPolicy(plan_warnings=[0])


def _fact(**kw: object) -> ClockFact:
    base: dict[str, object] = {"allowed": 3 * D, "due": T0 + 3 * D, "started_at": T0}
    return ClockFact(**(base | kw))  # type: ignore[arg-type]


def test_issue14_reconcile_accounts_start_pause_resume_and_breach_with_its_lateness() -> None:
    accounts = reconcile([], {"resolution": _fact()}, T0)
    assert [(a.clock, a.outcome, a.due_at) for a in accounts] == [("resolution", ClockOutcome.running, T0 + 3 * D)]
    wait = Pause(since=T0 + D, kind="customer")
    accounts = reconcile(accounts, {"resolution": _fact(due=None, pauses=[wait])}, T0 + D)
    assert accounts[0].outcome is ClockOutcome.paused and accounts[0].due_at == T0 + 3 * D
    assert next_warning(accounts, {"resolution": [0.5]}) is None  # never while paused
    wait = wait.model_copy(update={"until": T0 + 2 * D})
    accounts = reconcile(accounts, {"resolution": _fact(due=T0 + 4 * D, pauses=[wait])}, T0 + 2 * D)
    assert accounts[0].outcome is ClockOutcome.running and accounts[0].due_at == T0 + 4 * D
    late = T0 + 4 * D + timedelta(seconds=3)
    accounts = reconcile(
        accounts, {"resolution": _fact(due=T0 + 4 * D, pauses=[wait], ended=ClockOutcome.breached)}, late
    )
    a = accounts[0]
    assert (a.outcome, a.ended_at, a.lateness, a.used) == (
        ClockOutcome.breached,
        late,
        timedelta(seconds=3),
        3 * D + timedelta(seconds=3),
    )
    assert in_breach(accounts) == ["resolution"]
    accounts = reconcile(accounts, {"resolution": _fact(ended=ClockOutcome.met)}, late + H)  # resolved late
    assert accounts[0].fulfilled_at == late + H and in_breach(accounts) == []


def test_issue14_reconcile_a_restarted_run_and_an_absolute_clock_that_rearms() -> None:
    accounts = reconcile([], {"plan": _fact(allowed=H, due=T0 + H)}, T0)
    accounts = reconcile(accounts, {"plan": _fact(allowed=H, due=T0 + H, ended=ClockOutcome.met)}, T0 + H / 2)
    accounts = reconcile(accounts, {"plan": _fact(allowed=H, due=T0 + 5 * H, started_at=T0 + 4 * H)}, T0 + 4 * H)
    assert [a.outcome for a in accounts] == [ClockOutcome.met, ClockOutcome.running]
    # a project's follow-up: absolute due times; fired and re-armed → breached, then a new run
    f = ClockFact(allowed=30 * D, due=T0 + 30 * D)
    accounts = reconcile([], {"follow_up": f}, T0)
    accounts = reconcile(accounts, {"follow_up": ClockFact(30 * D, T0 + 60 * D)}, T0 + 30 * D, fired="follow_up")
    assert [a.outcome for a in accounts] == [ClockOutcome.breached, ClockOutcome.running]
    # a suspension moves the due time: the same run
    s = Pause(since=T0 + 40 * D, until=T0 + 45 * D, kind="suspension")
    accounts = reconcile(accounts, {"follow_up": ClockFact(30 * D, T0 + 65 * D, pauses=[s])}, T0 + 45 * D)
    assert len(accounts) == 2 and accounts[1].due_at == T0 + 65 * D and len(accounts[1].pauses) == 1


def test_issue14_warnings_in_order_the_last_marked_and_never_for_a_clock_met() -> None:
    a = ClockAccount(clock="plan", started_at=T0, allowed=30 * timedelta(minutes=1), due_at=T0 + 30 * H)
    w = next_warning([a], {"plan": [0.5, 0.8]})
    assert w is not None and (w.point, w.at, w.last) == (0.5, T0 + timedelta(minutes=15), False)
    accounts = warn([a], w, w.at)
    w2 = next_warning(accounts, {"plan": [0.5, 0.8]})
    assert w2 is not None and (w2.point, w2.last) == (0.8, True)
    met = accounts[0].model_copy(update={"outcome": ClockOutcome.met})
    assert next_warning([met], {"plan": [0.5, 0.8]}) is None
