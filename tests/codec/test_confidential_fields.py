"""Nothing confidential in Temporal (issue 12, CP-19, CP-07, ND-13): every confidential field
(models.confidential) is sealed field by field in otherwise plain payloads, so the Temporal Web
UI reads each case's ids, status, clocks, summary and details with no codec and no sign-in,
and reads no name, phone or free text of a case, whoever opens it. No codec endpoint remains:
confidential fields are read through the API only, under its access rules. Logs are redacted
too."""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import Message
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config import ROOT, Settings
from infra.codec import ENCODING_ENCRYPTED, SealingCodec, data_converter, new_payload_key, parse_payload_keys
from infra.logs import RedactingFilter, log_processors, redact_pii
from models.complaint.messages import ComplaintCreate, PlanBody
from models.confidential import MARK, SEALED, TEMPORAL
from tests.conftest import served_app

STAFF_FILE = ROOT / "data" / "staff.json"
PHONE = "13912345678"
NAME = "Qiao Xiaolan"
EMAIL = "qiao.xiaolan@example.net"


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


def _json_payload(doc: Any) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(doc).encode())


# --- the codec: field by field ------------------------------------------------------------


async def test_codec_seals_each_marked_field_and_leaves_the_rest_plain() -> None:
    codec = SealingCodec.from_spec(new_payload_key("k1"))
    doc = {"id": "C-1", "status": "received", "complainant": {"name": {MARK: NAME}, "phone": {MARK: PHONE}}}
    [enc] = await codec.encode([_json_payload(doc)])
    sealed = json.loads(enc.data)
    assert sealed["id"] == "C-1" and sealed["status"] == "received"  # plain stays plain
    assert set(sealed["complainant"]["name"]) == {SEALED} and sealed["complainant"]["name"][SEALED].startswith("k1.")
    assert PHONE.encode() not in enc.data and NAME.encode() not in enc.data
    [dec] = await codec.decode([enc])
    assert json.loads(dec.data) == doc
    [again] = await codec.encode([_json_payload(doc)])
    assert again.data != enc.data  # a fresh nonce for every field, every time
    plain = _json_payload({"id": "C-1"})
    assert await codec.encode([plain]) == [plain]  # no confidential field: untouched


