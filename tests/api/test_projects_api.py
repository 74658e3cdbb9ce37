"""The client-project API against a real ``temporal server start-dev`` and the session's
migrated SQLite database, with a real worker: nothing is mocked. The fixtures are this
module's own (one worker, one app, one task queue for the module)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from config import ROOT
from storage import tables as t
from storage.engine import sessions
from tests.conftest import served_app

STAFF_FILE = ROOT / "data" / "staff.json"
J = dict[str, Any]


@pytest_asyncio.fixture(scope="module")
async def papi(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with served_app(dev_env, database_url, f"tq-projects-{uuid.uuid4().hex[:8]}") as (client, _):
        yield client


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


def application(**kw: Any) -> J:
    return {
        "client_name": f"Shandong Steel {uuid.uuid4().hex[:8]}",
        "background": "Two new ball mills in 2027",
        "contact_channel": "introduced by the equipment supplier",
        "approach": "technical seminar at the plant",
        "product_line": "cast_ball",
        "expected_annual_business": 4200000,
        "implementer_ids": ["sales-1"],
    } | kw


async def create(api: httpx.AsyncClient, who: str = "sales-1", **kw: Any) -> J:
    r = await api.post("/client-projects", json=application(**kw), headers=key(who))
    assert r.status_code == 201, r.text
    return r.json()


async def post(api: httpx.AsyncClient, pid: str, path: str, who: str, body: J | None = None) -> httpx.Response:
    return await api.post(f"/client-projects/{pid}/{path}", json=body, headers=key(who))


async def approve(api: httpx.AsyncClient, pid: str) -> J:
    for who in ("dev-review", "dev-deputy", "dev-lead"):
        r = await post(api, pid, "review", who, {"approved": True, "note": "ok"})
        assert r.status_code == 200, r.text
    return r.json()


async def history(api: httpx.AsyncClient, pid: str, who: str = "dev-review") -> list[str]:
    r = await api.get(f"/client-projects/{pid}/history", headers=key(who))
    assert r.status_code == 200, r.text
    return [e["kind"] for e in r.json()]


async def test_nd01_create_201_and_ineligible_201_refused_kept_and_listed_as_rejected(
    papi, engine: AsyncEngine
) -> None:
    """ND-01: an eligible application answers 201 with id, workflow id, stage and its Location.
    ND-01 (defect: it answered 422 and yet left a project in every list): one below the line's
    threshold, or for a client already a customer (name, any case), answers 201 with the project
    in its rejected stage, ``refused`` true and the reason; the refusal is recorded in
    project_refusal, and GET, ?stage=rejected and the applicant's inbox agree with the answer."""
    r = await papi.post("/client-projects", json=application(), headers=key("sales-1"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/client-projects/{body['id']}"
    assert body["workflow_id"] == f"client-project-{body['id']}"
    assert body["stage"] == "under_review" and body["review_waiting_for"] == "review_group"
    assert body["implementer_ids"] == ["sales-1"] and body["applicant_id"] == "sales-1" and body["refused"] is False

    low = application(product_line="equipment", expected_annual_business=999999)
    r = await papi.post("/client-projects", json=low, headers=key("sales-1"))
    assert r.status_code == 201, r.text
    refused_low = r.json()
    assert refused_low["stage"] == "rejected" and refused_low["refused"] is True
    assert "equipment threshold" in refused_low["rejection_reason"]
    assert r.headers["location"] == f"/client-projects/{refused_low['id']}"

    name = f"Known Customer {uuid.uuid4().hex[:6]}"
    async with sessions(engine)() as db, db.begin():
        db.add(t.Customer(id=f"C-{uuid.uuid4().hex[:8]}", name=name, phone=None, created_at=datetime.now(UTC)))
    r = await papi.post("/client-projects", json=application(client_name=name.lower()), headers=key("sales-1"))
    assert r.status_code == 201 and r.json()["refused"] is True, r.text
    assert "already a customer" in r.json()["rejection_reason"]

    async with engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(t.ProjectRefusal).where(t.ProjectRefusal.client_name.in_([low["client_name"], name.lower()]))
            )
        )
    assert {r.client_name for r in rows} == {low["client_name"], name.lower()}
    assert all(r.reason.startswith("ND-01") and r.applicant_id == "sales-1" for r in rows)
    # the answer and every read agree: GET, the rejected list, the applicant's inbox
    rejected = await papi.get("/client-projects", params={"stage": "rejected", "limit": 500}, headers=key("sales-1"))
    listed = {p["id"]: p for p in rejected.json()}
    for refusal in rows:
        seen = await papi.get(f"/client-projects/{refusal.project_id}", headers=key("sales-1"))
        assert seen.status_code == 200 and seen.json()["stage"] == "rejected" and seen.json()["refused"] is True
        assert seen.json()["rejection_reason"].startswith("ND-01")
        assert listed[refusal.project_id]["refused"] is True
    assert (await papi.get(f"/client-projects/{r.json()['id']}", headers=key("sales-1"))).json() == r.json()
    inbox = (await papi.get("/notifications", headers=key("sales-1"), params={"limit": 500})).json()
    assert {f"client-project-{r.project_id}" for r in rows} <= {n["case_ref"] for n in inbox}

    bad = await papi.post("/client-projects", json=application(expected_annual_business=-5), headers=key("sales-1"))
    assert bad.status_code == 422
    unknown = await papi.post(
        "/client-projects", json=application(implementer_ids=["nobody"]), headers=key("dev-review")
    )
    assert unknown.status_code == 422 and "nobody" in unknown.json()["detail"]


