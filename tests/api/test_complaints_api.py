"""The intake API over HTTP, against a real Temporal dev server and a real SQLite database.

Every test names the rule(s) of ../../../shared/RULES.md it proves (``grep -r CP-08 tests/``).
Complaints get a fresh random phone number each, so that no test's complaint counts as a
repeat (CP-06) of another's.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from storage import tables as t
from workflows import search_attributes as sa

ALL_STAFF = [
    "gm", "cs-mgr", "cs-sup", "cs-1", "cs-2", "ops-mgr", "ops-sup", "ops-1", "ops-2", "ops-3",
    "dev-lead", "dev-deputy", "dev-review", "sales-1", "sales-2", "finance-1", "chairman",
    "q-mgr", "q-sup", "q-1",
]  # fmt: skip

CLASSIFY_GENERAL = {"category": "business", "subtype": "timeliness", "validity": "valid", "severity": "general"}


# --- helpers ------------------------------------------------------------------------------


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


def unique_phone() -> str:
    return f"+86 139{secrets.randbelow(10**8):08d}"


def complaint_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "phone",
        "complainant": {"name": "Zhang Sanfeng", "phone": unique_phone()},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "The delivery came two days late",
    }
    body.update(overrides)
    return body


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def create(api: httpx.AsyncClient, by: str = "cs-1", **overrides: Any) -> dict[str, Any]:
    r = await api.post("/complaints", json=complaint_body(**overrides), headers=key(by))
    assert r.status_code == 201, r.text
    return r.json()


async def step(api: httpx.AsyncClient, cid: str, path: str, by: str, body: dict[str, Any]) -> httpx.Response:
    return await api.post(f"/complaints/{cid}/{path}", json=body, headers=key(by))


async def ok_step(api: httpx.AsyncClient, cid: str, path: str, by: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await step(api, cid, path, by, body)
    assert r.status_code == 200, f"{path} by {by}: {r.status_code} {r.text}"
    return r.json()


async def get(api: httpx.AsyncClient, cid: str, by: str = "cs-1") -> dict[str, Any]:
    r = await api.get(f"/complaints/{cid}", headers=key(by))
    assert r.status_code == 200, r.text
    return r.json()


async def history(api: httpx.AsyncClient, cid: str, by: str = "cs-1") -> list[dict[str, Any]]:
    r = await api.get(f"/complaints/{cid}/history", headers=key(by))
    assert r.status_code == 200, r.text
    return r.json()


async def listed_ids(api: httpx.AsyncClient, by: str, **params: Any) -> set[str]:
    r = await api.get("/complaints", params={"limit": 500, **params}, headers=key(by))
    assert r.status_code == 200, r.text
    return {c["id"] for c in r.json()}


async def inbox(api: httpx.AsyncClient, by: str, case_ref: str | None = None) -> list[dict[str, Any]]:
    r = await api.get("/notifications", params={"limit": 500}, headers=key(by))
    assert r.status_code == 200, r.text
    return [n for n in r.json() if case_ref is None or n["case_ref"] == case_ref]


async def assigned(api: httpx.AsyncClient, handler: str = "ops-2", **overrides: Any) -> dict[str, Any]:
    """A complaint received by cs-1 and assigned to ``handler``."""
    c = await create(api, "cs-1", **overrides)
    return await ok_step(api, c["id"], "assign", "cs-1", {"handler_id": handler})


async def planned(api: httpx.AsyncClient, handler: str = "ops-2") -> dict[str, Any]:
    """Assigned, classified (business / timeliness, valid, general) and with a plan."""
    c = await assigned(api, handler)
    await ok_step(api, c["id"], "classify", handler, CLASSIFY_GENERAL)
    return await ok_step(api, c["id"], "plan", handler, {"plan": "Call the carrier, call back"})


async def assert_refused(
    api: httpx.AsyncClient,
    cid: str,
    path: str,
    by: str,
    body: dict[str, Any],
    *,
    status: int,
    reason: str,
    reader: str = "cs-1",
) -> dict[str, Any]:
    """The step is refused with ``status`` and a reason naming ``reason``, and nothing is
    written: the history and the case are exactly as before."""
    before_events = await history(api, cid, reader)
    before = await get(api, cid, reader)
    r = await step(api, cid, path, by, body)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert reason in json.dumps(detail), detail
    assert await history(api, cid, reader) == before_events
    assert await get(api, cid, reader) == before
    return r.json()


def field_named(response: httpx.Response, field: str) -> bool:
    """Whether a 422 names ``field``: in a pydantic ``loc`` or in a plain-text detail."""
    detail = response.json()["detail"]
    if isinstance(detail, str):
        return field in detail
    return any(field in [str(p) for p in e.get("loc", [])] or field in e.get("msg", "") for e in detail)


async def eventually(probe: Any, timeout: float = 5.0, interval: float = 0.1) -> Any:
    """Poll ``probe()`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = await probe()
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"not within {timeout}s: {probe.__name__}")
        await asyncio.sleep(interval)


# --- intake: CP-01, CP-02, CP-03, CP-08, CP-20 ---------------------------------------------


async def test_create_registers_the_complaint_cp02_cp03_cp08_cp20(api: httpx.AsyncClient) -> None:
    """CP-02 the record; CP-03 an unknown complainant is registered unverified; CP-08 the plan
    is due 30 minutes after receipt; CP-20 the caller is the first responder."""
    body = complaint_body(
        channel="phone",
        target={"kind": "product", "name": "cast ball 40mm"},
        description="Ordered for Monday, arrived Wednesday",
        occurred_at="2026-01-05T08:00:00+00:00",
    )
    r = await api.post("/complaints", json=body, headers=key("cs-1"))
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["id"]
    assert c["workflow_id"] == "complaint-" + c["id"]
    assert c["status"] == "received"
    assert c["first_responder_id"] == "cs-1"
    assert c["receiver_id"] == "cs-1"
    assert c["customer_verified"] is False
    assert ts(c["plan_due_at"]) - ts(c["received_at"]) == timedelta(minutes=30)
    assert c["complainant"]["name"] == body["complainant"]["name"]
    assert c["complainant"]["phone"] == body["complainant"]["phone"]
    assert c["target"] == {"kind": "product", "staff_id": None, "name": "cast ball 40mm"}
    assert c["channel"] == "phone"
    assert ts(c["occurred_at"]) == ts(body["occurred_at"])
    # the projection answers the same
    assert await get(api, c["id"]) == c
    events = await history(api, c["id"])
    assert [(e["kind"], e["actor_id"]) for e in events] == [("registered", "cs-1")]
    assert events[0]["data"]["first_responder_id"] == "cs-1"


async def test_known_customer_is_marked_verified_cp03(api: httpx.AsyncClient, known_customer: t.Customer) -> None:
    """CP-03: a complainant found in the customer registry (by phone) is marked verified and
    linked to the customer id."""
    c = await create(api, complainant={"name": "Registry Customer", "phone": known_customer.phone})
    assert c["customer_verified"] is True
    assert c["complainant"]["customer_id"] == known_customer.id


async def test_anonymous_complaint_is_accepted_cp02(api: httpx.AsyncClient) -> None:
    """CP-02: an anonymous complaint (no name, no phone) is registered."""
    body = complaint_body()
    del body["complainant"]
    r = await api.post("/complaints", json=body, headers=key("cs-2"))
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["complainant"] == {"name": None, "phone": None, "email": None, "language": None, "customer_id": None}
    assert c["status"] == "received"
    assert c["customer_verified"] is False
    assert c["first_responder_id"] == "cs-2"


@pytest.mark.parametrize(
    ("channel", "caller"),
    [
        ("phone", "cs-1"),
        ("walk_in", "cs-2"),
        ("online_chat", "cs-1"),
        ("email", "cs-sup"),
        ("letter", "cs-2"),
        ("hotline", "cs-1"),
        ("authority_referral", "ops-1"),
        ("revisit", "sales-1"),
    ],
)
async def test_every_channel_enters_through_the_same_intake_cp01_cp20(
    api: httpx.AsyncClient, channel: str, caller: str
) -> None:
    """CP-01: each channel is registered by the same POST /complaints; CP-20: whoever received
    it is its first responder."""
    c = await create(api, caller, channel=channel)
    assert c["channel"] == channel
    assert c["status"] == "received"
    assert c["first_responder_id"] == caller
    assert c["id"] in await listed_ids(api, caller)


async def test_repeat_complaint_by_the_same_phone_is_major_cp06_cp10(api: httpx.AsyncClient) -> None:
    """CP-06: the same complainant again within 30 days is a repeat complaint, hence major;
    CP-10: a major complaint goes to level 3 at once."""
    phone = unique_phone()
    first = await create(api, complainant={"phone": phone})
    again = await create(api, complainant={"phone": phone})
    assert again["repeat_of"] == [first["id"]]
    assert again["severity"] == "major"
    assert again["severity_reasons"] == ["repeat_complaint"]
    assert again["escalation_level"] == 3


async def test_receiver_owns_the_case_until_assigned_cp20(api: httpx.AsyncClient) -> None:
    """CP-20: before assignment the first responder owns the case (may record the plan);
    a colleague who did not receive it may not."""
    c = await create(api, "cs-1")
    r = await step(api, c["id"], "plan", "cs-2", {"plan": "not mine"})
    assert r.status_code == 403, r.text
    view = await ok_step(api, c["id"], "plan", "cs-1", {"plan": "call back within the hour"})
    assert view["plan"] == "call back within the hour"
    assert view["plan_due_at"] is None


# --- Temporal: search attributes, summary, visibility --------------------------------------


async def test_search_attributes_summary_and_visibility_cp08_cp09_cp19(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """CP-08/CP-09: ComplaintStatus, EscalationLevel and PlanDueAt are on the workflow for
    supervisors to filter on; CP-19: the Temporal UI's summary carries neither the
    complainant's name nor phone; the visibility query finds the case by its status."""
    name, phone = "Ouyang Xiaofeng", unique_phone()
    c = await create(api, complainant={"name": name, "phone": phone})
    wid = c["workflow_id"]
    desc = await dev_env.client.get_workflow_handle(wid).describe()
    attrs = desc.typed_search_attributes
    assert attrs.get(sa.COMPLAINT_STATUS) == "received"
    assert attrs.get(sa.ESCALATION_LEVEL) == 0
    plan_due = attrs.get(sa.PLAN_DUE_AT)
    assert plan_due is not None
    assert abs(plan_due - ts(c["plan_due_at"])) < timedelta(seconds=1)

    summary = await desc.static_summary()
    assert summary and c["id"] in summary
    for secret in (name, phone, phone.replace(" ", "")):
        assert secret not in summary
    details = await desc.static_details()
    for secret in (name, phone):
        assert secret not in (details or "")

    async def found() -> list[Any]:
        return [
            w async for w in dev_env.client.list_workflows(f'WorkflowId = "{wid}" AND ComplaintStatus = "received"')
        ]

    hits = await eventually(found)
    assert [w.id for w in hits] == [wid]


# --- 422, 401, 404 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"summary": None}, "summary"),
        ({"priority": "high"}, "priority"),
        ({"target": {"kind": "staff", "staff_id": "nobody-9"}}, "target.staff_id"),
        ({"target": {"kind": "staff"}}, "staff_id"),
        ({"complainant": {"phone": "call me maybe"}}, "phone"),
    ],
    ids=["unknown-channel", "missing-summary", "extra-field", "unknown-target-staff", "staff-without-id", "bad-phone"],
)
async def test_bad_intake_is_422_naming_the_field_cp01_cp02(
    api: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    """CP-01/CP-02: the intake refuses a body that is not a complaint record, with 422 naming
    the field, and registers nothing."""
    body = complaint_body(**change)
    body = {k: v for k, v in body.items() if v is not None}
    before = await listed_ids(api, "cs-1")
    r = await api.post("/complaints", json=body, headers=key("cs-1"))
    assert r.status_code == 422, r.text
    assert field_named(r, field.split(".")[-1]) or field_named(r, field), r.text
    assert await listed_ids(api, "cs-1") == before


async def test_negative_compensation_is_422_cp12(api: httpx.AsyncClient) -> None:
    """CP-12: a compensation amount must be positive: 422 naming ``amount``, nothing written."""
    c = await assigned(api)
    before = await history(api, c["id"])
    r = await step(api, c["id"], "compensation", "ops-2", {"amount": "-100", "reason": "sorry"})
    assert r.status_code == 422, r.text
    assert field_named(r, "amount")
    assert await history(api, c["id"]) == before


async def test_assign_unknown_handler_is_422_cp20(api: httpx.AsyncClient) -> None:
    """CP-20: the first responder assigns to a known staff member; an unknown handler_id is
    422 naming the field, and the case stays unassigned."""
    c = await create(api)
    before = await history(api, c["id"])
    r = await step(api, c["id"], "assign", "cs-1", {"handler_id": "nobody-9"})
    assert r.status_code == 422, r.text
    assert field_named(r, "handler_id")
    assert await history(api, c["id"]) == before
    assert (await get(api, c["id"]))["handler_id"] is None


@pytest.mark.parametrize(
    "headers", [{}, {"X-API-Key": "not-a-key"}, {"X-API-Key": ""}], ids=["none", "unknown", "empty"]
)
async def test_no_or_unknown_api_key_is_401_cp19(api: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """CP-19: nobody reads or registers anything without a known X-API-Key."""
    c = await create(api)
    calls = [
        api.get("/complaints", headers=headers),
        api.get(f"/complaints/{c['id']}", headers=headers),
        api.get(f"/complaints/{c['id']}/history", headers=headers),
        api.get("/notifications", headers=headers),
        api.post("/complaints", json=complaint_body(), headers=headers),
        api.post(f"/complaints/{c['id']}/plan", json={"plan": "x"}, headers=headers),
    ]
    for r in await asyncio.gather(*calls):
        assert r.status_code == 401, (r.request.url, r.text)
    assert len(await history(api, c["id"])) == 1


async def test_unknown_complaint_is_404(api: httpx.AsyncClient) -> None:
    """Unknown complaint ids are 404 on reads and steps (CP-19: after authentication)."""
    for r in [
        await api.get("/complaints/20990101-ZZZZZZ", headers=key("cs-1")),
        await api.get("/complaints/20990101-ZZZZZZ/history", headers=key("cs-1")),
        await api.post("/complaints/20990101-ZZZZZZ/plan", json={"plan": "x"}, headers=key("cs-1")),
    ]:
        assert r.status_code == 404, r.text
        assert "20990101-ZZZZZZ" in r.json()["detail"]


# --- 403: CP-07, CP-19 ---------------------------------------------------------------------


async def test_target_staff_cannot_read_the_complaint_cp07(api: httpx.AsyncClient) -> None:
    """CP-07: the staff member complained about cannot read it, nor its history, nor see it
    listed, even when they sit in the receiver's chain (cs-sup leads cs-1); a peer leader
    in the same chain (cs-mgr) can."""
    c = await create(api, "cs-1", target={"kind": "staff", "staff_id": "cs-sup"})
    cid = c["id"]
    r = await api.get(f"/complaints/{cid}", headers=key("cs-sup"))
    assert r.status_code == 403 and "CP-07" in r.json()["detail"], r.text
    r = await api.get(f"/complaints/{cid}/history", headers=key("cs-sup"))
    assert r.status_code == 403 and "CP-07" in r.json()["detail"], r.text
    assert cid not in await listed_ids(api, "cs-sup")
    r = await step(api, cid, "plan", "cs-sup", {"plan": "make it go away"})
    assert r.status_code == 403, r.text
    assert (await get(api, cid, "cs-mgr"))["id"] == cid
    assert cid in await listed_ids(api, "cs-mgr")


async def test_other_staff_get_403_and_leaders_can_read_cp19(api: httpx.AsyncClient) -> None:
    """CP-19: received by cs-1 and handled by ops-2, the case is visible to them and the leaders
    above them (cs-sup, cs-mgr, ops-sup, ops-mgr, gm); anyone else (cs-2, ops-1, sales-1,
    finance-1) gets 403 and does not see it listed."""
    c = await assigned(api, "ops-2")
    cid = c["id"]
    for outsider in ("cs-2", "ops-1", "ops-3", "sales-1", "finance-1", "chairman"):
        r = await api.get(f"/complaints/{cid}", headers=key(outsider))
        assert r.status_code == 403 and "CP-19" in r.json()["detail"], (outsider, r.text)
        r = await api.get(f"/complaints/{cid}/history", headers=key(outsider))
        assert r.status_code == 403, (outsider, r.text)
        assert cid not in await listed_ids(api, outsider), outsider
        r = await step(api, cid, "escalate", outsider, {"reason": "curious"})
        assert r.status_code == 403, (outsider, r.text)
    for insider in ("cs-1", "cs-sup", "cs-mgr", "ops-2", "ops-sup", "ops-mgr", "gm"):
        assert (await get(api, cid, insider))["handler_id"] == "ops-2", insider
        assert len(await history(api, cid, insider)) == 2, insider
        assert cid in await listed_ids(api, insider), insider
    assert len(await history(api, cid)) == 2  # the refused escalations wrote nothing


# --- 409: not allowed now, nothing written --------------------------------------------------


async def test_assigning_the_target_staff_is_409_cp07(api: httpx.AsyncClient) -> None:
    """CP-07: the staff member complained about is never made handler nor investigator."""
    c = await create(api, target={"kind": "staff", "staff_id": "ops-1"})
    await assert_refused(api, c["id"], "assign", "cs-1", {"handler_id": "ops-1"}, status=409, reason="CP-07")
    await assert_refused(
        api, c["id"], "assign", "cs-1", {"handler_id": "ops-2", "investigator_id": "ops-1"}, status=409, reason="CP-07"
    )


async def test_survey_before_resolution_is_409_cp15(api: httpx.AsyncClient) -> None:
    """CP-15: the satisfaction survey follows the resolution."""
    c = await planned(api)
    await assert_refused(api, c["id"], "survey", "cs-1", {"satisfied": True}, status=409, reason="CP-15")


async def test_resolve_before_a_plan_is_409_cp08(api: httpx.AsyncClient) -> None:
    """CP-08: no resolution without a recorded handling plan."""
    c = await assigned(api)
    await ok_step(api, c["id"], "classify", "ops-2", CLASSIFY_GENERAL)
    await assert_refused(
        api, c["id"], "resolve", "ops-2", {"result": "fixed", "reply_channel": "letter"}, status=409, reason="CP-08"
    )


async def test_compensation_of_1000_needs_the_manager_cp12(api: httpx.AsyncClient) -> None:
    """CP-12: 1000 is above the leader's limit (500): the direct leader (ops-sup) cannot approve
    it (409, nothing written) and the case cannot be resolved while it waits; the
    department manager (ops-mgr) approves it."""
    c = await planned(api)
    cid = c["id"]
    view = await ok_step(api, cid, "compensation", "ops-2", {"amount": "1000", "reason": "two days late"})
    assert view["compensation"]["required_level"] == "manager"
    assert view["compensation"]["status"] == "pending"
    assert any(n["kind"] == "compensation_approval" for n in await inbox(api, "ops-mgr", c["workflow_id"]))
    await assert_refused(api, cid, "compensation/decision", "ops-sup", {"approved": True}, status=409, reason="CP-12")
    await assert_refused(
        api, cid, "resolve", "ops-2", {"result": "paid", "reply_channel": "letter"}, status=409, reason="CP-12"
    )
    view = await ok_step(api, cid, "compensation/decision", "ops-mgr", {"approved": True, "note": "ok"})
    assert view["compensation"]["status"] == "approved"
    assert view["compensation"]["decided_by"] == "ops-mgr"
    events = await history(api, cid)
    assert [(e["kind"], e["actor_id"]) for e in events[-2:]] == [
        ("compensation", "ops-2"),
        ("compensation_decision", "ops-mgr"),
    ]


async def test_major_report_on_a_non_major_complaint_is_409_cp10(api: httpx.AsyncClient) -> None:
    """CP-10: the major-complaint report is for major complaints only."""
    c = await planned(api)
    assert c["severity"] == "general"
    await assert_refused(api, c["id"], "major-report", "ops-2", {"report": "nothing"}, status=409, reason="CP-10")


# --- the whole lifecycle -------------------------------------------------------------------


async def test_full_lifecycle_closes_and_archives_cp08_cp11_cp14_cp15_cp16_cp17_cp20(
    api: httpx.AsyncClient,
) -> None:
    """Create (cs-1) → assign ops-2 → classify → plan → investigation → resolve (letter) →
    survey satisfied: closed (CP-16), then archived and read-only (CP-17); the history keeps
    every step in order with its actor; the handler was notified of the assignment; the result
    sent to the complainant (CP-14) is in no staff inbox; customer service is told to revisit
    (CP-15)."""
    c = await create(api, "cs-1")
    cid, wid = c["id"], c["workflow_id"]
    v = await ok_step(api, cid, "assign", "cs-1", {"handler_id": "ops-2"})
    assert (v["status"], v["handler_id"], v["first_responder_id"]) == ("in_progress", "ops-2", "cs-1")
    v = await ok_step(api, cid, "classify", "ops-2", CLASSIFY_GENERAL)
    assert (v["category"], v["subtype"], v["validity"], v["severity"]) == ("business", "timeliness", "valid", "general")
    v = await ok_step(api, cid, "plan", "ops-2", {"plan": "Check the carrier's log, call back today"})
    assert v["plan_recorded_at"] and v["plan_due_at"] is None
    v = await ok_step(
        api,
        cid,
        "investigation",
        "ops-2",
        {"findings": "Truck broke down; customer not told", "loopholes": "no ETA alerts"},
    )
    assert v["findings"].startswith("Truck")
    result_text = f"Apology and a free delivery ({secrets.token_hex(4)})"
    v = await ok_step(api, cid, "resolve", "ops-2", {"result": result_text, "reply_channel": "letter"})
    assert (v["status"], v["reply_channel"]) == ("resolved", "letter")
    assert v["reply_sent_at"] and v["resolved_at"]
    assert ts(v["revisit_due_at"]) - ts(v["resolved_at"]) == timedelta(hours=24)
    v = await ok_step(api, cid, "survey", "cs-1", {"satisfied": True, "score": 5})
    assert (v["status"], v["closed_reason"], v["satisfied"]) == ("closed", "satisfied", True)

    async def archived() -> dict[str, Any] | None:
        view = await get(api, cid)
        return view if view["archived"] else None

    final = await eventually(archived)
    assert final["status"] == "closed"
    assert final["case_file"] == f"complaints-{ts(final['closed_at']).year}"

    events = await history(api, cid)
    assert [(e["kind"], e["actor_id"]) for e in events] == [
        ("registered", "cs-1"),
        ("assign", "cs-1"),
        ("classify", "ops-2"),
        ("plan", "ops-2"),
        ("investigation", "ops-2"),
        ("resolve", "ops-2"),
        ("survey", "cs-1"),
        ("closed", "cs-1"),  # when, why and by whom it closed
        ("archived", None),
    ]
    assert events[7]["data"]["reason"] == "satisfied"
    assert [e["seq"] for e in events] == list(range(1, 10))
    assert [ts(e["at"]) for e in events] == sorted(ts(e["at"]) for e in events)
    assert events[5]["data"]["reply_channel"] == "letter"

    # CP-17: read-only once archived
    r = await step(api, cid, "plan", "ops-2", {"plan": "one more thing"})
    assert r.status_code == 409 and "CP-17" in r.json()["detail"], r.text
    r = await step(api, cid, "escalate", "ops-sup", {"reason": "late"})
    assert r.status_code == 409, r.text
    assert len(await history(api, cid)) == 9

    # notifications: the handler's assignment; the revisit for customer service (CP-15)
    assert any(n["kind"] == "assigned" and cid in n["message"] for n in await inbox(api, "ops-2", wid))
    assert any(n["kind"] == "revisit_due" for n in await inbox(api, "cs-1", wid))
    for staff_id in ALL_STAFF:
        for n in await inbox(api, staff_id, wid):
            assert n["kind"] != "result", (staff_id, n)
            assert result_text not in n["message"], (staff_id, n)


async def test_dissatisfied_survey_reopens_cp16(api: httpx.AsyncClient) -> None:
    """CP-16: a dissatisfied complainant reopens the case: back to in_progress, reopen count 1,
    the clocks restarted (a new plan due 30 minutes from the reopening)."""
    c = await planned(api)
    cid = c["id"]
    first_plan_due = ts(c["received_at"]) + timedelta(minutes=30)
    resolved = await ok_step(api, cid, "resolve", "ops-2", {"result": "sorry", "reply_channel": "email"})
    v = await ok_step(api, cid, "survey", "cs-1", {"satisfied": False, "score": 1, "comment": "still late"})
    assert v["status"] == "in_progress"
    assert v["reopen_count"] == 1
    assert v["satisfied"] is False
    assert v["plan"] is None and v["result"] is None
    assert v["plan_due_at"] is not None
    reopened_at = ts((await history(api, cid))[-1]["at"])
    assert ts(v["plan_due_at"]) == reopened_at + timedelta(minutes=30)
    assert ts(v["plan_due_at"]) > first_plan_due
    assert resolved["resolution_due_at"] is None  # no clock runs while resolved
    assert ts(v["resolution_due_at"]) == reopened_at + timedelta(days=3)
    assert ts(v["resolution_due_at"]) > ts(c["resolution_due_at"])
    assert (await get(api, cid)) == v
    assert any(n["kind"] == "reopened" for n in await inbox(api, "ops-2", c["workflow_id"]))
    # back in handling: a new plan is accepted, a survey is not
    await assert_refused(api, cid, "survey", "cs-1", {"satisfied": True}, status=409, reason="CP-15")
    v = await ok_step(api, cid, "plan", "ops-2", {"plan": "Second try"})
    assert v["plan_due_at"] is None


# --- escalation: CP-09, CP-10 --------------------------------------------------------------


async def test_handler_escalates_to_the_direct_leader_cp09(api: httpx.AsyncClient) -> None:
    """CP-09: the handler escalates one level: level 1, the direct leader (ops-sup) is told and
    finds the case filtering by escalation_level=1."""
    c = await assigned(api, "ops-2")
    cid = c["id"]
    v = await ok_step(api, cid, "escalate", "ops-2", {"reason": "customer wants a refund I cannot give"})
    assert v["escalation_level"] == 1
    assert "ops-sup" in v["escalated_to"]
    assert cid in await listed_ids(api, "ops-sup", escalation_level=1)
    assert cid not in await listed_ids(api, "ops-sup", escalation_level=0)
    assert any(n["kind"] == "escalated" for n in await inbox(api, "ops-sup", c["workflow_id"]))
    last = (await history(api, cid))[-1]
    assert (last["kind"], last["actor_id"], last["data"]["level"], last["data"]["to"]) == (
        "escalate",
        "ops-2",
        1,
        "ops-sup",
    )


async def test_escalation_skips_the_staff_member_complained_about_cp07_cp09(api: httpx.AsyncClient) -> None:
    """CP-07 over CP-09 and CP-12: when the direct leader is the one complained about, the
    escalation and the compensation approval pass them by (to the department manager) and they
    are told nothing about the case."""
    c = await create(api, "cs-1", target={"kind": "staff", "staff_id": "ops-sup"})
    cid = c["id"]
    await ok_step(api, cid, "assign", "cs-1", {"handler_id": "ops-2"})
    v = await ok_step(api, cid, "escalate", "ops-2", {"reason": "the customer blames my supervisor"})
    assert v["escalation_level"] >= 1
    assert "ops-sup" not in v["escalated_to"]
    assert "ops-mgr" in v["escalated_to"]
    # CP-07 over CP-12: the compensation is not put to them either
    await ok_step(api, cid, "plan", "ops-2", {"plan": "refund the fee"})
    v = await ok_step(api, cid, "compensation", "ops-2", {"amount": "100", "reason": "goodwill"})
    assert v["compensation"]["required_level"] == "leader"
    assert any(n["kind"] == "compensation_approval" for n in await inbox(api, "ops-mgr", c["workflow_id"]))
    r = await step(api, cid, "compensation/decision", "ops-sup", {"approved": True})
    assert r.status_code == 403 and "CP-07" in r.json()["detail"], r.text
    assert await inbox(api, "ops-sup", c["workflow_id"]) == []


async def test_major_complaint_goes_to_the_general_manager_cp06_cp10(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """CP-06: media exposure makes the complaint major; CP-10: the general manager is told at
    once (level 3), a report is due within 24 hours, and it can be filed."""
    c = await assigned(api, "ops-2")
    cid = c["id"]
    v = await ok_step(
        api,
        cid,
        "classify",
        "ops-2",
        {"category": "service", "validity": "valid", "severity": "general", "severity_reasons": ["media_exposure"]},
    )
    assert v["severity"] == "major"
    assert v["severity_reasons"] == ["media_exposure"]
    assert v["escalation_level"] == 3
    assert "gm" in v["escalated_to"]
    classified_at = ts((await history(api, cid))[-1]["at"])
    assert ts(v["major_report_due_at"]) == classified_at + timedelta(hours=24)
    assert await inbox(api, "gm", c["workflow_id"]), "the general manager was not notified"
    assert cid in await listed_ids(api, "gm", escalation_level=3, severity="major")
    attrs = (await dev_env.client.get_workflow_handle(c["workflow_id"]).describe()).typed_search_attributes
    assert attrs.get(sa.ESCALATION_LEVEL) == 3
    assert attrs.get(sa.COMPLAINT_SEVERITY) == "major"
    v = await ok_step(api, cid, "major-report", "ops-2", {"report": "Timeline, facts, press contact"})
    assert v["major_report"] and v["major_report_due_at"] is None
    assert any(n["kind"] == "major_report" for n in await inbox(api, "gm", c["workflow_id"]))


# --- health and the OpenAPI contract -------------------------------------------------------


async def test_health_reports_api_database_and_temporal(api: httpx.AsyncClient) -> None:
    """GET /health: 200 when the API, the database and Temporal all answer."""
    r = await api.get("/health")
    assert r.status_code == 200, r.text
    assert r.json() == {"api": "ok", "database": "ok", "temporal": "ok"}


async def test_openapi_lists_every_complaint_route(api: httpx.AsyncClient) -> None:
    """The OpenAPI document has every route of the issue, with its method."""
    r = await api.get("/openapi.json")
    assert r.status_code == 200, r.text
    paths = r.json()["paths"]
    expected = {
        "/complaints": {"get", "post"},
        "/complaints/{complaint_id}": {"get"},
        "/complaints/{complaint_id}/history": {"get"},
        "/notifications": {"get"},
        "/health": {"get"},
        **{
            f"/complaints/{{complaint_id}}/{p}": {"post"}
            for p in (
                "assign",
                "classify",
                "plan",
                "investigation",
                "escalate",
                "compensation",
                "compensation/decision",
                "major-report",
                "resolve",
                "survey",
            )
        },
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))


# --- more of the ladder, validity, investigation, approval levels ---------------------------


async def test_escalation_ladder_stops_at_the_general_manager_cp09(api: httpx.AsyncClient) -> None:
    """CP-09: handler (0) → direct leader (1) → department manager (2) → general manager (3);
    nothing above the top (409, nothing written)."""
    c = await assigned(api, "ops-2")
    cid = c["id"]
    for level, who in [(1, "ops-sup"), (2, "ops-mgr"), (3, "gm")]:
        v = await ok_step(api, cid, "escalate", "ops-2", {"reason": f"level {level}"})
        assert v["escalation_level"] == level
        assert v["escalated_to"][-1] == who
    await assert_refused(api, cid, "escalate", "ops-2", {"reason": "higher"}, status=409, reason="CP-09")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {"category": "business", "subtype": "goods_discrepancy", "validity": "invalid",
             "invalid_reason": "extortion", "motive": "malicious"},
            "extortion",
        ),
        ({"category": "service", "attitude": True, "validity": "valid"}, "late_attitude_complaint"),
    ],
    ids=["declared-invalid", "late-attitude"],
)  # fmt: skip
async def test_invalid_complaint_is_closed_with_its_reason_cp05_cp17(
    api: httpx.AsyncClient, body: dict[str, Any], reason: str
) -> None:
    """CP-05: an invalid complaint is closed with its reason (a complaint about service attitude
    raised more than a calendar month after the incident is invalid whatever the classifier says);
    CP-17: then archived and read-only."""
    occurred = "2020-01-01T09:00:00+00:00"
    c = await create(api, "cs-1", occurred_at=occurred)
    v = await ok_step(api, c["id"], "classify", "cs-1", body)
    assert (v["validity"], v["invalid_reason"], v["status"], v["closed_reason"]) == (
        "invalid",
        reason,
        "closed",
        "invalid",
    )

    async def archived() -> bool:
        return (await get(api, c["id"]))["archived"]

    await eventually(archived)
    r = await step(api, c["id"], "assign", "cs-1", {"handler_id": "ops-2"})
    assert r.status_code == 409, r.text


async def test_investigator_records_facts_but_promises_nothing_cp11(api: httpx.AsyncClient) -> None:
    """CP-11: customer service assigns the investigator, who records the facts and loopholes
    and may not request a compensation (no commitment by an investigator)."""
    c = await create(api, "cs-1")
    cid = c["id"]
    v = await ok_step(api, cid, "assign", "cs-1", {"handler_id": "ops-2", "investigator_id": "ops-3"})
    assert v["investigator_id"] == "ops-3"
    assert any(n["kind"] == "investigation_assigned" for n in await inbox(api, "ops-3", c["workflow_id"]))
    v = await ok_step(api, cid, "investigation", "ops-3", {"findings": "Both sides heard", "loopholes": "no checklist"})
    assert (v["findings"], v["loopholes"]) == ("Both sides heard", "no checklist")
    await assert_refused(
        api, cid, "compensation", "ops-3", {"amount": "100", "reason": "goodwill"}, status=403, reason="CP-11"
    )
    r = await step(api, cid, "investigation", "ops-3", {"findings": "x", "commitment": "full refund"})
    assert r.status_code == 422 and field_named(r, "commitment"), r.text


@pytest.mark.parametrize(
    ("amount", "level", "refused", "approver"),
    [("500", "leader", None, "ops-sup"), ("6000", "general_manager", "ops-mgr", "gm")],
)
async def test_compensation_approval_by_amount_cp12(
    api: httpx.AsyncClient, amount: str, level: str, refused: str | None, approver: str
) -> None:
    """CP-12: up to 500 the handler's leader approves; above 5,000 only the general manager."""
    c = await planned(api)
    cid = c["id"]
    v = await ok_step(api, cid, "compensation", "ops-2", {"amount": amount, "reason": "late"})
    assert v["compensation"]["required_level"] == level
    if refused:
        await assert_refused(api, cid, "compensation/decision", refused, {"approved": True}, status=409, reason="CP-12")
    v = await ok_step(api, cid, "compensation/decision", approver, {"approved": True})
    assert (v["compensation"]["status"], v["compensation"]["decided_by"]) == ("approved", approver)


async def test_customer_service_runs_the_survey_cp15(api: httpx.AsyncClient) -> None:
    """CP-15: customer service (the receiver and its leaders) runs the survey: not the handler
    nor the handler's leader (403, nothing written); the receiver's supervisor may."""
    c = await planned(api)
    await ok_step(api, c["id"], "resolve", "ops-2", {"result": "done", "reply_channel": "letter"})
    await assert_refused(api, c["id"], "survey", "ops-2", {"satisfied": True}, status=403, reason="CP-15")
    await assert_refused(api, c["id"], "survey", "ops-sup", {"satisfied": True}, status=403, reason="CP-15")
    v = await ok_step(api, c["id"], "survey", "cs-sup", {"satisfied": True, "score": 4})
    assert (v["status"], v["closed_reason"]) == ("closed", "satisfied")
    assert [e["actor_id"] for e in await history(api, c["id"]) if e["kind"] == "survey"] == ["cs-sup"]


# --- the clocks, with short deadlines set through POLICY_* (real timers on the dev server) ---


async def test_no_plan_in_time_escalates_to_the_direct_leader_cp08(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CP-08: no plan by the deadline (3 s here): level 1, the handler's direct leader and the
    handler are both notified."""
    monkeypatch.setenv("POLICY_PLAN_DEADLINE", "3")
    c = await assigned(api, "ops-2")
    assert ts(c["plan_due_at"]) - ts(c["received_at"]) == timedelta(seconds=3)

    async def overdue() -> dict[str, Any] | None:
        view = await get(api, c["id"])
        return view if view["plan_overdue"] else None

    v = await eventually(overdue, timeout=8)
    assert v["escalation_level"] == 1
    assert "ops-sup" in v["escalated_to"]
    assert any(n["kind"] == "escalated" for n in await inbox(api, "ops-sup", c["workflow_id"]))
    assert any(n["kind"] == "plan_overdue" for n in await inbox(api, "ops-2", c["workflow_id"]))
    event = (await history(api, c["id"]))[-1]
    assert (event["kind"], event["actor_id"], event["data"]["to"]) == ("plan_overdue", None, "ops-sup")
    v = await ok_step(api, c["id"], "plan", "ops-2", {"plan": "late, but here"})
    assert v["plan"] == "late, but here"
    assert (await history(api, c["id"]))[-1]["data"] == {"within_deadline": False}


async def test_major_report_missed_is_escalated_cp10(api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """CP-10: a major-complaint report not filed by its deadline (2 s here) is marked overdue
    and the general manager / crisis team is told."""
    monkeypatch.setenv("POLICY_MAJOR_REPORT_DEADLINE", "2")
    c = await assigned(api, "ops-2")
    await ok_step(
        api, c["id"], "classify", "ops-2",
        {"category": "business", "subtype": "other", "validity": "valid", "severity_reasons": ["blockade"]},
    )  # fmt: skip

    async def overdue() -> dict[str, Any] | None:
        view = await get(api, c["id"])
        return view if view["major_report_overdue"] else None

    v = await eventually(overdue, timeout=8)
    assert v["escalation_level"] == 3
    assert any(n["kind"] == "major_report_overdue" for n in await inbox(api, "gm", c["workflow_id"]))
    v = await ok_step(api, c["id"], "major-report", "ops-2", {"report": "late report"})
    assert (await history(api, c["id"]))[-1]["data"] == {"on_time": False}


async def test_not_resolved_in_time_goes_to_the_manager_and_is_reassigned_cp13(
    api: httpx.AsyncClient, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CP-13: not resolved by the deadline (4 s here): level 2 (ops-mgr), reassigned to a handler
    of another department (cs-2: not operations, not the receiver cs-1), accountability records
    for ops-2 and ops-mgr."""
    from sqlalchemy import select

    from storage.engine import sessions

    monkeypatch.setenv("POLICY_RESOLUTION_DEADLINE", "4")
    c = await planned(api, "ops-2")

    async def overdue() -> dict[str, Any] | None:
        view = await get(api, c["id"])
        return view if view["resolution_overdue"] else None

    v = await eventually(overdue, timeout=12)
    assert v["escalation_level"] == 2
    assert "ops-mgr" in v["escalated_to"]
    assert v["handler_id"] == "cs-2"
    assert v["status"] == "in_progress"
    assert any(n["kind"] == "assigned" for n in await inbox(api, "cs-2", c["workflow_id"]))
    assert any(n["kind"] == "resolution_overdue" for n in await inbox(api, "ops-2", c["workflow_id"]))
    assert (await get(api, c["id"], "cs-2"))["handler_id"] == "cs-2"  # CP-19: the new handler reads it
    async with sessions(engine)() as db:
        rows = (
            await db.scalars(select(t.AccountabilityRecord).where(t.AccountabilityRecord.case_ref == c["workflow_id"]))
        ).all()
    assert sorted((r.staff_id, r.role) for r in rows) == [("ops-2", "handler"), ("ops-mgr", "manager")]


async def test_unanswered_survey_lets_the_case_close_cp16_cp17(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CP-16: a survey left unanswered (2 s here) closes the case; CP-17: it is archived."""
    monkeypatch.setenv("POLICY_SURVEY_WAIT", "2")
    c = await planned(api)
    v = await ok_step(api, c["id"], "resolve", "ops-2", {"result": "done", "reply_channel": "letter"})
    assert ts(v["survey_due_at"]) - ts(v["resolved_at"]) == timedelta(seconds=2)

    async def archived() -> dict[str, Any] | None:
        view = await get(api, c["id"])
        return view if view["archived"] else None

    v = await eventually(archived, timeout=8)
    assert (v["status"], v["closed_reason"]) == ("closed", "survey_unanswered")
    events = await history(api, c["id"])
    assert [e["kind"] for e in events][-3:] == ["survey_overdue", "closed", "archived"]
    assert events[-2]["actor_id"] is None and events[-2]["data"]["clock"] == "survey"


# --- the corrected rulebook ---------------------------------------------------------------


async def test_staff_member_complained_about_answers_seeing_the_result_only_cp16_cp07(api: httpx.AsyncClient) -> None:
    """CP-16: the staff member complained about (ops-3) is sent the result only and answers
    through POST /complaints/{id}/staff-survey, which answers the result only (CP-07: never the
    complainant's details; they still cannot read the case); nobody else answers for them; with
    both satisfied the case closes."""
    name = f"Secret Complainant {secrets.token_hex(3)}"
    c = await assigned(
        api, "ops-2", target={"kind": "staff", "staff_id": "ops-3"}, complainant={"name": name, "phone": unique_phone()}
    )
    cid, wid = c["id"], c["workflow_id"]
    r = await step(api, cid, "staff-survey", "ops-3", {"satisfied": True})
    assert r.status_code == 403 and "CP-07" in r.json()["detail"], r.text  # not before the result
    await ok_step(api, cid, "classify", "ops-2", CLASSIFY_GENERAL)
    await ok_step(api, cid, "plan", "ops-2", {"plan": "Talk to the driver"})
    result_text = f"Apology and a new delivery slot ({secrets.token_hex(3)})"
    await ok_step(api, cid, "resolve", "ops-2", {"result": result_text})

    notes = await inbox(api, "ops-3", wid)
    assert [n["kind"] for n in notes] == ["result_for_your_answer"]
    assert result_text in notes[0]["message"] and name not in notes[0]["message"]
    assert (await api.get(f"/complaints/{cid}", headers=key("ops-3"))).status_code == 403  # CP-07
    r = await step(api, cid, "staff-survey", "ops-2", {"satisfied": True})
    assert r.status_code == 403 and "CP-16" in r.json()["detail"], r.text

    v = await ok_step(api, cid, "survey", "cs-1", {"satisfied": True, "score": 4})
    assert v["status"] == "resolved"  # waits for ops-3
    answer = await ok_step(api, cid, "staff-survey", "ops-3", {"satisfied": True, "comment": "fair"})
    assert answer == {"complaint_id": cid, "status": "closed", "result": result_text, "accepted": True}
    assert name not in json.dumps(answer)
    assert [e["kind"] for e in await history(api, cid)][-3:-1] == ["staff_survey", "closed"]


async def test_staff_member_complained_about_not_accepting_reopens_at_level_0_cp16(api: httpx.AsyncClient) -> None:
    """CP-16: the staff member's dissatisfaction reopens the case, back to escalation level 0."""
    c = await assigned(api, "ops-2", target={"kind": "staff", "staff_id": "ops-3"})
    cid = c["id"]
    await ok_step(api, cid, "classify", "ops-2", CLASSIFY_GENERAL)
    await ok_step(api, cid, "plan", "ops-2", {"plan": "p"})
    assert (await ok_step(api, cid, "escalate", "ops-2", {"reason": "r"}))["escalation_level"] == 1
    await ok_step(api, cid, "resolve", "ops-2", {"result": "r"})
    answer = await ok_step(api, cid, "staff-survey", "ops-3", {"satisfied": False})
    assert answer["status"] == "in_progress" and answer["result"] is None
    v = await get(api, cid)
    assert (v["status"], v["escalation_level"], v["reopen_count"]) == ("in_progress", 0, 1)


async def test_complainant_acknowledged_and_receivers_leader_told_cp21(api: httpx.AsyncClient, engine: Any) -> None:
    """CP-21: at registration the complainant (a phone is known) is told the complaint was
    received, its reference and by when it will be handled; cs-1's direct leader (cs-sup) is
    told of the new complaint."""
    from sqlalchemy import select

    from storage.engine import sessions

    c = await create(api, "cs-1")
    async with sessions(engine)() as db:
        rows = (
            await db.scalars(
                select(t.Notification).where(
                    t.Notification.case_ref == c["workflow_id"], t.Notification.recipient_kind == "complainant"
                )
            )
        ).all()
    acks = [n for n in rows if n.kind == "acknowledged"]
    assert len(acks) == 1 and c["id"] in acks[0].message
    assert any(n["kind"] == "new_complaint" for n in await inbox(api, "cs-sup", c["workflow_id"]))


async def test_only_customer_service_names_the_investigator_cp11(api: httpx.AsyncClient) -> None:
    """CP-11: the handler (ops-2) naming an investigator is refused (403), and customer service
    may not make the handler investigate; customer service (cs-1) names one (q-1)."""
    c = await assigned(api, "ops-2")
    cid = c["id"]
    body = {"handler_id": "ops-2", "investigator_id": "ops-1"}
    await assert_refused(api, cid, "assign", "ops-2", body, status=403, reason="CP-11")
    body = {"handler_id": "ops-2", "investigator_id": "ops-2"}
    await assert_refused(api, cid, "assign", "cs-1", body, status=409, reason="CP-11")
    v = await ok_step(api, cid, "assign", "cs-1", {"handler_id": "ops-2", "investigator_id": "q-1"})
    assert v["investigator_id"] == "q-1"
    assert (await get(api, cid, "q-sup"))["id"] == cid  # CP-19: the investigator's leaders read it


async def test_facts_contradicted_needs_an_investigation_first_cp05(api: httpx.AsyncClient) -> None:
    """CP-05: invalid for facts contradicted (經調查) is 409 until the investigation is recorded;
    then the case closes invalid with its motive (general when none is given)."""
    c = await assigned(api, "ops-2")
    cid = c["id"]
    body = {"category": "service", "validity": "invalid", "invalid_reason": "facts_contradicted"}
    await assert_refused(api, cid, "classify", "ops-2", body, status=409, reason="CP-05")
    await ok_step(api, cid, "investigation", "ops-2", {"findings": "The parcel was delivered on time"})
    v = await ok_step(api, cid, "classify", "ops-2", body)
    assert (v["status"], v["invalid_reason"], v["motive"]) == ("closed", "facts_contradicted", "general")


# --- issue 14: waiting on the customer, every clock accounted -----------------------------


async def test_issue14_wait_for_customer_and_resume_and_the_clocks_endpoint(api: httpx.AsyncClient) -> None:
    """Issue 14: POST wait-for-customer (the owner; its reason confidential, in the event's texts)
    stops the resolution clock, resume (customer service) restarts it; GET /complaints/{id}/clocks
    shows each run with its pause, to the case's viewers only (CP-19, CP-07: 403 otherwise)."""
    c = await planned(api, "ops-2")
    r = await step(api, c["id"], "wait-for-customer", "cs-2", {"reason": "Waiting for the photo"})
    assert r.status_code == 403, r.text  # not a participant
    v = await ok_step(api, c["id"], "wait-for-customer", "ops-2", {"reason": "Waiting for the photo"})
    assert v["resolution_due_at"] is None and v["waiting_for_customer_since"] is not None
    r = await step(api, c["id"], "resolve", "ops-2", {"result": "done", "reply_channel": "letter"})
    assert r.status_code == 409, r.text  # resumed first
    v = await ok_step(api, c["id"], "resume", "cs-1", {"note": "The photo came"})
    assert v["waiting_for_customer_since"] is None
    paused = ts(v["resolution_due_at"]) - ts(v["received_at"]) - timedelta(days=3)
    assert timedelta(0) < paused < timedelta(seconds=30)
    kinds = [e["kind"] for e in await history(api, c["id"])]
    assert kinds[-2:] == ["wait_for_customer", "resume"]

    async def clocks() -> list[dict[str, Any]] | None:
        r = await api.get(f"/complaints/{c['id']}/clocks", headers=key("cs-1"))
        assert r.status_code == 200, r.text
        rows = r.json()
        return rows if any(x["clock"] == "customer_wait" and x["outcome"] == "met" for x in rows) else None

    rows = await eventually(clocks)
    by = {x["clock"]: x for x in rows}
    assert by["plan"]["outcome"] == "met" and by["resolution"]["outcome"] == "running"
    assert len(by["resolution"]["pauses"]) == 1 and by["resolution"]["pauses"][0]["until"] is not None
    assert "photo" not in str(rows).lower()  # ids, kinds and times only
    assert (await api.get(f"/complaints/{c['id']}/clocks", headers=key("sales-1"))).status_code == 403
