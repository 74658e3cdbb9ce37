"""CP-07, CP-19, ND-13 on every path: every GET and POST route of the app, walked as every
staff member of data/staff.json, against a real dev server and worker.

Who may see what is restated here from RULES.md (not computed by models/*_rules.py):

- a complaint: its receiver, handler, investigator and the leaders above each of them; never
  the staff member complained about (even when a leader in one of those chains);
- a project: the review group, the deputy leader, the group leader and its implementers;
  finance decides reimbursements through POST …/expenses/{id}/decision without reading it;
- a customer (issue 16): its owner, the owner's leaders and its department's supervisors and
  managers; the marketing division's supervisors and managers also keep the company blacklist
  (POST …/blacklist and …/blacklist/lift, CC-04) and finance also writes credit reports (POST
  …/credit-reports, CC-03), neither reading the account.
- an inquiry (CC-06): its receiver, its assignee and the leaders above each of them;
- a department's tier review (CC-04): its supervisors and managers and the general manager;
  the year's survey campaign (CC-07): supervisors, managers and the general manager.

Non-viewers must get 403 on every route that names the case (reads and steps). Viewers must
never get the visibility 403 (steps are walked on a closed case / terminated project / an
account whose workflow was terminated, so the walk changes nothing). Lists, filtered lists ("search") and inboxes never hold a case the
caller may not read.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi.routing import APIRoute
from starlette.routing import Route
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config import ROOT
from models.policy import CustomerPolicy
from models.staff import Directory, Role
from models.survey import SurveyCampaignInput, survey_campaign_id
from models.tier_review.messages import TierReviewInput
from models.tier_review.periods import tier_review_id, tier_review_workflow_id
from tests.conftest import served_app
from workflows.care import SurveyCampaignWorkflow, TierReviewWorkflow

STAFF_FILE = ROOT / "data" / "staff.json"
DIRECTORY = Directory.from_file(STAFF_FILE)
EVERYONE = [s.id for s in DIRECTORY.staff]
J = dict[str, Any]

RECEIVER, HANDLER, INVESTIGATOR, TARGET = "cs-1", "ops-2", "ops-3", "ops-sup"
IMPLEMENTER = "sales-1"
#: the walk's customers' owner (customer service) and the marketing division (CC-04)
CUSTOMER_OWNER, MARKETING = "cs-2", "marketing"
INQUIRY_RECEIVER, INQUIRY_ASSIGNEE = "cs-1", "q-1"


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


def complaint_viewers() -> set[str]:
    """CP-19 / CP-07, from the rulebook: participants and the leaders above them, minus the
    staff member complained about."""
    ids = {RECEIVER, HANDLER, INVESTIGATOR}
    for sid in list(ids):
        ids |= {leader.id for leader in DIRECTORY.chain(sid)}
    return ids - {TARGET}


def project_viewers() -> set[str]:
    """ND-13: the review group, the leaders and the implementers."""
    group = {s.id for s in DIRECTORY.staff if s.role in (Role.review_group, Role.deputy_leader, Role.group_leader)}
    return group | {IMPLEMENTER}


def customer_viewers() -> set[str]:
    """Issue 16, from the rulebook: the owner, the owner's leaders, and the supervisors and
    managers of the owner's department."""
    owner = DIRECTORY.get(CUSTOMER_OWNER)
    assert owner is not None
    officers = {
        s.id for s in DIRECTORY.staff if s.department == owner.department and s.role in (Role.supervisor, Role.manager)
    }
    return {CUSTOMER_OWNER} | {leader.id for leader in DIRECTORY.chain(CUSTOMER_OWNER)} | officers


def customer_step_takers(path: str) -> set[str]:
    """Who may send a customer's step without reading it: CC-04 the marketing division's
    supervisors and managers keep the company blacklist; CC-03 finance writes credit reports."""
    if path.endswith(("/blacklist", "/blacklist/lift")):
        return {
            s.id for s in DIRECTORY.staff if s.department == MARKETING and s.role in (Role.supervisor, Role.manager)
        }
    if path.endswith("/credit-reports"):
        return {s.id for s in DIRECTORY.staff if s.role is Role.finance}
    return set()


