"""E-mail (issue 17), through a real SMTP server on a loopback port: the complainant's
acknowledgement (CP-21) in their language, staff mail by each one's choice per kind, nothing
confidential in Temporal, and a mail that waits out an SMTP outage and arrives exactly once."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import served_app
from tests.delivery.conftest import Receiver, SmtpServer, delivery_settings, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


def address() -> str:
    return f"c-{secrets.token_hex(4)}@example.net"


async def register(api: httpx.AsyncClient, **complainant: Any) -> dict[str, Any]:
    body = {
        "channel": "email",
        "complainant": {"name": "Zhang Sanfeng", **complainant},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "The delivery came two days late",
    }
    r = await api.post("/complaints", json=body, headers=key("cs-1"))
    assert r.status_code == 201, r.text
    return r.json()


async def test_cp21_the_complainant_is_mailed_the_acknowledgement_in_their_language(
    api: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    """CP-21: a complainant who gave an e-mail address gets the acknowledgement by mail, in
    the language they chose, with its reference; plain text and HTML."""
    to = address()
    case = await register(api, email=to, language="en")
    [mail] = await eventually(lambda: smtp.box.to(to), what="the acknowledgement")
    assert mail["Subject"] == "We have received your complaint"
    assert mail["Content-Language"] == "en"
    assert mail["Message-ID"].startswith("<delivery-") and mail["Message-ID"].endswith("@example.com>")
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert case["id"] in text.get_content() and case["id"] in html.get_content()
    assert "resolve it by" in text.get_content()  # the acknowledgement's own text: how and by when

    zh = address()
    await register(api, email=zh)
    [mail_zh] = await eventually(lambda: smtp.box.to(zh), what="the Chinese acknowledgement")
    assert mail_zh["Subject"] == "我们已收到您的投诉"  # Chinese unless the complainant says otherwise


async def test_cp14_a_result_sent_by_email_reaches_the_complainant(api: httpx.AsyncClient, smtp: SmtpServer) -> None:
    """CP-14: the result goes to the complainant in writing; sent by e-mail, it is mailed, as a
    result letter (its own template)."""
    to = address()
    case = await register(api, email=to)
    cid = case["id"]
    steps = [
        ("cs-1", "assign", {"handler_id": "ops-2"}),
        ("ops-2", "classify", {"category": "business", "subtype": "timeliness", "validity": "valid"}),
        ("ops-2", "plan", {"plan": "Re-deliver"}),
        ("ops-2", "resolve", {"result": "Re-delivered with a refund", "reply_channel": "email"}),
    ]
    for who, step, body in steps:
        r = await api.post(f"/complaints/{cid}/{step}", json=body, headers=key(who))
        assert r.status_code == 200, r.text
    mails = await eventually(lambda: [m for m in smtp.box.to(to) if "处理结果" in m["Subject"]], what="the result")
    assert len(mails) == 1
    assert "Re-delivered with a refund" in mails[0].get_body(preferencelist=("plain",)).get_content()


async def test_each_staff_member_chooses_inbox_email_or_both_per_kind(api: httpx.AsyncClient, smtp: SmtpServer) -> None:
    """Issue 17: cs-sup (the receiver's leader, told of every new complaint: CP-21) chooses per
    kind: ``inbox`` mails nothing, ``email`` mails and files the inbox record as read, ``both``
    mails and leaves it unread; the inbox keeps the record every time."""
    sup = "cs-sup@example.com"

    async def choose(mode: str | None) -> None:
        r = await api.put(
            "/me/notification-preferences", json={"kinds": {"new_complaint": mode}}, headers=key("cs-sup")
        )
        assert r.status_code == 200, r.text
        assert r.json()["kinds"].get("new_complaint") == mode

    async def inbox_record(case_id: str) -> dict[str, Any]:
        r = await api.get("/notifications", headers=key("cs-sup"))
        return next(n for n in r.json() if n["case_ref"] == f"complaint-{case_id}" and n["kind"] == "new_complaint")

    def mails_about(case_id: str) -> list[Any]:
        return [m for m in smtp.box.to(sup) if case_id in m.get_body(preferencelist=("plain",)).get_content()]

    await choose("inbox")
    quiet = await register(api, phone="+86 13900000001")
    loud = None
    try:
        await choose("email")
        loud = await register(api, phone="+86 13900000002")
        [mail] = await eventually(lambda: mails_about(loud["id"]), what="the mail of 'email'")
        assert mail["Subject"] == "新投诉"  # cs-sup reads Chinese (the staff file)
        assert f"http://console.test/complaints/{loud['id']}" in mail.get_body(preferencelist=("plain",)).get_content()
        assert (await inbox_record(loud["id"]))["read_at"] is not None

        await choose("both")
        both = await register(api, phone="+86 13900000003")
        await eventually(lambda: mails_about(both["id"]), what="the mail of 'both'")
        assert (await inbox_record(both["id"]))["read_at"] is None
        unread = (await api.get("/notifications?unread=true", headers=key("cs-sup"))).json()
        assert any(n["case_ref"] == f"complaint-{both['id']}" for n in unread)
        assert not any(n["case_ref"] == f"complaint-{loud['id']}" for n in unread)
    finally:
        await choose(None)
    assert mails_about(quiet["id"]) == []  # the inbox only ...
    assert (await inbox_record(quiet["id"]))["read_at"] is None  # ... where it waits unread


async def test_a_preference_for_an_unknown_kind_is_refused(api: httpx.AsyncClient) -> None:
    """Issue 17: a kind that no notification has is 422 naming it, and nothing is kept."""
    r = await api.put("/me/notification-preferences", json={"kinds": {"no_such_kind": "email"}}, headers=key("cs-1"))
    assert r.status_code == 422 and "no_such_kind" in r.text
    r = await api.put("/me/notification-preferences", json={"kinds": {"*": "sometimes"}}, headers=key("cs-1"))
    assert r.status_code == 422
    assert (await api.get("/me/notification-preferences", headers=key("cs-1"))).json()["kinds"] == {}


async def test_no_address_reaches_temporal(
    api: httpx.AsyncClient, smtp: SmtpServer, dev_env: WorkflowEnvironment
) -> None:
    """Issue 17 (and issue 12): the complainant's address is sealed in the complaint's
    history and absent from every delivery's: a delivery names its row, never its recipient."""
    to = address()
    case = await register(api, email=to)
    await eventually(lambda: smtp.box.to(to), what="the acknowledgement")
    r = await api.get(f"/deliveries?case_ref=complaint-{case['id']}", headers=key("gm"))
    rows = r.json()
    assert {d["recipient_kind"] for d in rows} >= {"complainant", "staff"}
    raw = dev_env.client  # histories as the server keeps them: sealed fields stay sealed
    for wid in [f"complaint-{case['id']}", *(d["workflow_id"] for d in rows)]:
        history = await raw.get_workflow_handle(wid).fetch_history()
        assert to not in json.dumps(history.to_json_dict())
        assert "Zhang Sanfeng" not in json.dumps(history.to_json_dict())


async def test_a_mail_waits_out_an_smtp_outage_and_arrives_exactly_once(
    dev_env: WorkflowEnvironment, database_url: str, smtp: SmtpServer, receiver: Receiver
) -> None:
    """Issue 17: with the SMTP server down, the delivery retries (each attempt written down);
    once the server is back the mail arrives, once, and the delivery is delivered."""
    tq = f"tq-outage-{uuid.uuid4().hex[:8]}"
    patient = delivery_settings(smtp, receiver, delivery_max_attempts=100, webhooks=[])
    async with served_app(dev_env, database_url, tq, settings_kw=patient) as (api, _):
        smtp.stop()
        try:
            to = address()
            case = await register(api, email=to)

            async def failing() -> list[dict[str, Any]]:
                r = await api.get(f"/deliveries?case_ref=complaint-{case['id']}&channel=email", headers=key("gm"))
                return [
                    d
                    for d in r.json()
                    if d["recipient_kind"] == "complainant" and d["attempts"] >= 2 and d["status"] == "pending"
                ]

            [pending] = await eventually(failing, what="two failed attempts while the server is down")
            assert pending["last_error"].startswith("SMTP: cannot reach the server")
            assert smtp.box.to(to) == []
        finally:
            smtp.start()
        await eventually(lambda: smtp.box.to(to), what="the mail once the server is back")

        async def delivered() -> dict[str, Any] | None:
            r = await api.get(f"/deliveries/{pending['id']}", headers=key("gm"))
            return r.json() if r.json()["status"] == "delivered" else None

        done = await eventually(delivered, what="the delivery delivered")
        assert done["attempts"] >= 3 and done["delivered_at"] is not None
        await asyncio.sleep(2.0)  # room for a second copy, should anything send one
        assert len(smtp.box.to(to)) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback test server
async def test_the_smtp_login_is_used_and_a_refused_login_fails_the_mail_at_once(
    dev_env: WorkflowEnvironment, database_url: str, receiver: Receiver
) -> None:
    """Issue 17: with SMTP_USERNAME and SMTP_PASSWORD the worker logs in, and a server that
    requires it takes the mail; with a wrong password the server's refusal (535) is permanent:
    the delivery fails at its first attempt, named, and is not tried again."""
    guarded = SmtpServer(login=("mailer", "s3cret"))
    guarded.start()
    try:
        for password, expect in (("s3cret", "delivered"), ("wrong", "failed")):
            tq = f"tq-login-{uuid.uuid4().hex[:8]}"
            kw = delivery_settings(guarded, receiver, smtp_username="mailer", smtp_password=password, webhooks=[])
            async with served_app(dev_env, database_url, tq, settings_kw=kw) as (api, _):
                to = address()
                case = await register(api, email=to)

                async def settled(ref: str = f"complaint-{case['id']}") -> dict[str, Any] | None:
                    r = await api.get(f"/deliveries?case_ref={ref}&channel=email", headers=key("gm"))
                    mine = [d for d in r.json() if d["recipient_kind"] == "complainant" and d["status"] != "pending"]
                    return mine[0] if mine else None

                done = await eventually(settled, what=f"the mail with password {password!r}")
                assert done["status"] == expect
                if expect == "delivered":
                    assert len(guarded.box.to(to)) == 1
                else:
                    assert done["attempts"] == 1 and done["last_error"].startswith("SMTP: the server answered 535")
                    assert guarded.box.to(to) == []
    finally:
        guarded.stop()
