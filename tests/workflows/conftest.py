"""What the workflow tests share: ``cases``, complaints on the time-skipping server with a
worker on the migrated database (tests/workflows/helpers.py ``Cases``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from models.staff import Directory
from tests.conftest import running_worker
from tests.workflows.helpers import Cases


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