def reward_viewers() -> set[str]:
    """ND-12: the group (review group and leaders), finance and the chairman."""
    roles = (Role.review_group, Role.deputy_leader, Role.group_leader, Role.finance, Role.chairman)
    return {s.id for s in DIRECTORY.staff if s.role in roles}


def inquiry_viewers() -> set[str]:
    """CC-06 (as CP-19): the receiver, the assignee and the leaders above each of them."""
    ids = {INQUIRY_RECEIVER, INQUIRY_ASSIGNEE}
    for sid in list(ids):
        ids |= {leader.id for leader in DIRECTORY.chain(sid)}
    return ids


#: The year of the walk's rewards round (other tests use other years).
REWARDS_YEAR = "2016"
#: The walk's tier reviews (customer service's; other tests use other periods).
REVIEW_LIVE, REVIEW_CLOSED = "2016-H1", "2016-H2"


def tier_review_viewers() -> set[str]:
    """CC-04: the department's (customer service's) supervisors and managers, the general manager."""
    return {
        s.id
        for s in DIRECTORY.staff
        if s.role is Role.general_manager
        or (s.department == "customer_service" and s.role in (Role.supervisor, Role.manager))
    }


def campaign_viewers() -> set[str]:
    """CC-07: supervisors, managers and the general manager."""
    return {s.id for s in DIRECTORY.staff if s.role in (Role.supervisor, Role.manager, Role.general_manager)}


