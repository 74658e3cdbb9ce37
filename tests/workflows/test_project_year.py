"""ClientProjectWorkflow on the time-skipping server with the real activities and database.

Every clock runs with its real ProjectPolicy() duration (7 days, 30 days, 90, 180 and 365
days): the tests sleep the server's clock to just before a due time (nothing happens), then
just past it (the rule fires), and check the project the workflow holds and the rows the
activity wrote. ``client.start_workflow`` is used directly (the test server has no
update-with-start); after a continue-as-new, handles are always fetched by workflow id alone.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.project import ProjectActivities, customer_id_for
from infra.bootstrap import Resources
from models.calendar import local_month
from models.customer.views import CustomerView
from models.customer.vocabulary import Clock
from models.policy import ProjectPolicy
from models.project.messages import HandOverInput, ProjectCreate, ProjectStepInput
from models.project.state import ProjectInput
from models.project.steps import STEPS
from models.project.views import ProjectView
from models.project.vocabulary import ProjectStep
from models.staff import Directory, Role
from storage import tables as t
from tests.conftest import running_worker
from workflows.customer import CustomerAccountWorkflow, customer_workflow_id
from workflows.project import ClientProjectWorkflow, project_workflow_id

DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)
IMPLEMENTER = "sales-1"
REVIEW, DEPUTY, LEADER, FINANCE = "dev-review", "dev-deputy", "dev-lead", "finance-1"
#: ND-08/ND-11: the cast-ball line's monthly batch amount by default
BATCH = str(ProjectPolicy().cast_ball_monthly_batch)


def month_after(at: datetime, months: int = 0) -> str:
    """The company's calendar month of ``at``, ``months`` later ("2027-02")."""
    year, month = map(int, local_month(at, ProjectPolicy().timezone).split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def application(**kw: Any) -> ProjectCreate:
    body: dict[str, Any] = {
        "client_name": f"Foundry {uuid.uuid4().hex[:8]}",
        "background": "Largest ball mill operator of the province",
        "contact_channel": "trade fair",
        "approach": "plant visit, then trial delivery",
        "product_line": "cast_ball",
        "expected_annual_business": "3500000",
        "implementer_ids": [IMPLEMENTER],
    }
    return ProjectCreate.model_validate(body | kw)


class Projects:
    """Starts projects on one task queue; acts and reads through handles fetched by workflow
    id alone (so a continue-as-new is followed); terminates what still runs at teardown."""

    def __init__(self, env: WorkflowEnvironment, task_queue: str, directory: Directory, engine: AsyncEngine) -> None:
        self.env = env
        self.client: Client = env.client
        self.task_queue = task_queue
        self.directory = directory
        self.engine = engine
        self.ids: list[str] = []

    def handle(self, wid: str) -> WorkflowHandle[Any, ProjectView]:
        return self.client.get_workflow_handle(wid, result_type=ProjectView)

    async def start(
        self, app: ProjectCreate | None = None, *, history_limit: int = 2000, policy: ProjectPolicy | None = None
    ) -> tuple[str, ProjectView]:
        app = app or application()
        pid = uuid.uuid4().hex[:12]
        staff = self.directory
        applicant = staff.get(app.implementer_ids[0])
        assert applicant is not None
        inp = ProjectInput(
            id=pid,
            application=app,
            applicant=applicant.ref,
            implementers=[staff.get(i).ref for i in app.implementer_ids],  # type: ignore[union-attr]
            officers=staff.with_role(Role.review_group, Role.deputy_leader, Role.group_leader, Role.finance),
            policy=policy or ProjectPolicy(),
            history_limit=history_limit,
        )
        wid = project_workflow_id(pid)
        await self.client.start_workflow(ClientProjectWorkflow.run, inp, id=wid, task_queue=self.task_queue)
        self.ids.append(wid)
        view = await self.handle(wid).execute_update(ClientProjectWorkflow.registered_project)
        return wid, view

    def step_input(
        self, step: str, actor: str, body: dict[str, Any], expense_id: str | None = None
    ) -> ProjectStepInput[Any]:
        """The step's typed input, as its update receives it."""
        a = self.directory.get(actor)
        assert a is not None, actor
        return STEPS[ProjectStep(step)].input.model_validate({"actor": a.ref, "body": body, "expense_id": expense_id})

    async def act(
        self, wid: str, step: str, actor: str, body: dict[str, Any] | None = None, expense_id: str | None = None
    ) -> ProjectView:
        return await self.handle(wid).execute_update(
            step, self.step_input(step, actor, body or {}, expense_id), result_type=ProjectView
        )

    async def refused(
        self,
        wid: str,
        step: str,
        actor: str,
        body: dict[str, Any] | None = None,
        *,
        error: str,
        expense_id: str | None = None,
    ) -> str:
        """The update is refused by its validator with ``error`` and nothing is written."""
        before = await event_count(self.engine, wid)
        seq = (await self.view(wid)).seq
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await self.act(wid, step, actor, body, expense_id)
        cause = err.value.cause
        assert isinstance(cause, ApplicationError), repr(cause)
        assert cause.type == error, f"{cause.type}: {cause.message}"
        assert await event_count(self.engine, wid) == before
        assert (await self.view(wid)).seq == seq
        return cause.message

    async def view(self, wid: str) -> ProjectView:
        return await self.handle(wid).query(ClientProjectWorkflow.get_project)

    async def wait_for(self, wid: str, pred: Callable[[ProjectView], bool], timeout: float = 10.0) -> ProjectView:
        end = time.monotonic() + timeout
        while True:
            view = await self.view(wid)
            if pred(view):
                return view
            if time.monotonic() > end:
                raise AssertionError(f"condition not reached; project is {view.model_dump(mode='json')}")
            await asyncio.sleep(0.05)

    async def settled(self, wid: str, quiet: float = 0.4) -> ProjectView:
        view = await self.view(wid)
        end = time.monotonic() + quiet
        while time.monotonic() < end:
            await asyncio.sleep(0.05)
            now = await self.view(wid)
            if now.seq != view.seq:
                view, end = now, time.monotonic() + quiet
        return view

    async def sleep_until(self, when: datetime) -> None:
        now = await self.env.get_current_time()
        assert when > now, (when, now)
        await self.env.sleep(when - now)

    async def approve(self, wid: str) -> ProjectView:
        for who in (REVIEW, DEPUTY, LEADER):
            view = await self.act(wid, "review", who, {"approved": True, "note": f"ok by {who}"})
        assert view.stage == "approved"
        return view

    async def budget(self, wid: str, lines: dict[str, str], phase: str = "preliminary") -> ProjectView:
        await self.act(
            wid, "budget", IMPLEMENTER, {"phase": phase, "lines": [{"name": k, "amount": v} for k, v in lines.items()]}
        )
        chain = [DEPUTY, LEADER] if phase == "preliminary" else [REVIEW, DEPUTY, LEADER]
        for who in chain:
            view = await self.act(wid, "budget_decision", who, {"approved": True})
        return view

    async def expense(self, wid: str, line: str, amount: str, approve: bool = True) -> ProjectView:
        view = await self.act(
            wid, "expense", IMPLEMENTER, {"line": line, "amount": amount, "description": "dinner with the buyer"}
        )
        eid = view.expenses[-1].id
        if approve:
            for who in (DEPUTY, FINANCE, LEADER):
                view = await self.act(wid, "expense_decision", who, {"approved": True}, expense_id=eid)
        return view

    async def follow_up(self, wid: str, progress: str = "none") -> ProjectView:
        return await self.act(wid, "follow_up", IMPLEMENTER, {"note": "called the buyer", "progress": progress})

    async def close(self) -> None:
        """Terminate what still runs: the projects, and the customer account a completed one
        handed over (issue 16: an account never ends, and its clocks would go on firing on the
        shared time-skipping server for every test after this one)."""
        accounts = [
            customer_workflow_id(customer_id_for(w.removeprefix("client-project-")))
            for w in self.ids
            if w.startswith("client-project-")
        ]
        for wid in [*self.ids, *accounts]:
            try:
                await self.handle(wid).terminate(reason="test over")
            except Exception:  # noqa: BLE001 - already completed, or never started
                pass


@pytest_asyncio.fixture
async def projects(
    time_env: WorkflowEnvironment,
    task_queue: str,
    database_url: str,
    staff_file,
    directory: Directory,
    engine: AsyncEngine,
) -> AsyncIterator[Projects]:
    async with running_worker(time_env.client, database_url, task_queue, staff_file):
        p = Projects(time_env, task_queue, directory, engine)
        try:
            yield p
        finally:
            await p.close()


# --- the database -------------------------------------------------------------------------


async def events(engine: AsyncEngine, wid: str) -> list[Any]:
    async with engine.connect() as conn:
        return list(
            await conn.execute(select(t.CaseEvent).where(t.CaseEvent.case_ref == wid).order_by(t.CaseEvent.seq))
        )


async def kinds(engine: AsyncEngine, wid: str) -> list[str]:
    return [e.kind for e in await events(engine, wid)]


async def event_count(engine: AsyncEngine, wid: str) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(t.CaseEvent).where(t.CaseEvent.case_ref == wid))


