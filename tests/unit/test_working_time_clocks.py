"""Issue 14: a clock set to count working time (POLICY_<CLOCK>_CLOCK_COUNTS=working) takes its
due time, its warnings and the time it used from the case's business calendar, in both
families; the defaults keep wall time (the seeds' meaning)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from models.calendar import BusinessCalendar, ClockTime, due_at
from models.complaint.clocks import account, next_warning_of
from models.complaint.messages import ComplaintCreate, ComplaintInput, CustomerLookup
from models.complaint.steps import apply_intake, new_case
from models.policy import ComplaintPolicy, ProjectPolicy
from models.project.steps import _approve_project
from models.staff import Directory
from tests.unit.test_project_rules import project

#: Friday 27 November 2026, 18:00 in Beijing: after the office closed.
FRIDAY_EVENING = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
#: Monday 30 November 2026, 08:30 in Beijing: the next opening.
MONDAY_OPENING = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
CALENDAR = BusinessCalendar(timezone="Asia/Shanghai")


def _complaint(directory: Directory, **policy: Any) -> Any:
    receiver = directory.get("cs-1")
    assert receiver is not None
    inp = ComplaintInput(
        id="20261127-WORK01",
        complaint=ComplaintCreate.model_validate({"channel": "phone", "target": {"kind": "service"}, "summary": "s"}),
        receiver=receiver.ref,
        receiver_chain=directory.chain("cs-1"),
        crisis_team=[],
        policy=ComplaintPolicy(**policy),
    )
    state = new_case(inp.id, "complaint-" + inp.id, inp, FRIDAY_EVENING)
    lookup = CustomerLookup(customer_verified=False, customer_id=None)
    return account(apply_intake(state, lookup, FRIDAY_EVENING).state, None, FRIDAY_EVENING)


def test_issue14_by_default_every_clock_counts_wall_time(directory: Directory) -> None:
    """The seeds' meaning: 30 minutes are 30 minutes, 3 days are 72 hours, whenever received."""
    s = _complaint(directory)
    assert s.plan_due_at == FRIDAY_EVENING + timedelta(minutes=30)
    assert s.resolution_due_at == FRIDAY_EVENING + timedelta(days=3)


def test_issue14_a_working_time_plan_clock_starts_at_the_next_opening_and_warns_in_working_time(
    directory: Directory,
) -> None:
    """A complaint received after hours on a Friday: its plan clock, set to working time, is due
    30 working minutes after Monday's opening (09:00 Beijing) and its first warning (50 %) comes
    at 08:45, before any warning of the resolution clock (working time too); in wall time the
    resolution clock would have warned on Saturday night."""
    wall = _complaint(directory, plan_clock_counts="working", calendar=CALENDAR)
    assert wall.plan_due_at == MONDAY_OPENING + timedelta(minutes=30)
    assert wall.resolution_due_at == FRIDAY_EVENING + timedelta(days=3)
    early = next_warning_of(wall)
    assert early is not None and early.clock == "resolution" and early.at < MONDAY_OPENING
    s = _complaint(directory, plan_clock_counts="working", resolution_clock_counts="working", calendar=CALENDAR)
    assert s.policy.counts("plan") is ClockTime.working
    w = next_warning_of(s)
    assert w is not None and (w.clock, w.point, w.at) == ("plan", 0.5, MONDAY_OPENING + timedelta(minutes=15))


def test_issue14_a_working_time_resolution_clock_counts_only_working_hours(directory: Directory) -> None:
    s = _complaint(directory, resolution_clock_counts="working", calendar=CALENDAR)
    expected = due_at(FRIDAY_EVENING, timedelta(days=3), ClockTime.working, CALENDAR)
    assert s.resolution_due_at == expected and expected > FRIDAY_EVENING + timedelta(days=3)
    assert s.plan_due_at == FRIDAY_EVENING + timedelta(minutes=30)  # the plan clock keeps wall time


def test_issue14_nd03_a_working_time_budget_clock_of_a_project(directory: Directory) -> None:
    """ND-03 with working time: a project approved after hours on a Friday has its budget due
    7 days of working time after Monday's opening; its follow-up clock keeps wall time."""
    s = project(directory)
    policy = ProjectPolicy(budget_clock_counts=ClockTime.working, calendar=CALENDAR)
    s.policy = policy
    _approve_project(s, FRIDAY_EVENING)
    assert s.budget_due_at == due_at(FRIDAY_EVENING, policy.budget_deadline, ClockTime.working, CALENDAR)
    assert s.budget_due_at is not None and s.budget_due_at > MONDAY_OPENING + timedelta(days=7)
    assert s.follow_up_due_at == FRIDAY_EVENING + policy.follow_up_interval
