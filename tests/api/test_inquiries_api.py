"""CC-06 inquiries through the API, against a real ``temporal server start-dev``, the session's
migrated SQLite database and a real worker (the module's ``api`` fixture: tests/api/conftest.py):
201 with its Location, 422 naming the field, 403 for a stranger, 409 on answering twice, the
lists filtered by who may see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import tables as t

J = dict[str, Any]


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


async def create(api: httpx.AsyncClient, who: str = "cs-1", **kw: Any) -> J:
    body = {"channel": "phone", "question": "When will my order arrive?"} | kw
    r = await api.post("/inquiries", json=body, headers=key(who))
    assert r.status_code == 201, r.text
    return r.json()


async def inquiries(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(t.Inquiry)) or 0)


async def test_cc06_create_answers_201_with_location_due_in_24_hours(api: httpx.AsyncClient, known_customer) -> None:
    body = {"customer_id": known_customer.id, "channel": "hotline", "question": "Price of cast balls?", "contact": "Li"}
    r = await api.post("/inquiries", json=body, headers=key("cs-1"))
    assert r.status_code == 201, r.text
    q = r.json()
    assert r.headers["Location"] == f"/inquiries/{q['id']}"
    assert q["workflow_id"] == f"inquiry-{q['id']}" and q["receiver_id"] == "cs-1"
    assert q["status"] == "open" and q["late"] is False and q["customer_id"] == known_customer.id
    assert datetime.fromisoformat(q["due_at"]) - datetime.fromisoformat(q["received_at"]) == timedelta(hours=24)
    got = await api.get(r.headers["Location"], headers=key("cs-1"))
    assert got.status_code == 200 and got.json()["question"] == "Price of cast balls?"
    hist = await api.get(f"/inquiries/{q['id']}/history", headers=key("cs-sup"))
    assert hist.status_code == 200 and [e["kind"] for e in hist.json()] == ["inquiry_received"]
    clocks = await api.get(f"/inquiries/{q['id']}/clocks", headers=key("cs-mgr"))
    assert clocks.status_code == 200 and [c["clock"] for c in clocks.json()] == ["answer"]
    assert clocks.json()[0]["allowed_seconds"] == 24 * 3600


async def test_cc06_an_unknown_customer_or_field_is_422_and_leaves_nothing(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await inquiries(engine)
    r = await api.post(
        "/inquiries", json={"customer_id": "NOPE-1", "channel": "phone", "question": "?"}, headers=key("cs-1")
    )
    assert r.status_code == 422 and "customer_id" in r.text
    r = await api.post("/inquiries", json={"channel": "phone", "question": "?", "colour": "red"}, headers=key("cs-1"))
    assert r.status_code == 422 and "colour" in r.text
    r = await api.post("/inquiries", json={"channel": "fax", "question": "?"}, headers=key("cs-1"))
    assert r.status_code == 422 and "channel" in r.text
    r = await api.post("/inquiries", json={"channel": "phone", "question": "  "}, headers=key("cs-1"))
    assert r.status_code == 422 and "question" in r.text
    assert await inquiries(engine) == before


async def test_cc06_a_stranger_is_403_on_reads_and_steps(api: httpx.AsyncClient) -> None:
    q = await create(api)
    for path in ("", "/history", "/clocks"):
        r = await api.get(f"/inquiries/{q['id']}{path}", headers=key("ops-1"))
        assert r.status_code == 403 and "CC-06" in r.text, path
    r = await api.post(f"/inquiries/{q['id']}/answer", json={"answer": "x"}, headers=key("ops-1"))
    assert r.status_code == 403
    r = await api.post(f"/inquiries/{q['id']}/assign", json={"assignee_id": "ops-2"}, headers=key("cs-2"))
    assert r.status_code == 403
    assert (await api.get("/inquiries/NOPE", headers=key("cs-1"))).status_code == 404


async def test_cc06_assign_then_the_assignee_answers_and_answering_twice_is_409(api: httpx.AsyncClient) -> None:
    q = await create(api)
    r = await api.post(f"/inquiries/{q['id']}/assign", json={"assignee_id": "nobody"}, headers=key("cs-1"))
    assert r.status_code == 422 and "assignee_id" in r.text
    r = await api.post(f"/inquiries/{q['id']}/assign", json={"assignee_id": "ops-1"}, headers=key("cs-sup"))
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == "ops-1"
    assert (await api.get(f"/inquiries/{q['id']}", headers=key("ops-sup"))).status_code == 200  # the assignee's leader
    r = await api.post(f"/inquiries/{q['id']}/answer", json={"answer": "Friday."}, headers=key("ops-1"))
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "answered" and done["answered_by"] == "ops-1" and done["answered_within_deadline"]
    for who in ("ops-1", "cs-1"):
        again = await api.post(f"/inquiries/{q['id']}/answer", json={"answer": "again"}, headers=key(who))
        assert again.status_code == 409 and "answered" in again.text
    r = await api.post(f"/inquiries/{q['id']}/assign", json={"assignee_id": "cs-2"}, headers=key("cs-1"))
    assert r.status_code == 409


async def test_cc06_lists_show_only_what_the_caller_may_see(api: httpx.AsyncClient, known_customer) -> None:
    mine = await create(api, "cs-1", customer_id=known_customer.id)
    theirs = await create(api, "q-1")

    async def ids(who: str, **params: Any) -> set[str]:
        r = await api.get("/inquiries", params=params | {"limit": 500}, headers=key(who))
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()}

    assert mine["id"] in await ids("cs-1") and theirs["id"] not in await ids("cs-1")
    assert theirs["id"] in await ids("q-sup") and mine["id"] not in await ids("q-sup")
    assert mine["id"] not in await ids("cs-2")
    assert {mine["id"], theirs["id"]} <= await ids("gm")  # the leader above both
    assert mine["id"] in await ids("cs-sup", customer_id=known_customer.id, status="open", late="false")
    assert mine["id"] not in await ids("cs-sup", status="answered")
    assert mine["id"] not in await ids("gm", receiver_id="q-1")
    assert theirs["id"] in await ids("gm", receiver_id="q-1")
