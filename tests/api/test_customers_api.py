"""The customer-account API (issue 16: CC-01 … CC-08) against a real ``temporal server
start-dev`` and the session's migrated SQLite database, with a real worker: nothing is mocked.

Tests share one database per session, so every expectation about a department's shares
(CC-04) is computed from ``GET /customers?department=…`` at the start of the test, and every
customer has a name (and, where a line is counted, a product line) of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import httpx
import pytest

J = dict[str, Any]

OWNER, OTHER_OWNER, SUPERVISOR, MANAGER = "cs-1", "cs-2", "cs-sup", "cs-mgr"
#: people who see none of cs-1's customers: another department's staff, supervisor and manager,
#: finance, the chairman, the development group
STRANGERS = ("ops-1", "ops-sup", "ops-mgr", "q-mgr", "finance-1", "chairman", "sales-1", "dev-lead")


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


def customer(**kw: Any) -> J:
    return {"name": f"Zibo Foundry {uuid.uuid4().hex[:8]}", "owner_id": OWNER} | kw


async def open_account(api: httpx.AsyncClient, who: str = SUPERVISOR, **kw: Any) -> J:
    r = await api.post("/customers", json=customer(**kw), headers=key(who))
    assert r.status_code == 201, r.text
    return r.json()


async def step(api: httpx.AsyncClient, cid: str, path: str, who: str, body: J | None = None) -> httpx.Response:
    return await api.post(f"/customers/{cid}/{path}", json=body, headers=key(who))


async def events(api: httpx.AsyncClient, cid: str, who: str = SUPERVISOR) -> list[J]:
    r = await api.get(f"/customers/{cid}/history", headers=key(who))
    assert r.status_code == 200, r.text
    return list(r.json())


async def listed(api: httpx.AsyncClient, who: str, **params: Any) -> list[J]:
    """Every customer ``who`` may see under ``params`` (all pages)."""
    out: list[J] = []
    while True:
        q = {k: v for k, v in params.items() if v is not None} | {"limit": 500, "offset": len(out)}
        r = await api.get("/customers", params=q, headers=key(who))
        assert r.status_code == 200, r.text
        page = r.json()
        out += page
        if len(page) < 500:
            return out


def allowed(total: int, share: str) -> int:
    return int((Decimal(total) * Decimal(share)).to_integral_value(rounding=ROUND_FLOOR))


async def test_cc01_cc03_cc05_cc07_open_an_account_201_with_location_and_its_due_times(api) -> None:
    """CC-03, CC-05, CC-07: POST /customers answers 201, a Location whose GET answers the same
    account, and a view whose clocks run: the credit report (class C: monthly), the 3 months
    without service and the yearly survey. CC-01: with a delivered project, its revisit runs too
    (monthly in the first year). The owner is told; the account's first event names its opener."""
    r = await api.post("/customers", json=customer(credit_class="C"), headers=key(SUPERVISOR))
    assert r.status_code == 201, r.text
    view = r.json()
    assert r.headers["location"] == f"/customers/{view['id']}"
    assert view["workflow_id"] == f"customer-{view['id']}"
    assert view["owner_id"] == OWNER and view["department"] == "customer_service"
    assert view["tier"] == "qualified" and view["credit_class"] == "C" and view["blacklist"] is None
    assert set(view["due"]) == {"credit_report", "service", "survey"}, view["due"]
    created = datetime.fromisoformat(view["created_at"])
    due = {k: datetime.fromisoformat(v) for k, v in view["due"].items()}
    assert created + timedelta(days=27) < due["credit_report"] < created + timedelta(days=32)  # CC-03 monthly
    assert created + timedelta(days=88) < due["service"] < created + timedelta(days=93)  # CC-05 3 months
    assert created + timedelta(days=364) < due["survey"] < created + timedelta(days=367)  # CC-07 a year
    assert datetime.fromisoformat(view["next_due_at"]) == min(due.values())
    got = await api.get(r.headers["location"], headers=key(OWNER))
    assert got.status_code == 200 and got.json() == view
    history = await events(api, view["id"])
    assert [e["kind"] for e in history] == ["account_opened"] and history[0]["actor_id"] == SUPERVISOR
    inbox = (await api.get("/notifications", headers=key(OWNER), params={"limit": 500})).json()
    assert any(n["case_ref"] == view["workflow_id"] and n["kind"] == "customer_assigned" for n in inbox)

    delivered = datetime.fromisoformat(view["created_at"]) - timedelta(days=3)
    body = customer(credit_class="A", delivered=[{"project_id": "P-1", "delivered_at": delivered.isoformat()}])
    r = await api.post("/customers", json=body, headers=key(OWNER))
    assert r.status_code == 201, r.text
    with_delivery = r.json()
    assert set(with_delivery["due"]) == {"credit_report", "service", "survey", "revisit"}
    revisit = datetime.fromisoformat(with_delivery["due"]["revisit"])
    assert delivered + timedelta(days=27) < revisit < delivered + timedelta(days=32)  # CC-01 monthly, year one
    credit = datetime.fromisoformat(with_delivery["due"]["credit_report"])
    assert created + timedelta(days=179) < credit < created + timedelta(days=186)  # CC-03 class A: six months
    assert [d["project_id"] for d in with_delivery["deliveries"]] == ["P-1"]


