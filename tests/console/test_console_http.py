"""The console over HTTP (issue 18): sign-in, CSRF, the intake form, a case page offering only
the caller's actions, and visibility exactly the API's (CP-07, CP-19)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.console.conftest import csrf_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def register(web: Any, **fields: str) -> str:
    form = await web.get("/console/complaints/new")
    data = {
        "csrf_token": csrf_of(form.text),
        "idem": re.search(r'name="idem" value="([^"]+)"', form.text).group(1),
        "channel": "hotline",
        "complainant.name": "Zhang Sanfeng",
        "target.kind": "staff",
        "target.staff_id": "ops-sup",
        "summary": "The delivery came two days late",
        **fields,
    }
    r = await web.post("/console/complaints/new", data=data)
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/console/complaints/")[1].split("?")[0]


async def test_a_page_asks_to_sign_in_and_a_key_signs_in(browser: Any) -> None:
    """Issue 18: no session, the sign-in page; a wrong key 401; the right key a session cookie
    that is HttpOnly and SameSite=Strict."""
    async with browser(None) as web:
        r = await web.get("/console/board")
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=/console/board")
        page = await web.get("/console/login")
        bad = await web.post("/console/login", data={"api_key": "nope", "csrf_token": csrf_of(page.text)})
        assert bad.status_code == 401
        good = await web.post("/console/login", data={"api_key": "demo-cs-1", "csrf_token": csrf_of(page.text)})
        assert good.status_code == 303
        cookie = good.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        work = await web.get("/console/work")
        assert work.status_code == 200
        assert "<table" not in work.text.split("</title>")[0]  # the title is the page's name only


async def test_a_form_without_the_session_s_csrf_token_is_refused(browser: Any) -> None:
    """Issue 18: a POST whose token is not the session's is 403 and changes nothing."""
    async with browser("cs-1") as web:
        r = await web.post("/console/complaints/new", data={"csrf_token": "forged", "channel": "hotline"})
        assert r.status_code == 403


async def test_cp02_the_intake_form_shows_the_api_s_validation_beside_the_field(browser: Any) -> None:
    """CP-02 (issue 18): a bad phone is refused with the API's reason beside the field."""
    async with browser("cs-1") as web:
        form = await web.get("/console/complaints/new")
        r = await web.post(
            "/console/complaints/new",
            data={
                "csrf_token": csrf_of(form.text),
                "channel": "hotline",
                "complainant.phone": "call me",
                "target.kind": "service",
                "summary": "x",
            },
        )
        assert r.status_code == 422
        assert 'id="e-complainant-phone"' in r.text and 'aria-invalid="true"' in r.text


async def test_cp19_cp20_a_case_page_offers_only_the_caller_s_actions(browser: Any) -> None:
    """CP-20, CP-19 (issue 18): the first responder owns the case until it is assigned (assign,
    classify, plan offered; no survey: nothing resolved); once assigned, the handler's page
    offers classify and plan and the receiver's no longer does (assign still: CP-20); the staff
    member complained about (CP-07) reads nothing of it, neither its page nor a board line."""

    def actions(html: str) -> set[str]:
        return set(re.findall(r'data-step="([a-z_]+)"', html))

    async with browser("cs-1") as web:
        cid = await register(web)
        page = await web.get(f"/console/complaints/{cid}")
        assert page.status_code == 200
        assert {"assign", "classify", "plan"} <= actions(page.text) and "survey" not in actions(page.text)
        r = await web.post(
            f"/console/complaints/{cid}/assign",
            data={"csrf_token": csrf_of(page.text), "handler_id": "ops-2"},
        )
        assert r.status_code == 303, r.text
        after = actions((await web.get(f"/console/complaints/{cid}")).text)
        assert "assign" in after and not {"classify", "plan"} & after
    async with browser("ops-2") as web:
        page = await web.get(f"/console/complaints/{cid}")
        assert {"classify", "plan"} <= actions(page.text) and "survey" not in actions(page.text)
        r = await web.post(
            f"/console/complaints/{cid}/classify",
            data={
                "csrf_token": csrf_of(page.text),
                "category": "business",
                "subtype": "timeliness",
                "validity": "valid",
            },
        )
        assert r.status_code == 303, r.text
        page = await web.get(f"/console/complaints/{cid}")
        r = await web.post(
            f"/console/complaints/{cid}/plan", data={"csrf_token": csrf_of(page.text), "plan": "Re-deliver"}
        )
        assert r.status_code == 303, r.text
        assert "Re-deliver" in (await web.get(f"/console/complaints/{cid}")).text
    async with browser("ops-sup") as web:  # CP-07: the staff member complained about
        assert (await web.get(f"/console/complaints/{cid}")).status_code == 403
        assert not await on_board(web, cid, "?handler=ops-2")
    async with browser("cs-sup") as web:  # CP-19: the receiver's leader sees it on the board
        assert await on_board(web, cid, "?handler=ops-2")


