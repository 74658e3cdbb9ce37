"""Fixtures of the API tests: one worker and one HTTP client for the whole module.

The worker and the app run against the session's real ``temporal server start-dev`` and the
session's migrated SQLite database; nothing is mocked. ``task_queue`` and ``staff_file`` are
overridden at module scope so that a single worker serves every test of the module.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from config import ROOT
from storage import tables as t
from storage.engine import sessions
from tests.conftest import served_app


@pytest.fixture(scope="module")
def task_queue() -> str:
    """One task queue for the whole module (overrides the function-scoped one)."""
    return f"tq-api-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def staff_file() -> Path:
    return ROOT / "data" / "staff.json"


@pytest_asyncio.fixture(scope="module")
async def api(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str, staff_file: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A worker on ``task_queue`` and an httpx client over the real app (lifespan run)."""
    async with served_app(dev_env, database_url, task_queue, staff_file) as (client, _):
        yield client


@pytest_asyncio.fixture(scope="module")
async def known_customer(engine: AsyncEngine) -> t.Customer:
    """A customer of the registry, unique to this module (CP-03 looks complainants up)."""
    suffix = uuid.uuid4().hex[:8]
    row = t.Customer(
        id=f"C-API-{suffix}",
        name="Registry Customer",
        phone=f"+86 137{int(suffix, 16) % 10**8:08d}",
        created_at=datetime.now(UTC),
    )
    async with sessions(engine)() as db, db.begin():
        db.add(row)
    return row