async def test_cc04_422_names_the_field_unknown_owner_non_staff_owner_extra_field(api) -> None:
    """CC-04/CC-05 owners: an account's owner is a staff member who serves customers. An unknown
    owner_id, a supervisor or manager as owner, or a field the body does not have answers 422
    naming the field; nothing is opened."""
    before = len(await listed(api, MANAGER, department="customer_service"))
    r = await api.post("/customers", json=customer(owner_id="nobody"), headers=key(SUPERVISOR))
    assert r.status_code == 422 and r.json()["detail"].startswith("owner_id:") and "nobody" in r.json()["detail"]
    for boss in (SUPERVISOR, MANAGER):
        r = await api.post("/customers", json=customer(owner_id=boss), headers=key(SUPERVISOR))
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith("owner_id:") and "not a staff member" in r.json()["detail"]
    r = await api.post("/customers", json=customer(nickname="Old Zhang"), headers=key(SUPERVISOR))
    assert r.status_code == 422, r.text
    assert any(e["loc"][-1] == "nickname" for e in r.json()["detail"]), r.text
    r = await api.post("/customers", json=customer(tier="gold"), headers=key(SUPERVISOR))
    assert r.status_code == 422 and any(e["loc"][-1] == "tier" for e in r.json()["detail"]), r.text
    assert len(await listed(api, MANAGER, department="customer_service")) == before


async def test_cc04_visibility_owner_leaders_and_department_officers_only_403_for_strangers(api) -> None:
    """Visibility (CC-04's blacklists and CC-08's records are the department's): a customer is
    read by its owner, the owner's leaders (cs-sup, cs-mgr, gm) and its department's supervisors
    and managers; anyone else gets 403 on GET, /history, /clocks and every step, and writes
    nothing. An unknown customer is 404; no key is 401."""
    view = await open_account(api)
    cid = view["id"]
    for who in (OWNER, SUPERVISOR, MANAGER, "gm"):
        for path in ("", "/history", "/clocks"):
            r = await api.get(f"/customers/{cid}{path}", headers=key(who))
            assert r.status_code == 200, (who, path, r.text)
    bodies: dict[str, J] = {
        "services": {"kind": "call"},
        "credit-alerts": {"report": "late payments"},
        "tier": {"tier": "preferred", "reason": "volume"},
        "blacklist": {"scope": "department", "reason": "fraud"},
        "reassign": {"owner_id": OTHER_OWNER, "reason": "r"},
        "surveys": {"score": 5},
        "changes": {"phone": "13900001111", "reason": "new number"},
    }
    for who in (*STRANGERS, OTHER_OWNER):
        for path in ("", "/history", "/clocks"):
            r = await api.get(f"/customers/{cid}{path}", headers=key(who))
            assert r.status_code == 403, (who, path, r.text)
            assert "visible to its owner" in r.json()["detail"]
        for path, body in bodies.items():
            r = await step(api, cid, path, who, body)
            assert r.status_code == 403, (who, path, r.text)
    assert [e["kind"] for e in await events(api, cid)] == ["account_opened"]
    assert (await api.get("/customers/NOPE-0", headers=key(SUPERVISOR))).status_code == 404
    assert (await api.get(f"/customers/{cid}")).status_code == 401
    # opening an account for someone else's customer: only the owner or the owner's officers
    r = await api.post("/customers", json=customer(), headers=key("ops-sup"))
    assert r.status_code == 403, r.text


