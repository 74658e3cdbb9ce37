"""Re-record the stored workflow histories replayed by tests/replay/test_replay.py.

    .venv/bin/python -m tests.replay.record_histories

Runs every path of each workflow type on the time-skipping server (real durations, real
activities on a throw-away SQLite database) and writes tests/histories/<name>.json. Re-record
only when a change is *meant* to alter the command sequence, and guard that change with
``workflow.patched()`` so the histories recorded before it still replay.

    .venv/bin/python -m tests.replay.record_histories complaint_happy_path=complaint_happy_path_v2

records only the paths named (complaint or project), each into the file named after ``=``
(a project's runs as ``<name>_run<N>``): a history of the code as it is now, kept beside the
older one of the same path.

    .venv/bin/python -m tests.replay.record_histories --sealed complaint_happy_path=complaint_happy_path_sealed

records with the production data converter, each confidential field sealed with
``REPLAY_PAYLOAD_KEY`` (a key for these test histories only), as the Temporal server of a real
deployment stores them; without ``--sealed`` the histories are plain JSON.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from config import ROOT, Settings
from infra.binaries import binary
from infra.bootstrap import Resources
from infra.codec import data_converter
from models.customer.vocabulary import CustomerStep
from models.staff import Directory
from storage.migrate import upgrade
from tests.customers.accounts import Accounts
from tests.customers.accounts import create as customer_create
from tests.steps import TEST_STEP_KEY, step_signer_for_tests
from tests.workflows.helpers import HANDLER, MAJOR_MEDIA, RECEIVER, TARGET, VALID_SERVICE, intake, new_id, step
from tests.workflows.test_project_year import BATCH, DEPUTY, IMPLEMENTER, MINUTE, REVIEW, Projects, month_after
from worker import build_worker
from workflows import search_attributes as sa
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id

#: Seals the confidential fields of the histories recorded with ``--sealed`` (test data only:
#: never a key of a real deployment).
REPLAY_PAYLOAD_KEY = "replay-k1:cmVwbGF5LWhpc3Rvcmllcy1vbmx5LW5vdC1hLXJlYWw="
DAY = timedelta(days=1)
HISTORIES = ROOT / "tests" / "histories"
DIRECTORY = Directory.from_file(ROOT / "data" / "staff.json")
BUSINESS = {"category": "business", "subtype": "timeliness", "validity": "valid"}


#: the plain converter the first histories were recorded with
_PLAIN: DataConverter = pydantic_data_converter


def s(actor: str, body: dict, **kw: str) -> object:
    return step(DIRECTORY, actor, body, **kw)


async def complaint_happy_path(env: WorkflowEnvironment, h) -> None:  # type: ignore[no-untyped-def]
    await h.execute_update(
        ComplaintWorkflow.assign,
        s(RECEIVER, {"handler_id": HANDLER, "investigator_id": "ops-2"}, handler=HANDLER, investigator="ops-2"),
    )
    await h.execute_update(ComplaintWorkflow.classify, s(HANDLER, BUSINESS))
    await h.execute_update(ComplaintWorkflow.plan, s(HANDLER, {"plan": "Re-deliver"}))
    await h.execute_update(
        ComplaintWorkflow.investigation, s("ops-2", {"findings": "Both sides agree", "loopholes": "No check"})
    )
    await h.execute_update(ComplaintWorkflow.compensation, s(HANDLER, {"amount": "300", "reason": "fee"}))
    await h.execute_update(ComplaintWorkflow.compensation_decision, s("ops-sup", {"approved": True}))
    await h.execute_update(ComplaintWorkflow.resolve, s(HANDLER, {"result": "Re-delivered", "reply_channel": "letter"}))
    await h.execute_update(ComplaintWorkflow.survey, s(RECEIVER, {"satisfied": True, "score": 5}))
    await staff_accepts(h)


async def staff_accepts(h) -> None:  # type: ignore[no-untyped-def]
    """CP-16 (cases under the corrected rules): the staff member complained about accepts the
    result too (refused, and so left out of the history, for a case under the old rules)."""
    try:
        await h.execute_update(ComplaintWorkflow.staff_survey, s(TARGET, {"satisfied": True}))
    except WorkflowUpdateFailedError:
        pass


async def complaint_escalations_reopen(env: WorkflowEnvironment, h) -> None:  # type: ignore[no-untyped-def]
    await env.sleep(timedelta(minutes=31))  # CP-08
    await h.execute_update(ComplaintWorkflow.assign, s(RECEIVER, {"handler_id": HANDLER}, handler=HANDLER))
    await h.execute_update(ComplaintWorkflow.escalate, s(HANDLER, {"reason": "beyond my authority"}))
    await env.sleep(timedelta(days=3))  # CP-13: reassigned
    view = await h.query(ComplaintWorkflow.get_case)
    handler = view.handler_id
    try:  # a refused step leaves nothing in history
        await h.execute_update(ComplaintWorkflow.survey, s(RECEIVER, {"satisfied": True}))
    except WorkflowUpdateFailedError:
        pass
    await h.execute_update(ComplaintWorkflow.classify, s(handler, VALID_SERVICE))
    await h.execute_update(ComplaintWorkflow.plan, s(handler, {"plan": "Call back"}))
    await h.execute_update(ComplaintWorkflow.resolve, s(handler, {"result": "Apologised", "reply_channel": "email"}))
    await h.execute_update(ComplaintWorkflow.survey, s(RECEIVER, {"satisfied": False}))  # CP-16 reopen
    await h.execute_update(ComplaintWorkflow.plan, s(handler, {"plan": "Visit"}))
    await h.execute_update(ComplaintWorkflow.resolve, s(handler, {"result": "Visited", "reply_channel": "letter"}))
    await env.sleep(timedelta(days=8))  # CP-16 unanswered


async def complaint_major(env: WorkflowEnvironment, h) -> None:  # type: ignore[no-untyped-def]
    await h.execute_update(ComplaintWorkflow.assign, s(RECEIVER, {"handler_id": HANDLER}, handler=HANDLER))
    await h.execute_update(ComplaintWorkflow.classify, s(HANDLER, MAJOR_MEDIA))
    await env.sleep(timedelta(hours=25))  # CP-10 overdue
    await h.execute_update(ComplaintWorkflow.major_report, s(HANDLER, {"report": "Facts and measures"}))
    await h.execute_update(ComplaintWorkflow.compensation, s(HANDLER, {"amount": "8000", "reason": "damage"}))
    await h.execute_update(ComplaintWorkflow.compensation_decision, s("gm", {"approved": False, "note": "no"}))
    await h.execute_update(ComplaintWorkflow.plan, s(HANDLER, {"plan": "Meet the customer"}))
    await h.execute_update(ComplaintWorkflow.resolve, s(HANDLER, {"result": "Settled", "reply_channel": "letter"}))
    await h.execute_update(ComplaintWorkflow.survey, s(RECEIVER, {"satisfied": True}))
    await staff_accepts(h)


async def complaint_clocks(env: WorkflowEnvironment, h) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: a warned case (the plan clock's 50 % point, the resolution's) that waits on the
    customer (the resolution clock paused, then resumed) and is resolved."""
    await h.execute_update(ComplaintWorkflow.assign, s(RECEIVER, {"handler_id": HANDLER}, handler=HANDLER))
    await env.sleep(timedelta(minutes=16))  # the plan clock warns at 15 minutes
    await h.execute_update(ComplaintWorkflow.classify, s(HANDLER, BUSINESS))
    await h.execute_update(ComplaintWorkflow.plan, s(HANDLER, {"plan": "Ask for the waybill"}))
    await h.execute_update(ComplaintWorkflow.wait_for_customer, s(HANDLER, {"reason": "Waiting for the waybill"}))
    await env.sleep(DAY)  # paused: no resolution warning
    await h.execute_update(ComplaintWorkflow.resume, s(RECEIVER, {"note": "The waybill came"}))
    await env.sleep(2 * DAY)  # the resolution clock warns at 50 %, its point moved by the pause
    await h.execute_update(ComplaintWorkflow.resolve, s(HANDLER, {"result": "Refunded", "reply_channel": "letter"}))
    await h.execute_update(ComplaintWorkflow.survey, s(RECEIVER, {"satisfied": True, "score": 4}))
    await staff_accepts(h)