async def notified(engine: AsyncEngine, wid: str, kind: str) -> set[str | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(t.Notification).where(t.Notification.case_ref == wid, t.Notification.kind == kind)
        )
        return {r.recipient_id for r in rows}


async def project_row(engine: AsyncEngine, pid: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(t.ClientProject).where(t.ClientProject.id == pid))).one()


def close_to(a: datetime | None, b: datetime, slack: timedelta = MINUTE) -> bool:
    return a is not None and abs(a - b) <= slack


# --- the year -----------------------------------------------------------------------------


async def test_nd02_nd03_nd04_nd05_nd06_nd07_nd08_nd09_a_whole_year(projects: Projects, engine: AsyncEngine) -> None:
    """A project lives a year on real durations: approved through the chain (ND-02), budget
    inside 7 days (ND-03), an expense reimbursed deputy → finance → leader (ND-04), a follow-up
    lapse after 30 days recorded with both reminded and the clock re-armed (ND-05), a 40-day
    suspension that stops every clock and moves each due time by exactly the time suspended
    (ND-09), special attention at 3 months with no progress (ND-06), the special study at 6
    months and the group's decision to continue (ND-07), the annual review at 12 months with
    the written report and the group → deputy → leader decisions (ND-08)."""
    p = projects
    wid, view = await p.start()
    assert view.stage == "under_review" and view.review_waiting_for == "review_group"
    view = await p.approve(wid)
    t0 = view.approved_at
    assert t0 is not None
    assert view.budget_due_at == t0 + 7 * DAY
    assert view.follow_up_due_at == t0 + 30 * DAY
    assert (view.attention_due_at, view.study_due_at, view.annual_review_due_at) == (
        t0 + 90 * DAY,
        t0 + 180 * DAY,
        t0 + 365 * DAY,
    )
    assert view.next_clock == "budget" and view.next_due_at == t0 + 7 * DAY
    at = lambda d: t0 + d * DAY  # noqa: E731

    # ND-03 / ND-04: budget on day 2, approved by the deputy then the leader; one expense
    await p.sleep_until(at(2))
    view = await p.budget(wid, {"entertainment": "12000", "commission": "8000"})
    assert view.stage == "active" and view.budget is not None and view.budget.total == Decimal(20000)
    assert "budget_overdue" not in view.flags
    view = await p.expense(wid, "entertainment", "1000")
    assert view.expenses[0].status == "approved"
    assert [a.role for a in view.expenses[0].approvals] == ["deputy_leader", "finance", "group_leader"]
    assert view.budget.lines[0].spent == Decimal(1000) and view.budget.lines[0].remaining == Decimal(11000)

    # ND-05: a follow-up on day 20; nothing by day 50 → lapse recorded, both told, clock re-arms
    await p.sleep_until(at(20))
    view = await p.follow_up(wid)
    due = view.follow_up_due_at
    assert close_to(due, at(50))
    await p.sleep_until(due - MINUTE)
    assert (await p.settled(wid)).follow_up_lapses == 0
    await p.sleep_until(due + MINUTE)
    view = await p.wait_for(wid, lambda v: v.follow_up_lapses == 1)
    assert "follow_up_overdue" in view.flags
    assert view.follow_up_due_at == due + 30 * DAY
    assert await notified(engine, wid, "follow_up_overdue") == {IMPLEMENTER, DEPUTY}
    row = await project_row(engine, view.id)
    assert "follow_up_overdue" in row.flags and row.stage == "active"

    await p.sleep_until(at(55))
    view = await p.follow_up(wid)
    assert "follow_up_overdue" not in view.flags

    # ND-09: suspended on day 60 for 40 days: nothing fires, then every clock moves by 40 days
    await p.sleep_until(at(60))
    before = await p.act(wid, "suspend", IMPLEMENTER, {"reason": "client plant closed for renovation"})
    assert before.stage == "suspended" and before.next_due_at is None
    await p.refused(wid, "follow_up", IMPLEMENTER, {"note": "x", "progress": "none"}, error="Conflict")
    await p.sleep_until(at(99))  # past day 85 (follow-up) and day 90 (attention)
    quiet = await p.settled(wid)
    assert quiet.follow_up_lapses == 1 and "special_attention" not in quiet.flags
    await p.sleep_until(at(100))
    view = await p.act(wid, "resume", IMPLEMENTER, {})
    paused = timedelta(seconds=view.suspended_seconds)
    assert close_to(t0 + paused, at(40))
    assert view.stage == "active"
    assert view.follow_up_due_at == before.follow_up_due_at + paused
    assert view.attention_due_at == at(90) + paused
    assert view.study_due_at == at(180) + paused
    assert view.annual_review_due_at == at(365) + paused
    assert (await events(engine, wid))[-1].data["suspended_for_seconds"] == pytest.approx(paused.total_seconds())

    # ND-06: day 130 (90 + 40 suspended) with no progress → special attention, group told
    await p.sleep_until(at(120))
    await p.follow_up(wid)
    await p.sleep_until(view.attention_due_at - MINUTE)
    assert "special_attention" not in (await p.settled(wid)).flags
    await p.sleep_until(view.attention_due_at + MINUTE)
    view = await p.wait_for(wid, lambda v: "special_attention" in v.flags)
    assert await notified(engine, wid, "special_attention") == {REVIEW}
    view = await p.act(wid, "follow_up", IMPLEMENTER, {"note": "buyer asked for samples", "progress": "some"})
    assert "special_attention" not in view.flags and view.progress == "some"

    # ND-07: day 220 (180 + 40) without a breakthrough → special study; the group continues
    for d in (160, 185, 210):
        await p.sleep_until(at(d))
        await p.follow_up(wid)
    await p.sleep_until(view.study_due_at + MINUTE)
    view = await p.wait_for(wid, lambda v: v.study_pending)
    assert "special_study" in view.flags
    await p.refused(wid, "study_decision", DEPUTY, {"continue": True}, error="Forbidden")
    view = await p.act(wid, "study_decision", REVIEW, {"continue": True, "note": "samples promising"})
    assert not view.study_pending and "special_study" not in view.flags and view.stage == "active"

    # ND-08: day 405 (365 + 40) without the standard → annual review: report, then the chain
    for d in (235, 260, 285, 310, 335, 360, 385):
        await p.sleep_until(at(d))
        await p.follow_up(wid)
    await p.sleep_until(view.annual_review_due_at - MINUTE)
    assert not (await p.settled(wid)).annual_pending
    await p.sleep_until(view.annual_review_due_at + MINUTE)
    view = await p.wait_for(wid, lambda v: v.annual_pending)
    assert "annual_review" in view.flags
    assert await notified(engine, wid, "annual_report_due") == {IMPLEMENTER}
    await p.refused(wid, "annual_report_decision", REVIEW, {"continue": True}, error="Conflict")  # report first
    await p.act(wid, "annual_report", IMPLEMENTER, {"report": "Trial deliveries in Q3, contract expected"})
    await p.refused(wid, "annual_report_decision", LEADER, {"continue": True}, error="Conflict")  # out of order
    for who in (REVIEW, DEPUTY, LEADER):
        view = await p.act(wid, "annual_report_decision", who, {"continue": True, "note": f"{who}: go on"})
    assert not view.annual_pending and "annual_review" not in view.flags and view.stage == "active"
    assert view.follow_up_lapses == 1

    history = await kinds(engine, wid)
    for k in (
        "applied",
        "budget",
        "expense",
        "follow_up_lapsed",
        "suspend",
        "resume",
        "special_attention",
        "special_study",
        "study_decision",
        "annual_review",
        "annual_report",
        "annual_report_decision",
    ):
        assert k in history, k
    assert history.count("follow_up_lapsed") == 1
    order = [
        history.index(k)
        for k in ("follow_up_lapsed", "suspend", "resume", "special_attention", "special_study", "annual_review")
    ]
    assert order == sorted(order)