async def test_cc04_lists_hold_only_visible_customers_and_every_filter_narrows(api) -> None:
    """Lists: cs-1 lists its own customers, never cs-2's; the department's supervisor and
    manager and the leaders above list both; strangers list neither. Each filter (department,
    owner_id, tier CC-04, credit_class CC-03, blacklisted CC-04, flag, due_before) narrows."""
    line = f"ln_{uuid.uuid4().hex[:8]}"
    mine = await open_account(api, credit_class="B", product_line=line)
    theirs = await open_account(api, owner_id=OTHER_OWNER, credit_class="D", product_line=line)
    ids = {mine["id"], theirs["id"]}
    for who, expected in (
        (OWNER, {mine["id"]}),
        (OTHER_OWNER, {theirs["id"]}),
        (SUPERVISOR, ids),
        (MANAGER, ids),
        ("gm", ids),
        *((s, set()) for s in STRANGERS),
    ):
        seen = {c["id"] for c in await listed(api, who)}
        assert seen & ids == expected, who
        for c in (await listed(api, who))[:20]:
            r = await api.get(f"/customers/{c['id']}", headers=key(who))
            assert r.status_code == 200, (who, c["id"])

    async def ours(**params: Any) -> set[str]:
        return {c["id"] for c in await listed(api, SUPERVISOR, **params)} & ids

    assert await ours(department="customer_service") == ids
    assert await ours(department="operations") == set()
    assert await ours(owner_id=OWNER) == {mine["id"]}
    assert await ours(owner_id=OTHER_OWNER) == {theirs["id"]}
    assert await ours(credit_class="B") == {mine["id"]}
    assert await ours(credit_class="D") == {theirs["id"]}
    assert await ours(tier="qualified") == ids and await ours(tier="vip") == set()
    assert await ours(blacklisted="false") == ids and await ours(blacklisted="true") == set()
    assert await ours(flag="change_pending") == set()

    # CC-08 a change waits for the manager: the flag; CC-04 the department's blacklist
    r = await step(api, theirs["id"], "changes", OTHER_OWNER, {"contact": "Mr Sun", "reason": "new buyer"})
    assert r.status_code == 200 and "change_pending" in r.json()["flags"], r.text
    assert await ours(flag="change_pending") == {theirs["id"]}
    assert await ours(flag="credit_alert") == set()
    r = await step(api, mine["id"], "blacklist", SUPERVISOR, {"scope": "department", "reason": "unpaid"})
    assert r.status_code == 200, r.text
    assert await ours(blacklisted="true") == {mine["id"]}
    assert await ours(blacklisted="false") == {theirs["id"]}
    r = await step(api, mine["id"], "blacklist/lift", SUPERVISOR, {"reason": "paid"})
    assert r.status_code == 200 and r.json()["blacklist"] is None, r.text
    r = await step(api, mine["id"], "tier", SUPERVISOR, {"tier": "preferred", "reason": "volume"})
    if r.status_code == 200:  # CC-04: the department's share of preferred may be full already
        assert await ours(tier="preferred") == {mine["id"]}
    else:
        assert r.status_code == 409 and "CC-04" in r.json()["detail"], r.text

    # due_before: the next due time, inclusive
    views = {c["id"]: c for c in await listed(api, SUPERVISOR, owner_id=OTHER_OWNER)}
    due = datetime.fromisoformat(views[theirs["id"]]["next_due_at"])
    assert theirs["id"] in await ours(due_before=due.isoformat())
    assert theirs["id"] not in await ours(due_before=(due - timedelta(seconds=1)).isoformat())
    early = await listed(api, SUPERVISOR, due_before=(due - timedelta(days=1)).isoformat())
    assert all(datetime.fromisoformat(c["next_due_at"]) <= due - timedelta(days=1) for c in early)

    r = await api.get("/customers", params={"tier": "gold"}, headers=key(SUPERVISOR))
    assert r.status_code == 422
    r = await api.get("/customers", params={"limit": 0}, headers=key(SUPERVISOR))
    assert r.status_code == 422
    # an offset past any database integer is bad input, not a 500 (found by tests/schema)
    r = await api.get("/customers", params={"offset": 10**20}, headers=key(SUPERVISOR))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "offset", r.text


