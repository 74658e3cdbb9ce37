"""ND-12 year-end rewards through the API (real app, real worker, the dev server, SQLite):
POST /rewards/{year} starts the round, its chain steps as POSTs (409 out of order, 403 wrong
role), GET /rewards/{year} as JSON or CSV for the group, finance and the chairman only."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from models.calendar import local_year
from tests.rewards_data import seed_year

YEAR = 2017


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


async def test_nd12_rewards_through_the_api_json_csv_order_roles_and_readers(
    api: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    figures = await seed_year(engine, YEAR)
    assert (await api.post(f"/rewards/{YEAR}", headers=key("sales-1"))).status_code == 403
    this_year = local_year(datetime.now(UTC), "Asia/Shanghai")
    assert (await api.post(f"/rewards/{this_year}", headers=key("dev-review"))).status_code == 422
    assert (await api.get("/rewards/2001", headers=key("chairman"))).status_code == 404

    r = await api.post(f"/rewards/{YEAR}", headers=key("dev-review"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stage"] == "proposing" and body["waiting_for"] == "review_group"
    assert [p["project_id"] for p in body["totals"]["projects"]] == figures["projects"]
    assert body["totals"]["expected_total"] == "4200000"
    assert body["totals"]["supplied_total"] == "985000.50"
    assert (await api.post(f"/rewards/{YEAR}", headers=key("finance-1"))).json()["seq"] == body["seq"]  # one round

    ok1, ok2 = figures["projects"]
    lines = {
        "lines": [
            {"project_id": ok1, "implementer_id": "sales-1", "amount": "20000"},
            {"project_id": ok2, "implementer_id": "sales-2", "amount": "6000"},
        ]
    }
    assert (
        await api.post(f"/rewards/{YEAR}/review", headers=key("finance-1"), json={"approved": True})
    ).status_code == 409
    assert (await api.post(f"/rewards/{YEAR}/proposal", headers=key("finance-1"), json=lines)).status_code == 403
    assert (await api.post(f"/rewards/{YEAR}/proposal", headers=key("sales-1"), json=lines)).status_code == 403
    bad = {"lines": [{"project_id": "nope", "implementer_id": "sales-1", "amount": "1"}]}
    assert (await api.post(f"/rewards/{YEAR}/proposal", headers=key("dev-review"), json=bad)).status_code == 422
    r = await api.post(f"/rewards/{YEAR}/proposal", headers=key("dev-review"), json=lines)
    assert r.status_code == 200 and r.json()["stage"] == "reviewing", r.text
    assert (
        await api.post(f"/rewards/{YEAR}/decision", headers=key("chairman"), json={"approved": True})
    ).status_code == 409
    assert (
        await api.post(f"/rewards/{YEAR}/review", headers=key("chairman"), json={"approved": True})
    ).status_code == 403
    assert (
        await api.post(f"/rewards/{YEAR}/review", headers=key("finance-1"), json={"approved": True})
    ).status_code == 200
    r = await api.post(f"/rewards/{YEAR}/decision", headers=key("chairman"), json={"approved": True})
    assert r.status_code == 200 and r.json()["stage"] == "approved", r.text

    for who in ("dev-review", "dev-deputy", "dev-lead", "finance-1", "chairman"):
        got = await api.get(f"/rewards/{YEAR}", headers=key(who))
        assert got.status_code == 200 and got.json()["stage"] == "approved", (who, got.text)
    for who in ("sales-1", "cs-1", "gm"):
        assert (await api.get(f"/rewards/{YEAR}", headers=key(who))).status_code == 403, who
    csv = await api.get(f"/rewards/{YEAR}", params={"format": "csv"}, headers=key("finance-1"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    rows = csv.text.splitlines()
    assert rows[0].split(",")[:3] == ["year", "stage", "project_id"]
    assert rows[1].startswith(f"{YEAR},approved,{ok1},") and rows[1].endswith(",sales-1,20000")
    assert rows[-1].endswith(",TOTAL,,,4200000,985000.50,,985000.50,,26000")

    # approved: the round is over, a new start answers it, steps are a conflict
    assert (await api.post(f"/rewards/{YEAR}", headers=key("chairman"))).json()["stage"] == "approved"
    assert (await api.post(f"/rewards/{YEAR}/proposal", headers=key("dev-review"), json=lines)).status_code == 409