# --- separate rules -----------------------------------------------------------------------


async def test_nd03_late_budget_is_flagged_and_escalated_to_the_deputy(projects: Projects, engine: AsyncEngine) -> None:
    """ND-03: no budget 7 days after approval → budget_overdue flag, the deputy leader (and the
    implementer) notified; a budget submitted later clears the flag and is recorded late.
    ND-03: a preliminary budget above 30,000 is refused (409)."""
    p = projects
    wid, _ = await p.start()
    view = await p.approve(wid)
    await p.sleep_until(view.approved_at + 7 * DAY - MINUTE)
    assert "budget_overdue" not in (await p.settled(wid)).flags
    await p.sleep_until(view.approved_at + 7 * DAY + MINUTE)
    view = await p.wait_for(wid, lambda v: "budget_overdue" in v.flags)
    assert view.budget_due_at is None
    assert DEPUTY in await notified(engine, wid, "budget_overdue")
    assert "budget_overdue" in (await kinds(engine, wid))
    msg = await p.refused(
        wid,
        "budget",
        IMPLEMENTER,
        {"phase": "preliminary", "lines": [{"name": "entertainment", "amount": "30001"}]},
        error="Conflict",
    )
    assert "ND-03" in msg and "30000" in msg
    view = await p.act(
        wid, "budget", IMPLEMENTER, {"phase": "preliminary", "lines": [{"name": "entertainment", "amount": "30000"}]}
    )
    assert "budget_overdue" not in view.flags
    assert (await events(engine, wid))[-1].data["on_time"] is False