async def test_cc04_vip_beyond_15_percent_of_the_department_is_409_and_writes_nothing(api) -> None:
    """CC-04: VIP customers are at most 15 % of a department's. From the quality department's
    count at the start (N customers, V VIP), qualified accounts are opened until one VIP fits,
    VIPs until the share is full; then opening one more VIP, or changing a qualified customer to
    VIP, answers 409 naming CC-04 and writes nothing (no account, no event, the tier unchanged)."""
    owner, sup, mgr, dept = "q-1", "q-sup", "q-mgr", "quality"
    rows = await listed(api, mgr, department=dept)
    n, v = len(rows), sum(1 for c in rows if c["tier"] == "vip")
    qualified: list[J] = []
    for _ in range(20):  # one VIP fits once N+1 customers allow it
        if v + 1 <= allowed(n + 1, "0.15"):
            break
        qualified.append(await open_account(api, sup, owner_id=owner))
        n += 1
    assert v + 1 <= allowed(n + 1, "0.15"), (n, v)
    opened_vip = 0
    while v + 1 <= allowed(n + 1, "0.15"):
        vip = await open_account(api, sup, owner_id=owner, tier="vip")
        assert vip["tier"] == "vip"
        n, v, opened_vip = n + 1, v + 1, opened_vip + 1
    assert opened_vip >= 1

    name = f"One VIP Too Many {uuid.uuid4().hex[:6]}"
    r = await api.post("/customers", json=customer(name=name, owner_id=owner, tier="vip"), headers=key(sup))
    assert r.status_code == 409, r.text
    assert r.json()["detail"].startswith("CC-04") and "15%" in r.json()["detail"], r.text
    after = await listed(api, mgr, department=dept)
    assert len(after) == n and sum(1 for c in after if c["tier"] == "vip") == v

    if not qualified:
        qualified.append(await open_account(api, sup, owner_id=owner))
    cid = qualified[0]["id"]
    before = await events(api, cid, sup)
    r = await step(api, cid, "tier", sup, {"tier": "vip", "reason": "biggest buyer"})
    assert r.status_code == 409 and "CC-04" in r.json()["detail"], r.text
    assert await events(api, cid, sup) == before
    assert (await api.get(f"/customers/{cid}", headers=key(sup))).json()["tier"] == "qualified"
    # the owner may not change a tier at all: a supervisor of the department does
    r = await step(api, cid, "tier", owner, {"tier": "preferred", "reason": "volume"})
    assert r.status_code == 403, r.text


async def test_cc04_preferred_beyond_30_percent_of_a_product_line_is_409(api) -> None:
    """CC-04: the shares hold for the customers of one product line of the department too (a
    line of its own here): qualified accounts in the line until a preferred one fits, preferred
    ones until the line's 30 % is full; the next preferred answers 409 naming CC-04 and the line,
    and nothing is opened."""
    line = f"pl_{uuid.uuid4().hex[:8]}"
    dept = await listed(api, MANAGER, department="customer_service")
    n, p = len(dept), sum(1 for c in dept if c["tier"] == "preferred")
    ln, lp = 0, 0

    def fits() -> bool:
        return p + 1 <= allowed(n + 1, "0.30") and lp + 1 <= allowed(ln + 1, "0.30")

    for _ in range(20):
        if fits():
            break
        await open_account(api, owner_id=OTHER_OWNER, product_line=line)
        n, ln = n + 1, ln + 1
    assert fits(), (n, p, ln, lp)
    while lp + 1 <= allowed(ln + 1, "0.30") and p + 1 <= allowed(n + 1, "0.30"):
        await open_account(api, owner_id=OTHER_OWNER, product_line=line, tier="preferred")
        n, p, ln, lp = n + 1, p + 1, ln + 1, lp + 1
    r = await api.post(
        "/customers", json=customer(owner_id=OTHER_OWNER, product_line=line, tier="preferred"), headers=key(SUPERVISOR)
    )
    assert r.status_code == 409 and r.json()["detail"].startswith("CC-04"), r.text
    if p + 1 <= allowed(n + 1, "0.30"):  # the department had room: the line is what is full
        assert line in r.json()["detail"], r.text
    in_line = [
        c for c in await listed(api, MANAGER, department="customer_service") if c["working"]["product_line"] == line
    ]
    assert len(in_line) == ln and sum(1 for c in in_line if c["tier"] == "preferred") == lp


