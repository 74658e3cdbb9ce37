"""Webhooks (issue 17), to a real HTTP receiver that verifies each call's signature: signed
calls with an idempotency key, only to the subscribers of the event's kind, the plain data
only; a receiver that keeps failing gives a failed delivery, visible in the API and in the
Temporal UI, that a manager sends again."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.delivery.conftest import Receiver, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET_SUMMARY = "The parcel arrived crushed and wet"


def key(staff_id: str) -> dict[str, str]:
    return {"X-API-Key": f"demo-{staff_id}"}


async def register(api: httpx.AsyncClient) -> str:
    body = {
        "channel": "hotline",
        "target": {"kind": "service", "name": "delivery"},
        "summary": SECRET_SUMMARY,
    }
    r = await api.post("/complaints", json=body, headers=key("cs-1"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def calls_for(receiver: Receiver, case_id: str) -> list[Any]:
    return [c for c in receiver.calls if json.loads(c.body)["case_ref"] == f"complaint-{case_id}"]


async def test_a_registered_complaint_is_posted_signed_to_its_subscribers_only(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Issue 17: ``complaint.registered`` reaches the subscriber of that kind, once, signed
    (Standard Webhooks: the receiver's check passes), with an idempotency key; the subscriber
    of ``project.*`` gets nothing; the body carries the event's plain data, never a text
    someone wrote."""
    receiver.status = 200
    case_id = await register(api)
    [call] = await eventually(lambda: calls_for(receiver, case_id), what="the webhook call")
    assert call.verified
    assert call.headers["idempotency-key"] == call.headers["webhook-id"]
    assert call.headers["webhook-signature"].startswith("v1,")
    payload = json.loads(call.body)
    assert payload["type"] == "complaint.registered"
    assert payload["seq"] == 1 and payload["actor_id"] == "cs-1"
    assert SECRET_SUMMARY not in call.body.decode()
    r = await api.get(f"/deliveries?case_ref=complaint-{case_id}&channel=webhook", headers=key("gm"))
    [row] = r.json()
    assert row["recipient_id"] == "crm" and row["message_id"] == call.headers["webhook-id"]


async def test_a_forged_signature_is_told_apart() -> None:
    """Issue 17: the signature covers the body: one byte changed and a receiver refuses it."""
    from standardwebhooks import Webhook
    from standardwebhooks.webhooks import WebhookVerificationError

    from infra.webhooks import body_of, signed_headers

    secret = "whsec_" + "A" * 43 + "="
    body = body_of({"type": "complaint.registered", "seq": 1})
    headers = signed_headers(secret, "delivery-1", body)
    assert Webhook(secret).verify(body, headers) == {"type": "complaint.registered", "seq": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("1", "2"), headers)


async def test_a_failing_receiver_gives_a_failed_delivery_that_a_manager_sends_again(
    api: httpx.AsyncClient, receiver: Receiver, dev_env: WorkflowEnvironment
) -> None:
    """Issue 17: a receiver answering 500 is tried ``DELIVERY_MAX_ATTEMPTS`` times (4 here),
    with the same idempotency key each time, then the delivery is failed: listed by
    GET /deliveries?status=failed with its reason, and found in the Temporal UI by
    DeliveryFailed = true. Only a manager or the general manager sends it again; sent again
    to a receiver that is back, it is delivered with the same idempotency key."""
    receiver.status = 500
    case_id = await register(api)

    async def failed() -> list[dict[str, Any]]:
        r = await api.get(f"/deliveries?status=failed&case_ref=complaint-{case_id}", headers=key("gm"))
        return list(r.json())

    [row] = await eventually(failed, what="the failed delivery")
    assert row["attempts"] == 4 and row["last_error"] == "webhook: the receiver answered 500"
    calls = calls_for(receiver, case_id)
    assert len(calls) == 4 and len({c.headers["webhook-id"] for c in calls}) == 1

    query = f'WorkflowId = "{row["workflow_id"]}" AND DeliveryFailed = true'

    async def listed() -> bool:  # visibility is eventually consistent
        return (await dev_env.client.count_workflows(query)).count == 1

    await eventually(listed, what="the failed delivery in Temporal's visibility")

    assert (await api.post(f"/deliveries/{row['id']}/retry", headers=key("cs-1"))).status_code == 403
    assert (await api.get(f"/deliveries/{row['id']}", headers=key("cs-1"))).status_code == 404  # not cs-1's
    receiver.status = 200
    r = await api.post(f"/deliveries/{row['id']}/retry", headers=key("cs-mgr"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["attempts"] == 0

    async def delivered() -> dict[str, Any] | None:
        got = (await api.get(f"/deliveries/{row['id']}", headers=key("gm"))).json()
        return got if got["status"] == "delivered" else None

    done = await eventually(delivered, what="the delivery sent again")
    assert done["workflow_id"] != row["workflow_id"]  # a workflow of its own ...
    last = calls_for(receiver, case_id)[-1]
    assert last.verified and last.headers["webhook-id"] == row["message_id"]  # ... the same message
    r = await api.post(f"/deliveries/{row['id']}/retry", headers=key("cs-mgr"))
    assert r.status_code == 409 and "delivered" in r.text  # only a failed one is sent again
