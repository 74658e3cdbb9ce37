"""What the workflow tests share: ``cases``, complaints on the time-skipping server with a
worker on the migrated database (tests/workflows/helpers.py ``Cases``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from models.staff import Directory
from tests.conftest import running_worker, time_skipping_env
from tests.workflows.helpers import Cases


@pytest_asyncio.fixture(scope="package")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server for the workflow tests alone (they skip days, months and a
    year): what the rest of the suite left open on the session's server does not stall them."""
    async with time_skipping_env() as env:
        yield env


@pytest_asyncio.fixture
async def cases(
    time_env: WorkflowEnvironment, task_queue: str, database_url: str, staff_file: Path, directory: Directory
) -> AsyncIterator[Cases]:
    async with running_worker(time_env.client, database_url, task_queue, staff_file):
        c = Cases(time_env.client, task_queue, directory)
        try:
            yield c
        finally:
            await c.close()
