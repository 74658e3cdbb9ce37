"""Issue 14 on the time-skipping server, with the real durations of ComplaintPolicy(): waiting
on the customer (the resolution clock paused and moved later by exactly the time paused; the
customer-wait clock), warnings before a breach (durable timers, never for a clock met or
paused), and every clock accounted (the ``case_clock`` rows)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from models.staff import Directory
from storage import tables as t
from workflows.complaint import ComplaintWorkflow

from .helpers import (
    HANDLER,
    RECEIVER,
    Cases,
    event_kinds,
    event_of,
    events,
    notifications,
    recipients,
    settled,
    step,
    wait_for,
)

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
LEADER = "ops-sup"  # HANDLER's direct leader


async def _plan(handle, directory: Directory):
    return await handle.execute_update(ComplaintWorkflow.plan, step(directory, HANDLER, {"plan": "Call back"}))


async def _wait(handle, directory: Directory, actor: str = HANDLER):
    return await handle.execute_update(
        ComplaintWorkflow.wait_for_customer, step(directory, actor, {"reason": "Waiting for the waybill photo"})
    )


async def _resume(handle, directory: Directory, actor: str = HANDLER):
    return await handle.execute_update(ComplaintWorkflow.resume, step(directory, actor, {"note": "Photo received"}))


async def _clock_rows(engine: AsyncEngine, ref: str) -> list[t.CaseClock]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(t.CaseClock).where(t.CaseClock.case_ref == ref).order_by(t.CaseClock.n))
        return list(rows)


def _close(a: datetime | None, b: datetime, slack: timedelta = MINUTE) -> bool:
    return a is not None and abs(a - b) <= slack


async def test_issue14_waiting_on_the_customer_moves_the_resolution_due_time_by_exactly_the_time_paused(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """Issue 14 point 3 (CP-13): wait_for_customer stops the resolution clock (not the plan
    clock); resume restarts it, due later by exactly the time paused; the resolution then runs
    out at that time and not before. The clock's account shows the pause."""
    handle, view = await cases.open_case()
    received = view.received_at
    await _plan(handle, directory)
    await time_env.sleep(DAY)
    view = await _wait(handle, directory)
    assert view.resolution_due_at is None and view.waiting_for_customer_since is not None
    paused_at = view.waiting_for_customer_since
    ev = await event_of(engine, handle.id, "wait_for_customer")
    assert ev.data["clock"] == "resolution" and "Waiting for the waybill" not in str(ev.data.get("clock"))

    await time_env.sleep(3 * DAY)  # past the unpaused due time: nothing fires
    view = await settled(handle)
    assert not view.resolution_overdue
    view = await _resume(handle, directory, RECEIVER)  # customer service records the reply
    resumed = await event_of(engine, handle.id, "resume")
    paused_for = resumed.at - paused_at
    assert view.resolution_due_at == received + 3 * DAY + paused_for
    assert recipients(await notifications(engine, handle.id, resumed.seq), "customer_replied") == {HANDLER}

    await time_env.sleep(view.resolution_due_at - resumed.at - MINUTE)
    view = await settled(handle)
    assert not view.resolution_overdue
    await time_env.sleep(2 * MINUTE)
    view = await wait_for(handle, lambda v: v.resolution_overdue)
    over = await event_of(engine, handle.id, "resolution_overdue")
    assert over.data["due_at"] == (received + 3 * DAY + paused_for).isoformat()
    assert 0 <= over.data["lateness_seconds"] < 60

    rows = [r for r in await _clock_rows(engine, handle.id) if r.clock == "resolution"]
    assert len(rows) == 1
    r = rows[0]
    assert r.outcome == "breached" and len(r.pauses) == 1 and r.pauses[0]["until"] is not None
    assert abs(r.used_seconds - 3 * DAY.total_seconds()) < 120  # the pause is not counted
    assert r.lateness_seconds is not None and r.lateness_seconds < 60
    assert "resolution" in view.sla_breached