async def test_codec_rotates_keys_refuses_tampering_and_never_lets_a_field_out_without_a_key() -> None:
    old, new = new_payload_key("k0"), new_payload_key("k1")
    doc = {"note": {MARK: "between us"}}
    [by_old] = await SealingCodec.from_spec(old).encode([_json_payload(doc)])
    rotated = SealingCodec.from_spec(f"{new},{old}")
    [by_new] = await rotated.encode([_json_payload(doc)])
    assert json.loads(by_new.data)["note"][SEALED].startswith("k1.")
    assert [json.loads(p.data) for p in await rotated.decode([by_old, by_new])] == [doc, doc]
    with pytest.raises(ValueError, match="k1"):
        await SealingCodec.from_spec(old).decode([by_new])
    key_id, _, b64 = json.loads(by_new.data)["note"][SEALED].partition(".")
    raw = bytearray(base64.urlsafe_b64decode(b64))
    raw[len(raw) // 2] ^= 1  # one bit of the ciphertext
    tampered = f"{key_id}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(InvalidTag):  # AES-GCM: a changed bit fails authentication
        await rotated.decode([_json_payload({"note": {SEALED: tampered}})])
    keyless = SealingCodec.from_spec("")
    with pytest.raises(ValueError, match="PAYLOAD_KEY is not set"):
        await keyless.encode([_json_payload(doc)])
    with pytest.raises(ValueError, match="k1"):
        await keyless.decode([by_new])


async def test_payloads_sealed_whole_by_the_earlier_design_still_open() -> None:
    """Histories recorded when whole payloads were encrypted (binary/encrypted) keep
    replaying: the codec still opens them with the same keys."""
    spec = new_payload_key("k0")
    [(kid, raw)] = parse_payload_keys(spec)
    inner = _json_payload({"phone": PHONE})
    nonce = os.urandom(12)
    whole = Payload(
        metadata={"encoding": ENCODING_ENCRYPTED, "encryption-key-id": kid.encode()},
        data=nonce + AESGCM(raw).encrypt(nonce, inner.SerializeToString(), kid.encode()),
    )
    assert await SealingCodec.from_spec(spec).decode([whole]) == [inner]


@pytest.mark.parametrize(
    "spec",
    [
        "k1",
        "k1:notbase64!",
        "k1:" + base64.b64encode(b"short").decode(),
        "k.1:" + base64.b64encode(bytes(32)).decode(),
        "k1:" + base64.b64encode(bytes(32)).decode() + ",k1:" + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_bad_payload_keys_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="PAYLOAD_KEY"):
        parse_payload_keys(spec)


async def test_confidential_fields_are_plain_strings_everywhere_but_in_temporal_payloads() -> None:
    """The API's JSON and the database keep the text as it is; the data converter seals it;
    a person cannot send the mark as a body (it is not a string)."""
    c = ComplaintCreate.model_validate(
        {
            "channel": "phone",
            "complainant": {"name": NAME, "phone": PHONE, "email": EMAIL, "language": "en"},
            "target": {"kind": "service"},
            "summary": "s",
        }
    )
    assert json.loads(c.model_dump_json())["complainant"] == {
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
        "language": "en",
        "customer_id": None,
    }
    converter = data_converter(key=new_payload_key())
    [p] = await converter.encode([c])
    assert PHONE.encode() not in p.data and b'"channel":"phone"' in p.data
    assert EMAIL.encode() not in p.data  # issue 17: the address is sealed like the phone
    assert (await converter.decode([p], [ComplaintCreate])) == [c]
    with pytest.raises(ValidationError):
        PlanBody.model_validate({"plan": {MARK: "x"}})
    assert PlanBody.model_validate({"plan": {MARK: "x"}}, context=TEMPORAL).plan == "x"


# --- log redaction -------------------------------------------------------------------------


def test_redaction_of_nested_fields_and_phone_like_strings() -> None:
    event = {
        "event": f"call back {PHONE} today or write to {EMAIL}",
        "complainant": {"name": NAME, "phone": PHONE, "email": EMAIL},
        "data": {"body": {"complainant": {"name": NAME}}, "note": "tel +86 139-1234-5678", "items": [f"x {PHONE}"]},
        "name": NAME,
        "case": "complaint-20261124-7F3K2Q",
        "at": "2026-11-24T15:00:00Z",
    }
    out = json.dumps(redact_pii(None, "info", event))
    assert PHONE not in out and NAME not in out and "139-1234-5678" not in out and EMAIL not in out
    assert "complaint-20261124-7F3K2Q" in out and "2026-11-24T15:00:00Z" in out


def test_stdlib_filter_masks_phones_in_messages_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed for %s", (PHONE,), None)
    try:
        raise ValueError(f"bad phone {PHONE}")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert PHONE not in record.getMessage() and PHONE not in (record.exc_text or "")


# --- whole cases on a real dev server ------------------------------------------------------

#: Every text people write into the complaint below: none may reach Temporal readable.
COMPLAINT_TEXTS = {
    "name": NAME,
    "phone": PHONE,
    "summary": "Driver shouted at the warehouse gate",
    "description": "The customer asks to be called back about the shouting",
    "subject_ref": "delivery note DN-SECRET-5521",
    "target": "Wang Dali",
    "plan": "Call the customer, hear the driver, apologise in writing",
    "findings": "Both sides agree the driver raised his voice",
    "loopholes": "No de-escalation training for contract drivers",
    "escalation": "Customer threatens to go to the newspaper",
    "compensation": "Goodwill for the lost morning",
    "decision": "Approved as goodwill, no admission",
    "result": "Written apology sent and a voucher",
    "comment": "Polite in the end, thank you",
    "staff_comment": "I accept it, though the gate was chaotic that day",
}
PROJECT_TEXTS = {
    "client": "Shanxi Secretive Foundry",
    "background": "Owner is a friend of the chairman's brother",
    "contact": "Madam Zhou at the trade fair",
    "approach": "Invite the owner to the plant privately",
    "review": "Worth it, the owner is keen",
    "expense": "Dinner with Madam Zhou",
    "follow_up": "Madam Zhou hinted at a larger order",
    "suspend": "Owner in hospital until spring",
    "terminate": "Client bought from a competitor",
    "terminate_note": "Agreed, close it",
}

CUSTOMER_TEXTS = {
    "name": "Hidden Valley Mining Co.",
    "phone": "13912345678",
    "contact": "Chief engineer Sun",
    "address": "No. 7 Quarry Road, Hidden Valley",
    "service": "Sun complained about the last invoice",
    "report": "Plant running at half capacity since the flood",
    "credit": "Two payments late this quarter",
    "alert": "Their bank froze the main account",
    "instruction": "Cash before delivery until further notice",
    "problem": "Missed the contracted pick-up twice",
    "tier_reason": "Downgraded after the missed pick-ups",
    "change_reason": "Moved their office",
    "new_address": "No. 9 Harbour Road, Rizhao",
}


@pytest_asyncio.fixture(scope="module")
async def capi(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with served_app(dev_env, database_url, f"tq-conf-{uuid.uuid4().hex[:8]}") as (client, _):
        yield client


async def _ok(api: httpx.AsyncClient, who: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await api.post(path, headers=key(who), json=body)
    assert r.status_code in (200, 201), (path, who, r.text)
    return r.json()


async def _whole_complaint(
    api: httpx.AsyncClient, target: dict[str, Any], receiver: str = "cs-1", escalate: bool = True
) -> dict[str, Any]:
    """A complaint through every step that takes text (the staff member complained about
    answering too, CP-16; but the escalation, for a complaint
    about a leader: it starts at the top of the ladder), to its close. Its phone number is
    its own (the same phone twice would make a repeat complaint, major at once: CP-06)."""
    t = COMPLAINT_TEXTS | {"phone": f"139{uuid.uuid4().int % 10**8:08d}"}
    c = await _ok(
        api,
        receiver,
        "/complaints",
        {
            "channel": "phone",
            "complainant": {"name": t["name"], "phone": t["phone"]},
            "target": target,
            "summary": t["summary"],
            "description": t["description"],
            "subject_ref": t["subject_ref"],
        },
    )
    base = f"/complaints/{c['id']}"
    await _ok(api, receiver, f"{base}/assign", {"handler_id": "ops-2", "investigator_id": "ops-3"})
    await _ok(api, "ops-2", f"{base}/classify", {"category": "service", "validity": "valid"})
    await _ok(api, "ops-2", f"{base}/plan", {"plan": t["plan"]})
    await _ok(api, "ops-3", f"{base}/investigation", {"findings": t["findings"], "loopholes": t["loopholes"]})
    if escalate:
        await _ok(api, "ops-2", f"{base}/escalate", {"reason": t["escalation"]})
    await _ok(api, "ops-2", f"{base}/compensation", {"amount": "100", "reason": t["compensation"]})
    await _ok(api, "ops-mgr", f"{base}/compensation/decision", {"approved": True, "note": t["decision"]})
    await _ok(api, "ops-2", f"{base}/resolve", {"result": t["result"], "reply_channel": "letter"})
    closed = await _ok(api, receiver, f"{base}/survey", {"satisfied": True, "score": 5, "comment": t["comment"]})
    if target.get("staff_id"):  # CP-16: the staff member complained about accepts the result too
        answer = await _ok(
            api, target["staff_id"], f"{base}/staff-survey", {"satisfied": True, "comment": t["staff_comment"]}
        )
        closed |= {"status": answer["status"]}
    return closed | {"texts": t}


async def _whole_project(api: httpx.AsyncClient) -> dict[str, Any]:
    """A project through every step that takes text, to its termination."""
    t = PROJECT_TEXTS
    p = await _ok(
        api,
        "sales-1",
        "/client-projects",
        {
            "client_name": f"{t['client']} {uuid.uuid4().hex[:6]}",
            "background": t["background"],
            "contact_channel": t["contact"],
            "approach": t["approach"],
            "product_line": "cast_ball",
            "expected_annual_business": 3200000,
            "implementer_ids": ["sales-1"],
        },
    )
    base = f"/client-projects/{p['id']}"
    for who in ("dev-review", "dev-deputy", "dev-lead"):
        await _ok(api, who, f"{base}/review", {"approved": True, "note": t["review"]})
    await _ok(api, "sales-1", f"{base}/budget", {"phase": "preliminary", "lines": [{"name": "visits", "amount": 9000}]})
    for who in ("dev-deputy", "dev-lead"):
        await _ok(api, who, f"{base}/budget/decision", {"approved": True, "note": t["review"]})
    claimed = await _ok(
        api, "sales-1", f"{base}/expenses", {"line": "visits", "amount": 800, "description": t["expense"]}
    )
    eid = claimed["expense"]["id"]
    await _ok(api, "dev-deputy", f"{base}/expenses/{eid}/decision", {"approved": False, "note": t["review"]})
    await _ok(api, "sales-1", f"{base}/follow-ups", {"note": t["follow_up"], "progress": "some"})
    await _ok(api, "sales-1", f"{base}/suspend", {"reason": t["suspend"]})
    await _ok(api, "sales-1", f"{base}/resume")
    await _ok(api, "sales-1", f"{base}/terminate", {"reason": t["terminate"]})
    return await _ok(api, "dev-review", f"{base}/terminate/decision", {"approved": True, "note": t["terminate_note"]})


async def _whole_customer(api: httpx.AsyncClient) -> dict[str, Any]:
    """A customer account through every step that takes text (issue 16)."""
    t = CUSTOMER_TEXTS
    c = await _ok(
        api,
        "cs-sup",
        "/customers",
        {
            "name": f"{t['name']} {uuid.uuid4().hex[:6]}",
            "phone": t["phone"],
            "contact": t["contact"],
            "address": t["address"],
            "owner_id": "cs-1",
            "tier": "qualified",
            "credit_class": "B",
        },
    )
    base = f"/customers/{c['id']}"
    visit = await _ok(api, "cs-1", f"{base}/services", {"kind": "visit", "note": t["service"]})
    sid = visit["services"][-1]["id"]
    await _ok(api, "cs-1", f"{base}/reports", {"service_id": sid, "report": t["report"]})
    await _ok(api, "cs-sup", f"{base}/reports/review", {"service_id": sid, "approved": True, "note": t["report"]})
    await _ok(api, "cs-1", f"{base}/credit-reports", {"credit_class": "C", "report": t["credit"]})
    alert = await _ok(api, "cs-1", f"{base}/credit-alerts", {"report": t["alert"]})
    aid = alert["alerts"][-1]["id"]
    await _ok(api, "cs-sup", f"{base}/credit-alerts/instruction", {"alert_id": aid, "instruction": t["instruction"]})
    await _ok(api, "cs-1", f"{base}/surveys", {"score": 3, "note": t["service"]})
    change = await _ok(api, "cs-1", f"{base}/changes", {"address": t["new_address"], "reason": t["change_reason"]})
    rid = change["changes"][-1]["id"]
    return await _ok(
        api, "cs-mgr", f"{base}/changes/decision", {"change_id": rid, "approved": True, "note": t["report"]}
    )


def _payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload inside a protobuf message (inputs, results, update and activity payloads,
    memo, search attributes, headers, user metadata, failure details)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.is_repeated:
            values = value.values() if field.message_type.GetOptions().map_entry else value
            for v in values:
                if isinstance(v, Message):
                    yield from _payloads_in(v)
        else:
            yield from _payloads_in(value)


async def _as_the_ui_reads_it(dev_env: WorkflowEnvironment, workflow_id: str) -> tuple[list[str], bytes, Any]:
    """What the Web UI (no codec, no key) gets of a workflow: the text of every payload of its
    history and description, everything those hold as bytes, and the description."""
    raw = await Client.connect(dev_env.client.service_client.config.target_host, namespace=dev_env.client.namespace)
    history = await raw.get_workflow_handle(workflow_id).fetch_history()
    desc = await raw.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(namespace=raw.namespace, execution=WorkflowExecution(workflow_id=workflow_id))
    )
    events: list[HistoryEvent] = list(history.events)
    texts = [p.data.decode() for m in [*events, desc] for p in _payloads_in(m)]
    blob = b"".join(e.SerializeToString() for e in events) + desc.SerializeToString()
    return texts, blob, desc


def _assert_nothing_confidential(texts: list[str], blob: bytes, secrets: dict[str, str]) -> None:
    for what, secret in secrets.items():
        assert secret.encode() not in blob, f"the {what} is readable in Temporal"
    assert any(SEALED in t for t in texts)  # the fields are there, sealed


async def test_a_complaints_stored_history_holds_its_ids_and_status_and_nothing_confidential(
    capi: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """Issue 12 / CP-19: read straight from the server with no codec, every payload of a
    closed complaint's history (input, steps, activities, result), its summary, details and
    search attributes hold no name, phone or text anyone wrote, and do hold its id, its
    staff ids and its status in plain JSON."""
    c = await _whole_complaint(capi, {"kind": "staff", "staff_id": "cs-2", "name": COMPLAINT_TEXTS["target"]})
    texts, blob, desc = await _as_the_ui_reads_it(dev_env, c["workflow_id"])
    _assert_nothing_confidential(texts, blob, c["texts"])
    docs = [json.loads(t) for t in texts if t.startswith(("{", "["))]
    assert any(d.get("id") == c["id"] and d.get("status") == "closed" for d in docs if isinstance(d, dict))
    assert any('"handler_id":"ops-2"' in t.replace(" ", "") for t in texts)
    summary = json.loads(desc.execution_config.user_metadata.summary.data)
    assert summary == f"Complaint {c['id']} · phone · about a staff"
    raw = await Client.connect(dev_env.client.service_client.config.target_host, namespace=dev_env.client.namespace)
    meta = await raw.get_workflow_handle(c["workflow_id"]).query("__temporal_workflow_metadata")
    assert meta.current_details.startswith("Closed (satisfied) and archived")  # what the UI shows


async def test_a_projects_stored_history_holds_its_ids_and_stage_and_nothing_confidential(
    capi: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """Issue 12 / ND-13: the same for a client project: the client's name and contact, the
    application's texts, review notes, the expense's description, the follow-up note and the
    reasons of a suspension and a termination are sealed; ids, amounts and stages are plain."""
    p = await _whole_project(capi)
    texts, blob, desc = await _as_the_ui_reads_it(dev_env, p["workflow_id"])
    _assert_nothing_confidential(texts, blob, PROJECT_TEXTS)
    assert any(f'"id":"{p["id"]}"' in t and '"stage":"terminated"' in t for t in texts)
    summary = json.loads(desc.execution_config.user_metadata.summary.data)
    assert summary == f"New-client project {p['id']} · cast_ball"


async def test_a_customer_accounts_history_holds_its_ids_and_tier_and_nothing_confidential(
    capi: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """Issue 12 / issue 16: a customer account read from the server with no codec: its name,
    phone, contact and address (original and working records), every note, report, credit
    report, urgent report, instruction and reason, and the change of its record are sealed;
    its id, owner, tier and credit class are plain, as is its summary."""
    c = await _whole_customer(capi)
    texts, blob, desc = await _as_the_ui_reads_it(dev_env, c["workflow_id"])
    _assert_nothing_confidential(texts, blob, CUSTOMER_TEXTS)
    assert any(f'"id":"{c["id"]}"' in t and '"tier":"qualified"' in t for t in texts)
    summary = json.loads(desc.execution_config.user_metadata.summary.data)
    assert summary == f"Customer account {c['id']} · customer_service"
    await dev_env.client.get_workflow_handle(c["workflow_id"]).terminate("test over")


#: What people write into an inquiry (CC-06): each must be sealed in Temporal.
INQUIRY_TEXTS = {
    "question": "Does the Jinan plant still stock 60 mm cast balls for Mrs Zhou?",
    "contact": "Mrs Zhou Xiaomei, 13977776666",
    "answer": "Yes, 40 tons in Jinan; delivery within a week",
}


async def test_cc06_an_inquirys_stored_history_holds_its_ids_and_status_and_nothing_confidential(
    capi: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """Issue 12 / CC-06: an inquiry's question, contact and answer are sealed in every payload of
    its history; its summary shows its id and channel only; its ids and status are plain."""
    t = INQUIRY_TEXTS
    q = await _ok(capi, "cs-1", "/inquiries", {"channel": "email", "question": t["question"], "contact": t["contact"]})
    await _ok(capi, "cs-1", f"/inquiries/{q['id']}/assign", {"assignee_id": "ops-1"})
    done = await _ok(capi, "ops-1", f"/inquiries/{q['id']}/answer", {"answer": t["answer"]})
    assert done["status"] == "answered"
    texts, blob, desc = await _as_the_ui_reads_it(dev_env, q["workflow_id"])
    _assert_nothing_confidential(texts, blob, t)
    assert any(f'"id":"{q["id"]}"' in x.replace(" ", "") and '"status":"answered"' in x for x in texts)
    summary = json.loads(desc.execution_config.user_metadata.summary.data)
    assert summary == f"Inquiry {q['id']} · email"


@pytest.mark.parametrize("supervisor", ["ops-sup", "cs-sup"], ids=["complained-about", "outside-the-chain"])
async def test_cp07_cp19_a_supervisor_complained_about_or_outside_the_chain_reads_nothing_confidential(
    capi: httpx.AsyncClient, dev_env: WorkflowEnvironment, supervisor: str
) -> None:
    """CP-07, CP-19 through Temporal: a complaint about supervisor ops-sup, received by ops-1
    (whose chain ops-sup heads) and handled in operations. Neither ops-sup (complained about)
    nor cs-sup (outside every chain of the case) reads a confidential field: the API refuses
    them the case and its history, no codec endpoint exists to decode for them (with or
    without their key), and what the Web UI shows them without one holds none."""
    c = await _whole_complaint(capi, {"kind": "staff", "staff_id": "ops-sup"}, receiver="ops-1", escalate=False)
    assert (await capi.get(f"/complaints/{c['id']}", headers=key(supervisor))).status_code == 403
    assert (await capi.get(f"/complaints/{c['id']}/history", headers=key(supervisor))).status_code == 403
    sealed = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": ""}]}
    for path in ("/codec/decode", "/codec/session"):
        for headers in (key(supervisor), {}):
            assert (await capi.post(path, json=sealed, headers=headers)).status_code == 404
    texts, blob, _ = await _as_the_ui_reads_it(dev_env, c["workflow_id"])
    _assert_nothing_confidential(texts, blob, c["texts"])
    assert (await capi.get(f"/complaints/{c['id']}", headers=key("ops-mgr"))).json()["plan"] == COMPLAINT_TEXTS["plan"]


async def test_cp19_no_phone_or_name_in_logs_of_a_whole_run(
    capi, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production processor chain (infra.logs.log_processors) over a whole complaint:
    the rendered lines hold no phone, name or text of the case; nor do the SDK's stdlib log
    records."""
    lines: list[str] = []
    # The processes cache each module's logger on first use (configure_logging), and a cached
    # logger keeps the chain it was built with: give every module a fresh one for this run, so
    # the capture below sees what any earlier test had already logged through.
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
        c = await _whole_complaint(capi, {"kind": "service", "name": "delivery"})
    finally:
        structlog.configure(**old)
    text = "\n".join(lines)
    assert c["id"] in text and "case_step" in text  # the run was logged
    for secret in c["texts"].values():
        assert secret not in text
        assert secret not in caplog.text