async def complaint_invalid(env: WorkflowEnvironment, h) -> None:  # type: ignore[no-untyped-def]
    await h.execute_update(
        ComplaintWorkflow.classify,
        s(
            RECEIVER,
            {"category": "service", "validity": "invalid", "invalid_reason": "extortion", "motive": "malicious"},
        ),
    )


# --- client projects: every history is recorded per run (a continue-as-new starts a new one) ---


async def project_year(p: Projects) -> str:
    """Review, budget, expenses, a follow-up lapse (ND-05), a suspension (ND-09), special
    attention at 3 months (ND-06), a termination (ND-10)."""
    wid, _ = await p.start()
    view = await p.approve(wid)
    t0 = view.approved_at
    assert t0 is not None
    await p.budget(wid, {"entertainment": "10000", "travel": "5000"})
    await p.expense(wid, "entertainment", "2500")
    await p.sleep_until(t0 + 31 * DAY)  # ND-05 lapse
    await p.follow_up(wid)
    await p.act(wid, "suspend", IMPLEMENTER, {"reason": "buyer on leave"})
    await p.sleep_until(t0 + 45 * DAY)
    await p.act(wid, "resume", IMPLEMENTER)
    await p.follow_up(wid)
    view = await p.view(wid)
    await p.sleep_until(view.attention_due_at + MINUTE)  # ND-06
    await p.wait_for(wid, lambda v: "special_attention" in v.flags)
    await p.act(wid, "terminate", IMPLEMENTER, {"reason": "The client chose a competitor"})
    await p.act(wid, "terminate_decision", REVIEW, {"approved": True})
    return wid


