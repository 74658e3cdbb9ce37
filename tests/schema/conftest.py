"""One worker and one app (ASGI, in process) over the session's dev server for tests/schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from config import ROOT
from tests.conftest import served_app

STAFF_FILE = ROOT / "data" / "staff.json"


@pytest_asyncio.fixture(scope="module")
async def sapi(dev_env: WorkflowEnvironment, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with served_app(dev_env, database_url, f"tq-schema-{uuid.uuid4().hex[:8]}", intake_wait_seconds=10) as (
        client,
        _,
    ):
        yield client