async def on_board(web: Any, cid: str, query: str) -> bool:
    """Whether the board, filtered by ``query``, lists ``cid`` on any of its pages (following
    its pager, which keeps the filter)."""
    url = "/console/board" + query
    for _ in range(100):
        page = (await web.get(url)).text
        if f"/console/complaints/{cid}" in page:
            return True
        more = re.search(r'<a href="(\?[^"]*offset=[0-9]+[^"]*)">(?:下一页|Next)</a>', page)
        if more is None:
            return False
        assert "handler=ops-2" in more.group(1)  # the pager keeps the filter
        url = "/console/board" + more.group(1).replace("&amp;", "&")
    return False


async def test_nd01_nd02_nd13_a_project_is_applied_for_and_approved_through_its_chain(browser: Any) -> None:
    """ND-01, ND-02 (issue 18): sales-1 applies through the form; the review group, the deputy
    leader and the leader each find the review action on the page, in that order, and only
    then; ND-13: a staff member outside the project reads nothing of it."""
    async with browser("sales-1") as web:
        form = await web.get("/console/projects/new")
        r = await web.post(
            "/console/projects/new",
            data={
                "csrf_token": csrf_of(form.text),
                "client_name": "Console Castings Ltd",
                "background": "Foundry",
                "contact_channel": "Trade fair",
                "approach": "Samples first",
                "product_line": "cast_ball",
                "expected_annual_business": "4000000",
                "implementer_ids": "sales-1",
            },
        )
        assert r.status_code == 303, r.text
        pid = r.headers["location"].split("/console/projects/")[1].split("?")[0]
        assert "review" not in re.findall(r'data-step="([a-z_]+)"', (await web.get(f"/console/projects/{pid}")).text)
    order = ["dev-review", "dev-deputy", "dev-lead"]
    for i, who in enumerate(order):
        for later in order[i + 1 :]:  # not their turn yet: no review action
            async with browser(later) as web:
                assert 'data-step="review"' not in (await web.get(f"/console/projects/{pid}")).text
        async with browser(who) as web:
            page = await web.get(f"/console/projects/{pid}")
            assert 'data-step="review"' in page.text, who
            r = await web.post(
                f"/console/projects/{pid}/review", data={"csrf_token": csrf_of(page.text), "approved": "true"}
            )
            assert r.status_code == 303, r.text
    async with browser("sales-1") as web:
        assert "approved" in (await web.get(f"/console/projects/{pid}?lang=en")).text
    async with browser("cs-1") as web:  # ND-13
        assert (await web.get(f"/console/projects/{pid}")).status_code == 403
        assert pid not in (await web.get("/console/projects")).text


async def test_cp07_cp19_nd13_the_console_shows_a_case_exactly_to_those_the_api_shows_it_to(
    browser: Any, console_app: Any
) -> None:
    """Issue 18: for a complaint (about ops-sup), a project and a customer account, every staff
    member of the staff file gets the console's page exactly when the API answers them 200,
    and the console's refusal when the API refuses (403): the console adds no way to see more."""
    import httpx

    from models.staff import Directory
    from tests.conftest import STAFF_FILE

    everyone = [s.id for s in Directory.from_file(STAFF_FILE).staff]
    async with browser("cs-1") as web:
        cid = await register(web)
    transport = httpx.ASGITransport(app=console_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=60) as raw:
        project = await raw.post(
            "/client-projects",
            headers={"X-API-Key": "demo-sales-2"},
            json={
                "client_name": "Walk Foundry",
                "background": "b",
                "contact_channel": "c",
                "approach": "a",
                "product_line": "cast_ball",
                "expected_annual_business": 4000000,
                "implementer_ids": ["sales-2"],
            },
        )
        assert project.status_code == 201, project.text
        customer = await raw.post(
            "/customers", headers={"X-API-Key": "demo-cs-2"}, json={"name": "Walk Customer Ltd", "owner_id": "cs-2"}
        )
        assert customer.status_code == 201, customer.text
        pages = [
            (f"/complaints/{cid}", f"/console/complaints/{cid}"),
            (f"/client-projects/{project.json()['id']}", f"/console/projects/{project.json()['id']}"),
            (f"/customers/{customer.json()['id']}", f"/console/customers/{customer.json()['id']}"),
        ]
        seen: dict[str, set[str]] = {}
        for who in everyone:
            async with browser(who) as web:
                for api_path, console_path in pages:
                    api_status = (await raw.get(api_path, headers={"X-API-Key": f"demo-{who}"})).status_code
                    console_status = (await web.get(console_path)).status_code
                    assert console_status == api_status, (who, console_path, console_status, api_status)
                    if console_status == 200:
                        seen.setdefault(console_path, set()).add(who)
    assert "ops-sup" not in seen[pages[0][1]] and "cs-1" in seen[pages[0][1]]  # CP-07, CP-19
    assert "sales-2" in seen[pages[1][1]] and "sales-1" not in seen[pages[1][1]]  # ND-13
    assert "cs-2" in seen[pages[2][1]] and "ops-2" not in seen[pages[2][1]]