async def test_nd13_outsiders_get_403_and_never_see_it_in_lists(papi) -> None:
    """ND-13: only the review group, the leaders and the implementers read a project; anyone
    else gets 403 and never finds it in a list (another salesperson, finance, the chairman,
    customer service)."""
    project = await create(papi)
    pid = project["id"]
    for who in ("dev-review", "dev-deputy", "dev-lead", "sales-1"):
        assert (await papi.get(f"/client-projects/{pid}", headers=key(who))).status_code == 200, who
    for who in ("sales-2", "finance-1", "chairman", "cs-1", "gm"):
        r = await papi.get(f"/client-projects/{pid}", headers=key(who))
        assert r.status_code == 403 and "ND-13" in r.json()["detail"], who
        assert (await papi.get(f"/client-projects/{pid}/history", headers=key(who))).status_code == 403
        listed = await papi.get("/client-projects", headers=key(who))
        assert listed.status_code == 200 and pid not in {p["id"] for p in listed.json()}
    r = await post(papi, pid, "review", "sales-2", {"approved": True})
    assert r.status_code == 403
    assert (await papi.get("/client-projects/nope", headers=key("dev-review"))).status_code == 404
    assert (await papi.get(f"/client-projects/{pid}")).status_code == 401


async def test_nd02_out_of_order_409_wrong_role_403_bad_input_422_and_nothing_written(papi) -> None:
    """ND-02: the leader cannot approve before the review group and the deputy (409), a
    salesperson cannot review (403), a body without ``approved`` is 422; none of them writes an
    event. ND-03: a budget before approval is 409."""
    pid = (await create(papi))["id"]
    before = await history(papi, pid)
    r = await post(papi, pid, "review", "dev-lead", {"approved": True})
    assert r.status_code == 409 and "ND-02" in r.json()["detail"]
    r = await post(papi, pid, "review", "sales-1", {"approved": True})
    assert r.status_code == 403
    assert (await post(papi, pid, "review", "dev-review", {"note": "missing decision"})).status_code == 422
    r = await post(papi, pid, "budget", "sales-1", {"phase": "preliminary", "lines": [{"name": "a", "amount": 10}]})
    assert r.status_code == 409
    assert await history(papi, pid) == before == ["applied"]
    await post(papi, pid, "review", "dev-review", {"approved": True})
    r = await post(papi, pid, "review", "dev-deputy", {"approved": False, "note": "credit risk"})
    assert r.status_code == 200 and r.json()["stage"] == "rejected" and "credit risk" in r.json()["rejection_reason"]
    r = await post(papi, pid, "review", "dev-lead", {"approved": True})
    assert r.status_code == 409
    assert await history(papi, pid) == ["applied", "review", "review"]