#: A syntactically valid body for every POST route (a new route must be added here).
BODIES: dict[str, J | None] = {
    "/rewards/{year}": None,
    "/rewards/{year}/proposal": {"lines": [{"project_id": "none", "implementer_id": "sales-1", "amount": "1"}]},
    "/rewards/{year}/review": {"approved": True},
    "/rewards/{year}/decision": {"approved": True},
    "/complaints": {
        "channel": "hotline",
        "complainant": {"name": "Access Walker", "phone": "13900000077"},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "walk",
    },
    "/complaints/{complaint_id}/assign": {"handler_id": HANDLER, "investigator_id": INVESTIGATOR},
    "/complaints/{complaint_id}/classify": {"category": "service", "validity": "valid", "severity": "general"},
    "/complaints/{complaint_id}/plan": {"plan": "call back"},
    "/complaints/{complaint_id}/investigation": {"findings": "facts", "loopholes": "none"},
    "/complaints/{complaint_id}/escalate": {"reason": "beyond me"},
    "/complaints/{complaint_id}/compensation": {"amount": 100, "reason": "fee"},
    "/complaints/{complaint_id}/compensation/decision": {"approved": True, "note": "ok"},
    "/complaints/{complaint_id}/major-report": {"report": "facts"},
    "/complaints/{complaint_id}/resolve": {"result": "done", "reply_channel": "letter"},
    "/complaints/{complaint_id}/survey": {"satisfied": True, "score": 5},
    "/complaints/{complaint_id}/staff-survey": {"satisfied": True},
    "/complaints/{complaint_id}/wait-for-customer": {"reason": "Waiting for the delivery note"},
    "/complaints/{complaint_id}/resume": {"note": "The customer sent it"},
    "/client-projects": {
        "client_name": "Walk Co.",
        "background": "b",
        "contact_channel": "c",
        "approach": "a",
        "product_line": "cast_ball",
        "expected_annual_business": 10,  # below the threshold: refused (201, rejected) if ever let in
        "implementer_ids": ["sales-2"],
    },
    "/client-projects/{project_id}/review": {"approved": True},
    "/client-projects/{project_id}/budget": {"phase": "preliminary", "lines": [{"name": "x", "amount": 1}]},
    "/client-projects/{project_id}/budget/decision": {"approved": True},
    "/client-projects/{project_id}/expenses": {"line": "samples", "amount": 1, "description": "d"},
    "/client-projects/{project_id}/expenses/{expense_id}/decision": {"approved": True},
    "/client-projects/{project_id}/follow-ups": {"progress": "some", "note": "n"},
    "/client-projects/{project_id}/supply": {"month": "2026-11", "amount": 1},
    "/client-projects/{project_id}/completion": None,
    "/client-projects/{project_id}/study-decision": {"continue": True},
    "/client-projects/{project_id}/annual-report": {"report": "r"},
    "/client-projects/{project_id}/annual-report/decision": {"continue": True},
    "/client-projects/{project_id}/suspend": {"reason": "r"},
    "/client-projects/{project_id}/resume": None,
    "/client-projects/{project_id}/terminate": {"reason": "r"},
    "/client-projects/{project_id}/terminate/decision": {"approved": True},
    "/reports/complaints": None,
    "/customers": {"name": "Walk Customer", "owner_id": CUSTOMER_OWNER},
    "/customers/{customer_id}/services": {"kind": "call"},
    "/customers/{customer_id}/reports": {"service_id": "S1", "report": "r"},
    "/customers/{customer_id}/reports/review": {"service_id": "S1", "approved": True},
    "/customers/{customer_id}/deliveries": {"project_id": "P-walk"},
    "/customers/{customer_id}/credit-reports": {"credit_class": "B", "report": "r"},
    "/customers/{customer_id}/credit-alerts": {"report": "r"},
    "/customers/{customer_id}/credit-alerts/instruction": {"alert_id": "A1", "instruction": "i"},
    "/customers/{customer_id}/tier": {"tier": "preferred", "reason": "r"},
    "/customers/{customer_id}/problems": {"problem": "p"},
    "/customers/{customer_id}/blacklist": {"scope": "department", "reason": "r"},
    "/customers/{customer_id}/blacklist/lift": {"reason": "r"},
    "/customers/{customer_id}/reassign": {"owner_id": "cs-1", "reason": "r"},
    "/customers/{customer_id}/surveys": {"score": 5},
    "/customers/{customer_id}/changes": {"contact": "c", "reason": "r"},
    "/customers/{customer_id}/changes/decision": {"change_id": "R1", "approved": True},
    "/inquiries": {"channel": "phone", "question": "walk"},
    "/inquiries/{inquiry_id}/answer": {"answer": "walk"},
    "/inquiries/{inquiry_id}/assign": {"assignee_id": "cs-2"},
    "/tier-reviews/{review_id}/confirm": {"note": "walk"},
    "/notifications/{notification_id}/read": None,
    "/deliveries/{delivery_id}/retry": None,
}
PUBLIC = {"/health", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
SELF_SCOPED = {"/complaints", "/client-projects", "/customers", "/notifications", "/inquiries", "/tier-reviews"}
#: issue 17: the caller's own (their preferences, their inbox's rows, the deliveries to them; a
#: manager's or the general manager's every delivery), not a case's: walked by tests/delivery
SELF_SCOPED |= {
    "/me/notification-preferences",
    "/notifications/{notification_id}/read",
    "/deliveries",
    "/deliveries/{delivery_id}",
    "/deliveries/{delivery_id}/retry",
}


@pytest_asyncio.fixture(scope="module")
async def aapi(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    async with served_app(dev_env, database_url, f"tq-access-{uuid.uuid4().hex[:8]}") as served:
        yield served


async def _ok(r: httpx.Response, code: int = 200) -> J:
    assert r.status_code == code, r.text
    return r.json()


@pytest_asyncio.fixture(scope="module")
async def cases(aapi: tuple[httpx.AsyncClient, Any], dev_env: WorkflowEnvironment) -> J:
    """A live complaint and a closed one (both about TARGET, a leader in the handler's chain),
    a live project with an expense waiting for the deputy, a rejected project, and two customer
    accounts of CUSTOMER_OWNER: a live one and one whose workflow is terminated (its row stays
    readable; a step on it is 409, so the walk changes nothing); customer service's tier review
    open and confirmed; the year's survey campaign."""
    api, app = aapi
    out: J = {}
    for name in ("live", "closed"):
        body = {"name": f"Access Customer {name} {uuid.uuid4().hex[:6]}", "owner_id": CUSTOMER_OWNER}
        c = await _ok(await api.post("/customers", headers=key(CUSTOMER_OWNER), json=body), 201)
        out[f"customer_{name}"] = c["id"]
    client: Client = dev_env.client
    await client.get_workflow_handle(f"customer-{out['customer_closed']}").terminate("access walk: closed account")
    for name in ("live", "closed"):
        c = await _ok(
            await api.post(
                "/complaints",
                headers=key(RECEIVER),
                json={
                    "channel": "phone",
                    "complainant": {"name": "Secret Person", "phone": "13800000042"},
                    "target": {"kind": "staff", "staff_id": TARGET},
                    "summary": f"access walk {name}",
                },
            ),
            201,
        )
        await _ok(
            await api.post(
                f"/complaints/{c['id']}/assign",
                headers=key(RECEIVER),
                json={"handler_id": HANDLER, "investigator_id": INVESTIGATOR},
            )
        )
        out[f"complaint_{name}"] = c["id"]
    await _ok(
        await api.post(
            f"/complaints/{out['complaint_closed']}/classify",
            headers=key(HANDLER),
            json={"category": "service", "validity": "invalid", "invalid_reason": "unverifiable", "motive": "general"},
        )
    )
    await _ok(
        await api.post(
            f"/complaints/{out['complaint_live']}/escalate", headers=key(HANDLER), json={"reason": "needs a leader"}
        )
    )

    app_body = {
        "client_name": f"Access Co. {uuid.uuid4().hex[:6]}",
        "background": "b",
        "contact_channel": "c",
        "approach": "a",
        "product_line": "cast_ball",
        "expected_annual_business": 4000000,
        "implementer_ids": [IMPLEMENTER],
    }
    live = await _ok(await api.post("/client-projects", headers=key(IMPLEMENTER), json=app_body), 201)
    pid = live["id"]
    for who in ("dev-review", "dev-deputy", "dev-lead"):
        await _ok(await api.post(f"/client-projects/{pid}/review", headers=key(who), json={"approved": True}))
    await _ok(
        await api.post(
            f"/client-projects/{pid}/budget",
            headers=key(IMPLEMENTER),
            json={"phase": "preliminary", "lines": [{"name": "samples", "amount": 5000}]},
        )
    )
    for who in ("dev-deputy", "dev-lead"):
        await _ok(await api.post(f"/client-projects/{pid}/budget/decision", headers=key(who), json={"approved": True}))
    claimed = await _ok(
        await api.post(
            f"/client-projects/{pid}/expenses",
            headers=key(IMPLEMENTER),
            json={"line": "samples", "amount": 100, "description": "balls"},
        ),
        201,
    )
    out["project_live"], out["expense_id"] = pid, claimed["expense"]["id"]
    closed = await _ok(
        await api.post(
            "/client-projects",
            headers=key(IMPLEMENTER),
            json=app_body | {"client_name": f"Access Closed {uuid.uuid4().hex[:6]}"},
        ),
        201,
    )
    await _ok(
        await api.post(
            f"/client-projects/{closed['id']}/review",
            headers=key("dev-review"),
            json={"approved": False, "note": "not feasible"},
        )
    )
    out["project_closed"] = closed["id"]
    await _ok(await api.post(f"/rewards/{REWARDS_YEAR}", headers=key("dev-review")))  # ND-12
    for name in ("live", "closed"):  # CC-06: received by cs-1, handed to q-1; the closed one answered
        q = await _ok(
            await api.post(
                "/inquiries", headers=key(INQUIRY_RECEIVER), json={"channel": "email", "question": f"walk {name}"}
            ),
            201,
        )
        await _ok(
            await api.post(
                f"/inquiries/{q['id']}/assign", headers=key(INQUIRY_RECEIVER), json={"assignee_id": INQUIRY_ASSIGNEE}
            )
        )
        out[f"inquiry_{name}"] = q["id"]
    await _ok(
        await api.post(
            f"/inquiries/{out['inquiry_closed']}/answer", headers=key(INQUIRY_ASSIGNEE), json={"answer": "done"}
        )
    )
    # CC-04: customer service's tier reviews, one open, one confirmed; CC-07: the year's campaign
    task_queue = app.state.resources.settings.task_queue
    for name, period in (("live", REVIEW_LIVE), ("closed", REVIEW_CLOSED)):
        rid = tier_review_id(period, "customer_service")
        inp = TierReviewInput(id=rid, period=period, department="customer_service", policy=CustomerPolicy())
        handle = await dev_env.client.start_workflow(
            TierReviewWorkflow.run, inp, id=tier_review_workflow_id(period, "customer_service"), task_queue=task_queue
        )
        await handle.execute_update(TierReviewWorkflow.registration())
        out[f"review_{name}"] = rid
    await _ok(await api.post(f"/tier-reviews/{out['review_closed']}/confirm", headers=key("cs-sup")))
    await dev_env.client.execute_workflow(
        SurveyCampaignWorkflow.run,
        SurveyCampaignInput(year=int(REWARDS_YEAR), timezone="Asia/Shanghai"),
        id=survey_campaign_id(REWARDS_YEAR),
        task_queue=task_queue,
    )
    return out


def _routes(app: Any) -> list[tuple[str, str]]:
    """Every GET and POST the app serves, from its OpenAPI document (``app.routes`` does not
    list the routes of included routers in this FastAPI) plus the undocumented top-level ones."""
    out = {(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops}
    for r in app.routes:
        if isinstance(r, (APIRoute, Route)):
            out |= {(m, r.path) for m in r.methods or set()}
    return sorted(m_p for m_p in out if m_p[0] in ("GET", "POST"))


def test_the_walk_sees_every_route(aapi: tuple[httpx.AsyncClient, Any]) -> None:
    """The walk below is only as good as its list of routes: it must hold every endpoint."""
    _, app = aapi
    paths = {p for _, p in _routes(app)}
    assert {
        "/complaints/{complaint_id}",
        "/complaints/{complaint_id}/plan",
        "/client-projects/{project_id}/review",
        "/notifications",
    } <= paths
    assert not any(p.startswith("/codec") for p in paths)  # issue 12: no codec to decode for anyone
    assert len(paths) >= 36, sorted(paths)


def test_every_post_route_has_a_body_in_this_walk(aapi: tuple[httpx.AsyncClient, Any]) -> None:
    _, app = aapi
    missing = [p for m, p in _routes(app) if m == "POST" and p not in BODIES]
    assert not missing, f"add a body for {missing}"


def _is_visibility_403(r: httpx.Response) -> bool:
    if r.status_code != 403:
        return False
    detail = r.json().get("detail", "")
    return detail.startswith(
        (
            "CP-19: only the complaint",
            "CP-07: the staff member complained",
            "ND-13: a project is visible",
            "ND-12: the rewards are visible",
            "CC-04: a department's tier reviews are visible",
            "CC-07: the survey campaign is visible",
            "a customer is visible to its owner",
            "CC-06: an inquiry is visible",
        )
    )


@pytest.mark.parametrize("who", EVERYONE)
async def test_cp07_cp19_nd13_every_route_as_every_staff_member(aapi, cases: J, who: str) -> None:
    """Every GET and POST route, as ``who``: 403 exactly where CP-07/CP-19/ND-13 say."""
    api, app = aapi
    sees_complaint = who in complaint_viewers()
    sees_project = who in project_viewers()
    failures: list[str] = []
    for method, path in _routes(app):
        if path in PUBLIC or path in SELF_SCOPED:
            continue
        if path.startswith("/reports/"):  # CP-18: by role, not by case (tests/reports/test_reports_api.py)
            continue
        is_complaint = path.startswith("/complaints/")
        may = sees_complaint if is_complaint else sees_project
        if path.startswith("/rewards/"):
            may = who in reward_viewers()
        if path.startswith("/inquiries/"):
            may = who in inquiry_viewers()
        if path.startswith("/tier-reviews/"):
            may = who in tier_review_viewers()
        if path.startswith("/survey-campaigns/"):
            may = who in campaign_viewers()
        finance_route = path.endswith("/expenses/{expense_id}/decision") and DIRECTORY.get(who).role is Role.finance
        if path.startswith("/customers/"):
            may = who in customer_viewers()
            finance_route = method == "POST" and who in customer_step_takers(path)
        if method == "GET" and "{expense_id}" in path:
            variants = ["live"]  # the expense is the live project's (the closed one has none: 404)
        elif method == "GET":
            variants = ["live", "closed"]
        else:  # steps: non-viewers on the live case (refused before anything runs), viewers on the closed one
            variants = ["closed"] if (may or finance_route) else ["live", "closed"]
        for variant in variants:
            url = (
                path.replace("{complaint_id}", cases[f"complaint_{variant}"])
                .replace("{project_id}", cases[f"project_{variant}"])
                .replace("{customer_id}", cases[f"customer_{variant}"])
                .replace("{expense_id}", cases["expense_id"])
                .replace("{year}", REWARDS_YEAR)
                .replace("{inquiry_id}", cases[f"inquiry_{variant}"])
                .replace("{review_id}", cases[f"review_{variant}"])
            )
            r = await api.request(method, url, headers=key(who), json=BODIES.get(path) if method == "POST" else None)
            label = f"{method} {path} [{variant}] as {who}: {r.status_code} {r.text[:160]}"
            if may or finance_route:
                if _is_visibility_403(r) or r.status_code >= 500:
                    failures.append("refused a viewer: " + label)
                if method == "GET" and r.status_code != 200:
                    failures.append("viewer could not read: " + label)
            elif r.status_code != 403:
                failures.append("let in: " + label)
    assert not failures, "\n".join(failures)


async def _readable(api: httpx.AsyncClient, who: str, kind: str, cid: str) -> bool:
    r = await api.get(f"/{kind}/{cid}", headers=key(who))
    assert r.status_code in (200, 403), r.text
    return r.status_code == 200


@pytest.mark.parametrize("who", EVERYONE)
async def test_cp19_nd13_lists_searches_and_inbox_hold_only_readable_cases(aapi, cases: J, who: str) -> None:
    """Lists (plain and filtered: the API's search) and the inbox never hold a case the caller
    may not read; the walk's cases are listed exactly for their viewers."""
    api, _ = aapi
    queries = [
        ("complaints", {}),
        ("complaints", {"handler_id": HANDLER}),
        ("complaints", {"status": "in_progress"}),
        ("complaints", {"status": "closed"}),
        ("complaints", {"escalation_level": "1"}),
        ("client-projects", {}),
        ("client-projects", {"implementer_id": IMPLEMENTER}),
        ("client-projects", {"stage": "active"}),
        ("client-projects", {"stage": "rejected"}),
        ("customers", {}),
        ("customers", {"owner_id": CUSTOMER_OWNER}),
        ("customers", {"department": "customer_service"}),
        ("customers", {"tier": "qualified"}),
        ("customers", {"blacklisted": "false"}),
        ("inquiries", {}),
        ("inquiries", {"status": "open"}),
        ("inquiries", {"late": "false", "receiver_id": INQUIRY_RECEIVER}),
    ]
    for kind, params in queries:
        rows = await _ok(await api.get(f"/{kind}", headers=key(who), params=params | {"limit": "500"}))
        for row in rows:
            assert await _readable(api, who, kind, row["id"]), f"{who} lists {kind} {row['id']} it cannot read"
        ids = {row["id"] for row in rows}
        if not params:
            prefix = {
                "complaints": "complaint",
                "client-projects": "project",
                "customers": "customer",
                "inquiries": "inquiry",
            }[kind]
            ours = {cases[f"{prefix}_live"], cases[f"{prefix}_closed"]}
            viewers = {
                "complaints": complaint_viewers,
                "client-projects": project_viewers,
                "customers": customer_viewers,
                "inquiries": inquiry_viewers,
            }[kind]()
            expected = who in viewers
            assert (ours <= ids) if expected else not (ours & ids), (who, kind, params)
    inbox = await _ok(await api.get("/notifications", headers=key(who), params={"limit": "500"}))
    #: CC-05: customers taken from ``who`` (their notes from before stay in the inbox)
    taken = {n["case_ref"] for n in inbox if n["kind"] == "customer_reassigned"}
    for n in inbox:
        ref: str = n["case_ref"]
        if ref.startswith("complaint-"):
            if n["kind"] == "result_for_your_answer":
                # CP-16: the staff member complained about is sent the result (only) to accept;
                # they still cannot read the case (CP-07)
                assert not await _readable(api, who, "complaints", ref.removeprefix("complaint-")), (who, n)
                continue
            assert await _readable(api, who, "complaints", ref.removeprefix("complaint-")), (who, n)
        elif ref.startswith("report-complaints-"):
            # CP-18: the complaint analysis goes to the customer-service manager and the GM, who may read it
            assert who in ("cs-mgr", "gm"), (who, n)
            period = ref.removeprefix("report-complaints-")
            assert (
                await api.get("/reports/complaints", headers=key(who), params={"period": period})
            ).status_code == 200
        elif ref.startswith("client-project-"):
            pid = ref.removeprefix("client-project-")
            if not await _readable(api, who, "client-projects", pid):
                # finance hears of reimbursements (and the expense total at termination) only
                assert DIRECTORY.get(who).role is Role.finance and (
                    "expense" in n["kind"] or "expense" in n["message"]
                ), (who, n)
        elif ref.startswith("customer-"):
            cid = ref.removeprefix("customer-")
            if not await _readable(api, who, "customers", cid):
                # CC-05: the owner a customer was taken from hears of it, and reads it no more
                # (what they were told while they owned it stays theirs)
                assert ref in taken, (who, n)
        elif ref.startswith("tier-review-"):  # CC-04: the department's supervisors and managers
            r = await api.get(f"/tier-reviews/{ref.removeprefix('tier-review-')}", headers=key(who))
            assert r.status_code == 200, (who, n, r.text)
        elif ref.startswith("survey-campaign-"):  # CC-07: each owner hears of their own customers only
            ids = n["message"].rsplit(": ", 1)[-1].split(", ")
            for cid in ids:
                assert await _readable(api, who, "customers", cid), (who, n)
        elif ref.startswith("inquiry-"):  # CC-06: only its readers hear of an inquiry
            assert await _readable(api, who, "inquiries", ref.removeprefix("inquiry-")), (who, n)
        elif ref.startswith("rewards-"):  # ND-12: only readers of the rewards hear of them
            r = await api.get(f"/rewards/{ref.removeprefix('rewards-')}", headers=key(who))
            assert r.status_code == 200, (who, n, r.text)
        else:
            pytest.fail(f"unknown case_ref {ref}")


async def test_cp07_the_target_registering_a_complaint_about_themselves_reads_nothing(aapi) -> None:
    """CP-07: a staff member taking a complaint about themselves gets no case back (and cannot
    read it after), but the complaint is registered for their leaders: nothing lost."""
    api, _ = aapi
    r = await api.post(
        "/complaints",
        headers=key("cs-2"),
        json={
            "channel": "walk_in",
            "complainant": {"name": "Angry Guest"},
            "target": {"kind": "staff", "staff_id": "cs-2"},
            "summary": "rude at the counter",
        },
    )
    assert r.status_code in (201, 202), r.text
    body = r.json()
    assert set(body) <= {"id", "workflow_id", "status"}, body
    assert (await api.get(f"/complaints/{body['id']}", headers=key("cs-2"))).status_code in (403, 404)
    lead = await api.get(f"/complaints/{body['id']}", headers=key("cs-sup"))
    assert lead.status_code == 200, lead.text