async def test_nd09_continue_as_new_keeps_clocks_budget_expenses_and_follow_ups(
    projects: Projects, engine: AsyncEngine
) -> None:
    """A year-long project continues as new before its history grows large (here: a limit of
    40 events). The new run carries the whole state: the budget with spent/remaining, the
    expenses and their approvals, the follow-ups, the time suspended (ND-09), and every clock
    as the same absolute due time, which then fires on time in the new run (ND-05, ND-06)."""
    p = projects
    wid, _ = await p.start(history_limit=40)
    view = await p.approve(wid)
    t0 = view.approved_at
    await p.budget(wid, {"entertainment": "10000", "travel": "5000"})
    await p.expense(wid, "entertainment", "2500")
    await p.act(wid, "expense", IMPLEMENTER, {"line": "travel", "amount": "700", "description": "train tickets"})
    await p.sleep_until(t0 + 10 * DAY)
    await p.follow_up(wid)
    await p.act(wid, "suspend", IMPLEMENTER, {"reason": "buyer on leave"})
    await p.sleep_until(t0 + 20 * DAY)
    await p.act(wid, "resume", IMPLEMENTER)
    view = await p.follow_up(wid)
    await p.refused(
        wid, "expense", IMPLEMENTER, {"line": "travel", "amount": "4800", "description": "x"}, error="Conflict"
    )  # ND-04

    view = await p.settled(wid)
    assert view.runs >= 2, "the workflow should have continued as new"
    assert view.budget is not None
    assert {(ln.name, ln.spent, ln.remaining) for ln in view.budget.lines} == {
        ("entertainment", Decimal(2500), Decimal(7500)),
        ("travel", Decimal(700), Decimal(4300)),
    }
    assert [(e.id, e.status) for e in view.expenses] == [("E1", "approved"), ("E2", "pending")]
    assert view.expenses[1].waiting_for == "deputy_leader"
    assert len(view.follow_ups) == 2
    paused = timedelta(seconds=view.suspended_seconds)
    assert close_to(t0 + paused, t0 + 10 * DAY)
    assert view.follow_up_due_at == view.follow_ups[-1].at + 30 * DAY
    assert view.attention_due_at == t0 + 90 * DAY + paused

    # the carried clocks fire in the new run, at their due times
    runs = view.runs
    await p.sleep_until(view.follow_up_due_at + MINUTE)
    lapsed = await p.wait_for(wid, lambda v: v.follow_up_lapses == 1)
    lapse = [e for e in await events(engine, wid) if e.kind == "follow_up_lapsed"]
    assert len(lapse) == 1 and lapse[0].data["due_at"] == view.follow_up_due_at.isoformat()
    await p.act(wid, "expense_decision", DEPUTY, {"approved": True}, expense_id="E2")
    await p.sleep_until(view.attention_due_at + MINUTE)
    after = await p.wait_for(wid, lambda v: "special_attention" in v.flags)
    assert after.runs >= runs and lapsed.seq < after.seq
    assert after.expenses[1].approvals[0].staff_id == DEPUTY
    # one event per seq, none lost nor doubled across the runs
    seqs = [e.seq for e in await events(engine, wid)]
    assert seqs == list(range(1, after.seq + 1))