async def test_nd04_expense_claim_answers_201_with_the_expense_and_its_location_nd13(papi) -> None:
    """ND-04 (defect: POST .../expenses answered the whole project and no expense id): a claim
    answers 201 with the expense (id, line, amount, status, waiting_for) in the shape of a
    decision's answer, and a Location whose GET answers the same; the GET is visible as the
    project is (ND-13: another salesperson and finance 403), an unknown expense is 404; a
    refused claim (ND-03: over the cap before a breakthrough, every budget together) writes
    nothing."""
    pid = (await create(papi))["id"]
    await approve(papi, pid)
    r = await post(
        papi, pid, "budget", "sales-1", {"phase": "preliminary", "lines": [{"name": "samples", "amount": 30000}]}
    )
    assert r.status_code == 200, r.text
    for who in ("dev-deputy", "dev-lead"):
        assert (await post(papi, pid, "budget/decision", who, {"approved": True})).status_code == 200
    r = await post(papi, pid, "expenses", "sales-1", {"line": "samples", "amount": 30000, "description": "balls"})
    assert r.status_code == 201, r.text
    out = r.json()
    location = r.headers["location"]
    assert location == f"/client-projects/{pid}/expenses/{out['expense']['id']}" and out["expense"]["id"] == "E1"
    assert (await papi.get(location, headers=key("dev-deputy"))).json() == out
    for who in ("sales-2", "finance-1", "chairman"):
        denied = await papi.get(location, headers=key(who))
        assert denied.status_code == 403 and "ND-13" in denied.json()["detail"], who
    assert (await papi.get(f"/client-projects/{pid}/expenses/E9", headers=key("sales-1"))).status_code == 404
    before = await history(papi, pid)
    r = await post(papi, pid, "expenses", "sales-1", {"line": "samples", "amount": 1, "description": "more"})
    assert r.status_code == 409 and "ND-03" in r.json()["detail"]
    r = await post(papi, pid, "budget", "sales-1", {"phase": "preliminary", "lines": [{"name": "travel", "amount": 1}]})
    assert r.status_code == 409 and "every budget together" in r.json()["detail"]
    assert await history(papi, pid) == before
    # the same claim retried with its Idempotency-Key: the same answer and Location, one expense
    again = await post(papi, pid, "follow-ups", "sales-1", {"note": "n", "progress": "breakthrough"})
    assert again.status_code == 200
    body = {"line": "samples", "amount": 1, "description": "after the breakthrough"}
    first = await papi.post(
        f"/client-projects/{pid}/expenses", json=body, headers=key("sales-1") | {"Idempotency-Key": "claim-1"}
    )
    second = await papi.post(
        f"/client-projects/{pid}/expenses", json=body, headers=key("sales-1") | {"Idempotency-Key": "claim-1"}
    )
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert first.headers["location"] == second.headers["location"] == f"/client-projects/{pid}/expenses/E2"