async def project_continue_as_new(p: Projects) -> str:
    """A small history limit: the project continues as new twice; three months of batch supply
    (ND-08/ND-11) ask the deputy leader, whose confirmation completes it."""
    wid, _ = await p.start(history_limit=40)
    view = await p.approve(wid)
    t0 = view.approved_at
    assert t0 is not None
    await p.budget(wid, {"entertainment": "10000"})
    await p.expense(wid, "entertainment", "1000")
    await p.follow_up(wid)
    await p.act(wid, "suspend", IMPLEMENTER, {"reason": "plant shutdown"})
    await p.act(wid, "resume", IMPLEMENTER)
    await p.sleep_until(t0 + 95 * DAY)  # the approval's month and the two after it have come
    for n in range(3):
        view = await p.act(wid, "supply", IMPLEMENTER, {"month": month_after(t0, n), "amount": BATCH})
    assert view.stage == "active" and view.standard_reached_at is not None, view
    view = await p.act(wid, "confirm_completion", DEPUTY)
    assert view.stage == "completed" and view.runs >= 2, view
    return wid


async def project_rejected(p: Projects) -> str:
    wid, _ = await p.start()
    await p.act(wid, "review", REVIEW, {"approved": True})
    await p.act(wid, "review", DEPUTY, {"approved": False, "note": "not our market"})
    return wid


PROJECT_SCENARIOS: dict[str, Callable[[Projects], Awaitable[str]]] = {
    "project_year": project_year,
    "project_continue_as_new": project_continue_as_new,
    "project_rejected": project_rejected,
}


def _resources(client: Client, database_url: str, task_queue: str) -> Resources:
    settings = Settings(database_url=database_url, task_queue=task_queue, staff_file=ROOT / "data" / "staff.json")
    return Resources(settings, client=client, directory=DIRECTORY)


async def record_projects(env: WorkflowEnvironment, database_url: str, only: dict[str, str] | None = None) -> None:
    resources = _resources(env.client, database_url, "record-projects")
    async with resources, build_worker(resources, env.client):
        p = Projects(env, "record-projects", DIRECTORY, resources.engine)
        for scenario_name, scenario in PROJECT_SCENARIOS.items():
            if only is not None and scenario_name not in only:
                continue
            name = only[scenario_name] if only else scenario_name
            wid = await scenario(p)
            await p.handle(wid).result()
            latest = await env.client.get_workflow_handle(wid).fetch_history()
            run_id = latest.events[0].workflow_execution_started_event_attributes.first_execution_run_id
            for n in range(1, 100):
                history = await env.client.get_workflow_handle(wid, run_id=run_id).fetch_history()
                (HISTORIES / f"{name}_run{n}.json").write_text(history.to_json())
                print(f"recorded {name} run {n}: {len(history.events)} events")
                last = history.events[-1]
                if not last.HasField("workflow_execution_continued_as_new_event_attributes"):
                    break
                run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id