async def test_the_console_speaks_chinese_until_asked_for_english_and_remembers(browser: Any) -> None:
    """Issue 18: Chinese by default; ``?lang=en`` switches, and the session keeps it."""
    async with browser("cs-sup") as web:
        assert "主管看板" in (await web.get("/console/board")).text
        assert "Supervisor board" in (await web.get("/console/board?lang=en")).text
        assert "Supervisor board" in (await web.get("/console/board")).text


async def test_cp18_the_reports_page_is_for_those_who_may_read_the_analysis(browser: Any) -> None:
    """CP-18 (issue 18): cs-1 is refused (403, as the API); cs-sup sees the page, produces the
    month's analysis from it and sees its headline figures and its chart."""
    async with browser("cs-1") as web:
        assert (await web.get("/console/reports")).status_code == 403
    async with browser("cs-sup") as web:
        page = await web.get("/console/reports?period=2026-10&lang=en")
        assert page.status_code == 200 and "No analysis of 2026-10 yet" in page.text
        r = await web.post("/console/reports", data={"csrf_token": csrf_of(page.text), "period": "2026-10"})
        assert r.status_code == 303
        shown = await web.get("/console/reports?period=2026-10")
        assert "Version 1" in shown.text and 'src="/console/reports/2026-10/chart.svg"' in shown.text
        chart = await web.get("/console/reports/2026-10/chart.svg")
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")


async def test_the_inbox_links_each_notification_to_its_case_page(browser: Any) -> None:
    """Issue 18: cs-sup is told of every new complaint of cs-1 (CP-21); the inbox links it to
    the case's console page, and marking it read leaves it read."""
    async with browser("cs-1") as web:
        cid = await register(web)
    async with browser("cs-sup") as web:
        inbox = await web.get("/console/inbox")
        assert f'href="/console/complaints/{cid}"' in inbox.text


