"""Fixtures of the delivery tests (issue 17): a real SMTP server on a loopback port (aiosmtpd)
that keeps every mail it takes, a real HTTP receiver that checks every webhook's signature
(the standardwebhooks library, as a subscriber would), and the API with its worker mailing
through the one and posting to the other, on the session's ``temporal server start-dev``."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from temporalio.testing import WorkflowEnvironment

from tests.conftest import served_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server took: (envelope recipients, the parsed mail)."""

    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.mails.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.mails if address in rcpt]


class SmtpServer:
    """aiosmtpd on a fixed loopback port, which a test may stop and start again; with
    ``login``, it takes mail only from a client that logged in with that user and password."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.box = Mailbox()
        self.controller: Controller | None = None
        self.login = login

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = self.login is not None and (auth_data.login, auth_data.password) == tuple(x.encode() for x in self.login)
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

    def start(self) -> None:
        kw: dict[str, Any] = {}
        if self.login is not None:
            kw = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port, **kw)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class Call:
    headers: dict[str, str]
    body: bytes
    verified: bool


class Receiver:
    """A webhook subscriber: a real HTTP server on a loopback port; each call's signature is
    verified with the subscriber's secret; ``status`` is what it answers."""

    def __init__(self) -> None:
        self.secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        self.calls: list[Call] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                receiver.calls.append(Call(headers, body, verified))
                self.send_response(receiver.status if verified else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(c.body) for c in self.calls]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def task_queue() -> str:
    return f"tq-delivery-{uuid.uuid4().hex[:8]}"


#: Short retries, so that a delivery that cannot succeed fails within seconds.
QUICK_RETRIES = {
    "delivery_max_attempts": 4,
    "delivery_first_retry_seconds": 0.2,
    "delivery_max_retry_seconds": 0.4,
    "delivery_attempt_timeout_seconds": 5.0,
}


def delivery_settings(smtp: SmtpServer, receiver: Receiver, **more: Any) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "mail_from": "Customer Service <service@example.com>",
        "public_url": "http://console.test",
        "webhooks": [
            {"id": "crm", "url": receiver.url, "kinds": ["complaint.registered"], "secret": receiver.secret},
            {"id": "projects-only", "url": receiver.url, "kinds": ["project.*"], "secret": receiver.secret},
        ],
        **QUICK_RETRIES,
        **more,
    }


@pytest_asyncio.fixture(scope="module")
async def api(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str, smtp: SmtpServer, receiver: Receiver
) -> AsyncIterator[httpx.AsyncClient]:
    async with served_app(dev_env, database_url, task_queue, settings_kw=delivery_settings(smtp, receiver)) as (
        client,
        _,
    ):
        yield client


async def eventually(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.1)