async def test_nd11_the_deputy_confirms_completion_after_three_batch_months_and_the_client_goes_to_sales(
    projects: Projects, engine: AsyncEngine, resources: Resources
) -> None:
    """ND-11: months of supply are calendar months from the approval's month to the current
    one (a month before or still to come is refused, 422); a month counts at the line's batch
    amount (ND-08); three consecutive counted months ask the deputy leader, and the project stays
    active until the deputy confirms; then it completes and the client becomes a regular
    customer (a ``customer`` row, written once) and the workflow ends. ND-01: applying again
    for the same client (any case) is refused as already a customer, and recorded."""
    p = projects
    app = application()
    wid, _ = await p.start(app)
    t0 = (await p.approve(wid)).approved_at
    assert t0 is not None
    await p.budget(wid, {"entertainment": "5000"})
    m = [month_after(t0, n) for n in range(5)]
    await p.refused(wid, "supply", IMPLEMENTER, {"month": m[1], "amount": BATCH}, error="Invalid")  # the future
    await p.refused(wid, "supply", IMPLEMENTER, {"month": month_after(t0, -1), "amount": BATCH}, error="Invalid")
    await p.sleep_until(t0 + 125 * DAY)  # four months on: m[0] … m[4] have come
    for month, amount in ((m[0], BATCH), (m[1], "80000"), (m[2], BATCH), (m[3], BATCH)):
        view = await p.act(wid, "supply", IMPLEMENTER, {"month": month, "amount": amount})
        assert view.stage == "active"
    await p.refused(wid, "supply", IMPLEMENTER, {"month": m[3], "amount": "1"}, error="Conflict")
    assert view.consecutive_supply_months == 2  # m[1] was below the batch amount
    await p.refused(wid, "confirm_completion", DEPUTY, error="Conflict")
    view = await p.act(wid, "supply", DEPUTY, {"month": m[4], "amount": "300000"})
    assert view.stage == "active" and "completion_due" in view.flags and view.completion_waiting_for == "deputy_leader"
    assert await notified(engine, wid, "completion_due") == {DEPUTY}
    await p.refused(wid, "confirm_completion", IMPLEMENTER, error="Forbidden")
    await p.refused(wid, "confirm_completion", LEADER, error="Forbidden")
    view = await p.act(wid, "confirm_completion", DEPUTY, {"note": "three months of steady batches"})
    assert view.stage == "completed"
    final = await p.handle(wid).result()
    assert final.stage == "completed" and final.customer_id == customer_id_for(final.id)
    async with engine.connect() as conn:
        row = (await conn.execute(select(t.Customer).where(t.Customer.id == final.customer_id))).one()
    assert row.name == app.client_name
    assert (await kinds(engine, wid))[-3:] == ["supply", "confirm_completion", "handed_to_sales"]
    assert (await project_row(engine, final.id)).stage == "completed"
    again = await ProjectActivities(engine, resources.writer).hand_over_to_sales(
        HandOverInput(project_id=final.id, client_name=app.client_name)
    )
    assert again.created is False
    # issue 16 (CC-01): the handed-over client has its account, owned by the implementer, the
    # project its first delivery, revisited a month after the completion
    account = p.client.get_workflow_handle(customer_workflow_id(final.customer_id), result_type=CustomerView)
    p.ids.append(account.id)
    opened = await account.query(CustomerAccountWorkflow.get_customer)
    for _ in range(200):
        if opened.seq >= 1:
            break
        await asyncio.sleep(0.05)
        opened = await account.query(CustomerAccountWorkflow.get_customer)
    assert opened.owner_id == IMPLEMENTER and opened.from_project == final.id
    assert [d.project_id for d in opened.deliveries] == [final.id] and opened.due.get(Clock.revisit) is not None
    assert opened.original.name == app.client_name

    wid2, refused = await p.start(application(client_name=f"  {app.client_name.upper()} "))
    assert refused.stage == "rejected" and "already a customer" in (refused.rejection_reason or "")
    assert refused.refused is True
    async with engine.connect() as conn:
        refusal = (await conn.execute(select(t.ProjectRefusal).where(t.ProjectRefusal.project_id == refused.id))).one()
    assert "ND-01" in refusal.reason