async def test_nd11_supply_months_422_and_completion_only_by_the_deputy_once_the_standard_is_met(papi) -> None:
    """ND-11: a month of supply still to come, or before the approval's month, is 422 naming
    the problem and writes nothing; confirming completion is the deputy leader's (403 for
    others) and only once the standard is met (409 naming it)."""
    pid = (await create(papi))["id"]
    await approve(papi, pid)
    before = await history(papi, pid)
    r = await post(papi, pid, "supply", "sales-1", {"month": "2999-01", "amount": 300000})
    assert r.status_code == 422 and "ND-11" in r.json()["detail"] and "future" in r.json()["detail"]
    r = await post(papi, pid, "supply", "sales-1", {"month": "2000-01", "amount": 300000})
    assert r.status_code == 422 and "before the project's approval" in r.json()["detail"]
    assert (await post(papi, pid, "completion", "sales-1")).status_code == 403
    r = await post(papi, pid, "completion", "dev-deputy")
    assert r.status_code == 409 and "standard is not met" in r.json()["detail"]
    assert await history(papi, pid) == before


async def test_nd03_nd04_budget_expense_chain_finance_and_the_5_percent_rule(papi) -> None:
    """ND-03: budget decided by the deputy then the leader (the leader first is 409); ND-04: an
    expense over its line by more than 5% is 409; reimbursement deputy → finance → leader, and
    finance decides through the expense endpoint without reading the project (ND-13)."""
    pid = (await create(papi))["id"]
    await approve(papi, pid)
    r = await post(
        papi, pid, "budget", "sales-1", {"phase": "preliminary", "lines": [{"name": "entertainment", "amount": 40000}]}
    )
    assert r.status_code == 409 and "30000" in r.json()["detail"]
    r = await post(
        papi, pid, "budget", "sales-1", {"phase": "preliminary", "lines": [{"name": "entertainment", "amount": 2000}]}
    )
    assert r.status_code == 200 and r.json()["pending_budget"]["waiting_for"] == "deputy_leader"
    assert (await post(papi, pid, "budget/decision", "dev-lead", {"approved": True})).status_code == 409
    for who in ("dev-deputy", "dev-lead"):
        r = await post(papi, pid, "budget/decision", who, {"approved": True})
        assert r.status_code == 200, r.text
    assert r.json()["stage"] == "active"
    r = await post(
        papi, pid, "expenses", "sales-1", {"line": "entertainment", "amount": 2101, "description": "banquet"}
    )
    assert r.status_code == 409 and "ND-04" in r.json()["detail"]
    r = await post(
        papi, pid, "expenses", "sales-1", {"line": "entertainment", "amount": 2100, "description": "banquet"}
    )
    assert r.status_code == 201, r.text
    claimed = r.json()
    eid = claimed["expense"]["id"]
    assert set(claimed) == {"project_id", "stage", "expense"} and claimed["project_id"] == pid
    assert (claimed["expense"]["line"], claimed["expense"]["status"]) == ("entertainment", "pending")
    assert float(claimed["expense"]["amount"]) == 2100 and claimed["expense"]["waiting_for"] == "deputy_leader"
    assert r.headers["location"] == f"/client-projects/{pid}/expenses/{eid}"
    got = await papi.get(r.headers["location"], headers=key("sales-1"))
    assert got.status_code == 200 and got.json() == claimed
    r = await post(papi, pid, f"expenses/{eid}/decision", "finance-1", {"approved": True})
    assert r.status_code == 409  # the deputy first
    for who in ("dev-deputy", "finance-1", "dev-lead"):
        r = await post(papi, pid, f"expenses/{eid}/decision", who, {"approved": True})
        assert r.status_code == 200, (who, r.text)
        assert set(r.json()) == {"project_id", "stage", "expense"}
    assert r.json()["expense"]["status"] == "approved"
    assert (await papi.get(f"/client-projects/{pid}/expenses/{eid}", headers=key("dev-lead"))).json() == r.json()
    view = (await papi.get(f"/client-projects/{pid}", headers=key("sales-1"))).json()
    assert view["expense_total"] == "2100" or float(view["expense_total"]) == 2100
    line = view["budget"]["lines"][0]
    assert float(line["spent"]) == 2100 and float(line["remaining"]) == -100