async def test_every_form_field_of_every_page_has_a_label(browser: Any) -> None:
    """Issue 18, accessibility: every visible input, select and textarea of the main pages
    (the intake form, a case page with its actions, the board's filters, a project's
    application, sign-in) has a ``<label for>`` or sits in a fieldset with a legend."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.labels: set[str] = set()
            self.controls: list[tuple[str, str | None, bool]] = []
            self.fieldsets = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "fieldset":
                self.fieldsets += 1
            elif tag == "label" and a.get("for"):
                self.labels.add(str(a["for"]))
            elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
                self.controls.append((tag, a.get("id"), self.fieldsets > 0 and a.get("type") == "checkbox"))

        def handle_endtag(self, tag: str) -> None:
            if tag == "fieldset":
                self.fieldsets -= 1

    async with browser("cs-1") as web:
        cid = await register(web)
        paths = ["/console/complaints/new", f"/console/complaints/{cid}", "/console/board", "/console/work"]
        pages = [await web.get(p) for p in paths]
    async with browser("sales-1") as web:
        pages.append(await web.get("/console/projects/new"))
    async with browser(None) as web:
        pages.append(await web.get("/console/login"))
    checked = 0
    for page in pages:
        assert page.status_code == 200, page.url
        parser = Fields()
        parser.feed(page.text)
        for tag, control_id, in_legend_fieldset in parser.controls:
            checked += 1
            assert in_legend_fieldset or (control_id and control_id in parser.labels), (page.url, tag, control_id)
    assert checked > 20


async def test_cp16_cp07_the_staff_member_complained_about_answers_from_the_inbox_seeing_the_result_only(
    browser: Any,
) -> None:
    """CP-16, CP-07 (issue 18): once resolved, ops-sup (complained about) finds the request in
    the inbox, linked to a page that shows the result and nothing else of the case, and
    answers there; nobody else reaches that page."""
    async with browser("cs-1") as web:
        cid = await register(web, summary="Rude on the phone about the invoice")
        page = await web.get(f"/console/complaints/{cid}")
        await web.post(
            f"/console/complaints/{cid}/assign", data={"csrf_token": csrf_of(page.text), "handler_id": "ops-2"}
        )
    async with browser("ops-2") as web:
        for path, data in (
            ("classify", {"category": "service", "validity": "valid"}),
            ("plan", {"plan": "Apologise"}),
            ("resolve", {"result": "Apologised in writing", "reply_channel": "letter"}),
        ):
            page = await web.get(f"/console/complaints/{cid}")
            r = await web.post(f"/console/complaints/{cid}/{path}", data={"csrf_token": csrf_of(page.text), **data})
            assert r.status_code == 303, (path, r.text[:500])
    async with browser("ops-sup") as web:
        inbox = await web.get("/console/inbox")
        assert f'href="/console/complaints/{cid}/staff-survey"' in inbox.text
        survey = await web.get(f"/console/complaints/{cid}/staff-survey")
        assert survey.status_code == 200 and "Apologised in writing" in survey.text
        assert "Rude on the phone" not in survey.text  # CP-07: the result only
        r = await web.post(
            f"/console/complaints/{cid}/staff-survey", data={"csrf_token": csrf_of(survey.text), "satisfied": "true"}
        )
        assert r.status_code == 303, r.text
    async with browser("cs-2") as web:
        assert (await web.get(f"/console/complaints/{cid}/staff-survey")).status_code == 403


async def test_nd04_an_expense_waiting_for_a_decision_is_an_action_of_whoever_decides_next(
    browser: Any, console_app: Any
) -> None:
    """ND-04 (issue 18): an expense waits for the deputy leader first: the deputy's project
    page offers its decision (one form for that expense), the claimant's does not (nobody
    approves their own); the deputy approves it from the page and it moves on to finance."""
    import httpx

    transport = httpx.ASGITransport(app=console_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=60) as raw:

        def as_(who: str) -> dict[str, str]:
            return {"X-API-Key": f"demo-{who}"}

        body = {
            "client_name": "Expense Foundry",
            "background": "b",
            "contact_channel": "c",
            "approach": "a",
            "product_line": "cast_ball",
            "expected_annual_business": 4000000,
            "implementer_ids": ["sales-1"],
        }
        pid = (await raw.post("/client-projects", headers=as_("sales-1"), json=body)).json()["id"]
        for who in ("dev-review", "dev-deputy", "dev-lead"):
            assert (
                await raw.post(f"/client-projects/{pid}/review", headers=as_(who), json={"approved": True})
            ).status_code == 200
        budget = {"phase": "preliminary", "lines": [{"name": "samples", "amount": 5000}]}
        assert (
            await raw.post(f"/client-projects/{pid}/budget", headers=as_("sales-1"), json=budget)
        ).status_code == 200
        for who in ("dev-deputy", "dev-lead"):
            r = await raw.post(f"/client-projects/{pid}/budget/decision", headers=as_(who), json={"approved": True})
            assert r.status_code == 200, r.text
        claim = {"line": "samples", "amount": 100, "description": "balls"}
        expense = (await raw.post(f"/client-projects/{pid}/expenses", headers=as_("sales-1"), json=claim)).json()
        eid = expense["expense"]["id"]
    action = f'action="/console/projects/{pid}/expenses/{eid}/decision"'
    async with browser("sales-1") as web:
        assert action not in (await web.get(f"/console/projects/{pid}")).text
    async with browser("dev-deputy") as web:
        page = await web.get(f"/console/projects/{pid}")
        assert page.text.count(action) == 1
        r = await web.post(
            f"/console/projects/{pid}/expenses/{eid}/decision",
            data={"csrf_token": csrf_of(page.text), "approved": "true"},
        )
        assert r.status_code == 303, r.text[:500]
        assert action not in (await web.get(f"/console/projects/{pid}")).text  # decided: finance next
    async with browser("finance-1") as web:
        # finance decides reimbursements without reading the project (ND-13: the API's 403)
        assert (await web.get(f"/console/projects/{pid}")).status_code == 403


async def test_a_sign_in_ends_after_console_session_hours_however_busy(console_app: Any) -> None:
    """Issue 18: a sign-in lasts CONSOLE_SESSION_HOURS from the moment of signing in: a cookie
    rewritten by every page keeps that moment, and one signed in longer ago signs nobody in."""
    import httpx
    from itsdangerous import URLSafeTimedSerializer

    from console.session import COOKIE

    transport = httpx.ASGITransport(app=console_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as web:
        page = await web.get("/console/login")
        await web.post("/console/login", data={"api_key": "demo-cs-1", "csrf_token": csrf_of(page.text)})
        assert (await web.get("/console/work")).status_code == 200
        serializer: URLSafeTimedSerializer = console_app.state.console_serializer
        data = serializer.loads(web.cookies[COOKIE])
        hours = console_app.state.resources.settings.console_session_hours
        stale = serializer.dumps(data | {"at": data["at"] - int(hours * 3600) - 60})
        web.cookies.set(COOKIE, stale, domain="console.test", path="/console")
        r = await web.get("/console/work")
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
        web.cookies.set(COOKIE, serializer.dumps(data), domain="console.test", path="/console")
        assert (await web.get("/console/work")).status_code == 200  # the same cookie, signed in now