async def test_nd03_nd09_the_budget_clock_stops_while_suspended_and_restarts_after_a_rejection(
    projects: Projects, engine: AsyncEngine
) -> None:
    """ND-09: suspended on day 2 for 10 days, nothing fires at the original 7-day due time and
    the budget clock (budget_due_at) runs out exactly 10 days later. ND-03: a budget rejected
    then restarts the 7-day clock from the rejection, which fires when nothing follows."""
    p = projects
    wid, _ = await p.start()
    t0 = (await p.approve(wid)).approved_at
    assert t0 is not None
    await p.sleep_until(t0 + 2 * DAY)
    await p.act(wid, "suspend", IMPLEMENTER, {"reason": "buyer on leave"})
    await p.sleep_until(t0 + 8 * DAY)
    assert "budget_overdue" not in (await p.settled(wid)).flags
    await p.sleep_until(t0 + 12 * DAY)
    view = await p.act(wid, "resume", IMPLEMENTER)
    paused = timedelta(seconds=view.suspended_seconds)
    assert view.budget_due_at == t0 + 7 * DAY + paused and view.next_clock == "budget"
    await p.sleep_until(view.budget_due_at - MINUTE)
    assert "budget_overdue" not in (await p.settled(wid)).flags
    await p.sleep_until(view.budget_due_at + MINUTE)
    await p.wait_for(wid, lambda v: "budget_overdue" in v.flags)

    view = await p.act(wid, "budget", IMPLEMENTER, {"phase": "preliminary", "lines": [{"name": "a", "amount": "900"}]})
    assert view.budget_due_at is None and "budget_overdue" not in view.flags
    view = await p.act(wid, "budget_decision", DEPUTY, {"approved": False, "note": "itemise it"})
    rejected_at = (await events(engine, wid))[-1].at
    assert close_to(view.budget_due_at, rejected_at + 7 * DAY) and view.next_clock == "budget"
    await p.sleep_until(view.budget_due_at - MINUTE)
    assert "budget_overdue" not in (await p.settled(wid)).flags
    await p.sleep_until(view.budget_due_at + MINUTE)
    await p.wait_for(wid, lambda v: "budget_overdue" in v.flags)
    assert (await kinds(engine, wid)).count("budget_overdue") == 2


