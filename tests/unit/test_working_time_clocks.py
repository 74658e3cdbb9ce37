"""Issue 14: a clock set to count working time (POLICY_<CLOCK>_CLOCK_COUNTS=working) takes its
due time, its warnings and the time it used from the case's business calendar, in both
families; the defaults keep wall time (the seeds' meaning)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.calendar import BusinessCalendar, ClockTime, due_at
from models.case import Refusal
from models.complaint import steps as complaint_steps
from models.complaint.clocks import account, next_warning_of
from models.complaint.messages import ComplaintCreate, ComplaintInput, CustomerLookup
from models.complaint.steps import apply_intake, new_case
from models.complaint.vocabulary import ComplaintStep, Status
from models.policy import ComplaintPolicy, ProjectPolicy
from models.project import steps as project_steps
from models.project.clocks import account as account_project
from models.project.steps import _approve_project
from models.project.vocabulary import ProjectStep
from models.staff import Directory
from tests.unit.test_project_rules import project

#: Friday 27 November 2026, 18:00 in Beijing: after the office closed.
FRIDAY_EVENING = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
#: Monday 30 November 2026, 08:30 in Beijing: the next opening.
MONDAY_OPENING = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
CALENDAR = BusinessCalendar(timezone="Asia/Shanghai")
NOW = FRIDAY_EVENING


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


def _terms(directory: Directory, actor: str, calendar: BusinessCalendar, family: str = "complaint") -> Any:
    who = directory.get(actor)
    assert who is not None
    body = {"calendar": calendar.model_dump(mode="json")}
    if family == "complaint":
        return complaint_steps.STEPS[ComplaintStep.change_terms].input.model_validate({"actor": who.ref, "body": body})
    return project_steps.STEPS[ProjectStep.change_terms].input.model_validate({"actor": who.ref, "body": body})


def test_issue14_new_terms_apply_only_on_purpose_and_record_old_and_new_due_times(directory: Directory) -> None:
    """Issue 14 point 2: an open complaint keeps the calendar it started with until the general
    manager (or a department manager) applies a new one; the `change_terms` event then records
    each running clock's due time before and after: here a holiday announced on Monday 30
    November pushes the working-time resolution clock one working day later, while the plan
    clock (wall time) keeps its due time. Staff may not change terms; a closed case takes none."""
    s = _complaint(directory, resolution_clock_counts="working", calendar=CALENDAR)
    before = s.resolution_due_at
    announced = CALENDAR.model_copy(update={"holidays": [date(2026, 11, 30)]})
    assert complaint_steps.check_step(ComplaintStep.change_terms, _terms(directory, "cs-1", announced), s) == Refusal(
        "forbidden", "issue 14: the general manager or a department manager changes a case's terms"
    )
    inp = _terms(directory, "gm", announced)
    assert complaint_steps.check_step(ComplaintStep.change_terms, inp, s) is None
    out = complaint_steps.apply_step(ComplaintStep.change_terms, inp, s, FRIDAY_EVENING)
    after = out.state.resolution_due_at
    assert after == due_at(FRIDAY_EVENING, timedelta(days=3), ClockTime.working, announced) and after > before
    assert out.kind == "change_terms" and out.state.policy.calendar == announced and s.policy.calendar == CALENDAR
    assert out.data["old_due"]["resolution"] == before.isoformat()
    assert out.data["new_due"]["resolution"] == after.isoformat()
    assert out.data["old_due"]["plan"] == out.data["new_due"]["plan"]  # wall time: unchanged
    closed = s.model_copy(update={"status": Status.closed})
    refusal = complaint_steps.check_step(ComplaintStep.change_terms, inp, closed)
    assert refusal is not None and refusal.kind == "conflict"


def test_issue14_nd03_new_terms_move_a_projects_working_time_budget_clock(directory: Directory) -> None:
    """Issue 14 point 2 for projects: the group's leader applies a new calendar; the budget
    clock (working time) is due again from the start of its run under it, the follow-up clock
    (wall time) keeps its due time, and the event says both. A salesperson may not."""
    s = project(directory)
    s.policy = ProjectPolicy(budget_clock_counts=ClockTime.working, calendar=CALENDAR)
    _approve_project(s, FRIDAY_EVENING)
    s = account_project(s, None, FRIDAY_EVENING)
    announced = CALENDAR.model_copy(update={"holidays": [date(2026, 12, 1), date(2026, 12, 2)]})
    refusal = project_steps.check_step(ProjectStep.change_terms, _terms(directory, "sales-1", announced, "p"), s, NOW)
    assert refusal is not None and refusal.kind == "forbidden"
    inp = _terms(directory, "dev-lead", announced, "p")
    assert project_steps.check_step(ProjectStep.change_terms, inp, s, NOW) is None
    out = project_steps.apply_step(ProjectStep.change_terms, inp, s, NOW)
    assert out.state.budget_due_at == due_at(FRIDAY_EVENING, s.policy.budget_deadline, ClockTime.working, announced)
    assert out.state.budget_due_at is not None and s.budget_due_at is not None
    assert out.state.budget_due_at > s.budget_due_at
    assert out.state.follow_up_due_at == s.follow_up_due_at
    assert out.data["new_due"]["budget"] == out.state.budget_due_at.isoformat()
    # the same run of the budget clock goes on, due later: not a run met and a new one begun
    budget_runs = [a for a in account_project(out.state, None, NOW).clocks if a.clock == "budget"]
    assert len(budget_runs) == 1 and budget_runs[0].open and budget_runs[0].due_at == out.state.budget_due_at