async def test_list_filters_stage_implementer_flag_and_history_nd03_nd05_nd13(
    papi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lists filter by stage, implementer and flag. The policy is read from the environment
    when a project starts: POLICY_BUDGET_DEADLINE=1 makes that project's budget overdue after
    one second (ND-03), which shows as the budget_overdue flag. History lists every event."""
    monkeypatch.setenv("POLICY_BUDGET_DEADLINE", "1")
    late = (await create(papi, implementer_ids=["sales-2"], who="sales-2"))["id"]
    monkeypatch.delenv("POLICY_BUDGET_DEADLINE")
    mine = (await create(papi))["id"]
    await approve(papi, late)

    deadline = time.monotonic() + 15
    while True:
        view = (await papi.get(f"/client-projects/{late}", headers=key("sales-2"))).json()
        if "budget_overdue" in view["flags"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert "budget_overdue" in view["flags"] and view["budget_due_at"] is None

    async def ids(who: str, **params: str) -> set[str]:
        r = await papi.get("/client-projects", params=params, headers=key(who))
        assert r.status_code == 200, r.text
        return {p["id"] for p in r.json()}

    assert {late, mine} <= await ids("dev-deputy")
    assert late in await ids("dev-deputy", flag="budget_overdue") and mine not in await ids(
        "dev-deputy", flag="budget_overdue"
    )
    assert late in await ids("dev-lead", stage="approved") and mine not in await ids("dev-lead", stage="approved")
    assert mine in await ids("dev-lead", stage="under_review")
    assert mine in await ids("dev-review", implementer_id="sales-1") and late not in await ids(
        "dev-review", implementer_id="sales-1"
    )
    assert late in await ids("sales-2") and mine not in await ids("sales-2")  # ND-13
    assert (await papi.get("/client-projects", params={"flag": "bogus"}, headers=key("dev-lead"))).status_code == 422

    kinds = await history(papi, late, "sales-2")
    # issue 14: the budget clock warned at 50 % and 80 % of its 7 days before it ran out
    assert kinds == ["applied", "review", "review", "review", "clock_warning", "clock_warning", "budget_overdue"]
    r = await papi.get("/notifications", headers=key("dev-deputy"))
    assert any(n["kind"] == "budget_overdue" and n["case_ref"] == f"client-project-{late}" for n in r.json())
    # ND-09 over HTTP: suspend and resume (no body needed)
    assert (await post(papi, late, "resume", "sales-2")).status_code == 409
    assert (await post(papi, late, "suspend", "sales-2", {"reason": "plant closed"})).json()["stage"] == "suspended"
    assert late in await ids("dev-lead", stage="suspended")
    r = await papi.post(f"/client-projects/{late}/resume", headers=key("sales-2"))
    assert r.status_code == 200 and r.json()["stage"] == "approved"


async def test_issue14_nd09_clocks_endpoint_shows_each_clock_and_the_suspension_nd13(papi) -> None:
    """Issue 14: GET /client-projects/{id}/clocks shows each clock's run (started, due, allowed);
    a suspension (ND-09) is the clocks' shared pause, shown on each run once resumed; ND-13:
    outsiders get 403."""
    pid = (await create(papi))["id"]
    await approve(papi, pid)
    r = await post(papi, pid, "suspend", "sales-1", {"reason": "buyer on leave"})
    assert r.status_code == 200, r.text
    r = await post(papi, pid, "resume", "sales-1")
    assert r.status_code == 200, r.text
    r = await papi.get(f"/client-projects/{pid}/clocks", headers=key("dev-review"))
    assert r.status_code == 200, r.text
    by = {x["clock"]: x for x in r.json()}
    assert set(by) == {"budget", "follow_up", "attention", "study", "annual_review"}
    assert all(x["outcome"] == "running" and len(x["pauses"]) == 1 for x in by.values())
    assert by["budget"]["allowed_seconds"] == 7 * 86400
    assert (await papi.get(f"/client-projects/{pid}/clocks", headers=key("sales-2"))).status_code == 403