async def test_cc04_blacklisted_by_the_department_gets_no_business_409(api) -> None:
    """CC-04: the department's supervisor puts the customer on the department's blacklist; a
    service (and a survey, a delivery) then answers 409 naming CC-04 and writes nothing; its
    cadences stop. The owner may not blacklist (403); the company blacklist is the marketing
    division's (403 for the department's supervisor). Lifted, business goes on."""
    cid = (await open_account(api))["id"]
    r = await step(api, cid, "blacklist", OWNER, {"scope": "department", "reason": "unpaid"})
    assert r.status_code == 403, r.text
    r = await step(api, cid, "blacklist", SUPERVISOR, {"scope": "company", "reason": "fraud"})
    assert r.status_code == 403 and "marketing" in r.json()["detail"], r.text
    r = await step(api, cid, "blacklist", SUPERVISOR, {"scope": "department", "reason": "unpaid invoices"})
    assert r.status_code == 200, r.text
    assert r.json()["blacklist"] == "department" and r.json()["due"] == {}
    before = await events(api, cid)
    for path, body in (
        ("services", {"kind": "visit"}),
        ("surveys", {"score": 4}),
        ("deliveries", {"project_id": "P-9"}),
    ):
        r = await step(api, cid, path, OWNER, body)
        assert r.status_code == 409, (path, r.text)
        assert r.json()["detail"].startswith("CC-04") and "blacklist" in r.json()["detail"], r.text
    assert await events(api, cid) == before
    r = await step(api, cid, "blacklist/lift", SUPERVISOR, {"reason": "paid"})
    assert r.status_code == 200 and r.json()["blacklist"] is None, r.text
    r = await step(api, cid, "services", OWNER, {"kind": "call"})
    assert r.status_code == 200, r.text


async def test_cc05_reassign_a_customer_served_recently_is_409(api) -> None:
    """CC-05: only a customer nobody served for 3 months may be reassigned: on a customer just
    served (or just opened), POST …/reassign by the supervisor answers 409 naming CC-05, writes
    nothing and the owner stays; an unknown new owner is 422 naming owner_id."""
    cid = (await open_account(api))["id"]
    r = await step(api, cid, "services", OWNER, {"kind": "call", "note": "order follow-up"})
    assert r.status_code == 200, r.text
    before = await events(api, cid)
    r = await step(api, cid, "reassign", SUPERVISOR, {"owner_id": OTHER_OWNER, "reason": "workload"})
    assert r.status_code == 409, r.text
    assert r.json()["detail"].startswith("CC-05"), r.text
    assert await events(api, cid) == before
    assert (await api.get(f"/customers/{cid}", headers=key(SUPERVISOR))).json()["owner_id"] == OWNER
    r = await step(api, cid, "reassign", SUPERVISOR, {"owner_id": "nobody", "reason": "workload"})
    assert r.status_code == 422 and "owner_id" in r.json()["detail"], r.text
    # served long ago (before the account was opened): the 3 months ran out at once
    old = (datetime.fromisoformat((await api.get(f"/customers/{cid}", headers=key(OWNER))).json()["created_at"])) - (
        timedelta(days=200)
    )
    stale = await open_account(api, last_service_at=old.isoformat())
    assert (
        "unserved" in stale["flags"]
        or "unserved" in (await api.get(f"/customers/{stale['id']}", headers=key(SUPERVISOR))).json()["flags"]
    )
    r = await step(api, stale["id"], "reassign", SUPERVISOR, {"owner_id": OTHER_OWNER, "reason": "nobody served"})
    assert r.status_code == 200 and r.json()["owner_id"] == OTHER_OWNER, r.text