async def test_issue14_a_wait_longer_than_max_customer_wait_tells_the_owner_and_their_leader(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """Issue 14 point 3: a case waits on the customer at most max_customer_wait (7 days by
    default): at 7 days the owner and their direct leader are told (customer_wait_overdue); the
    case still waits, its resolution clock still stopped."""
    handle, _ = await cases.open_case()
    await _plan(handle, directory)
    view = await _wait(handle, directory)
    since = view.waiting_for_customer_since
    assert view.customer_wait_due_at == since + 7 * DAY
    await time_env.sleep(7 * DAY - MINUTE)
    await settled(handle)
    assert "customer_wait_overdue" not in await event_kinds(engine, handle.id)
    await time_env.sleep(2 * MINUTE)
    await wait_for(handle, lambda v: "customer_wait" in v.sla_breached)
    ev = await event_of(engine, handle.id, "customer_wait_overdue")
    assert recipients(await notifications(engine, handle.id, ev.seq), "customer_wait_overdue") == {HANDLER, LEADER}
    view = await settled(handle)
    assert view.waiting_for_customer_since == since and not view.resolution_overdue
    view = await _resume(handle, directory)
    assert view.sla_breached == []  # done late: no longer in breach
    rows = [r for r in await _clock_rows(engine, handle.id) if r.clock == "customer_wait"]
    assert [(r.outcome, r.fulfilled_at is not None) for r in rows] == [("breached", True)]


async def test_issue14_warnings_fire_at_their_points_tell_the_owner_and_last_the_leader(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """Issue 14 point 4: the plan clock warns at 50 % (15 min) and 80 % (24 min) of its 30
    minutes, each a durable timer recorded as a clock_warning event (clock and point); the owner
    is told, at the last point their direct leader too; then the breach. A clock met (the
    resolution, once resolved) never warns again."""
    handle, view = await cases.open_case()
    received = view.received_at
    assert _close(view.next_warning_at, received + 15 * MINUTE, timedelta(seconds=5))
    await time_env.sleep(14 * MINUTE)
    await settled(handle)
    assert "clock_warning" not in await event_kinds(engine, handle.id)
    await time_env.sleep(2 * MINUTE)
    await wait_for(handle, lambda v: v.next_warning_at is not None and v.next_warning_at > received + 20 * MINUTE)
    first = await event_of(engine, handle.id, "clock_warning")
    assert first.data["clock"] == "plan" and first.data["point"] == 0.5
    assert _close(first.at, received + 15 * MINUTE)
    assert recipients(await notifications(engine, handle.id, first.seq), "clock_warning") == {HANDLER}

    await time_env.sleep(15 * MINUTE)
    await wait_for(handle, lambda v: v.plan_overdue)
    warned = [e for e in await events(engine, handle.id) if e.kind == "clock_warning"]
    assert [(e.data["clock"], e.data["point"]) for e in warned] == [("plan", 0.5), ("plan", 0.8)]
    assert _close(warned[1].at, received + 24 * MINUTE)
    assert recipients(await notifications(engine, handle.id, warned[1].seq), "clock_warning") == {HANDLER, LEADER}

    rows = {r.clock: r for r in await _clock_rows(engine, handle.id)}
    assert [w["point"] for w in rows["plan"].warnings] == [0.5, 0.8]
    assert rows["plan"].outcome == "breached" and rows["resolution"].outcome == "running"


async def test_issue14_no_warning_while_paused_and_none_for_a_clock_met(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """Issue 14 point 4: a paused clock never warns (the resolution's 50 % point, 1.5 days,
    passes while the case waits on the customer); after the resume it warns at its point moved
    by the pause; a clock met (the plan, recorded at once) never warns."""
    handle, view = await cases.open_case()
    received = view.received_at
    await _plan(handle, directory)  # the plan clock is met: no plan warnings
    await time_env.sleep(HOUR)
    await _wait(handle, directory)
    view = await settled(handle)
    # the resolution clock is paused: the next warning is the customer wait's own (80 % of 7 days)
    assert _close(view.next_warning_at, view.waiting_for_customer_since + 0.8 * 7 * DAY)
    await time_env.sleep(2 * DAY)
    await settled(handle)
    assert "clock_warning" not in await event_kinds(engine, handle.id)
    view = await _resume(handle, directory)
    resumed = await event_of(engine, handle.id, "resume")
    paused_for = resumed.at - received - HOUR
    assert _close(view.next_warning_at, received + 1.5 * DAY + paused_for)
    await time_env.sleep(view.next_warning_at - resumed.at + MINUTE)
    await wait_for(handle, lambda v: v.next_warning_at is not None and v.next_warning_at > resumed.at + DAY)
    warned = [e for e in await events(engine, handle.id) if e.kind == "clock_warning"]
    assert [(e.data["clock"], e.data["point"]) for e in warned] == [("resolution", 0.5)]
