"""PII never leaves in plaintext (CP-19): not in logs, search attributes or the workflow
summary, and not in any payload the Temporal server stores (PAYLOAD_KEY, AES-GCM). The codec
round-trips and rotates; the remote codec endpoint the Web UI calls is authenticated and
answers the UI's CORS preflight."""

from __future__ import annotations

import base64
import json
import logging
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import structlog
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config import ROOT, Settings
from infra.codec import ENCODING_ENCRYPTED, EncryptionCodec, new_payload_key, parse_payload_keys
from infra.logs import RedactingFilter, log_processors, redact_pii
from tests.conftest import served_app

STAFF_FILE = ROOT / "data" / "staff.json"
PHONE = "13912345678"
NAME = "Qiao Xiaolan"


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


# --- the codec ---------------------------------------------------------------------------


async def test_codec_round_trips_and_hides_the_plaintext() -> None:
    codec = EncryptionCodec.from_spec(new_payload_key("k1"))
    p = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({"phone": PHONE}).encode())
    [enc] = await codec.encode([p])
    assert enc.metadata["encoding"] == ENCODING_ENCRYPTED and enc.metadata["encryption-key-id"] == b"k1"
    assert PHONE.encode() not in enc.SerializeToString()
    assert (await codec.decode([enc])) == [p]
    [again] = await codec.encode([p])
    assert again.data != enc.data  # a fresh nonce every time


async def test_codec_rotation_old_key_id_still_decodes_and_plaintext_passes_through() -> None:
    old = new_payload_key("k0")
    new = new_payload_key("k1")
    p = Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    [by_old] = await EncryptionCodec.from_spec(old).encode([p])
    rotated = EncryptionCodec.from_spec(f"{new},{old}")
    [by_new] = await rotated.encode([p])
    assert by_new.metadata["encryption-key-id"] == b"k1"
    assert await rotated.decode([by_old, by_new, p]) == [p, p, p]  # p: recorded before encryption
    with pytest.raises(ValueError, match="k1"):
        await EncryptionCodec.from_spec(old).decode([by_new])
    tampered = Payload(metadata=dict(by_new.metadata), data=by_new.data[:-1] + bytes([by_new.data[-1] ^ 1]))
    with pytest.raises(InvalidTag):  # AES-GCM: a changed bit fails authentication
        await rotated.decode([tampered])


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "k1",
        "k1:notbase64!",
        "k1:" + base64.b64encode(b"short").decode(),
        "k1:" + base64.b64encode(bytes(32)).decode() + ",k1:" + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_bad_payload_keys_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="PAYLOAD_KEY"):
        parse_payload_keys(spec)


# --- log redaction -------------------------------------------------------------------------


def test_redaction_of_nested_fields_and_phone_like_strings() -> None:
    event = {
        "event": f"call back {PHONE} today",
        "complainant": {"name": NAME, "phone": PHONE},
        "data": {"body": {"complainant": {"name": NAME}}, "note": "tel +86 139-1234-5678", "items": [f"x {PHONE}"]},
        "name": NAME,
        "case": "complaint-20261124-7F3K2Q",
        "at": "2026-11-24T15:00:00Z",
    }
    out = json.dumps(redact_pii(None, "info", event))
    assert PHONE not in out and NAME not in out and "139-1234-5678" not in out
    assert "complaint-20261124-7F3K2Q" in out and "2026-11-24T15:00:00Z" in out