async def test_nd10_termination_approved_by_the_group_totals_the_expenses(
    projects: Projects, engine: AsyncEngine
) -> None:
    """ND-10: the implementer requests a termination in writing, only the review group decides;
    at termination the expenses are totalled (approved, still pending, by line)."""
    p = projects
    wid, _ = await p.start()
    await p.approve(wid)
    await p.budget(wid, {"entertainment": "8000", "commission": "4000"})
    await p.expense(wid, "entertainment", "1200")
    await p.expense(wid, "commission", "800")
    await p.expense(wid, "commission", "300", approve=False)
    await p.refused(wid, "terminate", REVIEW, {"reason": "x"}, error="Forbidden")
    await p.act(wid, "terminate", IMPLEMENTER, {"reason": "The client chose a competitor"})
    await p.refused(wid, "terminate_decision", DEPUTY, {"approved": True}, error="Forbidden")
    view = await p.act(wid, "terminate_decision", REVIEW, {"approved": True, "note": "agreed"})
    assert view.stage == "terminated" and view.expense_total_at_close == Decimal(2000)
    final = await p.handle(wid).result()
    assert final.stage == "terminated" and final.next_due_at is None
    ev = (await events(engine, wid))[-1]
    assert ev.kind == "terminate_decision"
    assert Decimal(ev.data["expense_total"]) == 2000 and Decimal(ev.data["expense_pending"]) == 300
    assert {k: Decimal(v) for k, v in ev.data["expense_by_line"].items()} == {"entertainment": 1200, "commission": 800}