async def test_cc08_change_approved_by_the_manager_original_kept_history_names_actors(api) -> None:
    """CC-08: the owner asks to change the working record (POST …/changes); the requester may
    not decide it (403); the department's manager approves (POST …/changes/decision). GET
    /history holds the request and the decision with their actors; GET shows the original
    unchanged and the working record changed."""
    view = await open_account(api, phone="13800001234", contact="Mr Li")
    cid = view["id"]
    r = await step(api, cid, "changes", OWNER, {"phone": "13900005678", "contact": "Ms Wang", "reason": "new buyer"})
    assert r.status_code == 200, r.text
    change = r.json()["changes"][-1]
    assert change["status"] == "pending" and "change_pending" in r.json()["flags"]
    assert r.json()["working"]["phone"] == "13800001234"  # nothing changes before the decision
    r = await step(api, cid, "changes/decision", OWNER, {"change_id": change["id"], "approved": True})
    assert r.status_code == 403, r.text
    r = await step(api, cid, "changes/decision", SUPERVISOR, {"change_id": change["id"], "approved": True})
    assert r.status_code == 403, r.text  # a supervisor is no manager
    r = await step(api, cid, "changes/decision", MANAGER, {"change_id": change["id"], "approved": True, "note": "ok"})
    assert r.status_code == 200, r.text
    r = await step(api, cid, "changes/decision", MANAGER, {"change_id": change["id"], "approved": True})
    assert r.status_code == 409 and "CC-08" in r.json()["detail"], r.text

    got = (await api.get(f"/customers/{cid}", headers=key(OWNER))).json()
    assert got["original"] == view["original"]
    assert got["original"]["phone"] == "13800001234" and got["original"]["contact"] == "Mr Li"
    assert got["working"]["phone"] == "13900005678" and got["working"]["contact"] == "Ms Wang"
    assert got["working"]["name"] == got["original"]["name"]
    assert "change_pending" not in got["flags"]
    history = await events(api, cid, OWNER)
    kinds = [(e["kind"], e["actor_id"]) for e in history]
    assert kinds == [("account_opened", SUPERVISOR), ("request_change", OWNER), ("decide_change", MANAGER)], kinds
    decision = history[-1]["data"]
    assert decision["change_id"] == change["id"] and decision["approved"] is True
    assert decision["requested_by"] == OWNER and sorted(decision["fields"]) == ["contact", "phone"]

    r = await step(api, cid, "changes", OWNER, {"reason": "nothing to change"})
    assert r.status_code == 422, r.text


async def test_cc04_idempotency_key_retry_of_post_customers_gives_the_same_customer(api) -> None:
    """A retry of POST /customers with the same Idempotency-Key answers the same customer (same
    id, same Location) and opens no second account; CC-04 the name stays unique: a new key
    with the same name answers 409."""
    body = customer()
    headers = key(SUPERVISOR) | {"Idempotency-Key": f"open-{uuid.uuid4().hex}"}
    first = await api.post("/customers", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await api.post("/customers", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"] and again.headers["location"] == first.headers["location"]
    named = [c for c in await listed(api, SUPERVISOR, owner_id=OWNER) if c["original"]["name"] == body["name"]]
    assert [c["id"] for c in named] == [first.json()["id"]]
    r = await api.post("/customers", json=body | {"name": body["name"].upper()}, headers=key(SUPERVISOR))
    assert r.status_code == 409 and first.json()["id"] in r.json()["detail"], r.text


@pytest.mark.parametrize("path", ["credit-reports"])
async def test_cc03_finance_writes_credit_reports_without_reading_the_customer(api, path: str) -> None:
    """CC-03: finance prepares credit reports: it may POST …/credit-reports (the new class sets
    the cadence: B quarterly) but not read the account (403)."""
    view = await open_account(api)
    r = await step(api, view["id"], path, "finance-1", {"credit_class": "B", "report": "paid on time"})
    assert r.status_code == 200, r.text
    assert r.json()["credit_class"] == "B"
    due = datetime.fromisoformat(r.json()["due"]["credit_report"])
    created = datetime.fromisoformat(view["created_at"])
    assert created + timedelta(days=88) < due < created + timedelta(days=93)
    assert (await api.get(f"/customers/{view['id']}", headers=key("finance-1"))).status_code == 403
