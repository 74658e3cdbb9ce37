"""Duplicates: a POST retried with the same ``Idempotency-Key`` answers the first response and
starts nothing new; the same key with another body is refused (422). The crash cases, where
the API died after Temporal took the request but before the answer was stored, are played by
doing Temporal's half directly and then retrying through the API."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from api.idempotency import Idempotent
from models.complaint.messages import AssignBody, AssignInput, ComplaintCreate
from models.policy import load_complaint_policy
from models.staff import Directory
from starter.intake import intake_input, start_complaint
from storage import tables as t
from storage.engine import sessions
from workflows.complaint import ComplaintWorkflow, complaint_workflow_id

pytestmark = pytest.mark.faults


def headers(staff_id: str, idem: str | None = None) -> dict[str, str]:
    h = {"X-API-Key": f"demo-{staff_id}"}
    if idem is not None:
        h["Idempotency-Key"] = idem
    return h


def complaint_body() -> dict[str, Any]:
    return {
        "channel": "phone",
        "complainant": {"name": "Li Lei", "phone": f"+86 136{secrets.randbelow(10**8):08d}"},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "The delivery came two days late",
    }


def new_key() -> str:
    return f"key-{secrets.token_hex(6)}"


async def workflows_with_id(env: WorkflowEnvironment, workflow_id: str) -> int:
    return len([w async for w in env.client.list_workflows(f'WorkflowId = "{workflow_id}"')])


async def count(engine: AsyncEngine, q: Any) -> int:
    async with sessions(engine)() as db:
        return int(await db.scalar(q) or 0)


async def events(engine: AsyncEngine, workflow_id: str) -> list[str]:
    async with sessions(engine)() as db:
        rows = await db.scalars(
            select(t.CaseEvent.kind).where(t.CaseEvent.case_ref == workflow_id).order_by(t.CaseEvent.seq)
        )
        return list(rows)


async def test_same_key_same_body_answers_the_first_response_and_starts_one_case(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: AsyncEngine
) -> None:
    """Promise: POST /complaints twice with one Idempotency-Key and the same body (even spelled
    differently: key order, spacing) gives the same 201 and JSON, one workflow, one case."""
    key, body = new_key(), complaint_body()
    first = await api.post("/complaints", json=body, headers=headers("cs-1", key))
    assert first.status_code == 201, first.text
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = await api.post(
        "/complaints", content=reordered, headers=headers("cs-1", key) | {"content-type": "application/json"}
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    case = first.json()
    assert await workflows_with_id(dev_env, case["workflow_id"]) == 1
    assert await count(engine, select(func.count()).select_from(t.Complaint).where(t.Complaint.id == case["id"])) == 1
    assert await events(engine, case["workflow_id"]) == ["registered"]

    # per caller: another staff member's identical key is another request, another case
    other = await api.post("/complaints", json=body, headers=headers("cs-2", key))
    assert other.status_code == 201 and other.json()["id"] != case["id"]


async def test_same_key_other_body_is_422_naming_the_key(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """Promise: reusing an Idempotency-Key for a different body (or path) is refused with 422
    naming the key, and nothing is started for it."""
    key = new_key()
    first = await api.post("/complaints", json=complaint_body(), headers=headers("cs-1", key))
    assert first.status_code == 201
    before = await count(engine, select(func.count()).select_from(t.Complaint))
    other = await api.post("/complaints", json=complaint_body(), headers=headers("cs-1", key))
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"] and key in other.json()["detail"]
    cid = first.json()["id"]
    elsewhere = await api.post(f"/complaints/{cid}/plan", json={"plan": "call back"}, headers=headers("cs-1", key))
    assert elsewhere.status_code == 422
    assert await count(engine, select(func.count()).select_from(t.Complaint)) == before


async def test_step_retried_with_its_key_is_recorded_once(api: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """Promise: a step POST retried with its Idempotency-Key answers the first 200 again and
    writes one event; a refused step (409) answers the same 409 again."""
    case = (await api.post("/complaints", json=complaint_body(), headers=headers("cs-1"))).json()
    cid, wid = case["id"], case["workflow_id"]
    key = new_key()
    assign = {"handler_id": "ops-2"}
    first = await api.post(f"/complaints/{cid}/assign", json=assign, headers=headers("cs-1", key))
    again = await api.post(f"/complaints/{cid}/assign", json=assign, headers=headers("cs-1", key))
    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json()
    assert await events(engine, wid) == ["registered", "assign"]

    refused_key = new_key()  # resolve before a plan: CP-08 refuses
    resolve = {"result": "done", "reply_channel": "letter"}
    r1 = await api.post(f"/complaints/{cid}/resolve", json=resolve, headers=headers("ops-2", refused_key))
    r2 = await api.post(f"/complaints/{cid}/resolve", json=resolve, headers=headers("ops-2", refused_key))
    assert r1.status_code == r2.status_code == 409
    assert r1.json() == r2.json()


async def test_crash_after_start_a_retry_attaches_to_the_same_case(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: AsyncEngine, task_queue: str, staff_file: Any
) -> None:
    """Promise (crash safety): if the API died after starting the workflow and before storing
    the answer, the retry with the same key attaches to that workflow: one case, not two."""
    key, body = new_key(), complaint_body()
    directory = Directory.from_file(staff_file)
    cs1 = directory.get("cs-1")
    assert cs1 is not None
    # what the dead API had done: the workflow started under the key's id; no answer stored
    cid = Idempotent(None, "cs-1", key, "POST", "/complaints", "").new_id(lambda: "unused")  # type: ignore[arg-type]
    inp = intake_input(cid, ComplaintCreate.model_validate(body), cs1, directory, load_complaint_policy())
    await start_complaint(dev_env.client, task_queue, inp)

    retry = await api.post("/complaints", json=body, headers=headers("cs-1", key))
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == cid
    assert await workflows_with_id(dev_env, complaint_workflow_id(cid)) == 1
    assert await events(engine, complaint_workflow_id(cid)) == ["registered"]


async def test_crash_after_update_a_retry_is_deduplicated_by_temporal(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: AsyncEngine, staff_file: Any
) -> None:
    """Promise (crash safety): if the API died after Temporal ran a step's update and before
    storing the answer, the retry with the same key carries the same update id and Temporal
    answers the first outcome: the step is recorded once."""
    case = (await api.post("/complaints", json=complaint_body(), headers=headers("cs-1"))).json()
    cid, wid = case["id"], case["workflow_id"]
    key, path = new_key(), f"/complaints/{cid}/assign"
    directory = Directory.from_file(staff_file)
    cs1, ops2 = directory.get("cs-1"), directory.get("ops-2")
    assert cs1 is not None and ops2 is not None
    update_id = Idempotent(None, "cs-1", key, "POST", path, "").update_id  # type: ignore[arg-type]
    inp = AssignInput(
        actor=cs1.ref, body=AssignBody(handler_id="ops-2"), handler=ops2.ref, handler_chain=directory.chain("ops-2")
    )
    await dev_env.client.get_workflow_handle(wid).execute_update(ComplaintWorkflow.assign, inp, id=update_id)

    retry = await api.post(path, json={"handler_id": "ops-2"}, headers=headers("cs-1", key))
    assert retry.status_code == 200, retry.text
    assert await events(engine, wid) == ["registered", "assign"]


async def test_project_application_and_review_retried_with_their_keys(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, engine: AsyncEngine
) -> None:
    """Promise: POST /client-projects and a project step retried with their keys answer the
    first response again: one project workflow, one review event."""
    body = {
        "client_name": f"Idem Cement {secrets.token_hex(3)}",
        "background": "Three kilns",
        "contact_channel": "industry association",
        "approach": "trial batch",
        "product_line": "cast_ball",
        "expected_annual_business": 3200000,
        "implementer_ids": ["sales-1"],
    }
    key = new_key()
    first = await api.post("/client-projects", json=body, headers=headers("sales-1", key))
    again = await api.post("/client-projects", json=body, headers=headers("sales-1", key))
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    pid, wid = first.json()["id"], first.json()["workflow_id"]
    assert await workflows_with_id(dev_env, wid) == 1

    review_key = new_key()
    for _ in range(2):
        r = await api.post(
            f"/client-projects/{pid}/review", json={"approved": True}, headers=headers("dev-review", review_key)
        )
        assert r.status_code == 200, r.text
    assert (await events(engine, wid)).count("review") == 1