async def test_nd01_nd02_ineligible_refused_out_of_order_and_rejection_ends_the_project(
    projects: Projects, engine: AsyncEngine
) -> None:
    """ND-01: an equipment project below 1,000,000 is refused with the reason and recorded.
    ND-02: the chain runs review group → deputy → leader; the leader cannot go first (409), a
    salesperson cannot review (403); the deputy's rejection ends the project with the reason."""
    p = projects
    wid, view = await p.start(application(product_line="equipment", expected_annual_business="999999"))
    assert view.stage == "rejected" and "below the equipment threshold" in (view.rejection_reason or "")
    assert await kinds(engine, wid) == ["application_refused"]
    async with engine.connect() as conn:
        refusal = (await conn.execute(select(t.ProjectRefusal).where(t.ProjectRefusal.project_id == view.id))).one()
    assert refusal.reason.startswith("ND-01")
    assert (await project_row(engine, view.id)).stage == "rejected"  # readable, with its reason

    wid, _ = await p.start(application(product_line="equipment", expected_annual_business="1000000"))
    await p.refused(wid, "review", LEADER, {"approved": True}, error="Conflict")
    await p.refused(wid, "review", IMPLEMENTER, {"approved": True}, error="Forbidden")
    await p.refused(
        wid, "budget", IMPLEMENTER, {"phase": "preliminary", "lines": [{"name": "a", "amount": "1"}]}, error="Conflict"
    )
    await p.act(wid, "review", REVIEW, {"approved": True, "note": "feasible"})
    view = await p.act(wid, "review", DEPUTY, {"approved": False, "note": "client credit too weak"})
    assert view.stage == "rejected" and "client credit too weak" in (view.rejection_reason or "")
    final = await p.handle(wid).result()
    assert final.stage == "rejected" and final.approved_at is None
    assert (await project_row(engine, final.id)).stage == "rejected"
    assert IMPLEMENTER in await notified(engine, wid, "project_rejected")
