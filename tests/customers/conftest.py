"""What the customer-account tests share: ``accounts`` on the time-skipping server, with a
worker on the migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from models.staff import Directory
from tests.conftest import running_worker, time_skipping_env
from tests.customers.accounts import Accounts


@pytest_asyncio.fixture(scope="package")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server for the customer accounts alone (they skip months and a year):
    what other tests left open on the session's server does not stall these skips."""
    async with time_skipping_env() as env:
        yield env


@pytest_asyncio.fixture
async def accounts(
    time_env: WorkflowEnvironment,
    task_queue: str,
    database_url: str,
    staff_file: Path,
    directory: Directory,
    engine: AsyncEngine,
) -> AsyncIterator[Accounts]:
    async with running_worker(time_env.client, database_url, task_queue, staff_file):
        a = Accounts(time_env.client, task_queue, directory, engine)
        try:
            yield a
        finally:
            await a.close()
