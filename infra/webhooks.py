"""Webhooks (issue 17): one signed POST per delivery, the Standard Webhooks way.

Headers of every call (README, "Webhooks"):

- ``webhook-id``: the delivery's id, the same on every attempt: the receiver's idempotency key
  (also sent as ``Idempotency-Key``);
- ``webhook-timestamp``: seconds since the epoch when this attempt was signed;
- ``webhook-signature``: ``v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>``,
  the secret being the subscriber's ``whsec_<base64>`` decoded.

A receiver verifies with any Standard Webhooks library (``standardwebhooks.Webhook(secret)
.verify(body, headers)``), which also refuses a timestamp more than 5 minutes off.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

USER_AGENT = "customer-workflows-webhooks/1"


class Refused(Exception):
    """The receiver answered with a status that is not 2xx."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the receiver answered {status}")
        self.status = status


def body_of(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def signed_headers(secret: str, message_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """The headers that let a receiver check ``body`` came from us, unchanged."""
    at = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "idempotency-key": message_id,
    }


async def post(url: str, secret: str, message_id: str, payload: dict[str, Any], timeout: float) -> int:
    """One attempt: the status of a 2xx answer; raises Refused for any other, and httpx's
    errors for a connection that fails."""
    body = body_of(payload)
    async with httpx.AsyncClient(timeout=timeout) as client:
        answer = await client.post(url, content=body.encode(), headers=signed_headers(secret, message_id, body))
    if not 200 <= answer.status_code < 300:
        raise Refused(answer.status_code)
    return answer.status_code