async def customer_account(env: WorkflowEnvironment, a: Accounts) -> str:
    """Issue 16: an account with a delivered project through a year and a quarter: reminders,
    missed revisits (CC-01), a visit and its report reviewed (CC-02), an urgent credit report
    and its instruction (CC-03), a VIP's problem and the downgrade (CC-04), 3 months without
    service (CC-05), a survey (CC-07), a change of the record decided (CC-08); a small history
    limit makes it continue as new."""
    now = await env.get_current_time()
    body = customer_create(
        tier="vip", credit_class="B", delivered=[{"project_id": "P-REC", "delivered_at": now.isoformat()}]
    )
    wid, _ = await a.open(body, history_limit=60)
    view = await a.act(wid, CustomerStep.record_service, "cs-1", {"kind": "visit", "note": "first visit"})
    sid = view.services[-1].id
    await a.act(wid, CustomerStep.visit_report, "cs-1", {"service_id": sid, "report": "all well"})
    await a.act(wid, CustomerStep.review_report, "cs-sup", {"service_id": sid, "approved": True})
    view = await a.act(wid, CustomerStep.credit_alert, "cs-1", {"report": "bank froze their account"})
    alert_id = view.alerts[-1].id
    await a.act(wid, CustomerStep.credit_instruction, "cs-sup", {"alert_id": alert_id, "instruction": "cash first"})
    await a.act(wid, CustomerStep.report_problem, "cs-1", {"problem": "late payments"})
    await env.sleep(3 * DAY)
    await a.act(wid, CustomerStep.change_tier, "cs-sup", {"tier": "preferred", "reason": "late payments"})
    view = await a.act(wid, CustomerStep.request_change, "cs-1", {"phone": "13900000123", "reason": "new phone"})
    await a.act(wid, CustomerStep.decide_change, "cs-mgr", {"change_id": view.changes[-1].id, "approved": True})
    await a.act(wid, CustomerStep.survey, "cs-1", {"score": 4})
    await env.sleep(120 * DAY)  # revisits missed, credit reports missed, unserved
    await a.act(wid, CustomerStep.reassign, "cs-sup", {"owner_id": "cs-2", "reason": "not served"})
    await env.sleep(300 * DAY)
    await a.act(wid, CustomerStep.record_service, "cs-2", {"kind": "revisit"})
    return wid


async def record_customers(env: WorkflowEnvironment, database_url: str, only: dict[str, str] | None = None) -> None:
    """The account's runs as ``<name>_run<N>`` (the last one still running: an account never
    ends; its history replays as far as it goes)."""
    resources = _resources(env.client, database_url, "record-customers")
    async with resources, build_worker(resources, env.client):
        a = Accounts(env.client, "record-customers", DIRECTORY, resources.engine)
        name = (only or {}).get("customer_account", "customer_account")
        wid = await customer_account(env, a)
        latest = await env.client.get_workflow_handle(wid).fetch_history()
        run_id = latest.events[0].workflow_execution_started_event_attributes.first_execution_run_id
        for n in range(1, 100):
            history = await env.client.get_workflow_handle(wid, run_id=run_id).fetch_history()
            (HISTORIES / f"{name}_run{n}.json").write_text(history.to_json())
            print(f"recorded {name} run {n}: {len(history.events)} events")
            last = history.events[-1]
            if not last.HasField("workflow_execution_continued_as_new_event_attributes"):
                break
            run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        await a.close()


SCENARIOS: dict[str, Callable[[WorkflowEnvironment, object], Awaitable[None]]] = {
    "complaint_happy_path": complaint_happy_path,
    "complaint_escalations_reopen": complaint_escalations_reopen,
    "complaint_major": complaint_major,
    "complaint_invalid": complaint_invalid,
    "complaint_clocks": complaint_clocks,
}


async def record(env: WorkflowEnvironment, database_url: str, only: dict[str, str] | None = None) -> None:
    client: Client = env.client
    resources = _resources(client, database_url, "record")
    async with resources, build_worker(resources, client):
        for name, scenario in SCENARIOS.items():
            if only is not None and name not in only:
                continue
            cid = new_id()
            h = await client.start_workflow(
                ComplaintWorkflow.run, intake(DIRECTORY, cid), id=complaint_workflow_id(cid), task_queue="record"
            )
            await h.execute_update(ComplaintWorkflow.registered_case)
            await scenario(env, h)
            await h.result()
            history = await h.fetch_history()
            stem = only[name] if only else name
            (HISTORIES / f"{stem}.json").write_text(history.to_json())
            print(f"recorded {stem}: {len(history.events)} events")


async def main(only: dict[str, str] | None = None, sealed: bool = False) -> None:
    HISTORIES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'app.db'}"
        upgrade(url)
        os.environ.setdefault("STEP_KEY", TEST_STEP_KEY)  # the worker verifies, the client proves
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=binary("temporal-test-server"),
            data_converter=data_converter(key=REPLAY_PAYLOAD_KEY) if sealed else _PLAIN,
            interceptors=[step_signer_for_tests()],
        )
        async with env:
            await env.client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=env.client.namespace,
                    search_attributes={k.name: k.indexed_value_type for k in sa.ALL},
                )
            )
            if only is None or set(only) & set(SCENARIOS):
                await record(env, url, only)
            if only is None or set(only) & set(PROJECT_SCENARIOS):
                await record_projects(env, url, only)
            if only is None or "customer_account" in only:
                await record_customers(env, url, only)


if __name__ == "__main__":
    import sys

    args = [a for a in sys.argv[1:] if a != "--sealed"]
    names = dict(arg.partition("=")[::2] for arg in args)
    asyncio.run(main({k: v or k for k, v in names.items()} or None, sealed="--sealed" in sys.argv))
