"""Bad input gets the right 4xx naming the problem; good unicode gets through intact."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from config import Settings

GM = {"X-API-Key": "demo-gm"}
CS = {"X-API-Key": "demo-cs-1"}


def complaint(**kw: Any) -> dict[str, Any]:
    return {
        "channel": "hotline",
        "complainant": {"name": "Li Lei", "phone": "13800000009"},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "late",
    } | kw


def _detail(r: httpx.Response) -> str:
    return json.dumps(r.json()["detail"], ensure_ascii=False)


async def test_oversized_body_is_413_naming_the_limit(sapi: httpx.AsyncClient) -> None:
    limit = Settings().max_body_bytes
    big = complaint(description="x" * (limit + 10))
    r = await sapi.post("/complaints", json=big, headers=CS)
    assert r.status_code == 413 and str(limit) in r.json()["detail"]

    async def chunks():  # streamed, no Content-Length
        yield b'{"channel": "hotline", "summary": "'
        for _ in range(limit // 1000 + 2):
            yield b"y" * 1000
        yield b'"}'

    r = await sapi.post("/complaints", content=chunks(), headers=CS | {"content-type": "application/json"})
    assert r.status_code == 413 and str(limit) in r.json()["detail"]


@pytest.mark.parametrize(
    "body,field",
    [
        (complaint(channel=7), "channel"),
        (complaint(summary=["a"]), "summary"),
        (complaint(complainant="Li Lei"), "complainant"),
        (complaint(occurred_at="yesterday"), "occurred_at"),
        (complaint(occurred_at="2026-02-30T09:00:00Z"), "occurred_at"),
        (complaint(occurred_at="2026-11-23T09:00:00"), "occurred_at"),  # no timezone
        (complaint(colour="red"), "colour"),
        (complaint(complainant={"name": "Li", "email": "x@y"}), "email"),
    ],
    ids=[
        "wrong-type-enum",
        "wrong-type-list",
        "wrong-type-object",
        "not-a-date",
        "impossible-date-feb-30",
        "naive-datetime",
        "unknown-field",
        "unknown-nested-field",
    ],
)
async def test_bad_complaint_bodies_are_422_naming_the_field(sapi: httpx.AsyncClient, body: dict, field: str) -> None:
    r = await sapi.post("/complaints", json=body, headers=CS)
    assert r.status_code == 422, r.text
    assert field in _detail(r)


async def test_negative_and_zero_amounts_are_422(sapi: httpx.AsyncClient) -> None:
    r = await sapi.post("/complaints", json=complaint(), headers=CS)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    for amount in (-100, 0, "-0.01"):
        r = await sapi.post(f"/complaints/{cid}/compensation", json={"amount": amount, "reason": "fee"}, headers=CS)
        assert r.status_code == 422 and "amount" in _detail(r), r.text
    app = {
        "client_name": f"Neg Co {uuid.uuid4().hex[:6]}",
        "background": "b",
        "contact_channel": "c",
        "approach": "a",
        "product_line": "cast_ball",
        "expected_annual_business": -5,
        "implementer_ids": ["sales-1"],
    }
    r = await sapi.post("/client-projects", json=app, headers={"X-API-Key": "demo-sales-1"})
    assert r.status_code == 422 and "expected_annual_business" in _detail(r), r.text
    r = await sapi.post(
        "/client-projects",
        json=app | {"expected_annual_business": 4e6, "extra": 1},
        headers={"X-API-Key": "demo-sales-1"},
    )
    assert r.status_code == 422 and "extra" in _detail(r), r.text


async def test_impossible_month_and_query_values_are_422(sapi: httpx.AsyncClient) -> None:
    r = await sapi.get("/complaints", params={"escalation_level": "9"}, headers=GM)
    assert r.status_code == 422 and "escalation_level" in _detail(r)
    r = await sapi.get("/complaints", params={"status": "lost"}, headers=GM)
    assert r.status_code == 422 and "status" in _detail(r)
    r = await sapi.post("/client-projects/nope/supply", json={"month": "2026-13", "amount": 1}, headers=GM)
    assert r.status_code == 422 and "month" in _detail(r)


async def test_unicode_names_are_accepted_stored_and_returned_intact(sapi: httpx.AsyncClient) -> None:
    name, summary = "張偉 Zoë O'Brien-Łukasz 🙂", "貨物遲到兩天 — «late»"
    r = await sapi.post(
        "/complaints",
        json=complaint(complainant={"name": name, "phone": "+86 138 0000 0010"}, summary=summary),
        headers=CS,
    )
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["complainant"]["name"] == name and c["summary"] == summary
    again = (await sapi.get(f"/complaints/{c['id']}", headers=CS)).json()
    assert again["complainant"]["name"] == name and again["summary"] == summary
    client = f"河北水泥有限公司 {uuid.uuid4().hex[:4]}"
    app = {
        "client_name": client,
        "background": "三座窯",
        "contact_channel": "協會",
        "approach": "試用",
        "product_line": "cast_ball",
        "expected_annual_business": 4000000,
        "implementer_ids": ["sales-1"],
    }
    r = await sapi.post("/client-projects", json=app, headers={"X-API-Key": "demo-sales-1"})
    assert r.status_code == 201, r.text
    p = (await sapi.get(f"/client-projects/{r.json()['id']}", headers={"X-API-Key": "demo-sales-1"})).json()
    assert (
        p["application"]["client_name"] == client if "application" in p else client in json.dumps(p, ensure_ascii=False)
    )


@pytest.mark.parametrize("path", ["/complaints", "/client-projects", "/customers", "/inquiries", "/tier-reviews"])
async def test_an_offset_past_any_list_is_422_not_a_database_overflow(sapi: httpx.AsyncClient, path: str) -> None:
    """Every list pages with the same ``offset``: one too large for the databases' integers is
    422 naming it (it used to reach SQLite and answer 500)."""
    r = await sapi.get(path, params={"offset": str(2**63)}, headers=GM)
    assert r.status_code == 422 and "offset" in _detail(r), r.text
    assert (await sapi.get(path, params={"offset": "0"}, headers=GM)).status_code == 200
