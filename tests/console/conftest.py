"""Fixtures of the console's HTTP tests (issue 18): the API with the console (console.app),
a worker, the session's dev server and database; one signed-in browser-like client per staff
member (cookies kept, the CSRF token read from the page like a browser's form)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from config import Settings
from console.app import create_app
from tests.conftest import STAFF_FILE, running_worker

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture(scope="module")
def task_queue() -> str:
    return f"tq-console-{uuid.uuid4().hex[:8]}"


@pytest_asyncio.fixture(scope="module")
async def console_app(dev_env: WorkflowEnvironment, database_url: str, task_queue: str) -> AsyncIterator[Any]:
    settings = Settings(database_url=database_url, task_queue=task_queue, staff_file=STAFF_FILE)
    app = create_app(settings, client=dev_env.client)
    async with running_worker(dev_env.client, database_url, task_queue), app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def browser_for(app: Any, staff_id: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a cookie jar, signed in as ``staff_id`` (None: not signed in)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test", timeout=60) as client:
        if staff_id is not None:
            page = await client.get("/console/login")
            r = await client.post(
                "/console/login",
                data={"api_key": f"demo-{staff_id}", "csrf_token": csrf_of(page.text), "next": "/console/work"},
            )
            assert r.status_code == 303, r.text
        yield client


@pytest.fixture
def browser(console_app: Any) -> Callable[[str | None], Any]:
    return lambda staff_id: browser_for(console_app, staff_id)