def test_stdlib_filter_masks_phones_in_messages_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed for %s", (PHONE,), None)
    try:
        raise ValueError(f"bad phone {PHONE}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert PHONE not in record.getMessage() and PHONE not in (record.exc_text or "")


# --- a whole complaint on a real dev server ------------------------------------------------


@pytest_asyncio.fixture(scope="module")
async def capi(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with served_app(dev_env, database_url, f"tq-pii-{uuid.uuid4().hex[:8]}") as (client, _):
        yield client


async def _whole_run(api: httpx.AsyncClient) -> dict[str, Any]:
    r = await api.post(
        "/complaints",
        headers=key("cs-1"),
        json={
            "channel": "phone",
            "complainant": {"name": NAME, "phone": PHONE},
            "target": {"kind": "service", "name": "delivery"},
            "summary": "Truck late",
            "description": f"The customer asks to be called on {PHONE}",
            "subject_ref": f"order for {PHONE}",
        },
    )
    assert r.status_code == 201, r.text
    c = r.json()
    steps = [
        ("cs-1", "assign", {"handler_id": "ops-2"}),
        ("ops-2", "classify", {"category": "business", "subtype": "timeliness", "validity": "valid"}),
        ("ops-2", "plan", {"plan": f"Call {NAME} on {PHONE}"}),
        ("ops-2", "resolve", {"result": f"Re-delivered; told {NAME}", "reply_channel": "phone"}),
        ("cs-1", "survey", {"satisfied": True, "score": 5}),
    ]
    for who, path, body in steps:
        r = await api.post(f"/complaints/{c['id']}/{path}", headers=key(who), json=body)
        assert r.status_code == 200, (path, r.text)
    return c


async def test_cp19_no_phone_or_name_in_logs_of_a_whole_run(
    capi, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production processor chain (config.log_processors) over a whole complaint: the
    rendered lines hold no plaintext phone or name; nor do the SDK's stdlib log records."""
    lines: list[str] = []
    # The processes cache each module's logger on first use (config.configure_logging), and a
    # cached logger keeps the chain it was built with: give every module a fresh one for this
    # run, so the capture below sees what any earlier test had already logged through.
    for module in list(sys.modules.values()):
        if isinstance(getattr(module, "log", None), structlog._config.BoundLoggerLazyProxy):
            monkeypatch.setattr(module, "log", structlog.get_logger())

    def capture(_: object, __: str, event: dict[str, Any]) -> dict[str, Any]:
        lines.append(json.dumps(event, default=str))
        raise structlog.DropEvent

    old = structlog.get_config()
    structlog.configure(
        processors=[*log_processors(Settings(log_json=True))[:-1], capture],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
        cache_logger_on_first_use=False,
    )
    caplog.handler.addFilter(RedactingFilter())
    caplog.set_level(logging.INFO)
    try:
        c = await _whole_run(capi)
    finally:
        structlog.configure(**old)
    text = "\n".join(lines)
    assert c["id"] in text and "case_step" in text  # the run was logged
    for secret in (PHONE, NAME):
        assert secret not in text
        assert secret not in caplog.text


async def test_cp19_search_attributes_summary_and_stored_payloads_hold_no_plaintext(
    capi, dev_env: WorkflowEnvironment
) -> None:
    """On the real dev server: the search attributes and the static summary hold no phone or
    name; a client WITHOUT the codec reads the stored history and finds only ciphertext."""
    c = await _whole_run(capi)
    handle = dev_env.client.get_workflow_handle(c["workflow_id"])
    desc = await handle.describe()
    summary = await desc.static_summary() or ""
    assert summary.startswith(f"Complaint {c['id']}") and PHONE not in summary and NAME not in summary
    attrs = json.dumps({k: [str(v) for v in vs] for k, vs in desc.search_attributes.items()})
    assert PHONE not in attrs and NAME not in attrs

    raw = await Client.connect(dev_env.client.service_client.config.target_host, namespace=dev_env.client.namespace)
    history = await raw.get_workflow_handle(c["workflow_id"]).fetch_history()
    blob = b"".join(e.SerializeToString() for e in history.events)
    assert PHONE.encode() not in blob and NAME.encode() not in blob
    assert ENCODING_ENCRYPTED in blob  # the payloads are there, encrypted
    raw_desc = await raw.workflow_service.describe_workflow_execution(
        __import__("temporalio.api.workflowservice.v1", fromlist=["x"]).DescribeWorkflowExecutionRequest(
            namespace=raw.namespace,
            execution=__import__("temporalio.api.common.v1", fromlist=["x"]).WorkflowExecution(
                workflow_id=c["workflow_id"]
            ),
        )
    )
    assert PHONE.encode() not in raw_desc.SerializeToString() and NAME.encode() not in raw_desc.SerializeToString()


# --- the remote codec endpoint -------------------------------------------------------------


def _pj(p: Payload) -> dict[str, Any]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
        "data": base64.b64encode(p.data).decode(),
    }


async def _sealed_phone(dev_env: WorkflowEnvironment) -> tuple[Payload, dict[str, Any]]:
    """A payload holding a phone number, and the codec request body carrying it sealed."""
    codec = dev_env.client.data_converter.payload_codec
    assert codec is not None
    p = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({"phone": PHONE}).encode())
    [enc] = await codec.encode([p])
    return p, {"payloads": [_pj(enc)]}


async def test_codec_endpoint_401_without_auth_decodes_with_auth_and_sends_cors(
    capi, dev_env: WorkflowEnvironment
) -> None:
    p, body = await _sealed_phone(dev_env)
    ui = {"Origin": "http://localhost:8233"}

    r = await capi.post("/codec/decode", json=body, headers=ui)
    assert r.status_code == 401
    r = await capi.post("/codec/decode", json=body, headers=ui | {"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    r = await capi.post("/codec/decode", json=body, headers=ui | key("ops-2"))  # plain staff: not theirs
    assert r.status_code == 403

    for auth in (key("cs-sup"), {"Authorization": "Bearer demo-cs-sup"}):
        r = await capi.post("/codec/decode", json=body, headers=ui | auth | {"X-Namespace": "default"})
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == "http://localhost:8233"
        [out] = r.json()["payloads"]
        assert base64.b64decode(out["data"]) == p.data
        assert base64.b64decode(out["metadata"]["encoding"]) == b"json/plain"

    r = await capi.post("/codec/encode", json={"payloads": [_pj(p)]}, headers=key("gm"))
    assert r.status_code == 200
    [sealed] = r.json()["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING_ENCRYPTED

    pre = await capi.options(
        "/codec/decode",
        headers={
            "Origin": "http://127.0.0.1:8233",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
        },
    )
    assert pre.status_code == 200, pre.text
    assert pre.headers["access-control-allow-origin"] == "http://127.0.0.1:8233"
    allowed = pre.headers["access-control-allow-headers"].lower()
    assert {"content-type", "x-namespace", "authorization"} <= {h.strip() for h in allowed.split(",")}
    evil = await capi.options(
        "/codec/decode", headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"}
    )
    assert (
        "access-control-allow-origin" not in evil.headers
        or evil.headers["access-control-allow-origin"] != "http://evil.test"
    )
    r = await capi.post(
        "/codec/decode", json={"payloads": [{"metadata": {"encoding": "!!"}, "data": "x"}]}, headers=key("gm")
    )
    assert r.status_code == 400


async def test_codec_browser_session_cookie_decodes_and_is_refused_when_forged_or_expired(
    capi, dev_env: WorkflowEnvironment
) -> None:
    """The Web UI cannot send an API key: a supervisor signs in once (POST /codec/session, from
    the page GET /codec/login) and the signed HttpOnly cookie, scoped to /codec, authorises
    the UI's decode calls. Staff who may not read payloads get no session; a forged or
    expired cookie is 401."""
    from api.security import SESSION_COOKIE, SESSION_SECONDS, session_cookie, session_staff_id

    p, body = await _sealed_phone(dev_env)
    ui = {"Origin": "http://localhost:8233"}

    page = await capi.get("/codec/login")
    assert page.status_code == 200 and "Include cross-origin credentials" in page.text
    assert (await capi.post("/codec/session", headers=key("ops-2"))).status_code == 403
    assert (await capi.post("/codec/session")).status_code == 401
    signed_in = await capi.post("/codec/session", headers=key("cs-sup"))
    assert signed_in.status_code == 204
    set_cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "path=/codec" in set_cookie and "samesite=lax" in set_cookie
    cookie = signed_in.cookies[SESSION_COOKIE]
    capi.cookies.clear()

    r = await capi.post("/codec/decode", json=body, headers=ui | {"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-credentials"] == "true"
    assert base64.b64decode(r.json()["payloads"][0]["data"]) == p.data

    sid, expiry, sig = cookie.split(".")
    for forged in (f"gm.{expiry}.{sig}", f"{sid}.{int(expiry) + 3600}.{sig}", f"{sid}.{expiry}.x"):
        r = await capi.post("/codec/decode", json=body, headers=ui | {"Cookie": f"{SESSION_COOKIE}={forged}"})
        assert r.status_code == 401, forged
    secret = b"k" * 32
    old = session_cookie(secret, "cs-sup", now=0)
    assert session_staff_id(secret, old, now=SESSION_SECONDS - 1) == "cs-sup"
    assert session_staff_id(secret, old, now=SESSION_SECONDS + 1) is None
